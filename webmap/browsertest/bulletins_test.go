package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
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
	node, chromium, err := prerequisites()
	if err != nil {
		if os.Getenv(requireEnv) != "" {
			t.Fatalf("%v (%s is set: the browser tests must run)", err, requireEnv)
		}
		t.Skip(err)
	}
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
	pdf, resultFile := filepath.Join(dir, "bulletin.pdf"), filepath.Join(dir, "result.json")
	shots, err := filepath.Abs("../../test-results/screenshots")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "test/bulletins.mjs")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CITYMAP_E2E_URL="+e.URL, "CITYMAP_E2E_TOKEN="+e.Tokens["reviewer"],
		"CITYMAP_E2E_DATE=2001-03-15", "CITYMAP_E2E_UNIT_NAME="+unitName, "CITYMAP_E2E_PDF_OUT="+pdf,
		"CITYMAP_E2E_SCREENSHOTS="+shots, "CITYMAP_E2E_RESULT="+resultFile, "CITYMAP_CHROMIUM="+chromium)
	out, runErr := cmd.CombinedOutput()
	var res result
	if data, err := os.ReadFile(resultFile); err == nil {
		_ = json.Unmarshal(data, &res)
	}
	if runErr != nil || len(res.Failures) > 0 {
		t.Fatalf("bulletins.mjs: %v\n%s", runErr, out)
	}
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
