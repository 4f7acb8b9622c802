package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"citymap/server"
	"citymap/server/access"
	"citymap/server/apitest"
	"citymap/server/limit"
)

// yearOfHexagons is the report of the probe that stalled the server: a year
// of issues counted in 50 m hexagons.
func yearOfHexagons(e *apitest.Env) string {
	// the year the demo city leads up to, whenever the template was seeded
	var to time.Time
	e.Scan(`SELECT max(created_at) FROM issues`, nil, &to)
	to = to.In(time.FixedZone("CST", 8*3600))
	return fmt.Sprintf("/api/v1/reports/hotspots?size=50&from=%s&to=%s",
		to.AddDate(0, 0, -360).Format(time.DateOnly), to.Format(time.DateOnly))
}

// checkRefusal checks that a refused request says when to come back, in the
// JSON error shape.
func checkRefusal(t *testing.T, what string, r apitest.Reply) {
	t.Helper()
	want := map[int]string{http.StatusServiceUnavailable: "overloaded", http.StatusTooManyRequests: "too_many_requests"}[r.Status]
	if want == "" {
		t.Errorf("%s: %d, want 200, 429 or 503\n%s", what, r.Status, r.Body)
		return
	}
	if code, _ := r.ErrorOf(t); code != want || r.Header.Get("Retry-After") == "" {
		t.Errorf("%s: %d %s with Retry-After %q, want %s with Retry-After", what, r.Status, code,
			r.Header.Get("Retry-After"), want)
	}
}

// Many parallel year-long hexagon reports from several tokens do not stall
// the server: single reads and /readyz answer while they run, and each report
// is served or refused with 503 or 429 and Retry-After.
func TestHeavyRequestsDoNotStallOthers(t *testing.T) {
	e := apitest.NewWith(t, server.Config{Limits: limit.Config{
		Classes:          map[string]limit.ClassConfig{limit.Heavy: {Concurrency: 2, Timeout: time.Minute}},
		Wait:             200 * time.Millisecond,
		TokenConcurrency: 4,
	}})
	issue := e.Int(`SELECT min(id) FROM issues`)
	var planners []string
	for i := range 5 {
		planners = append(planners, e.Token(fmt.Sprintf("planner-%d", i), access.Planner, nil))
	}
	report := e.URL + yearOfHexagons(e)
	const perToken = 12
	answers := make(chan apitest.Reply, len(planners)*perToken)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, tok := range planners {
		for range perToken {
			wg.Go(func() {
				<-start
				answers <- e.Call("GET", report, "", nil, "Authorization", "Bearer "+tok)
			})
		}
	}
	close(start)
	running := make(chan struct{})
	go func() { wg.Wait(); close(running) }()
	// while the reports run (and after, on a machine fast enough to finish
	// them first): reads and readiness answer, within a generous bound
	for i := 0; i < 5; i++ {
		for _, path := range []string{fmt.Sprintf("/api/v1/issues/%d", issue), "/readyz", "/healthz"} {
			began := time.Now()
			r := e.Call("GET", path, access.Dispatcher, nil)
			if took := time.Since(began); r.Status != http.StatusOK || took > 10*time.Second {
				t.Errorf("GET %s beside the reports: %d after %s\n%s", path, r.Status, took, r.Body)
			}
		}
		select {
		case <-running:
		case <-time.After(50 * time.Millisecond): // spacing the reads, not synchronising
		}
	}
	<-running
	close(answers)
	served, refused := 0, 0
	for r := range answers {
		if r.Status == http.StatusOK {
			served++
			continue
		}
		refused++
		checkRefusal(t, "a report", r)
	}
	if served == 0 || refused == 0 {
		t.Errorf("%d reports served, %d refused: want some of each from %d at once with 2 slots",
			served, refused, len(planners)*perToken)
	}
	if n := metric(t, e, `citymap_limit_rejected_total{class="heavy",reason="class_full"}`) +
		metric(t, e, `citymap_limit_rejected_total{class="heavy",reason="token_busy"}`); int(n) != refused {
		t.Errorf("the metrics count %v refusals, the answers %d", n, refused)
	}
}

// A report past its class's deadline answers 503 timeout with Retry-After, and
// its query is cancelled in PostgreSQL, not left running.
func TestDeadlineCancelsTheQuery(t *testing.T) {
	e := apitest.NewWith(t, server.Config{Limits: limit.Config{
		Classes: map[string]limit.ClassConfig{limit.Heavy: {Concurrency: 4, Timeout: 300 * time.Millisecond}},
	}})
	e.Get("/api/v1/me", access.Planner) // the token is known before issues are locked
	unlock := lockIssues(t, e)
	defer unlock()
	r := e.Call("GET", "/api/v1/reports/categories", access.Planner, nil)
	if code, _ := r.ErrorOf(t); r.Status != http.StatusServiceUnavailable || code != "timeout" || r.Header.Get("Retry-After") == "" {
		t.Errorf("a report past its deadline: %d %s, Retry-After %q; want 503 timeout with Retry-After\n%s",
			r.Status, code, r.Header.Get("Retry-After"), r.Body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for waiting(t, e) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the report's query still waits in PostgreSQL after its request timed out")
		}
		time.Sleep(20 * time.Millisecond) // polling pg_stat_activity, not synchronising
	}
	if n := metric(t, e, `citymap_limit_timeouts_total{class="heavy"}`); n != 1 {
		t.Errorf("timeouts_total = %v, want 1", n)
	}
}

// One token past its concurrency gets 429 with Retry-After; its requests of
// another class and other tokens' are served meanwhile.
func TestTokenLimit(t *testing.T) {
	e := apitest.NewWith(t, server.Config{Limits: limit.Config{
		Classes:          map[string]limit.ClassConfig{limit.Heavy: {Concurrency: 4, Timeout: time.Minute}},
		TokenConcurrency: 1,
	}})
	e.Get("/api/v1/me", access.Planner)
	unlock := lockIssues(t, e)
	first := make(chan apitest.Reply, 1)
	go func() { first <- e.Call("GET", "/api/v1/reports/categories", access.Planner, nil) }()
	deadline := time.Now().Add(10 * time.Second)
	for waiting(t, e) == 0 { // the first report is served and waits for the lock
		if time.Now().After(deadline) {
			t.Fatal("the first report never reached the database")
		}
		time.Sleep(20 * time.Millisecond) // polling pg_stat_activity, not synchronising
	}
	r := e.Call("GET", "/api/v1/reports/trends", access.Planner, nil)
	if r.Status != http.StatusTooManyRequests {
		t.Errorf("the token's second report: %d, want 429\n%s", r.Status, r.Body)
	}
	checkRefusal(t, "the token's second report", r)
	e.Get("/api/v1/me", access.Planner) // another class
	e.Get("/api/v1/me", access.Viewer)  // another token
	if n := metric(t, e, `citymap_limit_rejected_total{class="heavy",reason="token_busy"}`); n != 1 {
		t.Errorf("token_busy = %v, want 1", n)
	}
	unlock()
	if r := <-first; r.Status != http.StatusOK {
		t.Errorf("the first report: %d\n%s", r.Status, r.Body)
	}
}

// lockIssues takes an exclusive lock on the issues table of e's database in a
// transaction of its own, so that every query of issues waits; the returned
// function releases it.
func lockIssues(t *testing.T, e *apitest.Env) func() {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.ConnectConfig(ctx, e.Store.Pool.Config().ConnConfig.Copy())
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err == nil {
		_, err = tx.Exec(ctx, `LOCK TABLE issues IN ACCESS EXCLUSIVE MODE`)
	}
	if err != nil {
		conn.Close(ctx)
		t.Fatal(err)
	}
	var once sync.Once
	release := func() {
		once.Do(func() {
			_ = tx.Rollback(ctx)
			conn.Close(ctx)
		})
	}
	t.Cleanup(release)
	return release
}

// waiting counts the queries of e's database that wait for a lock.
func waiting(t *testing.T, e *apitest.Env) int64 {
	t.Helper()
	return e.Int(`SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`)
}

// metric reads one series from e's /metrics.
func metric(t *testing.T, e *apitest.Env, series string) float64 {
	t.Helper()
	body := string(e.Get("/metrics", "").Body)
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			var f float64
			if _, err := fmt.Sscan(v, &f); err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("no series %s in /metrics", series)
	return 0
}
