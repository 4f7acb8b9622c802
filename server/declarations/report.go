package declarations

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"citymap/server/auth"
	"citymap/server/period"
	"citymap/server/respond"
	"citymap/server/store"
	"citymap/server/table"
)

var reportParams = []string{"period", "date", "from", "to", "by", "format", "access_token"}

// report is GET /api/v1/reports/declarations?period=month|quarter&date=|from&to[&by=unit|indicator][&format=csv]:
// the completeness of the declarations whose period ends in the range, per
// unit or per indicator, ranked, against the period before (store's
// DeclarationReport). Without a range it is the month before the current
// one: the one whose declarations are due now.
func (a *API) report(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := respond.KnownParams(q, reportParams...); err != nil {
		respond.Fail(w, r, err)
		return
	}
	format, err := table.Negotiate(r, false)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	now := a.now()
	by := q.Get("by")
	switch by {
	case "":
		by = "unit"
	case "unit", "indicator":
	default:
		respond.Fail(w, r, respond.Field("by", "invalid", "by is unit (the default) or indicator"))
		return
	}
	rng, err := reportRange(q, now)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	prev := rng.Previous()
	t, err := a.store.DeclarationReport(r.Context(), store.DeclarationReportFilter{From: rng.From, To: rng.To,
		PrevFrom: prev.From, PrevTo: prev.To, By: by, Now: now, Viewer: auth.From(r.Context()).Viewer()})
	if err != nil {
		fail(w, r, err)
		return
	}
	t.Zone = period.Zone
	t.Meta = map[string]any{"report": "declarations", "by": by, "from": rng.From.In(period.Zone),
		"to": rng.To.In(period.Zone), "previous_from": prev.From.In(period.Zone), "previous_to": prev.To.In(period.Zone),
		"evaluated_at": now.In(period.Zone).Truncate(time.Second)}
	name := fmt.Sprintf("declarations_%s_%s_%s", by, rng.From.In(period.Zone).Format("20060102"),
		rng.To.In(period.Zone).Format("20060102"))
	table.Serve(w, r, format, t, name)
}

// reportRange reads the report's period: period=month|quarter (with date, a
// day in it), or from and to; by default the month before now's.
func reportRange(q url.Values, now time.Time) (period.Range, error) {
	if q.Get("period") == "" && q.Get("from") == "" && q.Get("to") == "" && q.Get("date") == "" {
		cur, _ := period.Calendar(period.Month, now)
		return cur.Previous(), nil
	}
	if q.Get("period") == period.Week {
		return period.Range{}, respond.Field("period", "invalid", "period is month or quarter")
	}
	return period.Parse(q, now)
}
