package tiles_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb/maptile"

	"citymap/geo/tile"
	"citymap/server/access"
	"citymap/server/apitest"
)

// noCache turns off GDAL's cache of HTTP reads for the tile tests.
var noCache = []string{"CPL_VSIL_CURL_USE_CACHE=NO"}

var (
	featureCount = regexp.MustCompile(`Feature Count: (\d+)`)
	extentLine   = regexp.MustCompile(`Extent: \(([-\d.]+), ([-\d.]+)\) - \(([-\d.]+), ([-\d.]+)\)`)
)

// TestGDAL is the interoperability check with a real client: GDAL's MVT driver
// reads tiles of every layer, straight from the server (the token in the URL)
// and from files downloaded as a browser would (gzip), georeferenced by their
// z/x/y. It must count the features our decoder counts and place them in the
// tile.
func TestGDAL(t *testing.T) {
	ogrinfo := apitest.GDAL(t, "ogrinfo")
	t.Parallel()
	e := newEnv(t, cached)
	tok := e.Tokens[access.Viewer]
	busy := e.busiest()
	dir := t.TempDir()
	cases := []struct {
		layer string
		z     maptile.Zoom
	}{{"points", 16}, {"points", 13}, {"parking", 15}, {"issues", 15}, {"issues", 12}, {"areas", 12}, {"grids", 14}}
	for _, c := range cases {
		tl := tileAt(busy, c.z)
		want := len(e.fetch(c.layer, tl, tok).layer.features)
		if want == 0 {
			t.Fatalf("%s: empty", tilePath(c.layer, tl))
		}
		// over HTTP: the driver takes z/x/y from the URL
		url := "MVT:" + e.URL + tilePath(c.layer, tl) + "?access_token=" + tok
		checkOgrinfo(t, apitest.RunGDAL(t, noCache, ogrinfo, "-ro", "-al", "-so", "-oo", "CLIP=NO", url), c.layer, tl, want)
		// a downloaded file, still gzip-compressed, georeferenced by open options
		a := e.get(tilePath(c.layer, tl), tok, "Accept-Encoding", "gzip")
		file := filepath.Join(dir, c.layer+strconv.Itoa(int(c.z))+".mvt")
		if err := os.WriteFile(file, a.Body, 0o644); err != nil {
			t.Fatal(err)
		}
		out := apitest.RunGDAL(t, noCache, ogrinfo, "-ro", "-al", "-so", "-oo", "CLIP=NO",
			"-oo", "Z="+strconv.Itoa(int(tl.Z)), "-oo", "X="+strconv.Itoa(int(tl.X)), "-oo", "Y="+strconv.Itoa(int(tl.Y)), file)
		checkOgrinfo(t, out, c.layer, tl, want)
	}
}

// checkOgrinfo reads ogrinfo's summary of one layer: its name, feature count,
// and an extent within the tile grown by its buffer.
func checkOgrinfo(t *testing.T, out, layer string, tl maptile.Tile, want int) {
	t.Helper()
	if !strings.Contains(out, "Layer name: "+layer) {
		t.Errorf("%s: ogrinfo does not list the layer:\n%s", tilePath(layer, tl), out)
		return
	}
	m := featureCount.FindStringSubmatch(out)
	if m == nil || m[1] != strconv.Itoa(want) {
		t.Errorf("%s: ogrinfo counts %v features, want %d", tilePath(layer, tl), m, want)
	}
	ext := extentLine.FindStringSubmatch(out)
	if ext == nil {
		t.Errorf("%s: no extent:\n%s", tilePath(layer, tl), out)
		return
	}
	x0, y0, x1, y1 := tile.Bounds3857(tl)
	margin := (x1 - x0) * 65 / 4096
	for i, v := range ext[1:] {
		f, _ := strconv.ParseFloat(v, 64)
		lo, hi := x0, x1
		if i%2 == 1 {
			lo, hi = y0, y1
		}
		if f < lo-margin || f > hi+margin {
			t.Errorf("%s: extent %v outside the tile (%.0f %.0f %.0f %.0f)", tilePath(layer, tl), ext[1:], x0, y0, x1, y1)
			break
		}
	}
}
