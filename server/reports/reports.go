// Package reports serves /api/v1/reports: the evaluation of areas, hotspots as
// hexagons or grids, the category breakdown, daily and weekly trends, the
// red/black list and parking utilization, each as JSON, CSV or (where rows have
// geometry) GeoJSON. The figures' definitions are in the store (reports.go) and
// docs/REPORTS.md.
package reports

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"citymap/server/access"
	"citymap/server/auth"
	"citymap/server/limit"
	"citymap/server/period"
	"citymap/server/respond"
	"citymap/server/routes"
	"citymap/server/store"
	"citymap/server/table"
)

// Reports is the report API of one instance.
type Reports struct {
	store *store.Store
	auth  *auth.Authenticator
}

// New returns the report API over st.
func New(st *store.Store, a *auth.Authenticator) *Reports {
	return &Reports{store: st, auth: a}
}

// Routes lists the report routes, each of them heavy (it scans every issue
// of its range). Everyone but the reporter, which only submits, reads them;
// a grid manager sees its own areas only. Where the points are lost (units,
// indicators) is also for the 创建办 and unit staff, who see their own unit
// only.
func (rp *Reports) Routes() []routes.Route {
	report := func(pattern string, h http.HandlerFunc, roles []string) routes.Route {
		return routes.For(pattern, h, limit.Heavy, roles)
	}
	return []routes.Route{
		report("GET /api/v1/reports/areas", rp.areas, access.Readers),
		report("GET /api/v1/reports/hotspots", rp.hotspots, access.Readers),
		report("GET /api/v1/reports/categories", rp.categories, access.Readers),
		report("GET /api/v1/reports/trends", rp.trends, access.Readers),
		report("GET /api/v1/reports/redblack", rp.redblack, access.Readers),
		report("GET /api/v1/reports/parking", rp.parking, access.Readers),
		report("GET /api/v1/reports/units", rp.units, access.UnitReaders),
		report("GET /api/v1/reports/indicators", rp.indicators, access.UnitReaders),
	}
}

// Parameters every report takes; the issue reports also take issueParams.
var (
	commonParams = []string{"from", "to", "period", "date", "format", "access_token"}
	issueParams  = []string{"category", "source", "area"}
)

var areaCode = regexp.MustCompile(`^[0-9]{6}([0-9]{3}([0-9]{3}([0-9]{2})?)?)?$`)

// request is a report request as read from its parameters.
type request struct {
	q      url.Values
	name   string // the report's name, in the answer and the CSV file name
	format table.Format
	rng    period.Range
	at     time.Time // when the range's cases are judged: evaluatedAt
	filter store.ReportFilter
}

// read checks a request's parameters (unknown ones are refused: a misspelt
// filter silently ignored would answer with the wrong figures), negotiates the
// format (geo: whether the answer will have geometry) and reads the range and
// the issue filter.
func read(r *http.Request, name string, params []string, geo func(url.Values) bool) (*request, error) {
	q := r.URL.Query()
	if err := respond.KnownParams(q, slices.Concat(commonParams, params)...); err != nil {
		return nil, err
	}
	req := &request{q: q, name: name}
	var err error
	if req.format, err = table.Negotiate(r, geo(q)); err != nil {
		return nil, err
	}
	// one clock for the request: the default range, the evaluation time the
	// answer states and the one its figures are judged at
	now := time.Now()
	if req.rng, err = period.Parse(q, now); err != nil {
		return nil, err
	}
	req.at = evaluatedAt(req.rng, now)
	req.filter, err = issueFilter(q, req.rng)
	if err != nil {
		return nil, err
	}
	req.filter.At = req.at
	req.filter.Scope = auth.From(r.Context()).Areas
	req.filter.Geometry = req.format == table.GeoJSON
	return req, nil
}

func issueFilter(q url.Values, rng period.Range) (store.ReportFilter, error) {
	f := store.ReportFilter{From: rng.From, To: rng.To, Zone: period.ZoneName}
	var err error
	if f.Sources, err = respond.List(q, "source", func(s string) bool { return slices.Contains(store.IssueSources, s) }); err != nil {
		return f, err
	}
	// categories are data, not code: an unknown one matches nothing
	if f.Categories, err = respond.List(q, "category", func(string) bool { return true }); err != nil {
		return f, err
	}
	if f.Area = q.Get("area"); f.Area != "" && !areaCode.MatchString(f.Area) {
		return f, respond.Field("area", "invalid", "an area code has 6, 9, 12 or 14 digits")
	}
	return f, nil
}

// oneOf reads a parameter that takes one of values, the first being the default.
func oneOf(q url.Values, name string, values ...string) (string, error) {
	v := q.Get(name)
	if v == "" {
		return values[0], nil
	}
	if !slices.Contains(values, v) {
		return "", respond.Field(name, "invalid", fmt.Sprintf("%s is one of %s", name, strings.Join(values, ", ")))
	}
	return v, nil
}

func always(url.Values) bool { return true }
func never(url.Values) bool  { return false }

// write answers a report's table with the request's range as meta.
func (req *request) write(w http.ResponseWriter, r *http.Request, t *table.Table, meta map[string]any) {
	t.Zone = period.Zone
	t.Meta = map[string]any{"report": req.name, "from": req.rng.From.In(period.Zone),
		"to": req.rng.To.In(period.Zone)}
	for k, v := range meta {
		t.Meta[k] = v
	}
	name := fmt.Sprintf("%s_%s_%s", req.name, req.rng.From.In(period.Zone).Format("20060102"),
		req.rng.To.In(period.Zone).Format("20060102"))
	table.Serve(w, r, req.format, t, name)
}

// evaluatedAt is when a range's cases are judged: its end, or now for a range
// that has not ended (the store uses the same rule).
func evaluatedAt(rng period.Range, now time.Time) time.Time {
	if now.Before(rng.To) {
		return now.Truncate(time.Second)
	}
	return rng.To
}

// judged is the meta of a report of evaluation figures.
func (req *request) judged(meta map[string]any) map[string]any {
	if meta == nil {
		meta = map[string]any{}
	}
	meta["evaluated_at"] = req.at.In(period.Zone)
	return meta
}
