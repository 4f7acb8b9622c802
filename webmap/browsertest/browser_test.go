// Package browsertest drives the web map in headless Chromium: a citymap
// instance on a clone of the test database (the demo city), tokens per role, a
// dispatched case for the grid manager, and webmap/test/e2e.mjs (playwright-core
// from npm, Debian's chromium) to load each page, watch a new issue reach the
// wall, work a case on /grid and download a planner export. Screenshots of each
// page go to test-results/screenshots/.
//
// The test needs node, the built web map (make build) and chromium
// (scripts/deps-browser.sh). Without them it skips, unless
// CITYMAP_REQUIRE_BROWSER is set, as make test does: there it must run.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"citymap/server/apitest"
)

const requireEnv = "CITYMAP_REQUIRE_BROWSER"

// prerequisites returns the node and chromium to use, or why the test cannot run.
func prerequisites() (node, chromium string, err error) {
	chromium = os.Getenv("CITYMAP_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		return "", "", fmt.Errorf("no chromium at %s (scripts/deps-browser.sh installs it)", chromium)
	}
	if node, err = exec.LookPath("node"); err != nil {
		return "", "", fmt.Errorf("no node: %w", err)
	}
	for _, f := range []string{"../node_modules/playwright-core/package.json", "../dist/wall.html", "../dist/grid.html", "../dist/planner.html", "../dist/tasks.html"} {
		if _, err := os.Stat(f); err != nil {
			return "", "", fmt.Errorf("webmap/%s is missing: run make build", f[3:])
		}
	}
	return node, chromium, nil
}

// result is what e2e.mjs reports.
type result struct {
	Pages map[string]struct {
		LoadMS int      `json:"load_ms"`
		Errors []string `json:"errors"`
	} `json:"pages"`
	Checks   map[string]any `json:"checks"`
	Failures []string       `json:"failures"`
}

func TestBrowser(t *testing.T) {
	node, chromium, err := prerequisites()
	if err != nil {
		if os.Getenv(requireEnv) != "" {
			t.Fatalf("%v (%s is set: the browser tests must run)", err, requireEnv)
		}
		t.Skip(err)
	}
	e := apitest.New(t)
	issue := dispatchedIssue(e)
	var lon, lat float64
	e.Scan(`SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM areas WHERE code = $1) x`,
		[]any{e.GridOut}, &lon, &lat)

	task, otherTask := unitTasks(e)
	tokens, _ := json.Marshal(map[string]string{
		"viewer": e.Tokens["viewer"], "grid_manager": e.Tokens["grid_manager"],
		"planner": e.Tokens["planner"], "admin": e.Tokens["admin"],
		"unit": e.Tokens["unit"], "reviewer": e.Tokens["reviewer"],
	})
	shots, err := filepath.Abs("../../test-results/screenshots")
	if err != nil {
		t.Fatal(err)
	}
	resultFile := filepath.Join(t.TempDir(), "result.json")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "test/e2e.mjs")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(),
		"CITYMAP_E2E_URL="+e.URL,
		"CITYMAP_E2E_TOKENS="+string(tokens),
		"CITYMAP_E2E_ISSUE="+strconv.FormatInt(issue, 10),
		"CITYMAP_E2E_TASK="+strconv.FormatInt(task, 10),
		"CITYMAP_E2E_OTHER_TASK="+strconv.FormatInt(otherTask, 10),
		fmt.Sprintf("CITYMAP_E2E_POINT=%.7f,%.7f", lon, lat),
		"CITYMAP_E2E_SCREENSHOTS="+shots,
		"CITYMAP_E2E_RESULT="+resultFile,
		"CITYMAP_CHROMIUM="+chromium,
	)
	start := time.Now()
	out, runErr := cmd.CombinedOutput()
	var res result
	if data, err := os.ReadFile(resultFile); err == nil {
		_ = json.Unmarshal(data, &res)
	}
	if runErr != nil || len(res.Failures) > 0 {
		t.Fatalf("e2e.mjs: %v after %v\n%s", runErr, time.Since(start).Round(time.Millisecond), out)
	}
	for name, p := range res.Pages {
		t.Logf("%-8s loaded in %d ms", name, p.LoadMS)
	}
	t.Logf("checks: %v", res.Checks)
	t.Logf("screenshots in %s; browser run %v", shots, time.Since(start).Round(time.Millisecond))
}

// dispatchedIssue reports an issue in the grid manager's grid and takes it to
// dispatched, as the command centre would.
func dispatchedIssue(e *apitest.Env) int64 {
	e.T.Helper()
	var lon, lat float64
	e.Scan(`SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM areas WHERE code = $1) x`,
		[]any{e.GridIn}, &lon, &lat)
	var created struct {
		ID int64 `json:"id"`
	}
	e.Must(http.StatusCreated, "POST", "/api/v1/issues", "admin", map[string]any{
		"category": "manhole_cover", "source": "hotline_12345", "description": "浏览器测试：井盖缺失",
		"address": "浏览器测试地址", "location": map[string]any{"type": "Point", "coordinates": []float64{lon, lat}},
	}).Decode(e.T, &created)
	path := fmt.Sprintf("/api/v1/issues/%d/actions", created.ID)
	e.Must(http.StatusOK, "POST", path, "dispatcher", map[string]any{"action": "register"})
	e.Must(http.StatusOK, "POST", path, "dispatcher", map[string]any{"action": "dispatch", "unit": "swgs"})
	return created.ID
}

// unitTasks hands the test unit a task at a point (with a checklist) and
// another unit a task, overdue, that the wall must count and the test unit
// must not see.
func unitTasks(e *apitest.Env) (mine, other int64) {
	e.T.Helper()
	var point string
	e.Scan(`SELECT min(code) FROM points`, nil, &point)
	due := time.Now().Add(96 * time.Hour).Format(time.RFC3339)
	var t struct {
		ID int64 `json:"id"`
	}
	e.Must(http.StatusCreated, "POST", "/api/v1/tasks", "reviewer", map[string]any{
		"title": "浏览器测试：门前三包整改", "unit": e.Unit, "owner": "测试责任人", "points": []string{point}, "due_at": due,
	}).Decode(e.T, &t)
	mine = t.ID
	e.Must(http.StatusCreated, "POST", "/api/v1/tasks", "reviewer", map[string]any{
		"title": "浏览器测试：他单位逾期任务", "unit": "zjj", "owner": "他人", "points": []string{point}, "due_at": due,
	}).Decode(e.T, &t)
	// overdue longer than any of the demo city's, so that it leads the wall's list
	e.Exec(`UPDATE tasks SET due_at = now() - interval '400 days' WHERE id = $1`, t.ID)
	return mine, t.ID
}
