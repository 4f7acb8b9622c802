package ogc_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"

	"citymap/invalid"
	"citymap/server/access"
	"citymap/server/auth"
	"citymap/server/store"
)

// changeOf returns the op and feature of the last change recorded for an
// object of a layer ("" when there is none).
func (e *env) changeOf(layer, id string) (op string, feature map[string]any, hasOldGeom bool) {
	e.T.Helper()
	var raw []byte
	err := e.Store.Pool.QueryRow(e.T.Context(), `SELECT op, feature, old_geom IS NOT NULL FROM changes
		WHERE layer = $1 AND object_id = $2 ORDER BY seq DESC LIMIT 1`, layer, id).Scan(&op, &raw, &hasOldGeom)
	if err != nil {
		return "", nil, false
	}
	if raw != nil {
		if err := json.Unmarshal(raw, &feature); err != nil {
			e.T.Fatal(err)
		}
	}
	return op, feature, hasOldGeom
}

// pointInGrid is a position inside the grid manager's community, and one
// outside it, both inside some grid.
func (e *env) pointInGrid(inside bool) (lon, lat float64, grid string) {
	e.T.Helper()
	op := ""
	if !inside {
		op = "NOT "
	}
	err := e.Store.Pool.QueryRow(e.T.Context(), `SELECT ST_X(p), ST_Y(p), code FROM (
			SELECT ST_PointOnSurface(geom) p, code FROM areas WHERE level = 'grid' AND `+op+`starts_with(code, $1)
			ORDER BY code LIMIT 1) x`, e.Community).Scan(&lon, &lat, &grid)
	if err != nil {
		e.T.Fatalf("no grid %sinside %s: %v", op, e.Community, err)
	}
	return lon, lat, grid
}

func pointBody(code, name string, lon, lat float64, extra string) []byte {
	return []byte(fmt.Sprintf(`{"type": "Feature", "geometry": {"type": "Point", "coordinates": [%f, %f]},
		"properties": {"code": %q, "name": %q, "category": "park", "unit": "cgj"%s}}`, lon, lat, code, name, extra))
}

func TestWritePoints(t *testing.T) {
	e := newEnv(t)
	lon, lat, grid := e.pointInGrid(true)
	items := e.url("/collections/points/items")
	body := pointBody("T-0001", "测试点位", lon, lat, `, "person": "张三", "grid": "ignored", "version": 99`)
	geo := []string{"Content-Type", "application/geo+json"}

	// who may write
	for _, role := range []string{access.Viewer, access.Planner, access.GridManager, access.Reporter} {
		expectError(t, e.Call("POST", items, role, body, geo...), http.StatusForbidden, "forbidden")
	}
	expectError(t, e.Call("POST", items, "", body, geo...), http.StatusUnauthorized, "unauthorized")

	// create
	r := e.Call("POST", items, access.Dispatcher, body, geo...)
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	if loc := r.Header.Get("Location"); loc != items+"/T-0001" {
		t.Errorf("Location %q", loc)
	}
	if r.Header.Get("ETag") != `"1"` || r.Header.Get("Content-Type") != "application/geo+json" {
		t.Errorf("create headers %v", r.Header)
	}
	var f feature
	if err := json.Unmarshal(r.Body, &f); err != nil {
		t.Fatal(err)
	}
	if f.ID != "T-0001" || f.Properties["grid"] != grid || f.Properties["person"] != "张三" || f.Properties["version"] != 1.0 {
		t.Errorf("created %v", f.Properties)
	}
	op, change, _ := e.changeOf("points", "T-0001")
	if op != "upsert" || change["id"] != "T-0001" {
		t.Errorf("create change: %s %v", op, change)
	}
	expectError(t, e.Call("POST", items, access.Admin, body, geo...), http.StatusConflict, "exists")

	// replace: optional properties left out are cleared; If-Match guards
	item := items + "/T-0001"
	body = pointBody("T-0001", "改名点位", lon, lat, "")
	expectError(t, e.Call("PUT", item, access.Admin, body, "If-Match", `"7"`), http.StatusPreconditionFailed, "precondition_failed")
	r = e.Call("PUT", item, access.Admin, body, "If-Match", `"1"`)
	if r.Status != http.StatusOK || r.Header.Get("ETag") != `"2"` {
		t.Fatalf("replace: %d %s %s", r.Status, r.Header.Get("ETag"), r.Body)
	}
	e.getJSON(item, &f)
	if f.Properties["name"] != "改名点位" || f.Properties["person"] != "" || f.Properties["version"] != 2.0 {
		t.Errorf("replaced %v", f.Properties)
	}
	if _, change, _ := e.changeOf("points", "T-0001"); change["properties"].(map[string]any)["name"] != "改名点位" {
		t.Errorf("replace change %v", change)
	}
	expectError(t, e.Call("PUT", item, access.Admin, pointBody("T-0002", "x", lon, lat, "")), http.StatusBadRequest, "invalid_value")
	expectError(t, e.Call("PUT", items+"/NO-SUCH", access.Admin, pointBody("NO-SUCH", "x", lon, lat, "")), http.StatusNotFound, "not_found")

	// update: a merge patch
	mp := []string{"Content-Type", "application/merge-patch+json"}
	r = e.Call("PATCH", item, access.Admin, []byte(`{"properties": {"phone": "0510-12345678", "address": null}}`), mp...)
	if r.Status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	e.getJSON(item, &f)
	if f.Properties["phone"] != "0510-12345678" || f.Properties["name"] != "改名点位" || f.Properties["version"] != 3.0 {
		t.Errorf("patched %v", f.Properties)
	}
	expectError(t, e.Call("PATCH", item, access.Admin, []byte(`{"properties": {"name": null}}`), mp...), http.StatusBadRequest, "required")
	expectError(t, e.Call("PATCH", item, access.Admin, []byte(`{"properties": {"colour": "red"}}`), mp...), http.StatusBadRequest, "unknown_property")
	expectError(t, e.Call("PATCH", item, access.Admin, []byte(`[1]`), mp...), http.StatusBadRequest, "invalid_json")
	expectError(t, e.Call("PATCH", item, access.Admin, []byte(`{}`), "Content-Type", "text/plain"), http.StatusUnsupportedMediaType, "")
	// a new geometry in EPSG:4326 (latitude first)
	lon2, lat2, grid2 := e.pointInGrid(false)
	r = e.Call("PATCH", item, access.Admin, []byte(fmt.Sprintf(`{"geometry": {"type": "Point", "coordinates": [%f, %f]}}`, lat2, lon2)),
		"Content-Type", "application/merge-patch+json", "Content-Crs", "<http://www.opengis.net/def/crs/EPSG/0/4326>")
	if r.Status != http.StatusOK {
		t.Fatalf("patch geometry: %d %s", r.Status, r.Body)
	}
	e.getJSON(item, &f)
	var at [2]float64
	if err := json.Unmarshal(f.Geometry.Coordinates, &at); err != nil {
		t.Fatal(err)
	}
	if f.Properties["grid"] != grid2 || math.Abs(at[0]-lon2) > 1e-6 || math.Abs(at[1]-lat2) > 1e-6 {
		t.Errorf("moved to %v in %s, want (%f, %f) in %s", at, f.Properties["grid"], lon2, lat2, grid2)
	}

	// delete
	expectError(t, e.Call("DELETE", item, access.Viewer, nil), http.StatusForbidden, "forbidden")
	expectError(t, e.Call("DELETE", item, access.Admin, nil, "If-Match", `"1"`), http.StatusPreconditionFailed, "precondition_failed")
	if r := e.Call("DELETE", item, access.Admin, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	expectError(t, e.get(item, access.Viewer), http.StatusNotFound, "not_found")
	if op, _, old := e.changeOf("points", "T-0001"); op != "delete" || !old {
		t.Errorf("delete change: %s, old geometry %v", op, old)
	}
	expectError(t, e.Call("DELETE", item, access.Admin, nil), http.StatusNotFound, "not_found")

	// a point with inspections stays
	inspected := e.str(`SELECT p.code FROM points p WHERE EXISTS (SELECT 1 FROM inspections i WHERE i.point_id = p.id) LIMIT 1`)
	expectError(t, e.Call("DELETE", items+"/"+inspected, access.Admin, nil), http.StatusConflict, "referenced")
}

func TestWriteValidation(t *testing.T) {
	e := newEnv(t)
	lon, lat, _ := e.pointInGrid(true)
	items := e.url("/collections/points/items")
	cases := []struct {
		name, body string
		status     int
		code       string
		field      string
	}{
		{"not a feature", `{"type": "FeatureCollection", "features": []}`, 400, "unknown_field", ""},
		{"wrong type", `{"type": "Point", "geometry": null, "properties": {}}`, 400, "invalid_value", "type"},
		{"no geometry", `{"type": "Feature", "geometry": null, "properties": {"code": "X1", "name": "n", "category": "park", "unit": "cgj"}}`,
			400, "required", "geometry"},
		{"line", `{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[119, 31], [120, 32]]},
			"properties": {"code": "X1", "name": "n", "category": "park", "unit": "cgj"}}`, 400, "invalid_geometry", "geometry.type"},
		{"latitude out of range", string(pointBody("X1", "n", 31, 119, "")), 400, "invalid_geometry", "geometry.coordinates"},
		{"self-intersecting polygon", `{"type": "Feature", "geometry": {"type": "Polygon", "coordinates":
			[[[119.8, 31.3], [119.81, 31.31], [119.81, 31.3], [119.8, 31.31], [119.8, 31.3]]]},
			"properties": {"code": "X1", "name": "n", "category": "park", "unit": "cgj"}}`, 400, "invalid_geometry", ""},
		{"unknown property", string(pointBody("X1", "n", lon, lat, `, "colour": "red"`)), 400, "unknown_property", "properties.colour"},
		{"missing name", strings.Replace(string(pointBody("X1", "", lon, lat, "")), `"name": ""`, `"name": "  "`, 1), 400, "required", "properties.name"},
		{"number for a string", string(pointBody("X1", "n", lon, lat, `, "phone": 12345`)), 400, "invalid_type", "properties.phone"},
		{"unknown category", strings.Replace(string(pointBody("X1", "n", lon, lat, "")), `"park"`, `"moon_base"`, 1),
			400, "invalid_value", "properties.category"},
		{"id and code disagree", `{"type": "Feature", "id": "X2", "geometry": {"type": "Point", "coordinates": [119.8, 31.3]},
			"properties": {"code": "X1", "name": "n", "category": "park", "unit": "cgj"}}`, 400, "invalid_value", "id"},
		{"not JSON", `{"type": "Feature",`, 400, "invalid_json", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			er := expectError(t, e.Call("POST", items, access.Admin, []byte(c.body), "Content-Type", "application/geo+json"), c.status, c.code)
			if c.field != "" && er.Error.Fields[c.field] == "" {
				t.Errorf("fields %v do not name %s", er.Error.Fields, c.field)
			}
		})
	}
	// the feature id stands in for a missing code
	body := fmt.Sprintf(`{"type": "Feature", "id": "BY-ID", "geometry": {"type": "Point", "coordinates": [%f, %f]},
		"properties": {"name": "n", "category": "park", "unit": "cgj"}}`, lon, lat)
	if r := e.Call("POST", items, access.Admin, []byte(body)); r.Status != http.StatusCreated {
		t.Errorf("create by id: %d %s", r.Status, r.Body)
	}
	// read-only collections
	r := e.Call("POST", e.url("/collections/issues/items"), access.Admin, []byte(body))
	expectError(t, r, http.StatusMethodNotAllowed, "method_not_allowed")
	if r.Header.Get("Allow") == "" {
		t.Error("405 without Allow")
	}
	expectError(t, e.Call("POST", e.url("/collections/roads/items"), access.Admin, []byte(body)), http.StatusNotFound, "not_found")
}

func TestWriteParking(t *testing.T) {
	e := newEnv(t)
	lon, lat, _ := e.pointInGrid(true)
	items := e.url("/collections/parking/items")
	polygon := fmt.Sprintf(`{"type": "Polygon", "coordinates": [[[%[1]f, %[2]f], [%[3]f, %[2]f], [%[3]f, %[4]f], [%[1]f, %[4]f], [%[1]f, %[2]f]]]}`,
		lon-0.0003, lat-0.0002, lon+0.0003, lat+0.0002)
	body := func(props string) []byte {
		return []byte(`{"type": "Feature", "geometry": ` + polygon + `, "properties": {` + props + `}}`)
	}
	r := e.Call("POST", items, access.Admin, body(`"code": "TZ-1", "name": "潮汐车位试点", "kind": "tidal", "capacity": 40, "occupied": 12, "free": 1`))
	if r.Status != http.StatusCreated {
		t.Fatalf("create parking: %d %s", r.Status, r.Body)
	}
	var f feature
	e.getJSON(items+"/TZ-1", &f)
	if f.Properties["free"] != 28.0 || f.Properties["kind"] != "tidal" || f.Geometry.Type != "Polygon" {
		t.Errorf("parking %v %s", f.Properties, f.Geometry.Type)
	}
	if op, change, _ := e.changeOf("parking", "TZ-1"); op != "upsert" || change == nil {
		t.Errorf("parking change %s %v", op, change)
	}
	er := expectError(t, e.Call("PATCH", items+"/TZ-1", access.Dispatcher, []byte(`{"properties": {"occupied": 41}}`),
		"Content-Type", "application/merge-patch+json"), http.StatusBadRequest, "invalid_value")
	if er.Error.Fields["properties.occupied"] == "" {
		t.Errorf("occupied over capacity: fields %v", er.Error.Fields)
	}
	expectError(t, e.Call("POST", items, access.Admin, body(`"code": "TZ-2", "name": "n", "kind": "tidal", "capacity": 0`)),
		http.StatusBadRequest, "invalid_value")
	expectError(t, e.Call("POST", items, access.Admin, body(`"code": "TZ-2", "name": "n", "kind": "tidal", "capacity": 2.5`)),
		http.StatusBadRequest, "invalid_type")
	expectError(t, e.Call("POST", items, access.Admin, body(`"code": "TZ-2", "name": "n", "kind": "boat", "capacity": 5`)),
		http.StatusBadRequest, "invalid_value")
	if r := e.Call("DELETE", items+"/TZ-1", access.Dispatcher, nil, "If-Match", `"1"`); r.Status != http.StatusNoContent {
		t.Fatalf("delete parking: %d %s", r.Status, r.Body)
	}
	if op, _, _ := e.changeOf("parking", "TZ-1"); op != "delete" {
		t.Errorf("parking delete change %q", op)
	}
}

// An area-scoped dispatcher writes only inside its areas.
func TestWriteScope(t *testing.T) {
	e := newEnv(t)
	tok, hash, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.CreateToken(t.Context(), "scoped-dispatcher", access.Dispatcher, []string{e.Community}, hash, nil); err != nil {
		t.Fatal(err)
	}
	e.Tokens["scoped"] = tok
	items := e.url("/collections/points/items")
	lon, lat, _ := e.pointInGrid(false)
	expectError(t, e.Call("POST", items, "scoped", pointBody("S-OUT", "n", lon, lat, "")), http.StatusForbidden, "forbidden")
	lon, lat, _ = e.pointInGrid(true)
	if r := e.Call("POST", items, "scoped", pointBody("S-IN", "n", lon, lat, "")); r.Status != http.StatusCreated {
		t.Fatalf("scoped create inside: %d %s", r.Status, r.Body)
	}
	lon, lat, _ = e.pointInGrid(false)
	r := e.Call("PATCH", items+"/S-IN", "scoped", []byte(fmt.Sprintf(`{"geometry": {"type": "Point", "coordinates": [%f, %f]}}`, lon, lat)),
		"Content-Type", "application/merge-patch+json")
	expectError(t, r, http.StatusForbidden, "forbidden")
}

// Codes are codes and names are names: a code that climbs a path, holds LIKE
// wildcards or runs to kilobytes, and a megabyte name, are refused naming the
// property, and nothing is written; the database's constraints (migration
// 0016) refuse the same when a writer skips the checks.
func TestWriteLooseText(t *testing.T) {
	e := newEnv(t)
	lon, lat, _ := e.pointInGrid(true)
	items := e.url("/collections/points/items")
	points := e.Int(`SELECT count(*) FROM points`)
	cases := []struct {
		name, body, code, field string
	}{
		{"code climbing a path", string(pointBody("../x", "n", lon, lat, "")), "invalid_value", "properties.code"},
		{"code of LIKE wildcards", string(pointBody("%_", "n", lon, lat, "")), "invalid_value", "properties.code"},
		{"code with a slash", string(pointBody("a/b", "n", lon, lat, "")), "invalid_value", "properties.code"},
		{"code of 10 kB", string(pointBody(strings.Repeat("x", 10<<10), "n", lon, lat, "")), "invalid_value", "properties.code"},
		{"id as a loose code", fmt.Sprintf(`{"type": "Feature", "id": "..", "geometry": {"type": "Point", "coordinates": [%f, %f]},
			"properties": {"name": "n", "category": "park", "unit": "cgj"}}`, lon, lat), "invalid_value", "properties.code"},
		{"name of 1 MB", string(pointBody("X1", strings.Repeat("名", 1<<20/3), lon, lat, "")), "too_long", "properties.name"},
		{"address of 501 characters", string(pointBody("X1", "n", lon, lat, `, "address": "`+strings.Repeat("路", 501)+`"`)), "too_long", "properties.address"},
		{"NUL in a person", string(pointBody("X1", "n", lon, lat, `, "person": "a\u0000"`)), "invalid", "properties.person"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			er := expectError(t, e.Call("POST", items, access.Admin, []byte(c.body), "Content-Type", "application/geo+json"),
				http.StatusBadRequest, c.code)
			if er.Error.Fields[c.field] == "" {
				t.Errorf("fields %v do not name %s", er.Error.Fields, c.field)
			}
		})
	}
	if n := e.Int(`SELECT count(*) FROM points`); n != points {
		t.Errorf("refused writes left %d points, want %d", n, points)
	}
	// the last line: the store's own write, handed a loose code, is refused by the database
	_, _, err := e.Store.OGCCreate(t.Context(), "points", store.OGCValues{
		Columns: map[string]any{"code": "%_", "name": "n", "category": "park", "address": "", "unit": "cgj",
			"person": "", "phone": ""},
		Geometry: []byte(fmt.Sprintf(`{"type": "Point", "coordinates": [%f, %f]}`, lon, lat)),
	}, func(string) error { return nil })
	var inv *invalid.Error
	if !errors.As(err, &inv) || inv.Field != "properties.code" {
		t.Errorf("a loose code past the handler: %v, want an invalid properties.code", err)
	}
}
