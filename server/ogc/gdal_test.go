package ogc_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"citymap/server/access"
	"citymap/server/apitest"
	"citymap/server/store"
)

// TestGDAL is the interoperability check with a real client: GDAL's OAPIF
// driver lists the collections and copies every point, page by page.
func TestGDAL(t *testing.T) {
	ogrinfo := apitest.GDAL(t, "ogrinfo")
	ogr2ogr := apitest.GDAL(t, "ogr2ogr")
	e := newEnv(t)
	root := "OAPIF:" + e.URL + "/ogc"

	// listing, with the token in the URL as a desktop user would paste it
	out := apitest.RunGDAL(t, nil, ogrinfo, "-ro", root+"?access_token="+e.Tokens[access.Viewer])
	for _, id := range store.OGCCollectionIDs {
		if !strings.Contains(out, ": "+id+" ") && !strings.Contains(out, ": "+id+"\n") {
			t.Errorf("ogrinfo does not list %s:\n%s", id, out)
		}
	}

	// copying, with the token in a header and pages smaller than the layer
	want := e.Int(`SELECT count(*) FROM points`)
	pageSize := max(want/3, 1)
	dst := filepath.Join(t.TempDir(), "points.geojson")
	apitest.RunGDAL(t, nil, ogr2ogr, "-f", "GeoJSON", dst, root, "points",
		"-oo", "PAGE_SIZE="+itoa(pageSize),
		"--config", "GDAL_HTTP_HEADERS", "Authorization: Bearer "+e.Tokens[access.Viewer])
	raw, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(raw, &fc); err != nil {
		t.Fatalf("ogr2ogr output: %v", err)
	}
	codes := map[any]bool{}
	for _, f := range fc.Features {
		codes[f.Properties["code"]] = true
	}
	if int64(len(fc.Features)) != want || int64(len(codes)) != want {
		t.Errorf("ogr2ogr copied %d features (%d distinct codes), the table has %d", len(fc.Features), len(codes), want)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
