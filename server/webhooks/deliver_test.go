package webhooks_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// Every matching change arrives once, in feed order, signed, with the seq as
// its idempotency key, the workflow step as its event and the case's
// external reference; the deliveries are listed and measured.
func TestDeliveredInOrderSigned(t *testing.T) {
	e := newEnv(t, fast())
	ids := []int64{e.report("hotline_12345", e.GridIn), e.report("hotline_12345", e.GridOut),
		e.report("hotline_12319", e.GridIn), e.report("hotline_12345", e.GridIn)}
	rc := newReceiver(t)
	id := e.subscribe("admin", rc, nil)
	want := e.touch(ids[:3]...)
	e.Must(http.StatusOK, "POST", fmt.Sprintf("/api/v1/issues/%d/actions", ids[3]), "admin", map[string]any{"action": "register"})
	want = append(want, e.head())
	waitFor(t, "four deliveries", func() bool { return len(rc.accepted()) >= 4 })
	got := rc.requests()
	if seqs := rc.accepted(); !slices.Equal(seqs, want) {
		t.Fatalf("delivered %v, want %v", seqs, want)
	}
	for i, r := range got {
		if !r.sigOK {
			t.Errorf("delivery %d: the signature does not verify", r.seq)
		}
		wantEvent := "upsert"
		if i == 3 {
			wantEvent = "registered"
		}
		if r.event != wantEvent || r.body["event"] != wantEvent {
			t.Errorf("delivery %d: event %q (body %v), want %q", r.seq, r.event, r.body["event"], wantEvent)
		}
		if r.body["seq"] != float64(r.seq) || r.body["layer"] != "issues" || r.body["id"] != fmt.Sprint(ids[i]) ||
			r.body["source"] == nil || r.body["external_id"] == nil || r.body["feature"] == nil {
			t.Errorf("delivery %d: body %v", r.seq, r.body)
		}
	}
	e.caughtUp(id, want[3])
	var list struct {
		Items []struct {
			Seq int64 `json:"seq"`
			OK  bool  `json:"ok"`
		} `json:"items"`
	}
	e.Get(fmt.Sprintf("/api/v1/webhooks/%d/deliveries?limit=10", id), "admin").Decode(t, &list)
	if len(list.Items) != 4 || list.Items[0].Seq != want[3] || !list.Items[0].OK {
		t.Errorf("deliveries %+v", list.Items)
	}
	e.Get(fmt.Sprintf("/api/v1/webhooks/%d/deliveries?since=%d", id, want[2]), "admin").Decode(t, &list)
	if len(list.Items) != 1 {
		t.Errorf("deliveries since %d: %+v", want[2], list.Items)
	}
	waitFor(t, "the metrics", func() bool {
		m := string(e.Get("/metrics", "").Body)
		return strings.Contains(m, fmt.Sprintf(`citymap_webhook_deliveries_total{webhook="%d"} 4`, id)) &&
			strings.Contains(m, fmt.Sprintf(`citymap_webhook_queue_depth{webhook="%d"} 0`, id))
	})
}

// A receiver that answers 500 and then recovers gets every change, in order,
// none missing; the failed attempts are listed.
func TestFailingReceiverRecovers(t *testing.T) {
	e := newEnv(t, fast())
	rc := newReceiver(t)
	rc.fail.Store(4)
	id := e.subscribe("admin", rc, nil)
	want := e.touch(e.issues(`true`, 6)...)
	waitFor(t, "six deliveries", func() bool { return len(rc.accepted()) >= 6 })
	if got := rc.accepted(); !slices.Equal(got, want) {
		t.Fatalf("accepted %v, want %v", got, want)
	}
	var last int64
	for _, r := range rc.requests() {
		if r.seq < last {
			t.Errorf("seq %d sent after %d", r.seq, last)
		}
		last = r.seq
	}
	e.caughtUp(id, want[5])
	var list struct {
		Items []struct {
			OK         bool   `json:"ok"`
			HTTPStatus *int   `json:"http_status"`
			Error      string `json:"error"`
		} `json:"items"`
	}
	e.Get(fmt.Sprintf("/api/v1/webhooks/%d/deliveries?limit=100", id), "admin").Decode(t, &list)
	failed := 0
	for _, d := range list.Items {
		if !d.OK && d.HTTPStatus != nil && *d.HTTPStatus == 500 && strings.Contains(d.Error, "500") {
			failed++
		}
	}
	if failed != 4 || len(list.Items) != 10 {
		t.Errorf("%d attempts, %d failed with 500: %+v", len(list.Items), failed, list.Items)
	}
	if status, lastErr, _ := e.hook(id); status != "active" || lastErr != "" {
		t.Errorf("status %s, last error %q after recovery", status, lastErr)
	}
	waitFor(t, "the metrics", func() bool {
		m := string(e.Get("/metrics", "").Body)
		return strings.Contains(m, fmt.Sprintf(`citymap_webhook_failures_total{webhook="%d"} 4`, id)) &&
			strings.Contains(m, fmt.Sprintf(`citymap_webhook_lag_seconds{webhook="%d"} 0`, id))
	})
}

// A receiver that does not answer is given up on at the timeout and retried.
func TestHangingReceiverRetried(t *testing.T) {
	cfg := fast()
	cfg.Timeout = 200 * time.Millisecond
	e := newEnv(t, cfg)
	rc := newReceiver(t)
	rc.hang.Store(2)
	id := e.subscribe("admin", rc, nil)
	want := e.touch(e.issues(`true`, 2)...)
	waitFor(t, "two deliveries", func() bool { return len(rc.accepted()) >= 2 })
	if got := rc.accepted(); !slices.Equal(got, want) {
		t.Fatalf("accepted %v, want %v", got, want)
	}
	n := e.Int(`SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1 AND NOT ok AND http_status IS NULL
		AND error ILIKE '%timeout%'`, id)
	if n != 2 {
		t.Errorf("%d attempts recorded as timed out, want 2", n)
	}
}

// A subscription that fails for longer than the pause-after time is paused
// with its last error, keeps its cursor, and resumes from it.
func TestPauseAndResume(t *testing.T) {
	cfg := fast()
	cfg.PauseAfter = 300 * time.Millisecond
	e := newEnv(t, cfg)
	rc := newReceiver(t)
	rc.failAll.Store(true)
	id := e.subscribe("admin", rc, nil)
	start := e.head()
	want := e.touch(e.issues(`true`, 3)...)
	waitFor(t, "the pause", func() bool { s, _, _ := e.hook(id); return s == "paused" })
	status, lastErr, cursor := e.hook(id)
	if !strings.Contains(lastErr, "500") || cursor != start {
		t.Fatalf("paused %s with %q at cursor %d, want the 500 at %d", status, lastErr, cursor, start)
	}
	got := e.Get(fmt.Sprintf("/api/v1/webhooks/%d", id), "admin").JSON(t)
	if got["status"] != "paused" || got["failing_since"] == nil || got["secret"] != nil {
		t.Errorf("the paused subscription reads %v", got)
	}
	n := len(rc.requests())
	time.Sleep(150 * time.Millisecond)
	if len(rc.requests()) != n {
		t.Errorf("a paused subscription is still delivered to")
	}
	rc.failAll.Store(false)
	e.Must(http.StatusOK, "POST", fmt.Sprintf("/api/v1/webhooks/%d/resume", id), "admin", nil)
	waitFor(t, "the deliveries after resuming", func() bool { return len(rc.accepted()) >= 3 })
	if got := rc.accepted(); !slices.Equal(got, want) {
		t.Errorf("accepted %v, want %v", got, want)
	}
}

// A replay delivers again from the seq it names, in order.
func TestReplay(t *testing.T) {
	e := newEnv(t, fast())
	rc := newReceiver(t)
	id := e.subscribe("admin", rc, nil)
	want := e.touch(e.issues(`true`, 3)...)
	waitFor(t, "three deliveries", func() bool { return len(rc.accepted()) >= 3 })
	e.caughtUp(id, want[2])
	e.Must(http.StatusOK, "POST", fmt.Sprintf("/api/v1/webhooks/%d/replay", id), "admin", map[string]any{"from_seq": want[1]})
	waitFor(t, "the replay", func() bool { return len(rc.accepted()) >= 5 })
	if got := rc.accepted(); !slices.Equal(got, append(want, want[1:]...)) {
		t.Errorf("accepted %v", got)
	}
	for _, c := range []struct {
		body   any
		status int
	}{
		{map[string]any{"from_seq": 0}, http.StatusUnprocessableEntity},
		{map[string]any{"from_seq": e.head() + 5}, http.StatusUnprocessableEntity},
		{map[string]any{"from": 1}, http.StatusBadRequest},
		{map[string]any{"from_seq": 1}, http.StatusOK}, // the template's feed is whole
	} {
		e.Must(c.status, "POST", fmt.Sprintf("/api/v1/webhooks/%d/replay", id), "admin", c.body)
	}
}

// A subscription changed while it retries (the partner fixes its URL) is
// delivered with the change at the next attempt, not after the old URL answers.
func TestPatchTakesEffectWhileRetrying(t *testing.T) {
	e := newEnv(t, fast())
	broken, fixed := newReceiver(t), newReceiver(t)
	broken.failAll.Store(true)
	id := e.subscribe("admin", broken, nil)
	want := e.touch(e.issues(`true`, 2)...)
	waitFor(t, "a few failed attempts", func() bool { return len(broken.requests()) >= 3 })
	e.Must(http.StatusOK, "PATCH", fmt.Sprintf("/api/v1/webhooks/%d", id), "admin", map[string]any{"url": fixed.srv.URL})
	waitFor(t, "the deliveries to the new URL", func() bool { return len(fixed.accepted()) >= 2 })
	if got := fixed.accepted(); !slices.Equal(got, want) {
		t.Errorf("the new URL got %v, want %v", got, want)
	}
}
