package activities

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

var reportParams = []string{"period", "date", "from", "to", "by", "area", "format", "access_token"}

// report is GET /api/v1/reports/activities?from&to|period&date[&by=street|community][&area][&format]:
// per month and street (community), the activities on the menu, held,
// sign-ups, attendance and the attendance rate (store's ActivityReport). The
// range is widened to whole months; by default the six months up to now's.
func (a *API) report(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := respond.KnownParams(q, reportParams...); err != nil {
		respond.Fail(w, r, err)
		return
	}
	format, err := table.Negotiate(r, true)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	by := q.Get("by")
	switch by {
	case "":
		by = "street"
	case "street", "community":
	default:
		respond.Fail(w, r, respond.Field("by", "invalid", "by is street (the default) or community"))
		return
	}
	area := q.Get("area")
	if area != "" && !areaPattern.MatchString(area) {
		respond.Fail(w, r, respond.Field("area", "invalid", "area is an area code"))
		return
	}
	now := a.now()
	from, to, err := monthRange(q, now)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	t, err := a.store.ActivityReport(r.Context(), store.ActivityReportFilter{From: from, To: to, By: by, Area: area,
		Scope: auth.From(r.Context()).Areas, Geometry: format == table.GeoJSON})
	if err != nil {
		fail(w, r, err)
		return
	}
	t.Zone = period.Zone
	t.Meta = map[string]any{"report": "activities", "by": by, "from": from, "to": to}
	name := fmt.Sprintf("activities_%s_%s_%s", by, from.Format("200601"), to.AddDate(0, -1, 0).Format("200601"))
	table.Serve(w, r, format, t, name)
}

// MaxReportMonths bounds the report's range.
const MaxReportMonths = 36

// monthRange reads the range (period.Parse's parameters) and widens it to
// whole months of the city's time; without one it is the six months up to
// and including now's.
func monthRange(q url.Values, now time.Time) (from, to time.Time, err error) {
	startOf := func(t time.Time) time.Time {
		t = t.In(period.Zone)
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, period.Zone)
	}
	if q.Get("period") == "" && q.Get("from") == "" && q.Get("to") == "" && q.Get("date") == "" {
		to = startOf(now).AddDate(0, 1, 0)
		return to.AddDate(0, -6, 0), to, nil
	}
	if q.Get("period") == period.Week {
		return from, to, respond.Field("period", "invalid", "period is month, quarter or year: the report counts whole months")
	}
	rng, err := period.Parse(q, now)
	if err != nil {
		return from, to, err
	}
	from, to = startOf(rng.From), startOf(rng.To.Add(-time.Nanosecond)).AddDate(0, 1, 0)
	if to.After(from.AddDate(0, MaxReportMonths, 0)) {
		return from, to, respond.Field("from", "too_long", fmt.Sprintf("the report spans at most %d months", MaxReportMonths))
	}
	return from, to, nil
}
