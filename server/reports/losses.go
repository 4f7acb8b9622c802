package reports

import (
	"net/http"
	"net/url"
	"time"

	"citymap/server/auth"
	"citymap/server/respond"
	"citymap/server/store"
)

// lossFilter is a request's loss filter: its range, the previous period and
// the caller's unit.
func (req *request) lossFilter(r *http.Request) store.LossFilter {
	prev := req.rng.Previous()
	return store.LossFilter{ReportFilter: req.filter, PrevFrom: prev.From, PrevTo: prev.To,
		Unit: auth.From(r.Context()).Unit, Now: time.Now()}
}

// units is GET /api/v1/reports/units?from&to|period&date[&by=indicator][&area]:
// 谁丢分谁负责 — per responsible unit, the points lost, its cases' closure and
// on-time rates, its tasks done and overdue, its rank and change; by=indicator
// splits the points lost by indicator. GeoJSON places street offices on their
// streets.
func (rp *Reports) units(w http.ResponseWriter, r *http.Request) {
	byUnit := func(q url.Values) bool { return q.Get("by") != "indicator" }
	req, err := read(r, "units", append([]string{"by"}, issueParams...), byUnit)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	by, err := oneOf(req.q, "by", "unit", "indicator")
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	f := req.lossFilter(r)
	if by == "indicator" {
		t, err := rp.store.UnitIndicatorLossReport(r.Context(), f)
		if err != nil {
			respond.Fail(w, r, err)
			return
		}
		req.write(w, r, t, map[string]any{"by": by})
		return
	}
	t, err := rp.store.UnitLossReport(r.Context(), f)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	t.IDColumn = "unit"
	req.write(w, r, t, req.judged(map[string]any{"by": by, "previous_from": f.PrevFrom, "previous_to": f.PrevTo}))
}

// indicators is GET /api/v1/reports/indicators?from&to|period&date[&area]:
// where the city loses most — per indicator, the points lost, at how many
// points, its lead unit, rank and change.
func (rp *Reports) indicators(w http.ResponseWriter, r *http.Request) {
	req, err := read(r, "indicators", []string{"area"}, never)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	f := req.lossFilter(r)
	t, err := rp.store.IndicatorLossReport(r.Context(), f)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	req.write(w, r, t, map[string]any{"previous_from": f.PrevFrom, "previous_to": f.PrevTo})
}
