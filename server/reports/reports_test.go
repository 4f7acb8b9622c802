package reports_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"testing"
	"time"

	"citymap/server/access"
	"citymap/server/apitest"
)

// answer is a report in JSON.
type answer struct {
	Report      string           `json:"report"`
	From        time.Time        `json:"from"`
	To          time.Time        `json:"to"`
	EvaluatedAt time.Time        `json:"evaluated_at"`
	Rows        []map[string]any `json:"rows"`
}

func get(e *apitest.Env, path, role string, headers ...string) answer {
	e.T.Helper()
	var a answer
	e.Get(path, role, headers...).Decode(e.T, &a)
	return a
}

// row finds the row whose column col is value.
func row(t *testing.T, rows []map[string]any, col string, value any) map[string]any {
	t.Helper()
	for _, r := range rows {
		if r[col] == value {
			return r
		}
	}
	t.Fatalf("no row with %s = %v in %v", col, value, rows)
	return nil
}

// expect compares a row's columns with the wanted values (numbers as float64).
func expect(t *testing.T, what string, r map[string]any, want map[string]any) {
	t.Helper()
	for k, w := range want {
		got := r[k]
		if wf, ok := w.(float64); ok {
			gf, ok := got.(float64)
			if !ok || math.Abs(gf-wf) > 1e-9 {
				t.Errorf("%s: %s = %v, want %v", what, k, got, w)
			}
			continue
		}
		if got != w {
			t.Errorf("%s: %s = %v, want %v", what, k, got, w)
		}
	}
}

func TestAreaFigures(t *testing.T) {
	e := withFixture(t)
	a := get(e, "/api/v1/reports/areas?level=street&area=329999&"+march, access.Planner)
	if len(a.Rows) != 1 || a.Report != "areas" || !a.EvaluatedAt.Equal(a.To) {
		t.Fatalf("answer %+v", a)
	}
	expect(t, "street", a.Rows[0], map[string]any{"code": "329999001", "name": "测试街道,东区",
		"new": 9.0, "due": 6.0, "closed": 4.0, "closed_on_time": 3.0, "reworked": 1.0,
		"closure_rate": 0.6667, "on_time_rate": 0.5, "rework_rate": 0.25, "median_handling_hours": 3.5})

	grids := get(e, "/api/v1/reports/areas?level=grid&area=329999001001&"+march, access.Dispatcher).Rows
	if len(grids) != 2 {
		t.Fatalf("%d grids", len(grids))
	}
	expect(t, "grid 01", grids[0], map[string]any{"code": "32999900100101", "new": 8.0, "due": 5.0, "closed": 3.0,
		"closed_on_time": 2.0, "closure_rate": 0.6, "on_time_rate": 0.4, "rework_rate": 0.3333,
		"median_handling_hours": 4.0})
	expect(t, "grid 02", grids[1], map[string]any{"code": "32999900100102", "new": 1.0, "due": 1.0, "closed": 1.0,
		"closure_rate": 1.0, "on_time_rate": 1.0, "rework_rate": 0.0, "median_handling_hours": 3.0})

	// a month without issues: zeros and no rates
	empty := get(e, "/api/v1/reports/areas?level=district&area=329999&from=2019-01-01&to=2019-01-31", access.Viewer).Rows
	expect(t, "empty", empty[0], map[string]any{"new": 0.0, "due": 0.0, "closure_rate": nil, "median_handling_hours": nil})

	// filters: the category of #8 only, a source with none
	cat := get(e, "/api/v1/reports/areas?level=street&area=329999&category=illegal_construction&"+march, access.Viewer).Rows
	expect(t, "category", cat[0], map[string]any{"new": 1.0, "due": 1.0, "closed": 1.0})
	src := get(e, "/api/v1/reports/areas?level=street&area=329999&source=hotline_12345&"+march, access.Viewer).Rows
	expect(t, "source", src[0], map[string]any{"new": 0.0})
}

// TestAreaFiguresIndependent checks the street figures of the demo city's last
// 30 days against SQL written separately from the report's, judged at the
// instant the answer says (the range's end, or now when the demo city leads up
// to an instant still to come).
func TestAreaFiguresIndependent(t *testing.T) {
	e := apitest.New(t)
	var to time.Time
	e.Scan(`SELECT date_trunc('day', max(created_at)) FROM issues`, nil, &to)
	from := to.AddDate(0, 0, -30)
	q := url.Values{"level": {"street"}, "from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}
	a := get(e, "/api/v1/reports/areas?"+q.Encode(), access.Admin)
	rows, cut := a.Rows, a.EvaluatedAt
	if len(rows) == 0 {
		t.Fatal("no streets")
	}
	if cut.After(to) || cut.Before(to) && time.Since(cut) > time.Minute {
		t.Errorf("evaluated at %v: want the range's end %v or now", cut, to)
	}
	for _, r := range rows {
		var n, due, closed, onTime, reworked int64
		// the deadline at the cut is the one before the first move after it;
		// a case whose last suspend or resume before the cut is a suspend is
		// not due (docs/REPORTS.md)
		e.Scan(`SELECT
			count(*),
			count(*) FILTER (WHERE status = 'closed' AND closed_at < $4
				OR status IN ('reported', 'registered', 'dispatched', 'in_progress', 'resolved', 'closed') AND at_cut < $4
					AND held IS DISTINCT FROM 'suspend'),
			count(*) FILTER (WHERE status = 'closed' AND closed_at < $4),
			count(*) FILTER (WHERE status = 'closed' AND closed_at < $4 AND resolved_at <= at_cut),
			count(*) FILTER (WHERE status = 'closed' AND closed_at < $4 AND rework_count >= 1)
			FROM (SELECT i.*, coalesce((SELECT (m.data->>'deadline_from')::timestamptz FROM issue_events m
					WHERE m.issue_id = i.id AND m.action IN ('extend_grant', 'resume') AND m.at >= $4
					ORDER BY m.at, m.id LIMIT 1), i.deadline) AS at_cut,
				(SELECT h.action FROM issue_events h WHERE h.issue_id = i.id AND h.action IN ('suspend', 'resume')
					AND h.at < $4 ORDER BY h.at DESC, h.id DESC LIMIT 1) AS held
				FROM issues i WHERE street_code = $1 AND created_at >= $2 AND created_at < $3) x`,
			[]any{r["code"], from, to, cut}, &n, &due, &closed, &onTime, &reworked)
		expect(t, r["code"].(string), r, map[string]any{"new": float64(n), "due": float64(due),
			"closed": float64(closed), "closed_on_time": float64(onTime), "reworked": float64(reworked)})
		if due > 0 {
			expect(t, r["code"].(string), r, map[string]any{
				"closure_rate": math.Round(float64(closed)/float64(due)*1e4) / 1e4})
		}
	}
}

func TestCategoriesAndTrends(t *testing.T) {
	e := withFixture(t)
	cats := get(e, "/api/v1/reports/categories?area=329999&"+march, access.Viewer).Rows
	all := e.Int(`SELECT count(*) FROM issue_categories`)
	if int64(len(cats)) != all {
		t.Errorf("%d categories, want all %d", len(cats), all)
	}
	expect(t, "first", cats[0], map[string]any{"category": "exposed_garbage", "name": "暴露垃圾", "new": 8.0, "due": 5.0})
	expect(t, "second", cats[1], map[string]any{"category": "illegal_construction", "new": 1.0, "closed": 1.0})

	days := get(e, "/api/v1/reports/trends?area=329999&"+march, access.Viewer).Rows
	if len(days) != 31 || days[0]["period"] != "2020-03-01" || days[30]["period"] != "2020-03-31" {
		t.Fatalf("%d days from %v", len(days), days[0])
	}
	expect(t, "03-31", days[30], map[string]any{"new": 2.0, "due": 1.0, "closed": 1.0})
	sums := map[string]float64{}
	for _, d := range days {
		for _, k := range []string{"new", "due", "closed", "closed_on_time", "reworked"} {
			sums[k] += d[k].(float64)
		}
	}
	want := map[string]float64{"new": 9, "due": 6, "closed": 4, "closed_on_time": 3, "reworked": 1}
	for k, v := range want {
		if sums[k] != v {
			t.Errorf("days add up to %s = %v, want %v", k, sums[k], v)
		}
	}
	weeks := get(e, "/api/v1/reports/trends?interval=week&area=329999&"+march, access.Viewer).Rows
	if len(weeks) != 6 || weeks[0]["period"] != "2020-02-24" || weeks[0]["start"] != "2020-03-01T00:00:00+08:00" ||
		weeks[5]["end"] != "2020-04-01T00:00:00+08:00" {
		t.Errorf("weeks: %d from %v to %v", len(weeks), weeks[0], weeks[len(weeks)-1])
	}
}

// TestTrendsAddUp checks on the demo city that the days of its last month add
// up to the month's figures.
func TestTrendsAddUp(t *testing.T) {
	e := apitest.New(t)
	var to time.Time
	e.Scan(`SELECT date_trunc('day', max(created_at)) FROM issues`, nil, &to)
	q := url.Values{"from": {to.AddDate(0, -1, 0).Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}
	days := get(e, "/api/v1/reports/trends?"+q.Encode(), access.Viewer).Rows
	q.Set("level", "district")
	total := get(e, "/api/v1/reports/areas?"+q.Encode(), access.Viewer).Rows[0]
	outside := e.Int(`SELECT count(*) FROM issues WHERE grid_code IS NULL AND created_at >= $1 AND created_at < $2`,
		to.AddDate(0, -1, 0), to)
	var sum float64
	for _, d := range days {
		sum += d["new"].(float64)
	}
	if sum != total["new"].(float64)+float64(outside) || sum == 0 {
		t.Errorf("days add up to %v new, the district has %v and %d are outside every grid", sum, total["new"], outside)
	}
}

func TestHotspots(t *testing.T) {
	e := withFixture(t)
	hex := get(e, "/api/v1/reports/hotspots?size=1000&area=329999&"+march, access.Viewer).Rows
	var sum float64
	for _, h := range hex {
		sum += h["issues"].(float64)
	}
	if sum != 9 || len(hex) != 2 {
		t.Errorf("%d hexagons with %v issues, want 2 with 9", len(hex), sum)
	}
	grids := get(e, "/api/v1/reports/hotspots?by=grid&area=329999&"+march, access.Viewer).Rows
	if len(grids) != 2 {
		t.Fatalf("%d grids", len(grids))
	}
	expect(t, "busiest grid", grids[0], map[string]any{"code": "32999900100101", "name": "测试网格一", "issues": 8.0})

	// the demo city: every issue of the range in exactly one hexagon, which holds it
	var from, to time.Time
	e.Scan(`SELECT max(created_at) - interval '30 days', max(created_at) FROM issues WHERE grid_code LIKE '320282%'`, nil, &from, &to)
	q := url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}, "size": {"300"}, "format": {"geojson"}}
	var fc struct {
		Features []struct {
			ID         string
			Geometry   json.RawMessage
			Properties struct{ Issues int64 }
		}
	}
	e.Get("/api/v1/reports/hotspots?"+q.Encode(), access.Viewer).Decode(t, &fc)
	var total int64
	for _, f := range fc.Features {
		total += f.Properties.Issues
	}
	want := e.Int(`SELECT count(*) FROM issues WHERE created_at >= $1 AND created_at < $2`, from, to)
	if total != want || want == 0 {
		t.Errorf("hexagons hold %d issues, want %d", total, want)
	}
	busiest := fc.Features[0]
	inside := e.Int(`SELECT count(*) FROM issues WHERE created_at >= $1 AND created_at < $2
		AND ST_Covers(ST_SetSRID(ST_GeomFromGeoJSON($3), 4326), geom)`, from, to, string(busiest.Geometry))
	if math.Abs(float64(inside-busiest.Properties.Issues)) > 0.01*float64(inside)+2 {
		t.Errorf("hexagon %s counts %d issues, its polygon holds %d", busiest.ID, busiest.Properties.Issues, inside)
	}
}

func TestRedBlackPoints(t *testing.T) {
	e := withFixture(t)
	a := get(e, "/api/v1/reports/redblack?entity=points&period=month&date=2020-03-15&area=329999&n=2", access.Planner)
	if len(a.Rows) != 4 {
		t.Fatalf("%d rows: %v", len(a.Rows), a.Rows)
	}
	want := []map[string]any{
		{"list": "red", "rank": 1.0, "code": "FX-P1", "value": 96.0, "inspections": 2.0, "previous_value": 80.0,
			"delta": 16.0, "previous_rank": 2.0, "rank_change": 1.0, "unit": "测试单位甲"},
		{"list": "red", "rank": 2.0, "code": "FX-P2", "value": 90.0, "previous_value": 92.0, "delta": -2.0,
			"previous_rank": 1.0, "rank_change": -1.0},
		{"list": "black", "rank": 3.0, "code": "FX-P3", "value": 70.0, "previous_value": 75.0, "delta": -5.0,
			"previous_rank": 3.0, "rank_change": 0.0},
		{"list": "black", "rank": 2.0, "code": "FX-P2"},
	}
	for i, w := range want {
		expect(t, fmt.Sprintf("row %d", i), a.Rows[i], w)
	}
	units := get(e, "/api/v1/reports/redblack?entity=units&period=month&date=2020-03-15&area=329999&n=1", access.Planner).Rows
	expect(t, "red unit", units[0], map[string]any{"list": "red", "unit": "测试单位甲", "value": 93.0, "points": 2.0,
		"previous_value": 86.0, "delta": 7.0, "rank_change": 0.0})
	expect(t, "black unit", units[1], map[string]any{"list": "black", "unit": "测试单位乙", "value": 70.0,
		"previous_value": 75.0, "rank": 2.0})
}

func TestRedBlackCases(t *testing.T) {
	e := withFixture(t)
	units := get(e, "/api/v1/reports/redblack?entity=units&metric=closure_rate&"+march+"&area=329999&n=1", access.Viewer).Rows
	// the range given by from/to: the previous period is the 31 days before
	expect(t, "red", units[0], map[string]any{"list": "red", "code": "cgj", "value": 0.75, "due": 4.0,
		"previous_value": 1.0, "delta": -0.25, "previous_rank": 1.0, "rank_change": 0.0})
	expect(t, "black", units[1], map[string]any{"list": "black", "code": "zjj", "value": 0.5, "due": 2.0,
		"previous_value": nil, "delta": nil, "rank_change": nil})
	rework := get(e, "/api/v1/reports/redblack?entity=areas&level=grid&metric=rework_rate&area=329999&"+march, access.Viewer).Rows
	// lower is better: grid 02 (no rework) heads the red list
	expect(t, "rework red", rework[0], map[string]any{"list": "red", "code": "32999900100102", "value": 0.0, "closed": 1.0})
	expect(t, "rework black", rework[2], map[string]any{"list": "black", "code": "32999900100101", "value": 0.3333})
	var fc struct {
		Type     string
		Features []struct {
			ID       string
			Geometry struct{ Type string }
		}
	}
	e.Get("/api/v1/reports/redblack?entity=areas&level=grid&metric=on_time_rate&area=329999&format=geojson&"+march,
		access.Viewer).Decode(t, &fc)
	if fc.Type != "FeatureCollection" || len(fc.Features) != 4 || fc.Features[0].Geometry.Type != "MultiPolygon" {
		t.Errorf("GeoJSON red/black: %+v", fc)
	}
}

func TestFormats(t *testing.T) {
	e := withFixture(t)
	path := "/api/v1/reports/areas?level=grid&area=329999&" + march
	r := e.Get(path, access.Viewer, "Accept", "text/csv")
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" || !bytes.HasPrefix(r.Body, []byte("\xEF\xBB\xBF")) {
		t.Fatalf("CSV: %s %q", ct, r.Body[:min(10, len(r.Body))])
	}
	records, err := csv.NewReader(bytes.NewReader(r.Body[3:])).ReadAll()
	if err != nil || len(records) != 3 || records[0][0] != "code" || records[1][1] != "测试网格一" {
		t.Errorf("CSV records %q: %v", records, err)
	}
	street := e.Get("/api/v1/reports/areas?level=street&area=329999&format=csv&"+march, access.Viewer)
	// then extended and suspended (none), and last the leader linked to the street (none here)
	if !bytes.Contains(street.Body, []byte("\r\n329999001,\"测试街道,东区\",9,6,4,3,1,0.6667,0.5,0.25,3.5,0,0,\r\n")) {
		t.Errorf("CSV row with a comma in the name:\n%s", street.Body)
	}
	var fc struct {
		Type     string
		Features []struct {
			ID         string
			Geometry   struct{ Type string }
			Properties map[string]any
		}
	}
	e.Get(path, access.Viewer, "Accept", "application/geo+json").Decode(t, &fc)
	if fc.Type != "FeatureCollection" || len(fc.Features) != 2 || fc.Features[0].ID != "32999900100101" ||
		fc.Features[0].Geometry.Type != "MultiPolygon" || fc.Features[0].Properties["new"] != 8.0 {
		t.Errorf("GeoJSON %+v", fc)
	}
	if json := e.Get(path+"&format=json", access.Viewer, "Accept", "text/csv"); json.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("format=json with Accept text/csv: %s", json.Header.Get("Content-Type"))
	}
	cats := "/api/v1/reports/categories?" + march
	e.Must(http.StatusNotAcceptable, "GET", cats, access.Viewer, nil, "Accept", "application/geo+json")
	e.Must(http.StatusBadRequest, "GET", cats+"&format=geojson", access.Viewer, nil)
	e.Must(http.StatusNotAcceptable, "GET", cats, access.Viewer, nil, "Accept", "application/xml")
	if c := e.Get(cats, access.Viewer, "Accept", "text/csv"); !bytes.HasPrefix(c.Body, []byte("\xEF\xBB\xBFcategory,name,class,new")) {
		t.Errorf("categories CSV: %q", c.Body[:min(40, len(c.Body))])
	}
}

func TestBadRequests(t *testing.T) {
	e := apitest.New(t)
	cases := map[string]string{
		"areas?from=2026-03-31&to=2026-03-01":       "from",
		"areas?from=2025-01-01&to=2026-03-01":       "to",
		"areas?from=March":                          "from",
		"areas?level=city":                          "level",
		"areas?level=street&area=320282001001":      "level",
		"areas?area=3202":                           "area",
		"areas?lvl=grid":                            "lvl",
		"areas?source=fax":                          "source",
		"areas?period=year":                         "period",
		"hotspots?size=10":                          "size",
		"hotspots?size=big":                         "size",
		"hotspots?by=street":                        "by",
		"hotspots?by=grid&size=500":                 "size",
		"trends?interval=month":                     "interval",
		"redblack?entity=people":                    "entity",
		"redblack?entity=points&metric=rework_rate": "metric",
		"redblack?entity=points&level=grid":         "level",
		"redblack?entity=areas&level=district":      "level",
		"redblack?n=0":                              "n",
		"redblack?n=1000":                           "n",
		"parking?by=day":                            "by",
		"parking?category=noise":                    "category",
		"categories?format=xlsx":                    "format",
	}
	for path, field := range cases {
		r := e.Must(http.StatusBadRequest, "GET", "/api/v1/reports/"+path, access.Viewer, nil)
		if _, fields := r.ErrorOf(t); fields[field] == nil {
			t.Errorf("%s: fields %v, want %s", path, fields, field)
		}
	}
}

func TestReportRoles(t *testing.T) {
	e := apitest.New(t)
	for _, report := range []string{"areas", "hotspots", "categories", "trends", "redblack", "parking"} {
		path := "/api/v1/reports/" + report
		e.Must(http.StatusForbidden, "GET", path, access.Reporter, nil)
		e.Must(http.StatusUnauthorized, "GET", path, "", nil)
		for _, role := range []string{access.Admin, access.Dispatcher, access.Planner, access.Viewer, access.GridManager} {
			e.Get(path, role)
		}
	}
	// the grid manager sees its community's grids and issues only
	grids := get(e, "/api/v1/reports/areas?level=grid", access.GridManager).Rows
	want := e.Int(`SELECT count(*) FROM areas WHERE level = 'grid' AND starts_with(code, $1)`, e.Community)
	if int64(len(grids)) != want {
		t.Errorf("grid manager: %d grids, want %d", len(grids), want)
	}
	for _, g := range grids {
		if g["code"].(string)[:12] != e.Community {
			t.Errorf("grid manager sees grid %v", g["code"])
		}
	}
	if streets := get(e, "/api/v1/reports/areas?level=street", access.GridManager).Rows; len(streets) != 0 {
		t.Errorf("grid manager sees streets: %v", streets)
	}
	// the default range is the last 30 days: a few of the community's issues are
	// moved into it, whatever instant the demo city leads up to
	e.Exec(`UPDATE issues SET created_at = now() - interval '1 day' WHERE id IN
		(SELECT id FROM issues WHERE starts_with(grid_code, $1) ORDER BY id LIMIT 12)`, e.Community)
	var sum float64
	a := get(e, "/api/v1/reports/hotspots", access.GridManager)
	for _, h := range a.Rows {
		sum += h["issues"].(float64)
	}
	inScope := e.Int(`SELECT count(*) FROM issues WHERE starts_with(grid_code, $1)
		AND created_at >= $2 AND created_at < $3`, e.Community, a.From, a.To)
	if sum != float64(inScope) || inScope < 12 {
		t.Errorf("grid manager's hexagons hold %v issues, its community has %d from %v to %v", sum, inScope, a.From, a.To)
	}
}

func TestParking(t *testing.T) {
	e := apitest.New(t)
	var from, to time.Time
	e.Scan(`SELECT min(at), max(at) + interval '1 second' FROM parking_readings`, nil, &from, &to)
	q := url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}
	hours := get(e, "/api/v1/reports/parking?"+q.Encode(), access.Planner).Rows
	var readings float64
	for _, h := range hours {
		readings += h["readings"].(float64)
	}
	if want := e.Int(`SELECT count(*) FROM parking_readings`); readings != float64(want) {
		t.Errorf("hours hold %v readings, want %d", readings, want)
	}
	h := hours[9]
	var util float64
	e.Scan(`SELECT round(avg(r.occupied::numeric / z.capacity), 4)::float8 FROM parking_readings r
		JOIN parking_zones z ON z.id = r.zone_id
		WHERE z.code = $1 AND extract(hour FROM r.at AT TIME ZONE 'Asia/Shanghai') = $2`, []any{h["zone"], h["hour"]}, &util)
	expect(t, "zone hour", h, map[string]any{"utilization": util})

	q.Set("by", "zone")
	zones := get(e, "/api/v1/reports/parking?"+q.Encode(), access.Planner).Rows
	if n := e.Int(`SELECT count(*) FROM parking_zones`); int64(len(zones)) != n {
		t.Errorf("%d zones, want %d", len(zones), n)
	}
	z := row(t, zones, "zone", h["zone"])
	if z["peak_utilization"].(float64) < util || z["readings"].(float64) == 0 {
		t.Errorf("zone summary %v, hour %v", z, h)
	}
	q.Set("zone", h["zone"].(string))
	q.Set("format", "geojson")
	var fc struct{ Features []struct{ ID string } }
	e.Get("/api/v1/reports/parking?"+q.Encode(), access.Viewer).Decode(t, &fc)
	if len(fc.Features) != 1 || fc.Features[0].ID != h["zone"] {
		t.Errorf("one zone as GeoJSON: %+v", fc)
	}
}
