package server_test

import (
	"bytes"
	"fmt"
	"image"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"citymap/server/access"
	"citymap/server/apitest"
)

// offers are the Accept-Encoding headers the surfaces are fetched with, and
// the coding a compressible answer gets for each.
var offers = []struct{ accept, text string }{
	{"gzip", "gzip"},
	{"zstd", "zstd"},
	{"br", ""}, // brotli is not served (docs/BENCHMARKS.md)
	{"gzip, deflate, br, zstd", "zstd"},
}

// TestCompressionSurfaces fetches every kind of answer as it is and with
// each coding offered: the decoded answer is the identity one; text is
// compressed, a tile keeps the gzip of the tile cache (and nothing else), a
// photo is sent as it is.
func TestCompressionSurfaces(t *testing.T) {
	e := apitest.New(t)
	var end time.Time
	var lon, lat float64
	e.Scan(`SELECT max(created_at), ST_X(ST_Centroid(ST_Collect(geom))), ST_Y(ST_Centroid(ST_Collect(geom)))
		FROM issues`, nil, &end, &lon, &lat)
	window := url.Values{"start_date": {end.AddDate(0, 0, -30).Format(time.RFC3339)},
		"end_date": {end.Add(time.Minute).Format(time.RFC3339)}}.Encode()
	tile := maptile.At(orb.Point{lon, lat}, 12)
	surfaces := []struct {
		name, path, role string
		coded            func(accept, text string) string // the coding expected
	}{
		{"JSON API", "/api/v1/issues?limit=200", access.Admin, compressed},
		{"OGC items", ogcPage, access.Admin, compressed},
		{"OGC collections", "/ogc/collections", access.Admin, compressed},
		{"OpenAPI", "/ogc/api", access.Admin, compressed},
		{"GeoJSON report", "/api/v1/reports/areas?level=community&format=geojson&from=2025-01-01&to=2026-01-01",
			access.Admin, compressed},
		{"CSV export", csvExport, access.Admin, compressed},
		{"Open311 XML", "/open311/v2/requests.xml?" + window, "", compressed},
		{"Open311 JSON", "/open311/v2/requests.json?" + window, "", compressed},
		{"HTML page", "/grid", "", compressed},
		{"JS asset", "/assets/grid.js", "", compressed},
		{"tile", fmt.Sprintf("/tiles/issues/%d/%d/%d.mvt", tile.Z, tile.X, tile.Y), access.Admin, tileCoding},
		{"photo", uploadPhoto(t, e), access.Admin, identity},
	}
	for _, s := range surfaces {
		t.Run(s.name, func(t *testing.T) {
			plain := e.Get(s.path, s.role)
			if ce := plain.Header.Get("Content-Encoding"); ce != "" {
				t.Fatalf("not asked for, the answer is coded %q", ce)
			}
			varies(t, "identity", plain.Header)
			for _, o := range offers {
				r := e.Get(s.path, s.role, "Accept-Encoding", o.accept)
				want := s.coded(o.accept, o.text)
				if ce := r.Header.Get("Content-Encoding"); ce != want {
					t.Fatalf("%s: coded %q, want %q", o.accept, ce, want)
				}
				varies(t, o.accept, r.Header)
				if got := decoded(t, want, r.Body); !bytes.Equal(stable(got), stable(plain.Body)) {
					t.Errorf("%s: decoded to %d bytes, the identity answer has %d", o.accept, len(got), len(plain.Body))
				}
			}
		})
	}
}

// varies checks that an answer tells caches it depends on Accept-Encoding,
// coded or not: the same URL has other codings for other clients.
func varies(t *testing.T, accept string, h http.Header) {
	t.Helper()
	if !strings.Contains(strings.Join(h.Values("Vary"), ","), "Accept-Encoding") {
		t.Errorf("%s: Vary %q", accept, h.Values("Vary"))
	}
}

func compressed(_, text string) string { return text }

func identity(string, string) string { return "" }

// tileCoding is the tile's own: gzip when the client takes it, else none.
func tileCoding(accept, _ string) string {
	if strings.Contains(accept, "gzip") {
		return "gzip"
	}
	return ""
}

// TestCompressedLive: a websocket offered compression opens and streams as
// before: the upgrade is not touched.
func TestCompressedLive(t *testing.T) {
	e := apitest.New(t)
	ws := "ws" + strings.TrimPrefix(e.URL, "http") + "/live"
	conn, res, err := websocket.DefaultDialer.Dial(ws, http.Header{"Authorization": {"Bearer " + e.Tokens[access.Admin]},
		"Accept-Encoding": {"gzip, deflate, br, zstd"}})
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, res)
	}
	defer conn.Close()
	if ce := res.Header.Get("Content-Encoding"); ce != "" {
		t.Errorf("the upgrade is coded %q", ce)
	}
	if err := conn.WriteJSON(map[string]any{"type": "subscribe"}); err != nil {
		t.Fatal(err)
	}
	var first struct{ Type string }
	if err := conn.ReadJSON(&first); err != nil || first.Type != "subscribed" {
		t.Fatalf("subscribe: %v %+v", err, first)
	}
}

// TestPageRatio: a 1,000-feature OGC page, the answer clients page through,
// travels in at most 15 % of its size with either coding.
func TestPageRatio(t *testing.T) {
	e := apitest.New(t)
	raw := e.Get(ogcPage, access.Admin).Body
	for _, coding := range []string{"gzip", "zstd"} {
		r := e.Get(ogcPage, access.Admin, "Accept-Encoding", coding)
		ratio := float64(len(r.Body)) / float64(len(raw))
		t.Logf("%s: %d of %d bytes, %.1f %%", coding, len(r.Body), len(raw), 100*ratio)
		if r.Header.Get("Content-Encoding") != coding || ratio > 0.15 {
			t.Errorf("%s: coded %q, %.1f %% of the page", coding, r.Header.Get("Content-Encoding"), 100*ratio)
		}
	}
}

// decoded undoes a content coding.
func decoded(t *testing.T, coding string, body []byte) []byte {
	t.Helper()
	var r io.Reader = bytes.NewReader(body)
	switch coding {
	case "":
		return body
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "zstd":
		zr, err := zstd.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// timeStamp is the OGC page's time of answer, which two fetches need not share.
var timeStamp = regexp.MustCompile(`"timeStamp":"[^"]*"`)

func stable(body []byte) []byte { return timeStamp.ReplaceAll(body, []byte(`"timeStamp":""`)) }

// uploadPhoto stores a PNG of a few kilobytes (noise, which PNG cannot
// shrink) and returns its path.
func uploadPhoto(t *testing.T, e *apitest.Env) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7919 % 251)
	}
	body, ctype := imageUpload(t, "photo", img)
	var up struct{ URL string }
	e.Must(http.StatusCreated, "POST", "/api/v1/photos", access.Reporter, body, "Content-Type", ctype).
		Decode(t, &up)
	return up.URL
}
