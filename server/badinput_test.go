package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"citymap/server/access"
	"citymap/server/apitest"
)

// written counts what bad input must not change.
func written(e *apitest.Env) [6]int64 {
	var c [6]int64
	e.Scan(`SELECT (SELECT count(*) FROM issues), (SELECT count(*) FROM points),
		(SELECT count(*) FROM parking_zones), (SELECT count(*) FROM inspections),
		(SELECT count(*) FROM photos), (SELECT seq FROM change_counter)`, nil, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5])
	return c
}

// badCase is a request that must get a 4xx whose error names field (in the
// error's fields, or for Open311 in its description).
type badCase struct {
	name, method, path, role string
	body                     any
	status                   int
	code, field              string
	headers                  []string
}

func checkBad(t *testing.T, e *apitest.Env, cases []badCase) {
	t.Helper()
	before := written(e)
	for _, c := range cases {
		r := e.Call(c.method, c.path, c.role, c.body, c.headers...)
		if r.Status != c.status {
			t.Errorf("%s: %d, want %d\n%s", c.name, r.Status, c.status, r.Body)
			continue
		}
		if strings.HasPrefix(c.path, "/open311/") {
			var list []struct {
				Code        int    `json:"code"`
				Description string `json:"description"`
			}
			if err := json.Unmarshal(r.Body, &list); err != nil || len(list) == 0 || !strings.Contains(list[0].Description, c.field) {
				t.Errorf("%s: Open311 error %s does not name %q", c.name, r.Body, c.field)
			}
			continue
		}
		code, fields := r.ErrorOf(t)
		if code != c.code || fields[c.field] == nil {
			t.Errorf("%s: %s %v, want %s naming %q", c.name, code, fields, c.code, c.field)
		}
	}
	if after := written(e); after != before {
		t.Errorf("bad input wrote: %v → %v", before, after)
	}
}

// NUL characters (which PostgreSQL text cannot hold) and invalid UTF-8 in
// paths, query parameters and bodies are 400s naming the field, not 500s.
func TestTextThatIsNotText(t *testing.T) {
	e := apitest.New(t)
	lon, lat := e.PointIn(e.GridIn)
	var zone, point string
	e.Scan(`SELECT (SELECT min(code) FROM parking_zones), (SELECT min(code) FROM points)`, nil, &zone, &point)
	issue := func(field, value string) map[string]any {
		m := map[string]any{"category": "noise", "source": "grid_patrol", "description": "x",
			"location": map[string]any{"type": "Point", "coordinates": []float64{lon, lat}}}
		m[field] = value
		return m
	}
	pointFeature := map[string]any{"type": "Feature",
		"geometry":   map[string]any{"type": "Point", "coordinates": []float64{lon, lat}},
		"properties": map[string]any{"code": "NUL-1", "name": "a\x00b", "category": "park", "unit": "u"}}
	form := url.Values{"service_code": {"noise"}, "lat": {"31.3"}, "long": {"119.8"}, "description": {"a\x00"},
		"api_key": {e.Tokens[access.Reporter]}}
	d, rep := access.Dispatcher, access.Reporter
	checkBad(t, e, []badCase{
		{"NUL in a query parameter", "GET", "/api/v1/issues?q=a%00b", d, nil, 400, "invalid", "q", nil},
		{"invalid UTF-8 in a query parameter", "GET", "/api/v1/issues?q=%FF%FE", d, nil, 400, "invalid", "q", nil},
		{"NUL in a report filter", "GET", "/api/v1/reports/categories?category=%00", d, nil, 400, "invalid", "category", nil},
		{"NUL in a CQL2 filter", "GET", "/ogc/collections/points/items?filter=name%3D%27%00%27", d, nil, 400, "invalid", "filter", nil},
		{"NUL in a path", "GET", "/api/v1/parking/zones/" + zone + "%00", d, nil, 400, "invalid", "path", nil},
		{"NUL in an OGC feature id", "GET", "/ogc/collections/points/items/" + point + "%00", d, nil, 400, "invalid", "path", nil},
		{"NUL in an issue", "POST", "/api/v1/issues", d, issue("description", "a\x00b"), 400, "invalid", "description", nil},
		{"a Latin-1 body", "POST", "/api/v1/issues", d, "{\"category\": \"caf\xe9\"}", 400, "invalid", "body", nil},
		{"NUL in an external id", "POST", "/api/v1/issues", d, issue("external_id", "\x00"), 400, "invalid", "external_id", nil},
		{"NUL in an action", "POST", "/api/v1/issues/1/actions", d, map[string]any{"action": "register", "note": "\x00"}, 400, "invalid", "note", nil},
		{"NUL in an inspection", "POST", "/api/v1/inspections", d, map[string]any{"point": point, "note": "\x00"}, 400, "invalid", "note", nil},
		{"NUL in an OGC feature", "POST", "/ogc/collections/points/items", d, pointFeature, 400, "invalid", "properties.name", nil},
		{"NUL in an OGC merge patch", "PATCH", "/ogc/collections/points/items/" + point, d,
			map[string]any{"properties": map[string]any{"name": "\x00"}}, 400, "invalid", "properties.name",
			[]string{"Content-Type", "application/merge-patch+json"}},
		{"NUL in an Open311 form", "POST", "/open311/v2/requests.json", "", form, 400, "", "description", nil},
		{"NUL in an Open311 query", "GET", "/open311/v2/requests.json?service_code=%00&api_key=" + e.Tokens[rep], "", nil, 400, "", "service_code", nil},
	})
	// a batch refuses the item, not the batch
	for path, item := range map[string]map[string]any{
		"/api/v1/parking/occupancy": {"zone": zone + "\x00", "occupied": 1, "at": "2026-01-01T00:00:00Z"},
		"/api/v1/issues/batch":      issue("address", "\x00"),
	} {
		r := e.Must(http.StatusOK, "POST", path, access.Dispatcher, map[string]any{"items": []any{item}})
		var out struct {
			Rejected int
			Results  []struct {
				Error struct{ Fields map[string]string }
			}
		}
		r.Decode(t, &out)
		if out.Rejected != 1 || len(out.Results[0].Error.Fields) == 0 {
			t.Errorf("%s: an item with a NUL: %s", path, r.Body)
		}
	}
}

// A bbox is checked by one parser wherever it is taken: NaN, infinities,
// out-of-range degrees and upside-down boxes are 400s.
func TestBadBBoxes(t *testing.T) {
	e := apitest.New(t)
	var cases []badCase
	for _, b := range []string{"NaN,31,120,32", "119,31,Inf,32", "119,31,120,-Inf", "-181,31,120,32",
		"119,-91,120,32", "120,31,119,32", "119,32,120,31", "119,31,120", "119,31,1e999,32"} {
		cases = append(cases,
			badCase{"issues bbox=" + b, "GET", "/api/v1/issues?bbox=" + b, access.Dispatcher, nil, 400, "invalid", "bbox", nil},
			badCase{"OGC bbox=" + b, "GET", "/ogc/collections/issues/items?bbox=" + b, access.Dispatcher, nil, 400, "invalid_parameter", "bbox", nil})
	}
	checkBad(t, e, cases)
	e.Get("/api/v1/issues?bbox=119,31,119,31", access.Dispatcher) // a point is a box clients send
}

// Dates outside 2000 to a year from now, and empty batches, are 400s.
func TestBadDatesAndEmptyBatches(t *testing.T) {
	e := apitest.New(t)
	d := access.Dispatcher
	checkBad(t, e, []badCase{
		{"a month in the year 9999", "GET", "/api/v1/reports/categories?period=month&date=9999-12-31", d, nil, 400, "out_of_range", "date", nil},
		{"a report to 9999", "GET", "/api/v1/reports/hotspots?to=9999-12-31", d, nil, 400, "out_of_range", "to", nil},
		{"a report from 1999", "GET", "/api/v1/reports/trends?from=1999-06-01&to=2000-01-02", d, nil, 400, "out_of_range", "from", nil},
		{"issues to 9999", "GET", "/api/v1/issues?to=9999-12-31", d, nil, 400, "out_of_range", "to", nil},
		{"inspections from 1900", "GET", "/api/v1/inspections?from=1900-01-01", d, nil, 400, "out_of_range", "from", nil},
		{"an empty issue batch", "POST", "/api/v1/issues/batch", d, map[string]any{"items": []any{}}, 400, "required", "items", nil},
		{"an empty batch of readings", "POST", "/api/v1/parking/occupancy", access.Reporter, map[string]any{"items": []any{}}, 400, "required", "items", nil},
	})
}
