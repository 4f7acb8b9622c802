package campaign_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"citymap/server"
	"citymap/server/access"
	"citymap/server/apitest"
	"citymap/server/store"
)

// A task from hand-out to acceptance: each step an event and a changes-feed
// row, the unit working it, the 创建办 returning and accepting it.
func TestTaskFlow(t *testing.T) {
	e := newEnv(t)
	before := e.count()
	tk, r := e.newTask(access.Reviewer, nil)
	r.Want(t, http.StatusCreated)
	p := tk.Properties
	if p.Status != "open" || p.Unit != e.Unit || p.Indicator == nil || *p.Indicator != "T1" || len(p.Points) != 1 ||
		tk.Geometry == nil || p.Grid == nil || p.Version != 1 || r.Header.Get("ETag") != `"1"` {
		t.Fatalf("created task %+v (ETag %s)", tk, r.Header.Get("ETag"))
	}
	if loc := r.Header.Get("Location"); loc != fmt.Sprintf("/api/v1/tasks/%d", tk.ID) {
		t.Errorf("Location %q", loc)
	}
	// the unit's staff see it in their list and work it
	var list struct {
		Total    int    `json:"total"`
		Features []task `json:"features"`
	}
	e.Get("/api/v1/tasks", access.Unit).Decode(t, &list)
	found := false
	for _, f := range list.Features {
		found = found || f.ID == tk.ID
		if f.Properties.Unit != e.Unit {
			t.Fatalf("the unit's list holds another unit's task %+v", f)
		}
	}
	if !found {
		t.Fatalf("task %d not in the unit's list of %d", tk.ID, list.Total)
	}
	e.act(http.StatusOK, tk.ID, access.Unit, map[string]any{"action": "start", "note": "已安排人员"})
	doc := e.upload(access.Unit, "file", "整改台账.pdf", pdf).Want(t, http.StatusCreated).JSON(t)["id"].(string)
	got := e.act(http.StatusOK, tk.ID, access.Unit, map[string]any{"action": "progress", "note": "清理完毕", "documents": []string{doc}})
	if len(got.Properties.Documents) != 1 || got.Properties.Status != "in_progress" {
		t.Errorf("after progress: %+v", got.Properties)
	}
	e.act(http.StatusOK, tk.ID, access.Unit, map[string]any{"action": "submit", "note": "整改完成"})
	e.act(http.StatusOK, tk.ID, access.Reviewer, map[string]any{"action": "return", "note": "复查仍有垃圾"})
	e.act(http.StatusOK, tk.ID, access.Unit, map[string]any{"action": "submit", "note": "再次整改"}, "If-Match", `"5"`)
	done := e.act(http.StatusOK, tk.ID, access.Reviewer, map[string]any{"action": "accept"})
	if done.Properties.Status != "done" || done.Properties.Version != 7 {
		t.Errorf("accepted task %+v", done.Properties)
	}
	// a done task takes no more steps: 409 with what is allowed
	r = e.Must(http.StatusConflict, "POST", fmt.Sprintf("/api/v1/tasks/%d/actions", tk.ID), access.Unit,
		map[string]any{"action": "submit"})
	if body := r.JSON(t)["error"].(map[string]any); body["status"] != "done" || body["allowed"] == nil {
		t.Errorf("409 body %v", body)
	}
	// a stale If-Match is 412
	e.Must(http.StatusPreconditionFailed, "POST", fmt.Sprintf("/api/v1/tasks/%d/actions", tk.ID), access.Reviewer,
		map[string]any{"action": "progress", "note": "x"}, "If-Match", `"3"`)
	var full task
	e.Get(fmt.Sprintf("/api/v1/tasks/%d", tk.ID), access.Reviewer).Decode(t, &full)
	actions := ""
	for _, ev := range full.Events {
		actions += ev.Action + " "
	}
	if actions != "create start progress submit return submit accept " || full.Events[2].Documents[0] != doc ||
		full.Events[1].Actor != "unit:test-unit" {
		t.Errorf("events %s %+v", actions, full.Events)
	}
	after := e.count()
	if after.tasks != before.tasks+1 || after.events != before.events+7 || after.changes != before.changes+7 {
		t.Errorf("rows %+v → %+v: want 1 task, 7 events, 7 changes", before, after)
	}
	if n := e.Int(`SELECT count(*) FROM changes WHERE layer = 'tasks' AND object_id = $1`, fmt.Sprint(tk.ID)); n != 7 {
		t.Errorf("%d feed rows of the task, want 7", n)
	}
}

// Unit staff see and act on their own unit's tasks only, and the roles that
// may not hand tasks out cannot.
func TestTaskScope(t *testing.T) {
	e := newEnv(t)
	mine, _ := e.newTask(access.Admin, nil)
	path := fmt.Sprintf("/api/v1/tasks/%d", mine.ID)
	before := e.count()
	for _, call := range []struct{ method, path string }{{"GET", path}, {"POST", path + "/actions"},
		{"GET", "/api/v1/tasks?unit=" + e.Unit}} {
		r := e.Must(http.StatusForbidden, call.method, call.path, "other_unit", map[string]any{"action": "start"})
		if code, fields := r.ErrorOf(t); code != "out_of_scope" || fields["unit"] == nil {
			t.Errorf("%s %s as another unit: %s", call.method, call.path, r.Body)
		}
	}
	if after := e.count(); after != before {
		t.Errorf("another unit's refused step wrote rows: %+v → %+v", before, after)
	}
	var list struct{ Features []task }
	e.Get("/api/v1/tasks?limit=2000", "other_unit").Decode(t, &list)
	for _, f := range list.Features {
		if f.Properties.Unit != otherUnit {
			t.Fatalf("another unit sees %+v", f.Properties)
		}
	}
	// handing out and judging are the 创建办's
	for _, role := range []string{access.Unit, access.Dispatcher, access.Viewer, access.Planner} {
		if _, r := e.newTask(role, nil); r.Status != http.StatusForbidden {
			t.Errorf("%s created a task: %d", role, r.Status)
		}
	}
	e.act(http.StatusOK, mine.ID, access.Unit, map[string]any{"action": "submit", "note": "完成"})
	e.Must(http.StatusForbidden, "POST", path+"/actions", access.Unit, map[string]any{"action": "accept"})
	e.Must(http.StatusForbidden, "POST", path+"/actions", access.Reviewer, map[string]any{"action": "submit"})
	e.Must(http.StatusForbidden, "GET", "/api/v1/tasks", access.Reporter, nil)
	e.Get(path, access.Viewer)
	// a grid manager reads the tasks of its areas only
	e.Must(http.StatusForbidden, "GET", path, access.GridManager, nil)
	inside, _ := e.newTask(access.Reviewer, map[string]any{"points": []string{e.PointIn}})
	e.Get(fmt.Sprintf("/api/v1/tasks/%d", inside.ID), access.GridManager)
}

// Bad input is a 400 that names the field, and writes nothing.
func TestTaskBadInput(t *testing.T) {
	e := newEnv(t)
	tk, _ := e.newTask(access.Reviewer, nil)
	before := e.count()
	past := time.Now().Add(-time.Hour).Format(time.RFC3339)
	creates := []struct {
		name   string
		fields map[string]any
		field  string
	}{
		{"no unit", map[string]any{"unit": nil}, "unit"},
		{"unknown unit", map[string]any{"unit": "no_such_unit"}, "unit"},
		{"no title", map[string]any{"title": " "}, "title"},
		{"unknown indicator", map[string]any{"indicator": "NO.SUCH"}, "indicator"},
		{"unknown campaign", map[string]any{"campaign": 999999}, "campaign"},
		{"unknown point", map[string]any{"points": []string{e.Point, "NO-SUCH-POINT"}}, "points[1]"},
		{"unknown area", map[string]any{"points": nil, "areas": []string{"999999999"}}, "areas[0]"},
		{"no due date", map[string]any{"due_at": nil}, "due_at"},
		{"due in the past", map[string]any{"due_at": past}, "due_at"},
		{"bad due date", map[string]any{"due_at": "next week"}, "due_at"},
		{"unknown field", map[string]any{"deadline": past}, "deadline"},
	}
	for _, c := range creates {
		_, r := e.newTask(access.Reviewer, c.fields)
		if _, fields := r.ErrorOf(t); r.Status != http.StatusBadRequest || fields[c.field] == nil {
			t.Errorf("%s: %d %s, want 400 naming %s", c.name, r.Status, r.Body, c.field)
		}
	}
	path := fmt.Sprintf("/api/v1/tasks/%d/actions", tk.ID)
	steps := []struct {
		name  string
		role  string
		body  map[string]any
		field string
	}{
		{"no action", access.Unit, map[string]any{}, "action"},
		{"unknown action", access.Unit, map[string]any{"action": "finish"}, "action"},
		{"unknown document", access.Unit, map[string]any{"action": "progress", "documents": []string{fmt.Sprintf("%064d", 0)}}, "documents[0]"},
		{"bad document id", access.Unit, map[string]any{"action": "progress", "documents": []string{"x"}}, "documents[0]"},
		{"empty progress", access.Unit, map[string]any{"action": "progress"}, "note"},
		{"unit with start", access.Reviewer, map[string]any{"action": "assign"}, "unit"},
		{"assign to unknown unit", access.Reviewer, map[string]any{"action": "assign", "unit": "nope"}, "unit"},
		{"assign due in the past", access.Reviewer, map[string]any{"action": "assign", "due_at": past}, "due_at"},
	}
	for _, s := range steps {
		r := e.Call("POST", path, s.role, s.body)
		if _, fields := r.ErrorOf(t); r.Status != http.StatusBadRequest || fields[s.field] == nil {
			t.Errorf("%s: %d %s, want 400 naming %s", s.name, r.Status, r.Body, s.field)
		}
	}
	e.act(http.StatusOK, tk.ID, access.Unit, map[string]any{"action": "submit"})
	if r := e.Call("POST", path, access.Reviewer, map[string]any{"action": "return"}); r.Status != http.StatusBadRequest {
		t.Errorf("return without a reason: %d", r.Status)
	}
	e.Must(http.StatusNotFound, "GET", "/api/v1/tasks/999999999", access.Reviewer, nil)
	e.Must(http.StatusBadRequest, "GET", "/api/v1/tasks/abc", access.Reviewer, nil)
	e.Must(http.StatusBadRequest, "GET", "/api/v1/tasks?status=finished", access.Reviewer, nil)
	e.Must(http.StatusBadRequest, "GET", "/api/v1/tasks?overdue=maybe", access.Reviewer, nil)
	e.Must(http.StatusBadRequest, "GET", "/api/v1/tasks?unti=cgj", access.Reviewer, nil)
	after := e.count()
	if after.tasks != before.tasks || after.events != before.events+1 || after.changes != before.changes+1 {
		t.Errorf("rows %+v → %+v: only the one submit may write", before, after)
	}
}

// Reassigning moves a task to another unit: its staff then have it.
func TestTaskAssign(t *testing.T) {
	e := newEnv(t)
	tk, _ := e.newTask(access.Reviewer, nil)
	due := time.Now().Add(240 * time.Hour).Truncate(time.Second)
	got := e.act(http.StatusOK, tk.ID, access.Reviewer, map[string]any{"action": "assign", "unit": otherUnit,
		"owner": "王五", "due_at": due.Format(time.RFC3339)})
	if got.Properties.Unit != otherUnit || got.Properties.Owner != "王五" || !got.Properties.DueAt.Equal(due) {
		t.Errorf("reassigned: %+v", got.Properties)
	}
	e.Get(fmt.Sprintf("/api/v1/tasks/%d", tk.ID), "other_unit")
	e.Must(http.StatusForbidden, "GET", fmt.Sprintf("/api/v1/tasks/%d", tk.ID), access.Unit, nil)
}

// Overdue tasks: listed with overdue=true and counted, as the wall shows them.
func TestOverdueTasks(t *testing.T) {
	e := newEnv(t)
	late, _ := e.newTask(access.Reviewer, nil)
	onTime, _ := e.newTask(access.Reviewer, nil)
	e.Exec(`UPDATE tasks SET due_at = now() - interval '2 days' WHERE id = $1`, late.ID)
	var list struct {
		Total, Overdue int
		Features       []task
	}
	e.Get("/api/v1/tasks?overdue=true&limit=2000", access.Viewer).Decode(t, &list)
	ids := map[int64]bool{}
	for _, f := range list.Features {
		ids[f.ID] = true
		if !f.Properties.Overdue || f.Properties.Status == "done" {
			t.Errorf("listed as overdue: %+v", f.Properties)
		}
	}
	if !ids[late.ID] || ids[onTime.ID] || list.Total != list.Overdue || list.Total == 0 {
		t.Errorf("overdue list: total %d overdue %d, late %v on time %v", list.Total, list.Overdue, ids[late.ID], ids[onTime.ID])
	}
	// accepted, it is no longer overdue
	e.act(http.StatusOK, late.ID, access.Unit, map[string]any{"action": "submit"})
	e.act(http.StatusOK, late.ID, access.Reviewer, map[string]any{"action": "accept"})
	e.Get("/api/v1/tasks?overdue=true&limit=2000", access.Viewer).Decode(t, &list)
	for _, f := range list.Features {
		if f.ID == late.ID {
			t.Error("a done task is still overdue")
		}
	}
}

// A finding that its unit fails to fix by the case deadline becomes a task
// when its indicator has a task rule (T1: 2 days), once.
func TestSpawnOverdueTasks(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := time.Date(2031, 3, 14, 9, 30, 0, 0, time.UTC) // a fixed clock, after the seed's data
	ins, err := e.Store.CreateInspection(ctx, store.IssueActor{Actor: "admin:test", Reporter: "test"}, store.NewInspection{
		Point: e.Point, Inspector: "督查员", Deductions: []store.NewDeduction{
			{IndicatorCode: "T1", Points: 2, Category: "exposed_garbage"},   // rule: 2 days
			{IndicatorCode: "T2", Points: 1, Category: "illegal_posting"},   // no rule
			{IndicatorCode: "T1", Points: 1, Category: "stacked_materials"}, // fixed in time
			{IndicatorCode: "T1", Points: 1, Category: "trash_bin"},         // suspended: its clock stands
		}})
	if err != nil {
		t.Fatal(err)
	}
	e.Exec(`UPDATE issues SET deadline = $2, unit = 'cgj' WHERE id = ANY($1)`, ins.Issues, now.Add(-time.Hour))
	e.Exec(`UPDATE issues SET status = 'closed', closed_at = $2, resolved_at = $2 WHERE id = $1`, ins.Issues[2], now.Add(-2*time.Hour))
	e.Exec(`UPDATE issues SET suspended_at = $2, suspensions = 1 WHERE id = $1`, ins.Issues[3], now.Add(-3*time.Hour))
	// other overdue findings of the template must not blur the count: only ours carry T1
	ids, err := e.Store.SpawnOverdueTasks(ctx, now)
	if err != nil || len(ids) != 1 {
		t.Fatalf("spawned %v, %v: want one task", ids, err)
	}
	var issue int64
	var unit, indicator string
	var due time.Time
	e.Scan(`SELECT issue_id, unit, indicator_code, due_at FROM tasks WHERE id = $1`, []any{ids[0]}, &issue, &unit, &indicator, &due)
	if issue != ins.Issues[0] || unit != "cgj" || indicator != "T1" || !due.Equal(now.AddDate(0, 0, 2)) {
		t.Errorf("spawned task: issue %d unit %s indicator %s due %s", issue, unit, indicator, due)
	}
	if n := e.Int(`SELECT count(*) FROM task_events WHERE task_id = $1 AND action = 'create'`, ids[0]); n != 1 {
		t.Errorf("%d create events", n)
	}
	if n := e.Int(`SELECT count(*) FROM changes WHERE layer = 'tasks' AND object_id = $1`, fmt.Sprint(ids[0])); n != 1 {
		t.Errorf("%d feed rows", n)
	}
	if again, err := e.Store.SpawnOverdueTasks(ctx, now.Add(time.Hour)); err != nil || len(again) != 0 {
		t.Errorf("second run spawned %v, %v", again, err)
	}
	// the endpoint is the 创建办's
	e.Must(http.StatusForbidden, "POST", "/api/v1/tasks/spawn", access.Unit, nil)
	e.Must(http.StatusOK, "POST", "/api/v1/tasks/spawn", access.Reviewer, nil)
}

// Unit staff read the checklists of the points their tasks are at, and of no
// other unit's points.
func TestUnitChecklist(t *testing.T) {
	e := newEnv(t)
	var point string
	e.Scan(`SELECT min(p.code) FROM points p WHERE p.unit NOT IN (SELECT name FROM units WHERE code IN ($1, $2))`,
		[]any{e.Unit, otherUnit}, &point)
	path := "/api/v1/points/" + point + "/checklist"
	e.Must(http.StatusForbidden, "GET", path, access.Unit, nil)
	e.newTask(access.Reviewer, map[string]any{"points": []string{point}})
	e.Get(path, access.Unit)
	e.Must(http.StatusForbidden, "GET", path, "other_unit", nil)
}

// With Config.TaskRules the instance applies the task rules by itself.
func TestTaskRulesInBackground(t *testing.T) {
	e := &env{Env: apitest.NewWith(t, server.Config{TaskRules: 50 * time.Millisecond})}
	e.Exec(`INSERT INTO indicators (code, name, kind, max_points, point_categories, task_days)
		VALUES ('T1', '测试：地面保洁', 'field', 5, (SELECT array_agg(code) FROM point_categories), 1)`)
	e.Scan(`SELECT min(code) FROM points`, nil, &e.Point)
	var ins struct{ Issues []int64 }
	e.Must(http.StatusCreated, "POST", "/api/v1/inspections", access.Admin, map[string]any{"point": e.Point,
		"deductions": []map[string]any{{"indicator_code": "T1", "points": 2, "category": "exposed_garbage"}}}).Decode(t, &ins)
	e.Exec(`UPDATE issues SET deadline = now() - interval '1 hour', unit = 'cgj' WHERE id = $1`, ins.Issues[0])
	deadline := time.Now().Add(10 * time.Second)
	for e.Int(`SELECT count(*) FROM tasks WHERE issue_id = $1`, ins.Issues[0]) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("no task for the unfixed finding after 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The task list prints as CSV for Excel, scoped like the list.
func TestTaskCSV(t *testing.T) {
	e := newEnv(t)
	mine, _ := e.newTask(access.Reviewer, nil)
	other, _ := e.newTask(access.Reviewer, map[string]any{"unit": otherUnit})
	r := e.Get("/api/v1/tasks?format=csv&limit=2000", access.Unit)
	body := string(r.Body)
	if r.Header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.HasPrefix(body, "\ufeffid,title,status,overdue,unit,") {
		t.Fatalf("CSV %s: %.80q", r.Header.Get("Content-Type"), body)
	}
	if !strings.Contains(body, fmt.Sprintf("\r\n%d,测试任务：门前三包整改,open,false,%s,", mine.ID, e.Unit)) ||
		strings.Contains(body, fmt.Sprintf("\r\n%d,", other.ID)) {
		t.Errorf("the unit's CSV: %s", body)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, "tasks_"+e.Unit+"_") {
		t.Errorf("Content-Disposition %q", cd)
	}
	e.Must(http.StatusBadRequest, "GET", "/api/v1/tasks?format=xml", access.Reviewer, nil)
	e.Must(http.StatusBadRequest, "GET", `/api/v1/tasks?format=csv&unit=a"b`, access.Reviewer, nil)
}
