package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"citymap/server/dbtest"
)

const importGrids = `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"32028200100201","name":"东虹一网格"},
 "geometry":{"type":"Polygon","coordinates":[[[119.80,31.36],[119.81,31.36],[119.81,31.37],[119.80,31.37],[119.80,31.36]]]}},
{"type":"Feature","properties":{"code":"32028200100202","name":"东虹二网格"},
 "geometry":{"type":"Polygon","coordinates":[[[119.81,31.36],[119.82,31.36],[119.82,31.37],[119.81,31.37],[119.81,31.36]]]}}]}`

// The command prints what it wrote, and for a bad file exits non-zero naming
// the feature, with nothing written.
func TestImportCommand(t *testing.T) {
	st := dbtest.Empty(t)
	ctx := context.Background()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := st.Pool.Exec(ctx, `INSERT INTO areas (code, name, level, parent_id, geom) VALUES
		('320282', '宜兴市', 'district', NULL, ST_Multi(ST_MakeEnvelope(119.5, 31.0, 120.1, 31.7, 4326)));
		INSERT INTO areas (code, name, level, parent_id, geom)
		SELECT '320282001', '宜城街道', 'street', id, geom FROM areas WHERE code = '320282';
		INSERT INTO areas (code, name, level, parent_id, geom)
		SELECT '320282001002', '东虹社区', 'community', id, geom FROM areas WHERE code = '320282001'`)
	if err != nil {
		t.Fatal(err)
	}
	url := st.Pool.Config().ConnString()
	bin := buildBinary(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "grids.geojson")
	bad := filepath.Join(dir, "bad.geojson")
	writeImportFile(t, good, importGrids)
	writeImportFile(t, bad, strings.Replace(importGrids, `"name":"东虹二网格"`, `"name":""`, 1))

	_, errOut, code := runCitymap(t, bin, url, "import", bad, "--layer", "grids")
	if want := "feature 1 (code 32028200100202): properties.name: must not be empty; nothing was written"; code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("bad file: exit %d, stderr %q; want exit 1 and …%s…", code, errOut, want)
	}
	out, errOut, code := runCitymap(t, bin, url, "import", "--layer", "grids", good)
	if want := "imported 2 features (grids: 2 created, 0 updated)"; code != 0 || !strings.Contains(out, want) {
		t.Errorf("good file: exit %d, stdout %q, stderr %q; want …%s…", code, out, errOut, want)
	}
	if _, errOut, code = runCitymap(t, bin, url, "import", "--layer", "roads", good); code != 1 || !strings.Contains(errOut, `unknown layer "roads"`) {
		t.Errorf("unknown layer: exit %d, stderr %q", code, errOut)
	}
}

func writeImportFile(t *testing.T, name, body string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func runCitymap(t *testing.T, bin, url string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
		return o.String(), e.String(), exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}
