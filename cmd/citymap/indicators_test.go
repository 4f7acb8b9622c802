package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"citymap/server/dbtest"
)

// citymap indicators import reads the city's spreadsheet, updates by code on a
// second run, and names the first bad row's line, writing nothing.
func TestIndicatorsImportCommand(t *testing.T) {
	st := dbtest.Empty(t)
	ctx := context.Background()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	url := st.Pool.Config().ConnString()
	bin := buildBinary(t)
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "测评体系.csv"), filepath.Join(dir, "bad.csv")
	sheet := "编码,上级编码,名称,类型,分值,点位类型,牵头单位\nA,,实地考察,实地考察,,,\nA.1,A,地面保洁,实地考察,5,农贸市场,市城市管理局\n"
	writeImportFile(t, good, sheet)
	writeImportFile(t, bad, sheet+"A.2,A,公益宣传,实地考察,3,动物园,xcb\n")

	out, errOut, code := runCitymap(t, bin, url, "indicators", "import", good)
	if want := "imported 2 indicators (2 created, 0 updated)"; code != 0 || !strings.Contains(out, want) {
		t.Errorf("good file: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if out, _, code = runCitymap(t, bin, url, "indicators", "import", good); code != 0 || !strings.Contains(out, "(0 created, 2 updated)") {
		t.Errorf("second import: exit %d, stdout %q", code, out)
	}
	_, errOut, code = runCitymap(t, bin, url, "indicators", "import", bad)
	if want := `line 4 (code A.2): point_categories: no point category has the code or name "动物园"; nothing was written`; code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("bad file: exit %d, stderr %q", code, errOut)
	}
	var n int
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM indicators`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d indicators after a rejected file, want 2 (%v)", n, err)
	}
}

// citymap token demo prints a token for every role, the new unit, unit
// leader and reviewer roles included; the unit's and its leader's act for
// the demo unit.
func TestTokenDemoNewRoles(t *testing.T) {
	st := dbtest.Empty(t)
	ctx := context.Background()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	url := st.Pool.Config().ConnString()
	out, errOut, code := runCitymap(t, buildBinary(t), url, "token", "demo", "--file", filepath.Join(t.TempDir(), "tokens"))
	if code != 0 || !strings.Contains(out, "\nunit=cm_") || !strings.Contains(out, "\nreviewer=cm_") ||
		!strings.Contains(out, "\nunit_leader=cm_") {
		t.Fatalf("token demo: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	var unit string
	for _, role := range []string{"unit", "unit_leader"} {
		if err := st.Pool.QueryRow(ctx, `SELECT unit FROM api_tokens WHERE role = $1`, role).Scan(&unit); err != nil || unit != DemoUnit {
			t.Errorf("demo %s token acts for %q (%v), want %s", role, unit, err, DemoUnit)
		}
	}
}
