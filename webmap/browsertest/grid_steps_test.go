package browsertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"citymap/server/apitest"
)

// stepsReason is a reason of markup the drawer's timeline must show as text.
const stepsReason = `等待燃气公司<img src=x onerror="window.__xss='reason'">`

// TestGridStepsBrowser drives the clock's steps on /grid
// (webmap/test/grid-steps.mjs) on a road-damage case (3 workdays) the test
// registers and dispatches now in the grid manager's grid: the grid manager
// asks for an extension (refused in Chinese without a reason, then with a
// reason of markup), a dispatcher sees the request and grants it, the deadline
// shown moves as the API says, and the dispatcher suspends the case (badge,
// not overdue) and resumes it.
func TestGridStepsBrowser(t *testing.T) {
	node, chromium := needBrowser(t)
	e := apitest.New(t)
	lon, lat := e.PointIn(e.GridIn)
	var created struct{ ID int64 }
	e.Must(http.StatusCreated, "POST", "/api/v1/issues", "admin", map[string]any{
		"category": "road_damage", "source": "hotline_12345", "description": "浏览器测试：路面破损",
		"address": "浏览器测试：延期挂起", "location": map[string]any{"type": "Point", "coordinates": []float64{lon, lat}},
	}).Decode(t, &created)
	path := fmt.Sprintf("/api/v1/issues/%d/actions", created.ID)
	e.Must(http.StatusOK, "POST", path, "dispatcher", map[string]any{"action": "register"})
	e.Must(http.StatusOK, "POST", path, "dispatcher", map[string]any{"action": "dispatch", "unit": "swgs"})
	// overdue for years: first in the lists (sorted by deadline) whatever the
	// database holds, and overdue until suspended, on any day
	e.Exec(`UPDATE issues SET deadline = now() - interval '3650 days' WHERE id = $1`, created.ID)

	tokens, _ := json.Marshal(map[string]string{"grid_manager": e.Tokens["grid_manager"], "dispatcher": e.Tokens["dispatcher"]})
	var res result
	out, _ := runScript(t, node, chromium, "test/grid-steps.mjs", 3*time.Minute, &res,
		"CITYMAP_E2E_URL="+e.URL,
		"CITYMAP_E2E_TOKENS="+string(tokens),
		"CITYMAP_E2E_ISSUE="+strconv.FormatInt(created.ID, 10),
		"CITYMAP_E2E_REASON="+stepsReason,
	)
	if len(res.Checks) == 0 {
		t.Fatalf("grid-steps.mjs checked nothing\n%s", out)
	}
	// the steps the page took, as the server recorded them
	var actions string
	e.Scan(`SELECT string_agg(action, ' ' ORDER BY id) FROM issue_events WHERE issue_id = $1 AND action IN
		('extend_request', 'extend_grant', 'suspend', 'resume')`, []any{created.ID}, &actions)
	if actions != "extend_request extend_grant suspend resume" {
		t.Errorf("the events recorded are %q", actions)
	}
	t.Logf("checks: %v", res.Checks)
}
