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
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
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
	for _, f := range []string{"../node_modules/playwright-core/package.json", "../dist/wall.html", "../dist/grid.html", "../dist/planner.html", "../dist/tasks.html",
		"../dist/review.html", "../dist/assets/survey.js"} {
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
	node, chromium := needBrowser(t)
	e := apitest.New(t)
	recentIssues(e)
	issue := dispatchedIssue(e)
	var lon, lat float64
	e.Scan(`SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM areas WHERE code = $1) x`,
		[]any{e.GridOut}, &lon, &lat)

	hostileJSON, _ := json.Marshal(hostile(e, issue))
	task, otherTask := unitTasks(e)
	tokens, _ := json.Marshal(map[string]string{
		"viewer": e.Tokens["viewer"], "grid_manager": e.Tokens["grid_manager"],
		"planner": e.Tokens["planner"], "admin": e.Tokens["admin"],
		"unit": e.Tokens["unit"], "reviewer": e.Tokens["reviewer"],
	})
	var res result
	_, took := runScript(t, node, chromium, "test/e2e.mjs", 4*time.Minute, &res,
		"CITYMAP_E2E_URL="+e.URL,
		"CITYMAP_E2E_TOKENS="+string(tokens),
		"CITYMAP_E2E_ISSUE="+strconv.FormatInt(issue, 10),
		"CITYMAP_E2E_HOSTILE="+string(hostileJSON),
		"CITYMAP_E2E_TASK="+strconv.FormatInt(task, 10),
		"CITYMAP_E2E_OTHER_TASK="+strconv.FormatInt(otherTask, 10),
		fmt.Sprintf("CITYMAP_E2E_POINT=%.7f,%.7f", lon, lat),
	)
	for name, p := range res.Pages {
		t.Logf("%-8s loaded in %d ms", name, p.LoadMS)
	}
	t.Logf("checks: %v", res.Checks)
	t.Logf("screenshots in %s; browser run %v", screenshots(t), took)
}

// recentIssues moves the demo city's issues in time, every time of theirs
// alike, so that the newest was reported a day ago: the pages' default
// periods, which end at the real clock (the planner's last 30 days), then hold
// cases to rank, and "today" (the wall's) holds only the test's own, whatever
// instant the template was seeded at — one seeded ahead of the real clock too.
func recentIssues(e *apitest.Env) {
	e.T.Helper()
	e.Exec(`WITH s AS (SELECT now() - interval '1 day' - max(created_at) AS by FROM issues)
		UPDATE issues i SET created_at = created_at + s.by, deadline = deadline + s.by,
			dispatched_at = dispatched_at + s.by, resolved_at = resolved_at + s.by,
			closed_at = closed_at + s.by, updated_at = updated_at + s.by
		FROM s`)
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

// markup is a name that runs script wherever a page puts it into HTML
// unescaped: it closes an attribute, then adds an image whose error handler
// (and an SVG whose load handler) marks window.__xss with where it ran.
func markup(where string) string {
	return fmt.Sprintf(`"'><img src=x onerror="window.__xss='%[1]s'"><svg onload="window.__xss='%[1]s'"></svg>%[1]s`, where)
}

// hostile gives markup for names to everything the pages show from the
// server — a parking zone (with readings in the planner's period, near the
// grid manager's grids), the grid manager's street, community and grid, a
// category, a unit, an inspection point, its unit and inspector, an issue's
// description, address and note, and the tokens' names — as a dispatcher (OGC
// PATCH) or `citymap import` could. The data is made now, so the planner's
// default period (the last 30 days) holds it on any day.
func hostile(e *apitest.Env, dispatched int64) map[string]any {
	e.T.Helper()
	names := map[string]string{}
	for _, k := range []string{"zone", "street", "community", "grid", "category", "unit", "point", "pointUnit",
		"description", "address", "note", "gridManager", "planner"} {
		names[k] = markup(k)
	}
	var lon, lat float64
	e.Scan(`SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Extent(geom)::geometry) AS c
		FROM areas WHERE level = 'grid' AND starts_with(code, $1)) x`, []any{e.Community}, &lon, &lat)
	e.Exec(`INSERT INTO parking_zones (code, name, kind, capacity, occupied, occupancy_at, grid_code, geom)
		VALUES ('E2E-XSS', $1, 'smart', 10, 2, now(), $2, ST_SetSRID(ST_MakePoint($3, $4), 4326))`,
		names["zone"], e.GridIn, lon, lat)
	// full at every hour of the last day: the busiest zone of the heatmap
	e.Exec(`INSERT INTO parking_readings (zone_id, at, occupied)
		SELECT z.id, date_trunc('hour', now()) - h * interval '1 hour', z.capacity
		FROM parking_zones z, generate_series(1, 24) h WHERE z.code = 'E2E-XSS'`)
	e.Exec(`UPDATE areas SET name = $1 WHERE code = left($2, 9)`, names["street"], e.GridIn)
	e.Exec(`UPDATE areas SET name = $1 WHERE code = $2`, names["community"], e.Community)
	e.Exec(`UPDATE areas SET name = $1 WHERE code = $2`, names["grid"], e.GridIn)
	e.Exec(`UPDATE issue_categories SET name_zh = $1, name_en = $1 WHERE code = 'manhole_cover'`, names["category"])
	e.Exec(`UPDATE units SET name = $1 WHERE code = 'swgs'`, names["unit"])
	plon, plat := e.PointIn(e.GridIn)
	e.Exec(`INSERT INTO points (code, name, category, grid_code, unit, geom)
		VALUES ('E2E-XSS-P', $1, 'back_alley', $2, $3, ST_SetSRID(ST_MakePoint($4, $5), 4326))`,
		names["point"], e.GridIn, names["pointUnit"], plon, plat)
	// the lowest score of the period: first on the black lists of points and units
	e.Exec(`INSERT INTO inspections (point_id, inspected_at, inspector, score)
		SELECT id, now() - interval '1 hour', $1, 0 FROM points WHERE code = 'E2E-XSS-P'`, markup("inspector"))

	var created struct {
		ID int64 `json:"id"`
	}
	e.Must(http.StatusCreated, "POST", "/api/v1/issues", "admin", map[string]any{
		"category": "exposed_garbage", "source": "hotline_12345", "description": names["description"],
		"address": names["address"], "location": map[string]any{"type": "Point", "coordinates": []float64{plon, plat}},
	}).Decode(e.T, &created)
	e.Must(http.StatusOK, "POST", fmt.Sprintf("/api/v1/issues/%d/actions", created.ID), "dispatcher",
		map[string]any{"action": "register", "note": names["note"]})
	// overdue for years: first on the wall's overdue list and the grid manager's list
	e.Exec(`UPDATE issues SET deadline = now() - interval '3650 days' WHERE id = $1`, created.ID)
	return map[string]any{
		"names":        names,
		"issue":        created.ID,
		"dispatched":   dispatched,
		"grid_manager": e.Token(names["gridManager"], "grid_manager", []string{e.Community}),
		"planner":      e.Token(names["planner"], "planner", nil),
	}
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
	e.Exec(`UPDATE tasks SET due_at = now() - interval '4000 days' WHERE id = $1`, t.ID)
	return mine, t.ID
}
