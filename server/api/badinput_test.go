package api_test

import (
	"fmt"
	"strings"
	"testing"

	"citymap/server/access"
)

// Bad input gets a 4xx whose error names the field, and writes nothing.
func TestIntakeBadInput(t *testing.T) {
	e := newEnv(t)
	lon, lat := e.PointIn(e.GridIn)
	ok := func(extra ...any) map[string]any { return newIssue("noise", lon, lat, extra...) }
	without := func(field string) map[string]any {
		m := ok()
		delete(m, field)
		return m
	}
	tests := []struct {
		name   string
		path   string
		body   any
		ctype  string
		status int
		code   string
		field  string // "" when the error concerns the body as a whole
	}{
		{"broken JSON", "", `{"category": "noise",`, "", 400, "invalid_json", ""},
		{"not an object", "", `[1, 2]`, "", 400, "invalid_type", "body"},
		{"trailing data", "", `{"category": "noise"} {}`, "", 400, "invalid_json", ""},
		{"unknown field", "", ok("priority", "high"), "", 400, "unknown_field", "priority"},
		{"wrong type", "", ok("category", 7), "", 400, "invalid_type", "category"},
		{"missing category", "", without("category"), "", 400, "required", "category"},
		{"missing source", "", without("source"), "", 400, "required", "source"},
		{"missing location", "", without("location"), "", 400, "required", "location"},
		{"unknown category", "", ok("category", "dragons"), "", 400, "unknown_category", "category"},
		{"unknown source", "", ok("source", "carrier_pigeon"), "", 400, "invalid", "source"},
		{"longitude out of range", "", newIssue("noise", 200, 31), "", 400, "invalid_location", "location.coordinates"},
		{"latitude out of range", "", map[string]any{"category": "noise", "source": "sensor", "lat": -91, "lon": 120}, "", 400, "out_of_range", "lat"},
		{"lon out of range", "", map[string]any{"category": "noise", "source": "sensor", "lat": 31, "lon": 181}, "", 400, "out_of_range", "lon"},
		{"lat without lon", "", map[string]any{"category": "noise", "source": "sensor", "lat": 31}, "", 400, "required", "lon"},
		{"location and lat/lon", "", ok("lat", 31, "lon", 120), "", 400, "invalid", "location"},
		{"location not a point", "", ok("location", map[string]any{"type": "LineString", "coordinates": [][]float64{{120, 31}, {121, 31}}}), "", 400, "invalid_location", "location.type"},
		{"position cut short", "", ok("location", map[string]any{"type": "Point", "coordinates": []float64{120}}), "", 400, "invalid_location", "location.coordinates"},
		{"unknown coord_sys", "", ok("coord_sys", "mars"), "", 400, "invalid", "coord_sys"},
		{"unknown coord_sys in query", "?coord_sys=mars", ok(), "", 400, "invalid", "coord_sys"},
		{"malformed photo id", "", ok("photos", []string{"cat.jpg"}), "", 400, "invalid", "photos[0]"},
		{"unknown photo", "", ok("photos", []string{strings.Repeat("ab", 32)}), "", 400, "unknown_photo", "photos[0]"},
		{"description too long", "", ok("description", strings.Repeat("长", 4001)), "", 400, "too_long", "description"},
		{"NUL in address", "", ok("address", "a\x00b"), "", 400, "invalid", "address"},
		{"not JSON", "", `category=noise`, "application/x-www-form-urlencoded", 415, "unsupported_media_type", ""},
		{"body over 1 MiB", "", ok("description", strings.Repeat("x", 1<<20)), "", 413, "body_too_large", ""},
	}
	before := e.counts()
	for _, tt := range tests {
		var headers []string
		if tt.ctype != "" {
			headers = []string{"Content-Type", tt.ctype}
		}
		r := e.Call("POST", "/api/v1/issues"+tt.path, access.Dispatcher, tt.body, headers...)
		code, fields := r.ErrorOf(t)
		if r.Status != tt.status || code != tt.code {
			t.Errorf("%s: %d %s, want %d %s\n%s", tt.name, r.Status, code, tt.status, tt.code, r.Body)
			continue
		}
		if tt.field != "" && fields[tt.field] == nil {
			t.Errorf("%s: fields %v do not name %q", tt.name, fields, tt.field)
		}
	}
	if after := e.counts(); after != before {
		t.Errorf("bad input wrote: %+v → %+v", before, after)
	}
}

func TestActionBadInput(t *testing.T) {
	e := newEnv(t)
	lon, lat := e.PointIn(e.GridIn)
	issue := e.create(newIssue("noise", lon, lat))
	path := fmt.Sprintf("/api/v1/issues/%d/actions", issue.ID)
	tests := []struct {
		name   string
		path   string
		body   any
		status int
		code   string
		field  string
	}{
		{"broken JSON", path, `{"action": `, 400, "invalid_json", ""},
		{"missing action", path, map[string]any{"note": "x"}, 400, "required", "action"},
		{"unknown action", path, map[string]any{"action": "close"}, 400, "invalid", "action"},
		{"unknown field", path, map[string]any{"action": "register", "urgent": true}, 400, "unknown_field", "urgent"},
		{"unit with register", path, map[string]any{"action": "register", "unit": "cgj"}, 400, "not_applicable", "unit"},
		{"passed with start", path, map[string]any{"action": "start", "passed": true}, 400, "not_applicable", "passed"},
		{"verify without passed", path, map[string]any{"action": "verify"}, 400, "required", "passed"},
		{"merge without target", path, map[string]any{"action": "merge"}, 400, "required", "duplicate_of"},
		{"merge into itself", path, map[string]any{"action": "merge", "duplicate_of": issue.ID}, 400, "invalid", "duplicate_of"},
		{"note too long", path, map[string]any{"action": "register", "note": strings.Repeat("x", 2001)}, 400, "too_long", "note"},
		{"bad id", "/api/v1/issues/abc/actions", map[string]any{"action": "register"}, 400, "invalid", "id"},
	}
	before := e.counts()
	for _, tt := range tests {
		r := e.Call("POST", tt.path, access.Dispatcher, tt.body)
		code, fields := r.ErrorOf(t)
		if r.Status != tt.status || code != tt.code || (tt.field != "" && fields[tt.field] == nil) {
			t.Errorf("%s: %d %s %v, want %d %s naming %q", tt.name, r.Status, code, fields, tt.status, tt.code, tt.field)
		}
	}
	if after := e.counts(); after != before {
		t.Errorf("bad input wrote: %+v → %+v", before, after)
	}
}
