package campaign_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"citymap/server/access"
	"citymap/server/period"
)

// figures reads a campaign report into figure → [current, previous].
func figures(t *testing.T, e *env, id int64) map[string][2]any {
	t.Helper()
	var rep struct {
		Rows []struct {
			Figure            string
			Current, Previous any
		}
	}
	e.Get(fmt.Sprintf("/api/v1/campaigns/%d/report", id), access.Planner).Decode(t, &rep)
	out := map[string][2]any{}
	for _, r := range rep.Rows {
		out[r.Figure] = [2]any{r.Current, r.Previous}
	}
	return out
}

// A campaign's report counts what happens in its areas, categories and period:
// an inspection with two findings and the campaign's tasks move its figures
// by exactly that.
func TestCampaignReport(t *testing.T) {
	e := newEnv(t)
	var category, street string
	e.Scan(`SELECT category, left(grid_code, 9) FROM points WHERE code = $1`, []any{e.Point}, &category, &street)
	today := time.Now().In(period.Zone)
	c := e.Must(http.StatusCreated, "POST", "/api/v1/campaigns", access.Reviewer, map[string]any{
		"code": "TEST-1", "name": "测试专项行动", "starts_on": today.AddDate(0, 0, -10).Format(time.DateOnly),
		"ends_on": today.AddDate(0, 0, 10).Format(time.DateOnly), "areas": []string{street},
		"point_categories": []string{category}, "lead_unit": "cgj"}).JSON(t)
	id := int64(c["id"].(float64))
	before := figures(t, e, id)
	e.Must(http.StatusCreated, "POST", "/api/v1/inspections", access.Admin, map[string]any{"point": e.Point,
		"deductions": []map[string]any{{"indicator_code": "T1", "points": 2, "category": "exposed_garbage"},
			{"indicator_code": "T2", "points": 1, "category": "illegal_posting"}}})
	done, _ := e.newTask(access.Reviewer, map[string]any{"campaign": id})
	late, _ := e.newTask(access.Reviewer, map[string]any{"campaign": id})
	e.newTask(access.Reviewer, nil) // not the campaign's
	e.act(http.StatusOK, done.ID, access.Unit, map[string]any{"action": "submit"})
	e.act(http.StatusOK, done.ID, access.Reviewer, map[string]any{"action": "accept"})
	e.Exec(`UPDATE tasks SET due_at = now() - interval '1 hour' WHERE id = $1`, late.ID)
	after := figures(t, e, id)
	want := map[string]float64{"issues_found": 2, "inspections": 1, "tasks": 2, "tasks_done": 1, "tasks_overdue": 1}
	for fig, d := range want {
		if got := after[fig][0].(float64) - before[fig][0].(float64); got != d {
			t.Errorf("%s moved by %v, want %v (before %v, after %v)", fig, got, d, before[fig], after[fig])
		}
	}
	if after["average_score"][0] == nil || after["issues_found"][1] == nil {
		t.Errorf("report: %v", after)
	}
	csv := e.Get(fmt.Sprintf("/api/v1/campaigns/%d/report?format=csv", id), access.Planner)
	if !strings.HasPrefix(strings.TrimPrefix(string(csv.Body), "\ufeff"), "figure,current,previous,delta") {
		t.Errorf("CSV: %s", csv.Body)
	}
	var list struct{ Campaigns []struct{ Code string } }
	e.Get("/api/v1/campaigns", access.Unit).Decode(t, &list)
	if len(list.Campaigns) < 2 || list.Campaigns[0].Code == "" {
		t.Errorf("campaigns: %v", list)
	}
	e.Get(fmt.Sprintf("/api/v1/campaigns/%d", id), access.Viewer)
	e.Must(http.StatusNotFound, "GET", "/api/v1/campaigns/999999/report", access.Viewer, nil)
	e.Must(http.StatusBadRequest, "GET", fmt.Sprintf("/api/v1/campaigns/%d/report?form=csv", id), access.Viewer, nil)
}

func TestCampaignBadInput(t *testing.T) {
	e := newEnv(t)
	ok := func() map[string]any {
		return map[string]any{"code": "C-1", "name": "测试", "starts_on": "2026-01-01", "ends_on": "2026-03-31"}
	}
	with := func(k string, v any) map[string]any { b := ok(); b[k] = v; return b }
	cases := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"no code", with("code", ""), "code"},
		{"no name", with("name", ""), "name"},
		{"bad date", with("starts_on", "01/01/2026"), "starts_on"},
		{"ends first", with("ends_on", "2025-12-31"), "ends_on"},
		{"unknown area", with("areas", []string{"123"}), "areas[0]"},
		{"unknown category", with("point_categories", []string{"zoo"}), "point_categories[0]"},
		{"unknown unit", with("lead_unit", "nope"), "lead_unit"},
	}
	before := e.Int(`SELECT count(*) FROM campaigns`)
	for _, c := range cases {
		r := e.Call("POST", "/api/v1/campaigns", access.Reviewer, c.body)
		if _, fields := r.ErrorOf(t); r.Status != http.StatusBadRequest || fields[c.field] == nil {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
		}
	}
	e.Must(http.StatusCreated, "POST", "/api/v1/campaigns", access.Reviewer, ok())
	if _, f := e.Call("POST", "/api/v1/campaigns", access.Reviewer, ok()).ErrorOf(t); f["code"] == nil {
		t.Error("a second campaign with the same code")
	}
	e.Must(http.StatusForbidden, "POST", "/api/v1/campaigns", access.Unit, ok())
	if n := e.Int(`SELECT count(*) FROM campaigns`); n != before+1 {
		t.Errorf("%d campaigns written, want 1", n-before)
	}
}

// Leaders linked to streets and communities show on the area report's rows.
func TestLeaders(t *testing.T) {
	e := newEnv(t)
	street := e.Community[:9]
	e.Must(http.StatusCreated, "POST", "/api/v1/leaders", access.Reviewer,
		map[string]any{"name": "测试领导", "post": "副市长", "areas": []string{street}})
	var list struct{ Leaders []struct{ Name, Post string } }
	e.Get("/api/v1/leaders?area="+e.Community, access.Viewer).Decode(t, &list)
	found := false
	for _, l := range list.Leaders {
		found = found || (l.Name == "测试领导" && l.Post == "副市长")
	}
	if !found {
		t.Errorf("leader not listed for a community of the street: %v", list)
	}
	var rep struct{ Rows []map[string]any }
	e.Get("/api/v1/reports/areas?level=community&area="+street, access.Planner).Decode(t, &rep)
	for _, r := range rep.Rows {
		if l, _ := r["leader"].(string); !strings.Contains(l, "测试领导（副市长）") {
			t.Errorf("row %s: leader %q", r["code"], l)
		}
	}
	if len(rep.Rows) == 0 {
		t.Fatal("no community rows")
	}
	// the red/black list of streets names them too
	var rb struct{ Rows []map[string]any }
	// over the month the demo city leads up to, whenever the template was seeded
	var end time.Time
	e.Scan(`SELECT max(created_at) FROM issues`, nil, &end)
	end = end.In(time.FixedZone("CST", 8*3600))
	e.Get(fmt.Sprintf("/api/v1/reports/redblack?entity=areas&level=street&metric=closure_rate&n=100&from=%s&to=%s",
		end.AddDate(0, 0, -30).Format(time.DateOnly), end.Format(time.DateOnly)), access.Planner).Decode(t, &rb)
	seen := false
	for _, r := range rb.Rows {
		if r["code"] == street {
			seen = true
			if l, _ := r["leader"].(string); !strings.Contains(l, "测试领导（副市长）") {
				t.Errorf("red/black row of %s: leader %q", street, l)
			}
		}
	}
	if !seen {
		t.Errorf("street %s not ranked: %v", street, rb.Rows)
	}
	for _, bad := range []map[string]any{{"name": "", "areas": []string{street}}, {"name": "x"},
		{"name": "x", "areas": []string{e.GridIn}}} {
		if r := e.Call("POST", "/api/v1/leaders", access.Reviewer, bad); r.Status != http.StatusBadRequest {
			t.Errorf("leader %v: %d", bad, r.Status)
		}
	}
}

func TestIndicatorTree(t *testing.T) {
	e := newEnv(t)
	type node struct {
		Code            string
		Kind            string
		PointCategories []string `json:"point_categories"`
		Children        []json.RawMessage
	}
	var all struct{ Indicators []node }
	e.Get("/api/v1/indicators", access.Unit).Decode(t, &all)
	kinds := map[string]bool{}
	for _, n := range all.Indicators {
		kinds[n.Kind] = true
	}
	if !kinds["field"] || !kinds["declaration"] || !kinds["questionnaire"] {
		t.Errorf("roots: %+v", all.Indicators)
	}
	// filtered: the matching leaves with their ancestors only
	var decl struct{ Indicators []node }
	e.Get("/api/v1/indicators?kind=declaration", access.Viewer).Decode(t, &decl)
	for _, n := range decl.Indicators {
		if n.Kind != "declaration" || len(n.Children) == 0 {
			t.Errorf("declaration root %+v", n)
		}
	}
	e.Must(http.StatusBadRequest, "GET", "/api/v1/indicators?kind=survey", access.Viewer, nil)
	e.Must(http.StatusBadRequest, "GET", "/api/v1/indicators?knd=field", access.Viewer, nil)
	e.Must(http.StatusForbidden, "GET", "/api/v1/indicators", access.Reporter, nil)
}

// Tasks are a live layer: unit staff follow their own unit's tasks only.
func TestLiveTasks(t *testing.T) {
	e := newEnv(t)
	url := "ws" + strings.TrimPrefix(e.URL, "http") + "/live"
	dial := func(role string) *websocket.Conn {
		conn, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {"Bearer " + e.Tokens[role]}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		if err := conn.WriteJSON(map[string]any{"type": "subscribe"}); err != nil {
			t.Fatal(err)
		}
		// the stream answers a subscription once it holds
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			var f struct{ Type string }
			if err := conn.ReadJSON(&f); err != nil {
				t.Fatal(err)
			}
			if f.Type == "subscribed" {
				return conn
			}
		}
	}
	mine, other, wall := dial(access.Unit), dial("other_unit"), dial(access.Viewer)
	first, _ := e.newTask(access.Reviewer, nil)
	second, _ := e.newTask(access.Reviewer, map[string]any{"unit": otherUnit})
	next := func(conn *websocket.Conn) (layer, id, unit string) {
		t.Helper()
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			var f struct {
				Type, Layer, ID string
				Feature         struct{ Properties struct{ Unit string } }
			}
			if err := conn.ReadJSON(&f); err != nil {
				t.Fatal(err)
			}
			if f.Type == "change" {
				return f.Layer, f.ID, f.Feature.Properties.Unit
			}
		}
	}
	if l, id, u := next(mine); l != "tasks" || id != fmt.Sprint(first.ID) || u != e.Unit {
		t.Errorf("the unit's first change: %s %s %s", l, id, u)
	}
	if l, id, u := next(other); l != "tasks" || id != fmt.Sprint(second.ID) || u != otherUnit {
		t.Errorf("the other unit's first change: %s %s %s, want its own task %d only", l, id, u, second.ID)
	}
	if l, id, _ := next(wall); l != "tasks" || id != fmt.Sprint(first.ID) {
		t.Errorf("the wall's first change: %s %s", l, id)
	}
}
