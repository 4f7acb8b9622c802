package limit

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"citymap/server/metrics"
)

// blocking is a handler whose requests wait until released (or their
// context ends) and that reports how each ended.
type blocking struct {
	entered chan string
	release chan struct{}
	mu      sync.Mutex
	ctxErr  []error
}

func newBlocking() *blocking {
	return &blocking{entered: make(chan string, 100), release: make(chan struct{})}
}

func (b *blocking) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.entered <- r.URL.Path
	select {
	case <-b.release:
	case <-r.Context().Done():
		b.mu.Lock()
		b.ctxErr = append(b.ctxErr, r.Context().Err())
		b.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// byPath classifies /heavy/..., /light/... and leaves the rest unlimited.
func byPath(r *http.Request) string {
	name, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	for _, c := range Classes {
		if c == name {
			return c
		}
	}
	return ""
}

type fixture struct {
	t   *testing.T
	url string
	reg *metrics.Registry
	h   *blocking
}

func start(t *testing.T, cfg Config) *fixture {
	t.Helper()
	reg := metrics.NewRegistry()
	h := newBlocking()
	ts := httptest.NewServer(New(cfg, byPath, reg).Wrap(h))
	t.Cleanup(ts.Close)
	t.Cleanup(func() { close(h.release) })
	return &fixture{t: t, url: ts.URL, reg: reg, h: h}
}

type answer struct {
	status     int
	retryAfter string
	code       string
}

// get sends a request as token ("" for none) and returns its answer.
func (f *fixture) get(path, token string) answer {
	req, _ := http.NewRequest("GET", f.url+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Error(err)
		return answer{}
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, retryAfter: res.Header.Get("Retry-After")}
	var e struct{ Error struct{ Code string } }
	if json.Unmarshal(body, &e) == nil {
		a.code = e.Error.Code
	}
	return a
}

// hold sends a request that the handler keeps until released, and returns
// once the handler has it; the answer arrives on the channel.
func (f *fixture) hold(path, token string) <-chan answer {
	done := make(chan answer, 1)
	go func() { done <- f.get(path, token) }()
	select {
	case <-f.h.entered:
	case <-time.After(10 * time.Second):
		f.t.Fatal("the held request never reached the handler")
	}
	return done
}

func (f *fixture) metric(series string) string {
	rec := httptest.NewRecorder()
	f.reg.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	return ""
}

// A full class refuses with 503, Retry-After and the JSON error after the
// wait; other classes and unlimited paths go on.
func TestClassFull(t *testing.T) {
	f := start(t, Config{Classes: map[string]ClassConfig{Heavy: {Concurrency: 1}}, Wait: 50 * time.Millisecond})
	held := f.hold("/heavy/a", "")
	if a := f.get("/heavy/b", ""); a.status != 503 || a.retryAfter == "" || a.code != "overloaded" {
		t.Errorf("a second heavy request: %+v, want 503 overloaded with Retry-After", a)
	}
	if got := f.metric(`citymap_limit_rejected_total{class="heavy",reason="class_full"}`); got != "1" {
		t.Errorf("rejected class_full = %q, want 1", got)
	}
	if got := f.metric(`citymap_limit_in_flight{class="heavy"}`); got != "1" {
		t.Errorf("in flight = %q, want 1", got)
	}
	light := f.hold("/light/x", "")
	unlimited := f.hold("/healthz", "")
	f.h.release <- struct{}{}
	f.h.release <- struct{}{}
	f.h.release <- struct{}{}
	for _, c := range []<-chan answer{held, light, unlimited} {
		if a := <-c; a.status != 200 {
			t.Errorf("held request: %+v", a)
		}
	}
}

// A request that finds its class full waits for a slot up to the wait.
func TestClassQueue(t *testing.T) {
	f := start(t, Config{Classes: map[string]ClassConfig{Heavy: {Concurrency: 1}}, Wait: 10 * time.Second})
	first := f.hold("/heavy/a", "")
	second := make(chan answer, 1)
	go func() { second <- f.get("/heavy/b", "") }()
	waitFor(t, func() bool { return f.metric(`citymap_limit_waiting{class="heavy"}`) == "1" })
	f.h.release <- struct{}{} // the first is done: the second takes its slot
	<-f.h.entered
	f.h.release <- struct{}{}
	if a, b := <-first, <-second; a.status != 200 || b.status != 200 {
		t.Errorf("queued requests: %+v %+v", a, b)
	}
}

// A token over its concurrency gets 429 with Retry-After; another token, and
// the same token's requests of another class, are served.
func TestTokenConcurrency(t *testing.T) {
	f := start(t, Config{TokenConcurrency: 1, Wait: 50 * time.Millisecond})
	held := f.hold("/heavy/a", "alice")
	if a := f.get("/heavy/b", "alice"); a.status != 429 || a.retryAfter == "" || a.code != "too_many_requests" {
		t.Errorf("alice's second report: %+v, want 429 too_many_requests with Retry-After", a)
	}
	if got := f.metric(`citymap_limit_rejected_total{class="heavy",reason="token_busy"}`); got != "1" {
		t.Errorf("rejected token_busy = %q, want 1", got)
	}
	bob := f.hold("/heavy/c", "bob")
	aliceLight := f.hold("/light/d", "alice")
	for range 3 {
		f.h.release <- struct{}{}
	}
	for _, c := range []<-chan answer{held, bob, aliceLight} {
		if a := <-c; a.status != 200 {
			t.Errorf("held request: %+v", a)
		}
	}
	if n := len(f.h.entered); n != 0 {
		t.Errorf("%d requests reached the handler that should not have", n)
	}
}

// A token over its rate gets 429 with a Retry-After of when it may send again.
func TestTokenRate(t *testing.T) {
	f := start(t, Config{TokenRate: 0.5, TokenBurst: 1, Wait: 10 * time.Millisecond})
	first := f.hold("/light/a", "carol")
	f.h.release <- struct{}{}
	if a := <-first; a.status != 200 {
		t.Fatalf("first: %+v", a)
	}
	a := f.get("/light/b", "carol")
	if a.status != 429 || a.code != "too_many_requests" || a.retryAfter != "2" {
		t.Errorf("over the rate: %+v, want 429 with Retry-After 2", a)
	}
	if got := f.metric(`citymap_limit_rejected_total{class="light",reason="token_rate"}`); got != "1" {
		t.Errorf("rejected token_rate = %q, want 1", got)
	}
}

// A served request carries its class's deadline, and its passing is counted;
// the route the mux names is seen by the middleware outside.
func TestClassTimeout(t *testing.T) {
	reg := metrics.NewRegistry()
	mux := http.NewServeMux()
	h := newBlocking()
	mux.Handle("GET /heavy/{x}", h)
	l := New(Config{Classes: map[string]ClassConfig{Heavy: {Timeout: 20 * time.Millisecond}}}, byPath, reg)
	var pattern string
	outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.Wrap(mux).ServeHTTP(w, r)
		pattern = r.Pattern
	})
	rec := httptest.NewRecorder()
	outer.ServeHTTP(rec, httptest.NewRequest("GET", "/heavy/a", nil))
	if len(h.ctxErr) != 1 || !errors.Is(h.ctxErr[0], context.DeadlineExceeded) {
		t.Errorf("the handler saw %v, want its deadline", h.ctxErr)
	}
	if pattern != "GET /heavy/{x}" {
		t.Errorf("the route outside is %q", pattern)
	}
	f := &fixture{t: t, reg: reg}
	if got := f.metric(`citymap_limit_timeouts_total{class="heavy"}`); got != "1" {
		t.Errorf("timeouts = %q, want 1", got)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(5 * time.Millisecond) // polling a gauge, not synchronising
	}
}
