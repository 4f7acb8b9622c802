package reports

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"citymap/server/period"
	"citymap/server/respond"
	"citymap/server/store"
)

// List lengths of the red/black list.
const (
	defaultListLength = 10
	maxListLength     = 100
)

// redblack is GET /api/v1/reports/redblack?entity=points|units|areas
// [&level=street|community|grid][&metric=…][&n=10] with period=week|month|quarter
// (&date=) or from/to: the best and worst N with the previous period's value
// and rank.
func (rp *Reports) redblack(w http.ResponseWriter, r *http.Request) {
	isAreas := func(q url.Values) bool { return store.HasRankGeometry(q.Get("entity")) }
	req, err := read(r, "redblack", append([]string{"entity", "level", "metric", "n"}, issueParams...), isAreas)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	rk, err := ranking(req.q, req.rng)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	t, err := rp.store.RankingReport(r.Context(), rk, req.filter)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	t.IDColumn = "code"
	if rk.Entity == store.RankUnits {
		t.IDColumn = "unit"
	}
	meta := map[string]any{"entity": rk.Entity, "metric": rk.Metric, "n": rk.N,
		"previous_from": rk.PrevFrom.In(period.Zone), "previous_to": rk.PrevTo.In(period.Zone)}
	if rk.Entity == store.RankAreas {
		meta["level"] = rk.Level
	}
	if req.rng.Kind != "" {
		meta["period"] = req.rng.Kind
	}
	if rk.Metric != store.MetricScore {
		meta = req.judged(meta)
	}
	req.write(w, r, t, meta)
}

// ranking reads what the red/black list ranks.
func ranking(q url.Values, rng period.Range) (store.Ranking, error) {
	rk := store.Ranking{N: defaultListLength}
	var err error
	if rk.Entity, err = oneOf(q, "entity", store.RankPoints, store.RankUnits, store.RankAreas); err != nil {
		return rk, err
	}
	metrics := store.RankMetrics[rk.Entity]
	if rk.Metric, err = oneOf(q, "metric", metrics...); err != nil {
		return rk, respond.Field("metric", "invalid", rk.Entity+" are ranked by "+strings.Join(metrics, ", "))
	}
	if rk.Entity == store.RankAreas {
		if rk.Level, err = oneOf(q, "level", "street", "community", "grid"); err != nil {
			return rk, err
		}
	} else if q.Has("level") {
		return rk, respond.Field("level", "invalid", "level applies to entity=areas")
	}
	if s := q.Get("n"); s != "" {
		if rk.N, err = strconv.Atoi(s); err != nil || rk.N < 1 || rk.N > maxListLength {
			return rk, respond.Field("n", "invalid", "n is the length of each list, 1 to "+strconv.Itoa(maxListLength))
		}
	}
	prev := rng.Previous()
	rk.PrevFrom, rk.PrevTo = prev.From, prev.To
	return rk, nil
}
