package ogc_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"citymap/geo/tile"
	"citymap/server/access"
	"citymap/server/ogc"
	"citymap/server/store"
)

func TestLandingConformanceAndAPI(t *testing.T) {
	e := newEnv(t)
	var landing struct {
		Title string
		Links []ogc.Link
	}
	r := e.getJSON(e.url(""), &landing)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("landing Content-Type %q", ct)
	}
	rels := map[string]ogc.Link{}
	for _, l := range landing.Links {
		rels[l.Rel] = l
	}
	for rel, path := range map[string]string{"self": "/ogc", "service-desc": "/ogc/api", "service-doc": "/ogc/api.html",
		"conformance": "/ogc/conformance", "data": "/ogc/collections"} {
		if rels[rel].Href != e.URL+path {
			t.Errorf("landing link %s = %q, want %s", rel, rels[rel].Href, e.URL+path)
		}
	}
	if rels["service-desc"].Type != "application/vnd.oai.openapi+json;version=3.0" {
		t.Errorf("service-desc type %q", rels["service-desc"].Type)
	}
	// the landing page under its trailing-slash spelling too
	if r := e.get(e.url("/"), access.Viewer); r.Status != http.StatusOK {
		t.Errorf("GET /ogc/: %d", r.Status)
	}

	var conf struct{ ConformsTo []string }
	e.getJSON(e.url("/conformance"), &conf)
	for _, c := range []string{
		"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
		"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
		"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
		"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
		"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
		"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
		"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
		"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
		"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
		"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
		"http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
		"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
		"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
	} {
		if !slices.Contains(conf.ConformsTo, c) {
			t.Errorf("conformance lacks %s", c)
		}
	}

	var api struct {
		OpenAPI string
		Paths   map[string]map[string]struct {
			Parameters []map[string]any
		}
	}
	r = e.getJSON(e.url("/api"), &api)
	if ct := r.Header.Get("Content-Type"); ct != "application/vnd.oai.openapi+json;version=3.0" {
		t.Errorf("api Content-Type %q", ct)
	}
	if !strings.HasPrefix(api.OpenAPI, "3.0") {
		t.Errorf("openapi %q", api.OpenAPI)
	}
	// GDAL reads each collection's property filters from here
	var names []string
	for _, p := range api.Paths["/collections/issues/items"]["get"].Parameters {
		if n, ok := p["name"].(string); ok {
			names = append(names, n)
		}
	}
	for _, want := range []string{"status", "category", "grid"} {
		if !slices.Contains(names, want) {
			t.Errorf("issues items parameters %v lack %s", names, want)
		}
	}
	if _, ok := api.Paths["/collections/points/items/{featureId}"]["put"]; !ok {
		t.Error("the API does not describe PUT for points")
	}
	if _, ok := api.Paths["/collections/issues/items/{featureId}"]["put"]; ok {
		t.Error("the API describes PUT for issues, which are read-only here")
	}
	if r := e.get(e.url("/api.html"), access.Viewer); r.Status != http.StatusOK ||
		!strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.Body), "/collections/points/items") {
		t.Errorf("api.html: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
}

func TestCollections(t *testing.T) {
	e := newEnv(t)
	var cs struct {
		Collections []struct {
			ID         string
			Title      string
			ItemType   string
			CRS        []string
			StorageCRS string
			Extent     struct {
				Spatial struct {
					BBox [][]float64
					CRS  string
				}
				Temporal struct{ Interval [][]*string }
			}
			Links []ogc.Link
		}
	}
	e.getJSON(e.url("/collections"), &cs)
	var ids []string
	for _, c := range cs.Collections {
		ids = append(ids, c.ID)
		if c.ItemType != "feature" || c.Title == "" || c.StorageCRS != "http://www.opengis.net/def/crs/OGC/1.3/CRS84" {
			t.Errorf("%s: itemType %q, title %q, storageCrs %q", c.ID, c.ItemType, c.Title, c.StorageCRS)
		}
		if len(c.CRS) != 4 || c.CRS[0] != "http://www.opengis.net/def/crs/OGC/1.3/CRS84" {
			t.Errorf("%s: crs %v", c.ID, c.CRS)
		}
		var items, queryables string
		for _, l := range c.Links {
			switch l.Rel {
			case "items":
				items = l.Href
			case "http://www.opengis.net/def/rel/ogc/1.0/queryables":
				queryables = l.Href
			}
		}
		if items != e.url("/collections/"+c.ID+"/items") || queryables == "" {
			t.Errorf("%s: items link %q, queryables link %q", c.ID, items, queryables)
		}
	}
	if !slices.Equal(ids, store.OGCCollectionIDs) {
		t.Fatalf("collections %v", ids)
	}
	// the extent is the data's
	var xmin, ymin, xmax, ymax float64
	if err := e.Store.Pool.QueryRow(t.Context(), `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
		FROM (SELECT ST_Extent(geom) e FROM points) x`).Scan(&xmin, &ymin, &xmax, &ymax); err != nil {
		t.Fatal(err)
	}
	points := cs.Collections[slices.Index(ids, "points")]
	if got := points.Extent.Spatial.BBox; len(got) != 1 || !near(got[0], []float64{xmin, ymin, xmax, ymax}, 1e-9) {
		t.Errorf("points bbox %v, want %v", got, []float64{xmin, ymin, xmax, ymax})
	}
	issues := cs.Collections[slices.Index(ids, "issues")]
	if iv := issues.Extent.Temporal.Interval; len(iv) != 1 || iv[0][0] == nil || iv[0][1] == nil {
		t.Errorf("issues temporal extent %v", iv)
	}

	var one struct{ ID string }
	e.getJSON(e.url("/collections/parking"), &one)
	if one.ID != "parking" {
		t.Errorf("collection parking: id %q", one.ID)
	}

	var q struct {
		Type       string
		Properties map[string]map[string]any
	}
	r := e.getJSON(e.url("/collections/issues/queryables"), &q)
	if ct := r.Header.Get("Content-Type"); ct != "application/schema+json" {
		t.Errorf("queryables Content-Type %q", ct)
	}
	if q.Properties["status"]["type"] != "string" || q.Properties["created_at"]["format"] != "date-time" ||
		q.Properties["geometry"]["format"] != "geometry-any" || q.Properties["overdue"]["type"] != "boolean" {
		t.Errorf("issues queryables %v", q.Properties)
	}
}

func near(a, b []float64, eps float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > eps {
			return false
		}
	}
	return true
}

func TestAccess(t *testing.T) {
	e := newEnv(t)
	items := e.url("/collections/points/items", "limit", "1")
	expectError(t, e.get(items, ""), http.StatusUnauthorized, "unauthorized")
	expectError(t, e.get(e.url(""), ""), http.StatusUnauthorized, "unauthorized")
	expectError(t, e.get(items, access.Reporter), http.StatusForbidden, "forbidden")
	for _, role := range []string{access.Admin, access.Dispatcher, access.GridManager, access.Planner, access.Viewer} {
		if r := e.get(items, role); r.Status != http.StatusOK {
			t.Errorf("%s: %d %s", role, r.Status, r.Body)
		}
	}
	// GDAL and other URL-only clients put the token in the query; links keep it
	r := e.get(e.url("/collections/points/items", "limit", "1", "access_token", e.Tokens[access.Viewer]), "")
	var fc featureCollection
	if err := json.Unmarshal(r.Body, &fc); r.Status != http.StatusOK || err != nil {
		t.Fatalf("access_token: %d %s", r.Status, r.Body)
	}
	if next := fc.link("next"); !strings.Contains(next, "access_token=") {
		t.Errorf("next link %q drops the access token", next)
	}

	// a grid manager sees what lies in its areas only, in every collection:
	// of the areas also those that contain its own, the map around them
	for _, c := range []struct{ collection, from, scoped, key string }{
		{"areas", "areas o WHERE o.level <> 'grid'", "(starts_with(o.code, $1) OR starts_with($1, o.code))", "o.code"},
		{"grids", "areas o WHERE o.level = 'grid'", "starts_with(o.code, $1)", "o.code"},
		{"points", "points o WHERE true", "starts_with(o.grid_code, $1)", "o.code"},
		{"parking", "parking_zones o WHERE true", "starts_with(o.grid_code, $1)", "o.code"},
		{"issues", "issues o WHERE true", "starts_with(o.grid_code, $1)", "o.id::text"},
		{"inspections", "inspections o JOIN points p ON p.id = o.point_id WHERE true",
			"starts_with(p.grid_code, $1)", "o.id::text"},
	} {
		var mine featureCollection
		r = e.Call("GET", e.url("/collections/"+c.collection+"/items", "limit", "10000"), access.GridManager, nil)
		if err := json.Unmarshal(r.Body, &mine); err != nil {
			t.Fatal(err)
		}
		want := e.Int(`SELECT count(*) FROM `+c.from+` AND `+c.scoped, e.Community)
		if mine.NumberMatched != want || want == 0 {
			t.Errorf("%s: the grid manager sees %d, want %d", c.collection, mine.NumberMatched, want)
		}
		outside := e.str(`SELECT min(`+c.key+`) FROM `+c.from+` AND NOT coalesce(`+c.scoped+`, false)`, e.Community)
		expectError(t, e.get(e.url("/collections/"+c.collection+"/items/"+outside), access.GridManager), http.StatusNotFound, "not_found")
		if r := e.get(e.url("/collections/"+c.collection+"/items/"+outside), access.Viewer); r.Status != http.StatusOK {
			t.Errorf("%s: the viewer reads %s: %d", c.collection, outside, r.Status)
		}
	}
}

func TestPaging(t *testing.T) {
	e := newEnv(t)
	total := e.Int(`SELECT count(*) FROM parking_zones`)
	limit := max(int(total/4), 1)
	next := e.url("/collections/parking/items", "limit", fmt.Sprint(limit))
	seen := map[any]bool{}
	pages := 0
	for next != "" {
		var fc featureCollection
		r := e.getJSON(next, &fc)
		pages++
		if ct := r.Header.Get("Content-Type"); ct != "application/geo+json" {
			t.Fatalf("items Content-Type %q", ct)
		}
		if crs := r.Header.Get("Content-Crs"); crs != "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>" {
			t.Fatalf("Content-Crs %q", crs)
		}
		if fc.Type != "FeatureCollection" || fc.NumberMatched != total || fc.NumberReturned != len(fc.Features) ||
			fc.NumberReturned > limit || fc.TimeStamp == "" {
			t.Fatalf("page %d: type %q matched %d returned %d (%d features) timeStamp %q",
				pages, fc.Type, fc.NumberMatched, fc.NumberReturned, len(fc.Features), fc.TimeStamp)
		}
		if fc.link("self") == "" || fc.link("collection") != e.url("/collections/parking") {
			t.Fatalf("page %d links %v", pages, fc.Links)
		}
		if (pages > 1) != (fc.link("prev") != "") {
			t.Fatalf("page %d: prev link %q", pages, fc.link("prev"))
		}
		for _, f := range fc.Features {
			if seen[f.ID] {
				t.Fatalf("feature %v on two pages", f.ID)
			}
			seen[f.ID] = true
		}
		next = fc.link("next")
		if next != "" && !strings.Contains(next, "after=") {
			t.Fatalf("next link %q does not continue by key", next)
		}
	}
	if int64(len(seen)) != total {
		t.Errorf("paged through %d of %d features", len(seen), total)
	}

	// a filtered page reached by key is the page at that offset
	var byOffset, first, byKey featureCollection
	filter := []string{"filter", "kind = 'smart' OR capacity > 50", "limit", "3"}
	e.getJSON(e.url("/collections/parking/items", append(filter, "offset", "3")...), &byOffset)
	e.getJSON(e.url("/collections/parking/items", filter...), &first)
	e.getJSON(first.link("next"), &byKey)
	if fmt.Sprint(ids(byOffset)) != fmt.Sprint(ids(byKey)) || len(byKey.Features) == 0 {
		t.Errorf("page by offset %v, by key %v", ids(byOffset), ids(byKey))
	}
	if byKey.link("prev") != e.url("/collections/parking/items", append(filter, "offset", "0")...) {
		t.Errorf("prev link %q", byKey.link("prev"))
	}

	var fc featureCollection
	e.getJSON(e.url("/collections/parking/items", "offset", fmt.Sprint(total+5)), &fc)
	if len(fc.Features) != 0 || fc.link("next") != "" || fc.link("prev") == "" {
		t.Errorf("past the end: %d features, links %v", len(fc.Features), fc.Links)
	}
	// a limit above the maximum is served as the maximum
	e.getJSON(e.url("/collections/parking/items", "limit", "20000"), &fc)
	if fc.NumberReturned != int(min(total, ogc.MaxLimit)) {
		t.Errorf("limit=20000: %d returned", fc.NumberReturned)
	}
	e.getJSON(e.url("/collections/parking/items"), &fc)
	if fc.NumberReturned != int(min(total, ogc.DefaultLimit)) {
		t.Errorf("default limit: %d returned", fc.NumberReturned)
	}
}

func ids(fc featureCollection) []any {
	out := make([]any, len(fc.Features))
	for i, f := range fc.Features {
		out[i] = f.ID
	}
	return out
}

// middleBox is a box in the middle of a table's extent.
func (e *env) middleBox(table string) orb.Bound {
	e.T.Helper()
	var x0, y0, x1, y1 float64
	err := e.Store.Pool.QueryRow(e.T.Context(), fmt.Sprintf(`SELECT ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x)
		FROM (SELECT ST_Extent(geom) x FROM %s) s`, table)).Scan(&x0, &y0, &x1, &y1)
	if err != nil {
		e.T.Fatal(err)
	}
	// odd fractions, so that no feature lies on an edge where rounding in a
	// CRS conversion could decide whether it is in
	w, h := (x1-x0)*0.2567891, (y1-y0)*0.2432109
	return orb.Bound{Min: orb.Point{x0 + w, y0 + h}, Max: orb.Point{x1 - w, y1 - h}}
}

func TestBBox(t *testing.T) {
	e := newEnv(t)
	b := e.middleBox("points")
	want := e.Int(`SELECT count(*) FROM points WHERE ST_Intersects(geom, ST_MakeEnvelope($1, $2, $3, $4, 4326))`,
		b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	if want == 0 || want == e.Int(`SELECT count(*) FROM points`) {
		t.Fatalf("the box selects %d points: not a useful test", want)
	}
	f := func(v ...float64) string {
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = fmt.Sprintf("%.10f", x)
		}
		return strings.Join(s, ",")
	}
	lo, hi := tile.ToMercator(b.Min), tile.ToMercator(b.Max)
	cases := map[string][]string{
		"CRS84":           {"bbox", f(b.Min[0], b.Min[1], b.Max[0], b.Max[1])},
		"CRS84 explicit":  {"bbox", f(b.Min[0], b.Min[1], b.Max[0], b.Max[1]), "bbox-crs", "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
		"with heights":    {"bbox", f(b.Min[0], b.Min[1], 0, b.Max[0], b.Max[1], 100)},
		"EPSG:4326 order": {"bbox", f(b.Min[1], b.Min[0], b.Max[1], b.Max[0]), "bbox-crs", "http://www.opengis.net/def/crs/EPSG/0/4326"},
		"CGCS2000":        {"bbox", f(b.Min[1], b.Min[0], b.Max[1], b.Max[0]), "bbox-crs", "http://www.opengis.net/def/crs/EPSG/0/4490"},
		"Web Mercator":    {"bbox", f(lo[0], lo[1], hi[0], hi[1]), "bbox-crs", "http://www.opengis.net/def/crs/EPSG/0/3857"},
	}
	for name, kv := range cases {
		if got := e.matched("points", kv...); got != want {
			t.Errorf("%s: %d points, want %d", name, got, want)
		}
	}
}

func TestCRS(t *testing.T) {
	e := newEnv(t)
	code := e.str(`SELECT code FROM points WHERE GeometryType(geom) = 'POINT' ORDER BY id LIMIT 1`)
	get := func(crs string) (orb.Point, response) {
		var f feature
		r := e.getJSON(e.url("/collections/points/items/"+code, "crs", crs), &f)
		if strings.Contains(string(r.Body), `"crs"`) {
			t.Errorf("%s: the geometry carries a crs member: %s", crs, r.Body)
		}
		var p orb.Point
		if err := json.Unmarshal(f.Geometry.Coordinates, &p); err != nil {
			t.Fatalf("%s: %v", crs, err)
		}
		return p, r
	}
	lonLat, r := get("http://www.opengis.net/def/crs/OGC/1.3/CRS84")
	if r.Header.Get("ETag") == "" {
		t.Error("no ETag on a point")
	}
	for _, uri := range []string{"http://www.opengis.net/def/crs/EPSG/0/4326", "http://www.opengis.net/def/crs/EPSG/0/4490"} {
		latLon, r := get(uri)
		if latLon != (orb.Point{lonLat[1], lonLat[0]}) {
			t.Errorf("%s: %v, want the axes of %v swapped", uri, latLon, lonLat)
		}
		if r.Header.Get("Content-Crs") != "<"+uri+">" {
			t.Errorf("%s: Content-Crs %q", uri, r.Header.Get("Content-Crs"))
		}
	}
	merc, _ := get("http://www.opengis.net/def/crs/EPSG/0/3857")
	if want := tile.ToMercator(lonLat); math.Abs(merc[0]-want[0]) > 0.02 || math.Abs(merc[1]-want[1]) > 0.02 {
		t.Errorf("3857: %v, want %v", merc, want)
	}
	// pages too
	var fc featureCollection
	r = e.getJSON(e.url("/collections/points/items", "crs", "EPSG:4326", "code", code), &fc)
	var p orb.Point
	if len(fc.Features) != 1 || json.Unmarshal(fc.Features[0].Geometry.Coordinates, &p) != nil || p != (orb.Point{lonLat[1], lonLat[0]}) {
		t.Errorf("items in EPSG:4326: %s", r.Body)
	}
	if r.Header.Get("Content-Crs") != "<http://www.opengis.net/def/crs/EPSG/0/4326>" {
		t.Errorf("items Content-Crs %q", r.Header.Get("Content-Crs"))
	}
}

func TestDatetime(t *testing.T) {
	e := newEnv(t)
	var mid string
	if err := e.Store.Pool.QueryRow(t.Context(), `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
		FROM issues ORDER BY created_at OFFSET (SELECT count(*) / 2 FROM issues) LIMIT 1`).Scan(&mid); err != nil {
		t.Fatal(err)
	}
	day := mid[:10]
	cases := []struct {
		datetime, sql string
	}{
		{mid, `created_at = $1::text::timestamptz`},
		{mid + "/..", `created_at >= $1::text::timestamptz`},
		{"../" + mid, `created_at <= $1::text::timestamptz`},
		{"/" + mid, `created_at <= $1::text::timestamptz`},
		{day, `(created_at AT TIME ZONE 'Asia/Shanghai')::date = $2::text::date`},
		{day + "/" + mid, `created_at >= ($2::text::date::timestamp AT TIME ZONE 'Asia/Shanghai') AND created_at <= $1::text::timestamptz`},
	}
	for _, c := range cases {
		want := e.Int(`SELECT count(*) FROM issues WHERE `+c.sql+` AND $1::text IS NOT NULL AND $2::text IS NOT NULL`, mid, day)
		if got := e.matched("issues", "datetime", c.datetime); got != want {
			t.Errorf("datetime=%s: %d issues, want %d", c.datetime, got, want)
		}
	}
	if got, want := e.matched("inspections", "datetime", day+"/.."), e.Int(
		`SELECT count(*) FROM inspections WHERE inspected_at >= ($1::date::timestamp AT TIME ZONE 'Asia/Shanghai')`, day); got != want {
		t.Errorf("inspections since %s: %d, want %d", day, got, want)
	}
}

func TestPropertyFilters(t *testing.T) {
	e := newEnv(t)
	// overdue is read by the answer and by the test's SQL at different instants
	e.QuietDeadlines(time.Hour)
	category := e.str(`SELECT category FROM issues GROUP BY category ORDER BY count(*) DESC LIMIT 1`)
	if got, want := e.matched("issues", "status", "closed", "category", category),
		e.Int(`SELECT count(*) FROM issues WHERE status = 'closed' AND category = $1`, category); got != want {
		t.Errorf("status=closed&category=%s: %d, want %d", category, got, want)
	}
	if got, want := e.matched("parking", "kind", "tidal"), e.Int(`SELECT count(*) FROM parking_zones WHERE kind = 'tidal'`); got != want {
		t.Errorf("kind=tidal: %d, want %d", got, want)
	}
	capacity := e.str(`SELECT capacity::text FROM parking_zones ORDER BY id LIMIT 1`)
	if got, want := e.matched("parking", "capacity", capacity), e.Int(`SELECT count(*) FROM parking_zones WHERE capacity = $1::int`, capacity); got != want {
		t.Errorf("capacity=%s: %d, want %d", capacity, got, want)
	}
	if got, want := e.matched("issues", "overdue", "true"),
		e.Int(`SELECT count(*) FROM issues WHERE issue_is_open(status) AND deadline < now() AND suspended_at IS NULL`); got != want {
		t.Errorf("overdue=true: %d, want %d", got, want)
	}
	grid := e.str(`SELECT code FROM areas WHERE level = 'grid' ORDER BY code LIMIT 1`)
	if got := e.matched("grids", "parent", grid[:12]); got != e.Int(`SELECT count(*) FROM areas WHERE level = 'grid' AND starts_with(code, $1)`, grid[:12]) {
		t.Errorf("grids parent=%s: %d", grid[:12], got)
	}
}

func TestFilters(t *testing.T) {
	e := newEnv(t)
	// overdue is read by the answer and by the test's SQL at different instants
	e.QuietDeadlines(time.Hour)
	b := e.middleBox("issues")
	poly := fmt.Sprintf("POLYGON((%[1]f %[2]f, %[3]f %[2]f, %[3]f %[4]f, %[1]f %[4]f, %[1]f %[2]f))", b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	polyLatLon := fmt.Sprintf("POLYGON((%[2]f %[1]f, %[2]f %[3]f, %[4]f %[3]f, %[4]f %[1]f, %[2]f %[1]f))", b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	env := fmt.Sprintf("ST_MakeEnvelope(%f, %f, %f, %f, 4326)", b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	category := e.str(`SELECT category FROM issues GROUP BY category ORDER BY count(*) DESC LIMIT 1`)
	cases := []struct {
		collection, filter, sql string
		kv                      []string
	}{
		{"issues", "status IN ('closed', 'resolved') AND NOT category = '" + category + "'",
			"status IN ('closed', 'resolved') AND category <> '" + category + "'", nil},
		{"issues", "status = 'closed' OR status = 'rejected' AND rework_count > 0",
			"status = 'closed' OR (status = 'rejected' AND rework_count > 0)", nil},
		{"issues", "closed_at IS NULL", "closed_at IS NULL", nil},
		{"issues", "closed_at IS NOT NULL AND closed_at > created_at", "closed_at > created_at", nil},
		{"issues", "CASEI(address) LIKE '%1号'", "lower(address) LIKE '%1号'", nil},
		{"issues", "address NOT LIKE '%\\_%'", "address NOT LIKE '%\\_%'", nil},
		{"issues", "id BETWEEN 10 AND 99", "id BETWEEN 10 AND 99", nil},
		{"issues", "overdue", "issue_is_open(status) AND deadline < now() AND suspended_at IS NULL", nil},
		{"issues", "S_INTERSECTS(geometry, " + poly + ")", "ST_Intersects(geom, " + env + ")", nil},
		{"issues", "S_INTERSECTS(geometry, " + polyLatLon + ")", "ST_Intersects(geom, " + env + ")",
			[]string{"filter-crs", "http://www.opengis.net/def/crs/EPSG/0/4326"}},
		{"issues", fmt.Sprintf("S_WITHIN(geometry, BBOX(%f, %f, %f, %f))", b.Min[0], b.Min[1], b.Max[0], b.Max[1]),
			"ST_Within(geom, " + env + ")", nil},
		{"issues", "NOT S_INTERSECTS(geometry, " + poly + ") AND status <> 'closed'",
			"NOT ST_Intersects(geom, " + env + ") AND status <> 'closed'", nil},
		{"issues", "T_INTERSECTS(created_at, INTERVAL('2024-03-05', '2024-03-10'))",
			"created_at >= '2024-03-05 00:00+08' AND created_at < '2024-03-11 00:00+08'", nil},
		{"issues", "T_BEFORE(created_at, TIMESTAMP('2024-03-05T00:00:00Z'))", "created_at < '2024-03-05T00:00:00Z'", nil},
		{"issues", "created_at >= DATE('2024-04-01') AND status IN ('reported')",
			"created_at >= '2024-04-01 00:00+08' AND status = 'reported'", nil},
		{"parking", "free > 10 AND kind = 'smart'", "capacity - occupied > 10 AND kind = 'smart'", nil},
		{"points", "category IN ('park', 'square', 'school_surroundings')", "category IN ('park', 'square', 'school_surroundings')", nil},
		{"inspections", "score < 100 AND inspector LIKE '督查员%'",
			"score < 100 AND inspector LIKE '督查员%'", nil},
	}
	tables := map[string]string{"issues": "issues", "parking": "parking_zones", "points": "points", "inspections": "inspections"}
	for _, c := range cases {
		want := e.Int(`SELECT count(*) FROM ` + tables[c.collection] + ` WHERE ` + c.sql)
		got := e.matched(c.collection, append(c.kv, "filter", c.filter, "filter-lang", "cql2-text")...)
		if got != want {
			t.Errorf("%s: %d, want %d", c.filter, got, want)
		}
	}
	// a filter that selects something and its negation partition the collection
	total := e.Int(`SELECT count(*) FROM issues WHERE rework_count IS NOT NULL`)
	if a, b := e.matched("issues", "filter", "rework_count = 0"), e.matched("issues", "filter", "NOT rework_count = 0"); a+b != total {
		t.Errorf("rework_count = 0 (%d) and its negation (%d) do not add up to %d", a, b, total)
	}
}

func TestBadRequests(t *testing.T) {
	e := newEnv(t)
	items := "/collections/issues/items"
	cases := []struct {
		name, path string
		kv         []string
		status     int
		code       string
	}{
		{"unknown parameter", items, []string{"colour", "red"}, 400, "unknown_parameter"},
		{"unknown parameter on the landing page", "", []string{"limit", "5"}, 400, "unknown_parameter"},
		{"repeated parameter", items, []string{"limit", "5", "limit", "6"}, 400, "invalid_parameter"},
		{"limit zero", items, []string{"limit", "0"}, 400, "invalid_parameter"},
		{"limit not a number", items, []string{"limit", "ten"}, 400, "invalid_parameter"},
		{"negative offset", items, []string{"offset", "-1"}, 400, "invalid_parameter"},
		{"bad after", items, []string{"after", "x"}, 400, "invalid_parameter"},
		{"bbox of three", items, []string{"bbox", "1,2,3"}, 400, "invalid_parameter"},
		{"bbox not numbers", items, []string{"bbox", "a,b,c,d"}, 400, "invalid_parameter"},
		{"bbox upside down", items, []string{"bbox", "120,32,119,31"}, 400, "invalid_parameter"},
		{"bbox out of range", items, []string{"bbox", "100,80,200,95"}, 400, "invalid_parameter"},
		{"bbox-crs alone", items, []string{"bbox-crs", "EPSG:3857"}, 400, "invalid_parameter"},
		{"unknown crs", items, []string{"crs", "EPSG:2000"}, 400, "invalid_parameter"},
		{"unknown bbox-crs", items, []string{"bbox", "1,2,3,4", "bbox-crs", "EPSG:32650"}, 400, "invalid_parameter"},
		{"bad datetime", items, []string{"datetime", "yesterday"}, 400, "invalid_parameter"},
		{"empty interval", items, []string{"datetime", "/"}, 400, "invalid_parameter"},
		{"cql2-json", items, []string{"filter", "{}", "filter-lang", "cql2-json"}, 400, "invalid_parameter"},
		{"html", items, []string{"f", "html"}, 400, "invalid_parameter"},
		{"bad property filter", "/collections/parking/items", []string{"capacity", "many"}, 400, "invalid_parameter"},
		{"geometry is not a property filter", items, []string{"geometry", "x"}, 400, "unknown_parameter"},
		{"filter syntax", items, []string{"filter", "status = "}, 400, "invalid_filter"},
		{"filter unknown property", items, []string{"filter", "colour = 'red'"}, 400, "invalid_filter"},
		{"filter type mismatch", items, []string{"filter", "status = 3"}, 400, "invalid_filter"},
		{"filter unsupported", items, []string{"filter", "rework_count + 1 > 2"}, 400, "unsupported_filter"},
		{"filter unsupported function", items, []string{"filter", "ACCENTI(address) = 'x'"}, 400, "unsupported_filter"},
		{"filter of 1,500 conditions", items, []string{"filter", strings.Repeat("description LIKE '%a%' OR ", 1499) + "status = 'closed'"},
			400, "filter_too_complex"},
		{"filter nested too deep", items, []string{"filter", strings.Repeat("NOT ", 100) + "status = 'closed'"}, 400, "filter_too_complex"},
		{"unknown collection", "/collections/roads", nil, 404, "not_found"},
		{"items of unknown collection", "/collections/roads/items", nil, 404, "not_found"},
		{"queryables of unknown collection", "/collections/roads/queryables", nil, 404, "not_found"},
		{"unknown point", "/collections/points/items/NO-SUCH-POINT", nil, 404, "not_found"},
		{"non-numeric issue id", "/collections/issues/items/abc", nil, 404, "not_found"},
		{"unknown issue", "/collections/issues/items/999999999", nil, 404, "not_found"},
		{"unknown parameter on an item", "/collections/issues/items/1", []string{"limit", "1"}, 400, "unknown_parameter"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rawURL := e.url(c.path)
			if len(c.kv) > 0 {
				// built by hand: url.Values would merge the repeated parameter
				var parts []string
				for i := 0; i+1 < len(c.kv); i += 2 {
					parts = append(parts, c.kv[i]+"="+url.QueryEscape(c.kv[i+1]))
				}
				rawURL += "?" + strings.Join(parts, "&")
			}
			expectError(t, e.get(rawURL, access.Viewer), c.status, c.code)
		})
	}
}

func TestItem(t *testing.T) {
	e := newEnv(t)
	id := e.str(`SELECT min(id)::text FROM issues`)
	var f feature
	r := e.getJSON(e.url("/collections/issues/items/"+id), &f)
	if fmt.Sprint(f.ID) != id || f.Properties["status"] == nil || r.Header.Get("Content-Type") != "application/geo+json" {
		t.Errorf("issue %s: id %v, properties %v", id, f.ID, f.Properties)
	}
	rels := map[string]string{}
	for _, l := range f.Links {
		rels[l.Rel] = l.Href
	}
	if rels["self"] != e.url("/collections/issues/items/"+id) || rels["collection"] != e.url("/collections/issues") {
		t.Errorf("issue links %v", f.Links)
	}
	if r.Header.Get("ETag") != "" {
		t.Error("issues carry an ETag although they are not written here")
	}
	code := e.str(`SELECT min(code) FROM points`)
	r = e.getJSON(e.url("/collections/points/items/"+code, "f", "json"), &f)
	if f.ID != code || r.Header.Get("ETag") != fmt.Sprintf(`"%v"`, f.Properties["version"]) {
		t.Errorf("point %s: id %v, ETag %q, version %v", code, f.ID, r.Header.Get("ETag"), f.Properties["version"])
	}
	insp := e.str(`SELECT min(id)::text FROM inspections`)
	e.getJSON(e.url("/collections/inspections/items/"+insp), &f)
	if f.Properties["point"] == nil || f.Properties["score"] == nil || f.Geometry.Type == "" {
		t.Errorf("inspection %s: %v", insp, f)
	}
}
