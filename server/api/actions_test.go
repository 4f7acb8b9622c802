package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"

	"citymap/server/access"
)

// step is one action and what it must lead to.
type step struct {
	role   string
	body   map[string]any
	status string
	check  func(t *testing.T, f feature)
}

func TestWorkflowWithRework(t *testing.T) {
	e := newEnv(t)
	lon, lat := e.PointIn(e.GridIn)
	issue := e.create(newIssue("manhole_cover", lon, lat))
	steps := []step{
		{access.Dispatcher, map[string]any{"action": "register", "note": "立案"}, "registered", nil},
		{access.Dispatcher, map[string]any{"action": "dispatch", "unit": "cgj"}, "dispatched", func(t *testing.T, f feature) {
			if deref(f.Props.Unit) != "cgj" || f.Props.Dispatched == nil {
				t.Errorf("dispatch: unit %v, dispatched_at %v", deref(f.Props.Unit), f.Props.Dispatched)
			}
		}},
		{access.GridManager, map[string]any{"action": "start"}, "in_progress", nil},
		{access.GridManager, map[string]any{"action": "resolve", "note": "已盖好"}, "resolved", func(t *testing.T, f feature) {
			if f.Props.Resolved == nil {
				t.Error("resolve did not set resolved_at")
			}
		}},
		{access.GridManager, map[string]any{"action": "verify", "passed": false, "note": "井盖仍松动"}, "dispatched", func(t *testing.T, f feature) {
			if f.Props.Rework != 1 || f.Props.Resolved != nil || f.Props.Closed != nil {
				t.Errorf("rework: count %d, resolved_at %v, closed_at %v", f.Props.Rework, f.Props.Resolved, f.Props.Closed)
			}
		}},
		{access.GridManager, map[string]any{"action": "start"}, "in_progress", nil},
		{access.Admin, map[string]any{"action": "resolve"}, "resolved", nil},
		{access.Dispatcher, map[string]any{"action": "verify", "passed": true}, "closed", func(t *testing.T, f feature) {
			if f.Props.Closed == nil || f.Props.Rework != 1 || f.Props.Overdue {
				t.Errorf("close: closed_at %v, rework %d, overdue %v", f.Props.Closed, f.Props.Rework, f.Props.Overdue)
			}
		}},
	}
	version := 1
	for i, s := range steps {
		before := e.counts()
		r := e.act(http.StatusOK, issue.ID, s.role, s.body, "If-Match", strconv.Quote(strconv.Itoa(version)))
		f := featureOf(t, r)
		version++
		if f.Props.Status != s.status || f.Props.Version != version || r.Header.Get("ETag") != strconv.Quote(strconv.Itoa(version)) {
			t.Fatalf("step %d %v: status %s version %d ETag %s, want %s %d", i, s.body, f.Props.Status,
				f.Props.Version, r.Header.Get("ETag"), s.status, version)
		}
		if s.check != nil {
			s.check(t, f)
		}
		assertWrite(t, e, before, issue.ID, s.body["action"].(string), s.status, s.role)
	}
	// the timeline tells the whole story in order
	doc := featureOf(t, e.Must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/issues/%d", issue.ID), access.Viewer, nil))
	var actions []string
	for _, ev := range doc.Timeline {
		actions = append(actions, ev.Action+">"+ev.To)
	}
	want := []string{"report>reported", "register>registered", "dispatch>dispatched", "start>in_progress",
		"resolve>resolved", "verify>dispatched", "start>in_progress", "resolve>resolved", "verify>closed"}
	if !slices.Equal(actions, want) {
		t.Errorf("timeline %v, want %v", actions, want)
	}
	if doc.Timeline[1].Note != "立案" || doc.Timeline[5].Data["passed"] != false || doc.Timeline[2].Data["unit"] != "cgj" {
		t.Errorf("timeline details: %+v", doc.Timeline)
	}
}

// assertWrite checks that one transition wrote exactly one event and one change,
// and that both describe it: the feed's sequence moved by exactly one.
func assertWrite(t *testing.T, e *env, before counts, id int64, action, status, role string) {
	t.Helper()
	after := e.counts()
	if after.issues != before.issues || after.events != before.events+1 ||
		after.changes != before.changes+1 || after.seq != before.seq+1 {
		t.Fatalf("%s: counts %+v → %+v, want one event and one change", action, before, after)
	}
	var evAction, evTo, actor, object, featureStatus string
	var evTx, changeTx int64
	e.Scan(`SELECT action, to_status, actor, xmin::text::bigint FROM issue_events WHERE issue_id = $1 ORDER BY id DESC LIMIT 1`,
		[]any{id}, &evAction, &evTo, &actor, &evTx)
	e.Scan(`SELECT object_id, feature->'properties'->>'status', xmin::text::bigint FROM changes WHERE seq = $1`,
		[]any{after.seq}, &object, &featureStatus, &changeTx)
	if evAction != action || evTo != status || actor != role+":test-"+role {
		t.Errorf("event %s→%s by %s, want %s→%s by %s", evAction, evTo, actor, action, status, role)
	}
	if object != strconv.FormatInt(id, 10) || featureStatus != status {
		t.Errorf("change for %s with status %s", object, featureStatus)
	}
	if evTx != changeTx {
		t.Errorf("event written by transaction %d, change by %d: want one transaction", evTx, changeTx)
	}
}

func TestWorkflowRefusals(t *testing.T) {
	e := newEnv(t)
	lon, lat := e.PointIn(e.GridIn)
	issue := e.create(newIssue("noise", lon, lat))
	path := fmt.Sprintf("/api/v1/issues/%d/actions", issue.ID)
	before := e.counts()

	// a step the status does not allow: 409 listing what it does allow
	r := e.act(http.StatusConflict, issue.ID, access.Dispatcher, map[string]any{"action": "start"})
	body := r.JSON(t)["error"].(map[string]any)
	if body["code"] != "transition_not_allowed" || body["status"] != "reported" ||
		fmt.Sprint(body["allowed"]) != "[register reject merge]" {
		t.Errorf("409 body: %v", body)
	}
	// a grid manager is told only what it may do itself
	r = e.act(http.StatusConflict, issue.ID, access.GridManager, map[string]any{"action": "resolve"})
	if allowed := r.JSON(t)["error"].(map[string]any)["allowed"]; fmt.Sprint(allowed) != "[]" {
		t.Errorf("grid manager's allowed list: %v", allowed)
	}
	if after := e.counts(); after != before {
		t.Errorf("refused transitions wrote: %+v → %+v", before, after)
	}
	// a stale version: 412 with the current one
	e.act(http.StatusOK, issue.ID, access.Dispatcher, map[string]any{"action": "register"}, "If-Match", `W/"1"`)
	before = e.counts()
	for _, tag := range []string{`"1"`, `W/"1"`, `"1", "3"`, `"x"`} {
		r = e.act(http.StatusPreconditionFailed, issue.ID, access.Dispatcher, map[string]any{"action": "reject"}, "If-Match", tag)
		if code, _ := r.ErrorOf(t); code != "version_mismatch" || r.Header.Get("ETag") != `"2"` {
			t.Errorf("If-Match %s: code %s, ETag %s", tag, code, r.Header.Get("ETag"))
		}
	}
	// roles: a grid manager does not register or reject; out of its areas it does nothing
	e.act(http.StatusForbidden, issue.ID, access.GridManager, map[string]any{"action": "reject"})
	for _, role := range []string{access.Planner, access.Viewer, access.Reporter} {
		e.Must(http.StatusForbidden, "POST", path, role, map[string]any{"action": "reject"})
	}
	e.Must(http.StatusUnauthorized, "POST", path, "", map[string]any{"action": "reject"})
	if after := e.counts(); after != before {
		t.Errorf("refused actions wrote: %+v → %+v", before, after)
	}
	e.act(http.StatusNotFound, 1<<40, access.Dispatcher, map[string]any{"action": "register"})

	outLon, outLat := e.PointIn(e.GridOut)
	other := e.create(newIssue("noise", outLon, outLat))
	e.act(http.StatusOK, other.ID, access.Dispatcher, map[string]any{"action": "register"})
	e.act(http.StatusOK, other.ID, access.Dispatcher, map[string]any{"action": "dispatch"})
	r = e.act(http.StatusForbidden, other.ID, access.GridManager, map[string]any{"action": "start"})
	if code, _ := r.ErrorOf(t); code != "out_of_scope" {
		t.Errorf("grid manager out of its areas: %s", code)
	}
}

func TestRejectAndMerge(t *testing.T) {
	e := newEnv(t)
	lon, lat := e.PointIn(e.GridIn)
	a := e.create(newIssue("bike_parking", lon, lat))
	b := e.create(newIssue("bike_parking", lon, lat))
	c := e.create(newIssue("bike_parking", lon, lat))

	before := e.counts()
	f := featureOf(t, e.act(http.StatusOK, b.ID, access.Dispatcher, map[string]any{"action": "merge", "duplicate_of": a.ID}))
	if f.Props.Status != "merged" || deref(f.Props.DuplicateOf) != a.ID {
		t.Errorf("merge: %+v", f.Props)
	}
	assertWrite(t, e, before, b.ID, "merge", "merged", access.Dispatcher)

	// merging into a merged issue would hide the case being worked
	r := e.act(http.StatusBadRequest, c.ID, access.Dispatcher, map[string]any{"action": "merge", "duplicate_of": b.ID})
	if _, fields := r.ErrorOf(t); fields["duplicate_of"] == nil {
		t.Errorf("merge into a merged issue: %s", r.Body)
	}
	e.act(http.StatusBadRequest, c.ID, access.Dispatcher, map[string]any{"action": "merge", "duplicate_of": 1 << 40})

	before = e.counts()
	if f := featureOf(t, e.act(http.StatusOK, c.ID, access.Dispatcher, map[string]any{"action": "reject", "note": "重复上报"})); f.Props.Status != "rejected" {
		t.Errorf("reject: %s", f.Props.Status)
	}
	assertWrite(t, e, before, c.ID, "reject", "rejected", access.Dispatcher)
	// finished cases take no more steps
	for _, id := range []int64{b.ID, c.ID} {
		r := e.act(http.StatusConflict, id, access.Dispatcher, map[string]any{"action": "register"})
		if allowed := r.JSON(t)["error"].(map[string]any)["allowed"]; fmt.Sprint(allowed) != "[]" {
			t.Errorf("allowed on a finished case: %v", allowed)
		}
	}
}

func TestDispatchNeedsAUnit(t *testing.T) {
	e := newEnv(t)
	// outside every grid a street-office category has no unit yet
	issue := e.create(newIssue("exposed_garbage", far[0], far[1]))
	e.act(http.StatusOK, issue.ID, access.Dispatcher, map[string]any{"action": "register"})
	before := e.counts()
	r := e.act(http.StatusBadRequest, issue.ID, access.Dispatcher, map[string]any{"action": "dispatch"})
	if code, fields := r.ErrorOf(t); code != "required" || fields["unit"] == nil {
		t.Errorf("dispatch without a unit: %s", r.Body)
	}
	r = e.act(http.StatusBadRequest, issue.ID, access.Dispatcher, map[string]any{"action": "dispatch", "unit": "nobody"})
	if code, _ := r.ErrorOf(t); code != "unknown_unit" {
		t.Errorf("dispatch to an unknown unit: %s", r.Body)
	}
	if after := e.counts(); after != before {
		t.Errorf("refused dispatch wrote: %+v → %+v", before, after)
	}
	f := featureOf(t, e.act(http.StatusOK, issue.ID, access.Dispatcher, map[string]any{"action": "dispatch", "unit": "cgj"}))
	if deref(f.Props.Unit) != "cgj" {
		t.Errorf("unit %v", deref(f.Props.Unit))
	}
}

func TestOverdue(t *testing.T) {
	e := newEnv(t)
	lon, lat := e.PointIn(e.GridIn)
	late := e.create(newIssue("street_vending", lon, lat))
	done := e.create(newIssue("street_vending", lon, lat))
	fresh := e.create(newIssue("street_vending", lon, lat))
	e.act(http.StatusOK, done.ID, access.Dispatcher, map[string]any{"action": "reject"})
	// the deadline is two hours away: move the clock by moving the deadlines
	e.Scan(`UPDATE issues SET deadline = now() - interval '1 hour' WHERE id = ANY($1) RETURNING 1`,
		[]any{[]int64{late.ID, done.ID}}, new(int))
	r := e.Must(http.StatusOK, "GET", "/api/v1/issues?overdue=true&limit=1000&category=street_vending", access.Dispatcher, nil)
	if !containsID(t, r, late.ID) || containsID(t, r, done.ID) || containsID(t, r, fresh.ID) {
		t.Errorf("overdue list: %s", r.Body)
	}
	for _, f := range collectionOf(t, r).Features {
		if !f.Props.Overdue {
			t.Errorf("issue %d listed as overdue but says it is not", f.ID)
		}
	}
}

// Optimistic concurrency: of several clients acting on the version they saw,
// exactly one wins and the others learn that the issue changed.
func TestConcurrentActions(t *testing.T) {
	e := newEnv(t)
	lon, lat := e.PointIn(e.GridIn)
	issue := e.create(newIssue("noise", lon, lat))
	const clients = 6
	statuses := make(chan int, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			action := []string{"register", "reject"}[i%2]
			statuses <- e.Call("POST", fmt.Sprintf("/api/v1/issues/%d/actions", issue.ID), access.Dispatcher,
				map[string]any{"action": action}, "If-Match", `"1"`).Status
		}()
	}
	wg.Wait()
	close(statuses)
	won := 0
	for s := range statuses {
		switch s {
		case http.StatusOK:
			won++
		case http.StatusPreconditionFailed:
		default:
			t.Errorf("status %d", s)
		}
	}
	if won != 1 || e.Int(`SELECT count(*) FROM issue_events WHERE issue_id = $1`, issue.ID) != 2 {
		t.Errorf("%d clients won; events: %d", won, e.Int(`SELECT count(*) FROM issue_events WHERE issue_id = $1`, issue.ID))
	}
}
