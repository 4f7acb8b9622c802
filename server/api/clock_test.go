package api_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"citymap/server/access"
)

// nationalDay2026 writes the calendar of National Day 2026 (1–7 October off,
// Saturday 10 October worked) into the test's database, so that the deadlines
// below are the hand-worked ones whatever calendar the template holds.
func nationalDay2026(e *env) {
	e.T.Helper()
	e.Exec(`DELETE FROM calendar_days WHERE day BETWEEN '2026-09-01' AND '2026-10-31'`)
	e.Exec(`INSERT INTO calendar_days (day, kind)
		SELECT d::date, 'holiday' FROM generate_series(date '2026-10-01', date '2026-10-07', interval '1 day') d
		UNION ALL VALUES (date '2026-09-20', 'workday'), (date '2026-10-10', 'workday')`)
}

// cityTime is a local time of the city (+08:00).
func cityTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse("2006-01-02 15:04 -0700", s+" +0800")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// deadlineOf reads an answer's deadline.
func deadlineOf(t *testing.T, f feature) time.Time {
	t.Helper()
	d, err := time.Parse(time.RFC3339Nano, f.Props.Deadline)
	if err != nil {
		t.Fatalf("deadline %q: %v", f.Props.Deadline, err)
	}
	return d
}

// clockState is what the clock's steps change, read from an answer.
type clockState struct {
	Suspended  bool `json:"suspended"`
	Requested  *int `json:"extension_requested"`
	Extensions int  `json:"extensions"`
	Overdue    bool `json:"overdue"`
}

func clockOf(t *testing.T, r reply) clockState {
	t.Helper()
	var f struct {
		Props clockState `json:"properties"`
	}
	r.Decode(t, &f)
	return f.Props
}

// refused checks a 409 of a clock step: its code, the status and the
// caller's allowed actions, and that nothing was written.
func refused(t *testing.T, e *env, id int64, role string, body map[string]any, status, allowed string) map[string]any {
	t.Helper()
	before := e.counts()
	r := e.act(http.StatusConflict, id, role, body)
	er := r.JSON(t)["error"].(map[string]any)
	if er["code"] != "transition_not_allowed" || er["status"] != status || fmt.Sprint(er["allowed"]) != allowed {
		t.Errorf("%v: %s, want status %s and allowed %s", body, r.Body, status, allowed)
	}
	if after := e.counts(); after != before {
		t.Errorf("%v refused but wrote: %+v → %+v", body, before, after)
	}
	return er
}

// An extension: the unit asks, the dispatcher grants, the deadline moves by
// working time from the deadline (a fixed instant, so the answer is the
// hand-worked one on any day); a second request is refused.
func TestExtensionSteps(t *testing.T) {
	e := newEnv(t)
	nationalDay2026(e)
	lon, lat := e.PointIn(e.GridIn)
	issue := e.create(newIssue("street_vending", lon, lat)) // 2 working hours
	e.act(http.StatusOK, issue.ID, access.Dispatcher, map[string]any{"action": "register"})
	e.act(http.StatusOK, issue.ID, access.Dispatcher, map[string]any{"action": "dispatch", "unit": e.Unit})
	// the last workday before National Day, 40 working minutes before the close
	e.Exec(`UPDATE issues SET deadline = $2 WHERE id = $1`, issue.ID, cityTime(t, "2026-09-30 16:50"))

	// a grant without a request, and a refusal of nothing: 409, nothing written
	refused(t, e, issue.ID, access.Dispatcher, map[string]any{"action": "extend_grant", "amount": 2},
		"dispatched", "[start extend_request suspend]")
	refused(t, e, issue.ID, access.Dispatcher, map[string]any{"action": "extend_refuse"},
		"dispatched", "[start extend_request suspend]")

	// what a request must carry: 400, nothing written
	before := e.counts()
	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"action": "extend_request", "reason": "等配件"}, "amount"},
		{map[string]any{"action": "extend_request", "amount": 2}, "reason"},
		{map[string]any{"action": "extend_request", "amount": 2, "reason": ""}, "reason"},
		{map[string]any{"action": "extend_request", "amount": 0, "reason": "等配件"}, "amount"},
		{map[string]any{"action": "extend_request", "amount": 100000, "reason": "等配件"}, "amount"},
		{map[string]any{"action": "start", "amount": 2}, "amount"},
		{map[string]any{"action": "start", "reason": "x"}, "reason"},
	} {
		r := e.act(http.StatusBadRequest, issue.ID, access.Unit, bad.body)
		if _, fields := r.ErrorOf(t); fields[bad.field] == nil {
			t.Errorf("%v: %s, want an error on %s", bad.body, r.Body, bad.field)
		}
	}
	if after := e.counts(); after != before {
		t.Errorf("bad requests wrote: %+v → %+v", before, after)
	}
	// asking is the unit's (or the grid manager's), granting the command centre's
	for _, role := range []string{access.Viewer, access.Planner} {
		e.act(http.StatusForbidden, issue.ID, role, map[string]any{"action": "extend_request", "amount": 2, "reason": "等配件"})
	}

	// the unit asks for 2 more working hours
	before = e.counts()
	r := e.act(http.StatusOK, issue.ID, access.Unit, map[string]any{"action": "extend_request", "amount": 2,
		"reason": "等待更换配件", "note": "已联系厂家"}, "If-Match", `"3"`)
	if c := clockOf(t, r); c.Requested == nil || *c.Requested != 2 || c.Extensions != 0 {
		t.Errorf("after the request: %+v", c)
	}
	if f := featureOf(t, r); f.Props.Status != "dispatched" || f.Props.Version != 4 ||
		!deadlineOf(t, f).Equal(cityTime(t, "2026-09-30 16:50")) {
		t.Errorf("a request changes neither status nor deadline: %+v", f.Props)
	}
	assertWrite(t, e, before, issue.ID, "extend_request", "dispatched", access.Unit)
	var reason, note string
	var amount int
	e.Scan(`SELECT data->>'reason', (data->>'amount')::int, note FROM issue_events WHERE issue_id = $1 ORDER BY id DESC LIMIT 1`,
		[]any{issue.ID}, &reason, &amount, &note)
	if reason != "等待更换配件" || amount != 2 || note != "已联系厂家" {
		t.Errorf("request event: reason %q amount %d note %q", reason, amount, note)
	}

	// one request at a time; the grid manager and the unit may not grant it
	er := refused(t, e, issue.ID, access.Unit, map[string]any{"action": "extend_request", "amount": 1, "reason": "再等等"},
		"dispatched", "[]")
	if er["extension_pending"] != true {
		t.Errorf("409 does not say a request is pending: %v", er)
	}
	e.act(http.StatusForbidden, issue.ID, access.Unit, map[string]any{"action": "extend_grant"})
	e.act(http.StatusForbidden, issue.ID, access.GridManager, map[string]any{"action": "extend_grant"})
	// a stale version: 412, nothing written
	before = e.counts()
	e.act(http.StatusPreconditionFailed, issue.ID, access.Dispatcher, map[string]any{"action": "extend_grant"}, "If-Match", `"3"`)
	if after := e.counts(); after != before {
		t.Errorf("stale grant wrote: %+v → %+v", before, after)
	}

	// the dispatcher grants what was asked: 40 minutes on 30 September, 80 after the holiday
	before = e.counts()
	r = e.act(http.StatusOK, issue.ID, access.Dispatcher, map[string]any{"action": "extend_grant", "note": "同意延期"}, "If-Match", `"4"`)
	f := featureOf(t, r)
	if want := cityTime(t, "2026-10-08 09:50"); !deadlineOf(t, f).Equal(want) {
		t.Errorf("granted deadline %s, want %s", f.Props.Deadline, want)
	}
	if c := clockOf(t, r); c.Requested != nil || c.Extensions != 1 {
		t.Errorf("after the grant: %+v", c)
	}
	assertWrite(t, e, before, issue.ID, "extend_grant", "dispatched", access.Dispatcher)
	var from, to time.Time
	e.Scan(`SELECT (data->>'deadline_from')::timestamptz, (data->>'deadline_to')::timestamptz, (data->>'amount')::int
		FROM issue_events WHERE issue_id = $1 ORDER BY id DESC LIMIT 1`, []any{issue.ID}, &from, &to, &amount)
	if !from.Equal(cityTime(t, "2026-09-30 16:50")) || !to.Equal(cityTime(t, "2026-10-08 09:50")) || amount != 2 {
		t.Errorf("grant event: %s → %s by %d", from, to, amount)
	}
	// the change carries the new deadline (webhooks, tiles and /live read it)
	var changed string
	e.Scan(`SELECT feature->'properties'->>'deadline' FROM changes WHERE object_id = $1 ORDER BY seq DESC LIMIT 1`,
		[]any{strconv.FormatInt(issue.ID, 10)}, &changed)
	if d, err := time.Parse(time.RFC3339Nano, changed); err != nil || !d.Equal(to) {
		t.Errorf("change's deadline %q, want %s", changed, to)
	}

	// a second request, granted for a different amount: a workday's worth from the new deadline
	e.act(http.StatusOK, issue.ID, access.GridManager, map[string]any{"action": "extend_request", "amount": 1, "reason": "雨天"})
	f = featureOf(t, e.act(http.StatusOK, issue.ID, access.Dispatcher, map[string]any{"action": "extend_grant", "amount": 8}))
	// 09:50 on 8 October + 8 working hours: 2 h 10 min, 4 h, then 1 h 50 min on the 9th
	if want := cityTime(t, "2026-10-09 10:20"); !deadlineOf(t, f).Equal(want) {
		t.Errorf("second grant: %s, want %s", f.Props.Deadline, want)
	}
	// a refusal leaves the deadline
	e.act(http.StatusOK, issue.ID, access.Unit, map[string]any{"action": "extend_request", "amount": 4, "reason": "人手不足"})
	before = e.counts()
	r = e.act(http.StatusOK, issue.ID, access.Dispatcher, map[string]any{"action": "extend_refuse", "note": "不予延期"})
	if c := clockOf(t, r); c.Requested != nil || c.Extensions != 2 || !deadlineOf(t, featureOf(t, r)).Equal(cityTime(t, "2026-10-09 10:20")) {
		t.Errorf("after the refusal: %+v, deadline %s", c, featureOf(t, r).Props.Deadline)
	}
	assertWrite(t, e, before, issue.ID, "extend_refuse", "dispatched", access.Dispatcher)

	// a pending request lapses when the case leaves the unit's hands
	e.act(http.StatusOK, issue.ID, access.Unit, map[string]any{"action": "extend_request", "amount": 1, "reason": "天气"})
	e.act(http.StatusOK, issue.ID, access.Dispatcher, map[string]any{"action": "start"})
	r = e.act(http.StatusOK, issue.ID, access.Dispatcher, map[string]any{"action": "resolve"})
	if c := clockOf(t, r); c.Requested != nil || c.Extensions != 2 {
		t.Errorf("after resolving: %+v", c)
	}
	refused(t, e, issue.ID, access.Dispatcher, map[string]any{"action": "extend_grant"}, "resolved", "[verify]")

	// a unit acts only on the cases its unit handles
	other := e.create(newIssue("street_vending", lon, lat))
	e.act(http.StatusOK, other.ID, access.Dispatcher, map[string]any{"action": "register"})
	e.act(http.StatusOK, other.ID, access.Dispatcher, map[string]any{"action": "dispatch", "unit": "jtj"})
	r = e.act(http.StatusForbidden, other.ID, access.Unit, map[string]any{"action": "extend_request", "amount": 1, "reason": "x"})
	if code, _ := r.ErrorOf(t); code != "out_of_scope" {
		t.Errorf("another unit's case: %s", r.Body)
	}
}

// A suspension stops the clock: the case is not overdue while it lasts, takes
// no step but its resumption, and resuming moves the deadline by the time it
// lasted (working time for hours, wall-clock time for urgent cases).
func TestSuspendSteps(t *testing.T) {
	e := newEnv(t)
	lon, lat := e.PointIn(e.GridIn)
	issue := e.create(newIssue("noise", lon, lat)) // 8 working hours
	e.act(http.StatusOK, issue.ID, access.Dispatcher, map[string]any{"action": "register"})
	e.act(http.StatusOK, issue.ID, access.Dispatcher, map[string]any{"action": "dispatch"})
	// overdue by a day
	e.Exec(`UPDATE issues SET deadline = now() - interval '1 day' WHERE id = $1`, issue.ID)

	refused(t, e, issue.ID, access.Dispatcher, map[string]any{"action": "resume"}, "dispatched", "[start extend_request suspend]")
	before := e.counts()
	r := e.act(http.StatusBadRequest, issue.ID, access.Dispatcher, map[string]any{"action": "suspend"})
	if _, fields := r.ErrorOf(t); fields["reason"] == nil {
		t.Errorf("suspend without a reason: %s", r.Body)
	}
	// suspending is the command centre's decision (the approval a suspension needs)
	e.act(http.StatusForbidden, issue.ID, access.GridManager, map[string]any{"action": "suspend", "reason": "等待产权单位"})
	e.act(http.StatusForbidden, issue.ID, access.Unit, map[string]any{"action": "suspend", "reason": "等待产权单位"})
	if after := e.counts(); after != before {
		t.Errorf("refused suspensions wrote: %+v → %+v", before, after)
	}

	r = e.act(http.StatusOK, issue.ID, access.Dispatcher, map[string]any{"action": "suspend", "reason": "等待产权单位确认"})
	if c := clockOf(t, r); !c.Suspended || c.Overdue {
		t.Errorf("suspended: %+v", c)
	}
	assertWrite(t, e, before, issue.ID, "suspend", "dispatched", access.Dispatcher)
	// not overdue in the list either, nor in the overdue filter
	list := e.Must(http.StatusOK, "GET", "/api/v1/issues?overdue=true&limit=1000&category=noise", access.Dispatcher, nil)
	if containsID(t, list, issue.ID) {
		t.Error("a suspended issue is listed as overdue")
	}

	// a suspended case waits for its resumption and nothing else
	for _, body := range []map[string]any{
		{"action": "suspend", "reason": "again"},
		{"action": "start"},
		{"action": "extend_request", "amount": 1, "reason": "x"},
	} {
		er := refused(t, e, issue.ID, access.Dispatcher, body, "dispatched", "[resume]")
		if er["suspended"] != true {
			t.Errorf("409 does not say the case is suspended: %v", er)
		}
	}

	// resume: the deadline moves by the working time between suspension and resumption
	var oldDeadline time.Time
	e.Scan(`SELECT deadline FROM issues WHERE id = $1`, []any{issue.ID}, &oldDeadline)
	e.Exec(`UPDATE issues SET suspended_at = suspended_at - interval '3 days' WHERE id = $1`, issue.ID)
	before = e.counts()
	r = e.act(http.StatusOK, issue.ID, access.Dispatcher, map[string]any{"action": "resume", "note": "已确认"})
	assertWrite(t, e, before, issue.ID, "resume", "dispatched", access.Dispatcher)
	var since, resumed, from, to, want time.Time
	e.Scan(`SELECT (data->>'suspended_at')::timestamptz, at, (data->>'deadline_from')::timestamptz,
		(data->>'deadline_to')::timestamptz FROM issue_events WHERE issue_id = $1 ORDER BY id DESC LIMIT 1`,
		[]any{issue.ID}, &since, &resumed, &from, &to)
	e.Scan(`SELECT worktime_add($1, worktime_between($2, $3))`, []any{oldDeadline, since, resumed}, &want)
	if f := featureOf(t, r); !from.Equal(oldDeadline) || !to.Equal(want) || !deadlineOf(t, f).Equal(want) {
		t.Errorf("resumed: deadline %s → %s (answer %s), want %s → %s", from, to, f.Props.Deadline, oldDeadline, want)
	}
	if c := clockOf(t, r); c.Suspended {
		t.Errorf("still suspended: %+v", c)
	}
	refused(t, e, issue.ID, access.Dispatcher, map[string]any{"action": "resume"}, "dispatched", "[start extend_request suspend]")

	// an urgent case: the pause counts around the clock
	urgent := e.create(newIssue("manhole_cover", lon, lat))
	e.act(http.StatusOK, urgent.ID, access.Dispatcher, map[string]any{"action": "register"})
	e.act(http.StatusOK, urgent.ID, access.Dispatcher, map[string]any{"action": "suspend", "reason": "等待燃气公司"})
	e.Exec(`UPDATE issues SET suspended_at = suspended_at - interval '50 hours' WHERE id = $1`, urgent.ID)
	e.act(http.StatusOK, urgent.ID, access.Dispatcher, map[string]any{"action": "resume"})
	e.Scan(`SELECT (data->>'suspended_at')::timestamptz, at, (data->>'deadline_from')::timestamptz,
		(data->>'deadline_to')::timestamptz FROM issue_events WHERE issue_id = $1 ORDER BY id DESC LIMIT 1`,
		[]any{urgent.ID}, &since, &resumed, &from, &to)
	if to.Sub(from) != resumed.Sub(since) || to.Sub(from) < 50*time.Hour {
		t.Errorf("urgent resume moved the deadline by %s, suspended %s", to.Sub(from), resumed.Sub(since))
	}

	// a closed case takes no extension and no suspension
	closed := e.create(newIssue("noise", lon, lat))
	for _, s := range []map[string]any{{"action": "register"}, {"action": "dispatch"}, {"action": "start"},
		{"action": "resolve"}, {"action": "verify", "passed": true}} {
		e.act(http.StatusOK, closed.ID, access.Dispatcher, s)
	}
	refused(t, e, closed.ID, access.Dispatcher, map[string]any{"action": "extend_request", "amount": 2, "reason": "x"}, "closed", "[]")
	refused(t, e, closed.ID, access.Dispatcher, map[string]any{"action": "suspend", "reason": "x"}, "closed", "[]")
	refused(t, e, closed.ID, access.Dispatcher, map[string]any{"action": "extend_grant", "amount": 2}, "closed", "[]")
}
