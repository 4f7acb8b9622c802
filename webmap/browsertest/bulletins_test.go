package browsertest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"citymap/server/apitest"
)

// TestBulletinsBrowser freezes a bulletin on /review in headless Chromium
// (webmap/test/bulletins.mjs) and downloads its PDF, whose text (pdftotext)
// holds the issue (第N期) and the name of the unit the test's inspection
// names. The month is March 2001, which no demo bulletin covers; its one
// inspection, with a deduction, is the test's own.
func TestBulletinsBrowser(t *testing.T) {
	node, chromium := needBrowser(t)
	pdftotext := apitest.RequireTool(t, "pdftotext", requireEnv, "install poppler-utils (scripts/deps-browser.sh)")
	e := apitest.New(t)
	var unitName, indicator string
	e.Scan(`SELECT u.name, (SELECT min(code) FROM indicators WHERE kind = 'field' AND max_points IS NOT NULL)
		FROM points p JOIN units u ON u.name = p.unit ORDER BY p.code LIMIT 1`, nil, &unitName, &indicator)
	e.Exec(`INSERT INTO inspections (point_id, inspected_at, inspector, score, deductions)
		SELECT p.id, '2001-03-10 10:00+08', '浏览器测试', 97, jsonb_build_array(jsonb_build_object(
			'indicator_code', $2::text, 'indicator', '浏览器测试指标', 'points', 3))
		FROM points p WHERE p.unit = $1 ORDER BY p.code LIMIT 1`, unitName, indicator)
	dir := t.TempDir()
	pdf := filepath.Join(dir, "bulletin.pdf")
	var res result
	out, _ := runScript(t, node, chromium, "test/bulletins.mjs", 3*time.Minute, &res,
		"CITYMAP_E2E_URL="+e.URL, "CITYMAP_E2E_TOKEN="+e.Tokens["reviewer"],
		"CITYMAP_E2E_DATE=2001-03-15", "CITYMAP_E2E_UNIT_NAME="+unitName, "CITYMAP_E2E_PDF_OUT="+pdf)
	issue, _ := res.Checks["issue"].(string)
	if !strings.HasPrefix(issue, "2001年第") {
		t.Fatalf("the frozen issue is %q\n%s", issue, out)
	}
	body, err := os.ReadFile(pdf)
	if err != nil || !bytes.HasPrefix(body, []byte("%PDF-")) {
		t.Fatalf("the download is no PDF (%v)", err)
	}
	text, err := exec.Command(pdftotext, "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{issue, strings.TrimPrefix(issue, "2001年"), unitName} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the PDF's text lacks %q", want)
		}
	}
	t.Logf("checks: %v", res.Checks)
}
