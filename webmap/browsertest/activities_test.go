package browsertest

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"citymap/server/apitest"
	"citymap/server/store"
)

// activityTitle is the title of markup the planner must show as text.
const activityTitle = `读书会<img src=x onerror="window.__xss='activity'">`

// TestActivitiesBrowser opens /planner (webmap/test/activities.mjs) on an
// activity the test makes now in a community of the database, with sign-ups
// and an attendance: the panel's point layer holds the month's activities,
// the street's row counts them as the report does, and the title of markup
// shows as text.
func TestActivitiesBrowser(t *testing.T) {
	node, chromium := needBrowser(t)
	e := apitest.New(t)
	// started an hour ago, on for two more: in the planner's period, open to sign-ups
	starts := time.Now().Add(-time.Hour).Truncate(time.Minute)
	month := store.ActivityMonth(starts)
	var a struct{ ID int64 }
	e.Must(http.StatusCreated, "POST", "/api/v1/activities", "admin", map[string]any{"community": e.Community,
		"title": activityTitle, "place": "社区文明实践站", "capacity": 30, "starts_at": starts.Format(time.RFC3339),
		"ends_at": starts.Add(3 * time.Hour).Format(time.RFC3339)}).Decode(t, &a)
	var first struct{ ID int64 }
	for i := range 3 {
		r := e.Must(http.StatusCreated, "POST", fmt.Sprintf("/api/v1/activities/%d/signups", a.ID), "",
			map[string]any{"name": fmt.Sprintf("居民%d", i), "phone": fmt.Sprintf("1391234000%d", i)})
		if i == 0 {
			r.Decode(t, &first)
		}
	}
	e.Must(http.StatusOK, "POST", fmt.Sprintf("/api/v1/activities/%d/attendance", a.ID), "admin",
		map[string]any{"attended": []int64{first.ID}})
	e.Must(http.StatusOK, "PATCH", fmt.Sprintf("/api/v1/activities/%d", a.ID), "admin", map[string]any{"status": "done"})
	street := e.Community[:9]
	// what the street's row must show, as the report counts it
	var count, attended int64
	e.Scan(`SELECT count(*) FILTER (WHERE status <> 'cancelled'), coalesce(sum(attended) FILTER (WHERE status = 'done'), 0)
		FROM activities WHERE left(community_code, 9) = $1 AND month = $2`, []any{street, month}, &count, &attended)

	var res result
	out, _ := runScript(t, node, chromium, "test/activities.mjs", 3*time.Minute, &res,
		"CITYMAP_E2E_URL="+e.URL,
		"CITYMAP_E2E_TOKEN="+e.Tokens["planner"],
		"CITYMAP_E2E_MONTH="+month,
		"CITYMAP_E2E_STREET="+street,
		"CITYMAP_E2E_COUNT="+strconv.FormatInt(count, 10),
		"CITYMAP_E2E_ATTENDED="+strconv.FormatInt(attended, 10),
		"CITYMAP_E2E_TITLE="+activityTitle,
	)
	if len(res.Checks) == 0 {
		t.Fatalf("activities.mjs checked nothing\n%s", out)
	}
	t.Logf("checks: %v", res.Checks)
}
