package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"citymap/server/webhooks"
)

// The parties of TestFailover: partners posting cases, a wall on /live, a
// webhook receiver, a load balancer watching /readyz. Each runs in its own
// goroutine and records what it saw for the checks at the end.

// callJSON sends body as JSON with tok and decodes the answer into out (when
// not nil), returning the status.
func callJSON(t *testing.T, method, url, tok string, body, out any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
	}
	return res.StatusCode
}

// intake is partners posting cases, each retrying one that was not taken
// (same external_id, as a hotline does) until it is.
type intake struct {
	t           *testing.T
	url, tok    string
	client      *http.Client
	stop        chan struct{}
	done        sync.WaitGroup
	mu          sync.Mutex
	accepted    []string // external ids answered 2xx
	unavailable atomic.Int64
}

func startIntake(t *testing.T, in *instance, tok string, partners int) *intake {
	w := &intake{t: t, url: in.url + "/api/v1/issues", tok: tok, stop: make(chan struct{}),
		// a write that hangs past this is a failure: the switch must answer
		client: &http.Client{Timeout: 30 * time.Second}}
	for p := range partners {
		w.done.Add(1)
		go func() {
			defer w.done.Done()
			for i := 0; ; i++ {
				select {
				case <-w.stop:
					return
				default:
				}
				w.post(fmt.Sprintf("failover-%d-%d", p, i), float64(i%100)/10000)
			}
		}()
	}
	t.Cleanup(w.halt)
	return w
}

// post posts one case until it is taken or the intake stops.
func (w *intake) post(id string, offset float64) {
	body, _ := json.Marshal(map[string]any{"category": "noise", "source": "hotline_12345", "external_id": id,
		"description": "failover", "location": map[string]any{"type": "Point",
			"coordinates": []float64{119.795 + offset, 31.295 + offset}}})
	for {
		status, err := w.once(body)
		switch {
		case err != nil:
			w.t.Errorf("case %s: %v", id, err)
			return
		case status/100 == 2:
			w.mu.Lock()
			w.accepted = append(w.accepted, id)
			w.mu.Unlock()
			return
		}
		w.unavailable.Add(1)
		select {
		case <-w.stop:
			return
		case <-time.After(100 * time.Millisecond): // a partner's retry pace
		}
	}
}

// once posts body; an answer other than 2xx or a 503 with Retry-After and a
// machine-readable code is an error.
func (w *intake) once(body []byte) (int, error) {
	req, _ := http.NewRequest("POST", w.url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+w.tok)
	req.Header.Set("Content-Type", "application/json")
	res, err := w.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 == 2 {
		return res.StatusCode, nil
	}
	var e struct{ Error struct{ Code string } }
	_ = json.Unmarshal(b, &e)
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || e.Error.Code == "" {
		return 0, fmt.Errorf("answered %d, Retry-After %q: %s", res.StatusCode, res.Header.Get("Retry-After"), b)
	}
	return res.StatusCode, nil
}

// progress waits until n more cases are accepted.
func (w *intake) progress(t *testing.T, n int, within time.Duration) {
	t.Helper()
	target := len(w.acceptedIDs()) + n
	deadline := time.Now().Add(within)
	for len(w.acceptedIDs()) < target {
		if time.Now().After(deadline) {
			t.Fatalf("%d cases accepted, waiting for %d", len(w.acceptedIDs()), target)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (w *intake) acceptedIDs() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.accepted...)
}

// halt stops posting and waits for the partners; calling it twice is fine.
func (w *intake) halt() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	w.done.Wait()
}

// readiness is a load balancer polling /readyz: it records each change of
// the answer.
type readiness struct {
	mu      sync.Mutex
	current int
	seen    []int // the statuses in the order they began
}

func watchReadiness(t *testing.T, in *instance) *readiness {
	r := &readiness{}
	stop := make(chan struct{})
	done := make(chan struct{})
	client := &http.Client{Timeout: 5 * time.Second}
	go func() {
		defer close(done)
		for {
			status := 0 // no answer
			if res, err := client.Get(in.url + "/readyz"); err == nil {
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				status = res.StatusCode
			}
			r.record(status)
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	return r
}

func (r *readiness) record(status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if status != r.current {
		r.seen = append(r.seen, status)
	}
	r.current = status
}

// await waits until /readyz answers status.
func (r *readiness) await(t *testing.T, status int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		r.mu.Lock()
		now := r.current
		r.mu.Unlock()
		if now == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz answers %d, waiting for %d", now, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// check: ready, then not ready, then ready again, and answering throughout.
func (r *readiness) check(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	want := []int{http.StatusOK, http.StatusServiceUnavailable, http.StatusOK}
	got := fmt.Sprint(r.seen)
	if got != fmt.Sprint(want) && got != fmt.Sprint(append([]int{http.StatusServiceUnavailable}, want...)) {
		t.Errorf("/readyz went %v, want %v (a start not ready aside)", r.seen, want)
	}
}

// wall follows /live, resuming with since should its socket break.
type wall struct {
	mu      sync.Mutex
	start   int64   // the seq of the first subscription
	changes []int64 // the seqs of the change frames, in order
	upto    int64   // every change up to this was sent (a change or heartbeat)
	resets  int
	redials int
}

func followLive(t *testing.T, in *instance, tok string) *wall {
	t.Helper()
	w := &wall{start: -1}
	url := "ws" + strings.TrimPrefix(in.url, "http") + "/live"
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			err := w.session(url, tok, stop)
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			w.mu.Lock()
			w.redials++
			w.mu.Unlock()
			_ = err
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	waitFor(t, "the wall's subscription", func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.start >= 0
	})
	return w
}

// session subscribes, from the last seq seen if any, and reads until the
// socket breaks or stop.
func (w *wall) session(url, tok string, stop chan struct{}) error {
	conn, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {"Bearer " + tok}})
	if err != nil {
		return err
	}
	go func() { <-stop; _ = conn.Close() }()
	defer conn.Close()
	sub := map[string]any{"type": "subscribe"}
	w.mu.Lock()
	if w.start >= 0 {
		sub["since"] = w.upto
	}
	w.mu.Unlock()
	if err := conn.WriteJSON(sub); err != nil {
		return err
	}
	for {
		var f struct {
			Type string
			Seq  int64
		}
		if err := conn.ReadJSON(&f); err != nil {
			return err
		}
		w.take(f.Type, f.Seq)
	}
}

func (w *wall) take(typ string, seq int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch typ {
	case "subscribed":
		if w.start < 0 {
			w.start, w.upto = seq, seq
		}
	case "change":
		w.changes = append(w.changes, seq)
		w.upto = max(w.upto, seq)
	case "heartbeat":
		w.upto = max(w.upto, seq)
	case "reset":
		w.resets++
	}
}

// checkLive waits until the wall has everything up to head, then checks that
// it saw each seq after its start once, in order.
func checkLive(t *testing.T, w *wall, head int64) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		w.mu.Lock()
		upto := w.upto
		w.mu.Unlock()
		if upto >= head {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the wall has everything up to %d, the feed's head is %d", upto, head)
		}
		time.Sleep(20 * time.Millisecond)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.resets > 0 {
		t.Errorf("the wall was told to reset %d times", w.resets)
	}
	for i, seq := range w.changes {
		if want := w.start + 1 + int64(i); seq != want {
			t.Fatalf("change %d of the wall has seq %d, want %d: missing, duplicated or out of order", i, seq, want)
		}
	}
	if got := int64(len(w.changes)); got < head-w.start {
		t.Errorf("the wall saw %d changes, the feed has %d after %d", got, head-w.start, w.start)
	}
	t.Logf("the wall saw seqs %d to %d, resubscribing %d times", w.start+1, head, w.redials)
}

// receiverSecret signs the deliveries to the receiver.
const receiverSecret = "failover-secret-of-16-bytes"

// receiver is a partner's webhook endpoint: it takes every delivery.
type receiver struct {
	url string
	mu  sync.Mutex
	got []int64 // the seqs delivered, in arrival order
	bad []string
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	ts := httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(ts.Close)
	r.url = ts.URL + "/hook"
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	seq, err := strconv.ParseInt(req.Header.Get(webhooks.HeaderDelivery), 10, 64)
	if err == nil {
		err = webhooks.Verify(receiverSecret, req.Header.Get(webhooks.HeaderSignature), body, time.Now(), time.Minute)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.bad = append(r.bad, err.Error())
	} else {
		r.got = append(r.got, seq)
	}
	w.WriteHeader(http.StatusNoContent)
}

// check compares the deliveries with want, the feed's changes of the
// subscription: each once and in order, but for a change delivered again
// right after itself (taken, then the crash before its record committed).
func (r *receiver) check(t *testing.T, hook int64, want []int64) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bad) > 0 {
		t.Errorf("webhook %d: %d deliveries unreadable or badly signed: %v", hook, len(r.bad), r.bad[0])
	}
	var distinct []int64
	again := 0
	for i, seq := range r.got {
		if i > 0 && seq == r.got[i-1] {
			again++
			continue
		}
		if len(distinct) > 0 && seq <= distinct[len(distinct)-1] {
			t.Errorf("webhook %d: seq %d arrived after %d: a duplicate past the acknowledged seq, or out of order",
				hook, seq, distinct[len(distinct)-1])
		}
		distinct = append(distinct, seq)
	}
	if fmt.Sprint(distinct) != fmt.Sprint(want) {
		t.Errorf("webhook %d: delivered %d changes, the feed has %d:\ngot  %v\nwant %v", hook, len(distinct), len(want),
			distinct, want)
	}
	t.Logf("webhook %d: %d changes delivered, %d delivered again", hook, len(distinct), again)
}
