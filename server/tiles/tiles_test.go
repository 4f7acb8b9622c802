package tiles_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"citymap/server/access"
	"citymap/server/tilecache"
)

// yixing is the centre of the demo city's urban district.
var yixing = orb.Point{119.82, 31.36}

func TestRequestErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, cached)
	viewer := e.Tokens[access.Viewer]
	ok := tilePath("points", tileAt(yixing, 14))
	tests := []struct {
		name, path, tok string
		status          int
		code            string
	}{
		{"no token", ok, "", http.StatusUnauthorized, "unauthorized"},
		{"bad token", ok, "cm_nope", http.StatusUnauthorized, "unauthorized"},
		{"reporter", ok, e.Tokens[access.Reporter], http.StatusForbidden, "forbidden"},
		{"unknown layer", "/tiles/roads/14/13642/6688.mvt", viewer, http.StatusNotFound, "unknown_layer"},
		{"not .mvt", "/tiles/points/14/13642/6688.png", viewer, http.StatusNotFound, "not_found"},
		{"zoom too deep", "/tiles/points/25/0/0.mvt", viewer, http.StatusBadRequest, "invalid_tile"},
		{"x beyond the zoom", "/tiles/points/3/8/0.mvt", viewer, http.StatusBadRequest, "invalid_tile"},
		{"y beyond the zoom", "/tiles/points/3/0/8.mvt", viewer, http.StatusBadRequest, "invalid_tile"},
		{"negative", "/tiles/points/3/-1/0.mvt", viewer, http.StatusBadRequest, "invalid_tile"},
		{"not a number", "/tiles/points/a/0/0.mvt", viewer, http.StatusBadRequest, "invalid_tile"},
		{"unknown TileJSON", "/tiles/roads.json", viewer, http.StatusNotFound, "unknown_layer"},
		{"TileJSON without a token", "/tiles/points.json", "", http.StatusUnauthorized, "unauthorized"},
		{"style without a token", "/style.json", "", http.StatusUnauthorized, "unauthorized"},
		{"unknown theme", "/style.json?theme=neon", viewer, http.StatusBadRequest, "invalid_theme"},
	}
	for _, tc := range tests {
		a := e.get(tc.path, tc.tok)
		var body struct{ Error struct{ Code string } }
		_ = json.Unmarshal(a.Body, &body)
		if a.Status != tc.status || body.Error.Code != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, a.Status, body.Error.Code, tc.status, tc.code)
		}
	}
	// the token in the query, for clients that cannot set headers (GDAL URLs)
	if a := e.get(ok+"?access_token="+viewer, ""); a.Status != http.StatusOK {
		t.Errorf("access_token: status %d", a.Status)
	}
	for _, role := range []string{access.Admin, access.Dispatcher, access.GridManager, access.Planner, access.Viewer} {
		if a := e.get(ok, e.Tokens[role]); a.Status != http.StatusOK {
			t.Errorf("%s: status %d", role, a.Status)
		}
	}
}

// TestHTTPCaching checks the answer's form: gzip when accepted and identity
// otherwise with the same entity tag, 304 on If-None-Match, 204 for a tile
// without features, and the headers that make clients revalidate.
func TestHTTPCaching(t *testing.T) {
	t.Parallel()
	e := newEnv(t, cached)
	tok := e.Tokens[access.Viewer]
	path := tilePath("points", tileAt(yixing, 12))

	gz := e.get(path, tok, "Accept-Encoding", "gzip, deflate, br")
	if gz.Status != http.StatusOK || gz.Header.Get("Content-Encoding") != "gzip" ||
		gz.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
		t.Fatalf("gzip: %d %v", gz.Status, gz.Header)
	}
	plain := e.get(path, tok)
	if plain.Status != http.StatusOK || plain.Header.Get("Content-Encoding") != "" {
		t.Fatalf("identity: %d %v", plain.Status, plain.Header)
	}
	if string(gunzip(t, gz.Body)) != string(plain.Body) {
		t.Error("the gzip and identity bodies differ")
	}
	refused := e.get(path, tok, "Accept-Encoding", "gzip;q=0, identity")
	if refused.Header.Get("Content-Encoding") != "" {
		t.Error("gzip sent although the client refused it")
	}
	etag := gz.Header.Get("ETag")
	if etag == "" || etag != plain.Header.Get("ETag") {
		t.Fatalf("etags %q and %q", etag, plain.Header.Get("ETag"))
	}
	for _, h := range []http.Header{gz.Header, plain.Header} {
		if h.Get("Cache-Control") != "private, no-cache" || !strings.Contains(h.Get("Vary"), "Accept-Encoding") {
			t.Errorf("caching headers %v", h)
		}
	}
	for _, inm := range []string{etag, strings.TrimPrefix(etag, "W/"), `"other", ` + etag, "*"} {
		a := e.get(path, tok, "If-None-Match", inm, "Accept-Encoding", "gzip")
		if a.Status != http.StatusNotModified || len(a.Body) != 0 || a.Header.Get("ETag") != etag {
			t.Errorf("If-None-Match %s: %d", inm, a.Status)
		}
	}
	if a := e.get(path, tok, "If-None-Match", `W/"stale"`); a.Status != http.StatusOK {
		t.Errorf("a stale If-None-Match: %d", a.Status)
	}
	// a tile too small to gain from gzip goes as it is
	small := e.get(tilePath("points", tileAt(orb.Point{119.6, 31.2}, 16)), tok, "Accept-Encoding", "gzip")
	if small.Status == http.StatusOK && (len(small.Body) >= tilecache.MinGzip || small.Header.Get("Content-Encoding") != "") {
		t.Errorf("small tile: %d bytes, encoding %q", len(small.Body), small.Header.Get("Content-Encoding"))
	}

	// the open sea east of Shanghai holds nothing
	empty := e.get(tilePath("points", tileAt(orb.Point{124, 30}, 14)), tok, "Accept-Encoding", "gzip")
	if empty.Status != http.StatusNoContent || len(empty.Body) != 0 || empty.Header.Get("ETag") == "" {
		t.Errorf("empty tile: %d, %d bytes, %v", empty.Status, len(empty.Body), empty.Header)
	}
	if a := e.get(tilePath("points", tileAt(orb.Point{124, 30}, 14)), tok, "If-None-Match", empty.Header.Get("ETag")); a.Status != http.StatusNotModified {
		t.Errorf("empty tile revalidated: %d", a.Status)
	}
}

func TestTileJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t, cached)
	tok := e.Tokens[access.Viewer]
	for _, name := range []string{"areas", "grids", "points", "parking", "issues"} {
		a := e.get("/tiles/"+name+".json?access_token="+tok, "")
		if a.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", name, a.Status, a.Body)
		}
		var doc struct {
			TileJSON     string     `json:"tilejson"`
			Tiles        []string   `json:"tiles"`
			MinZoom      int        `json:"minzoom"`
			MaxZoom      int        `json:"maxzoom"`
			Bounds       [4]float64 `json:"bounds"`
			Center       []float64  `json:"center"`
			VectorLayers []struct {
				ID     string            `json:"id"`
				Fields map[string]string `json:"fields"`
			} `json:"vector_layers"`
		}
		if err := json.Unmarshal(a.Body, &doc); err != nil {
			t.Fatal(err)
		}
		want := e.URL + "/tiles/" + name + "/{z}/{x}/{y}.mvt"
		if doc.TileJSON != "3.0.0" || len(doc.Tiles) != 1 || doc.Tiles[0] != want {
			t.Errorf("%s: tilejson %s, tiles %v, want [%s]", name, doc.TileJSON, doc.Tiles, want)
		}
		if strings.Contains(string(a.Body), tok) {
			t.Errorf("%s: the TileJSON carries the token", name)
		}
		if doc.MinZoom >= doc.MaxZoom || len(doc.VectorLayers) != 1 || doc.VectorLayers[0].ID != name ||
			len(doc.VectorLayers[0].Fields) == 0 || len(doc.Center) != 3 {
			t.Errorf("%s: %+v", name, doc)
		}
		// the demo city's extent
		if b := doc.Bounds; !(b[0] > 119 && b[0] < 120 && b[1] > 31 && b[2] > b[0] && b[3] > b[1] && b[3] < 32) {
			t.Errorf("%s: bounds %v", name, b)
		}
		again := e.get("/tiles/"+name+".json", tok, "If-None-Match", a.Header.Get("ETag"))
		if again.Status != http.StatusNotModified {
			t.Errorf("%s: revalidation %d", name, again.Status)
		}
	}
	// behind a proxy the URLs name what the client reached
	a := e.get("/tiles/issues.json", tok, "X-Forwarded-Proto", "https", "X-Forwarded-Host", "map.example.gov.cn")
	if !strings.Contains(string(a.Body), `"https://map.example.gov.cn/tiles/issues/{z}/{x}/{y}.mvt"`) {
		t.Errorf("behind a proxy: %s", a.Body)
	}
}
