package webhooks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"citymap/server"
	"citymap/server/apitest"
	"citymap/server/store"
	"citymap/server/webhooks"
)

// secret is the receivers' HMAC key.
const secret = "s3cret-of-the-hotline"

// fast is a configuration that keeps every test short: retries within tens
// of milliseconds, a poll that finds work left by other instances at once.
func fast() webhooks.Config {
	return webhooks.Config{Timeout: 2 * time.Second, PauseAfter: time.Hour, MinBackoff: 10 * time.Millisecond,
		MaxBackoff: 40 * time.Millisecond, PollEvery: 50 * time.Millisecond, AllowPrivate: true}
}

type env struct {
	*apitest.Env
	cfg webhooks.Config
	n   int // cases reported
}

// newEnv starts an instance whose dispatcher runs with cfg.
func newEnv(t *testing.T, cfg webhooks.Config) *env {
	t.Helper()
	return &env{Env: apitest.NewWith(t, server.Config{Webhooks: cfg}), cfg: cfg}
}

// dispatcher starts another instance's dispatcher on the same database.
func (e *env) dispatcher(cfg webhooks.Config) *webhooks.Dispatcher {
	d := webhooks.New(cfg, e.Store, nil)
	d.Start()
	e.T.Cleanup(d.Close)
	return d
}

// subscribe creates a subscription as role to the receiver and returns its id.
func (e *env) subscribe(role string, rc *receiver, fields map[string]any) int64 {
	e.T.Helper()
	body := map[string]any{"url": rc.srv.URL + "/hook", "secret": secret}
	for k, v := range fields {
		body[k] = v
	}
	var out struct {
		ID int64 `json:"id"`
	}
	e.Must(http.StatusCreated, "POST", "/api/v1/webhooks", role, body).Decode(e.T, &out)
	return out.ID
}

// issues returns n issue ids that match the condition on alias i.
func (e *env) issues(cond string, n int, args ...any) []int64 {
	e.T.Helper()
	rows, err := e.Store.Pool.Query(context.Background(),
		`SELECT i.id FROM issues i WHERE `+cond+` ORDER BY i.id LIMIT `+strconv.Itoa(n), args...)
	if err != nil {
		e.T.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(ids) < n {
		e.T.Fatalf("issues where %s: %d of %d (%v)", cond, len(ids), n, err)
	}
	return ids
}

// report files a case of source in the grid, as the hotline would, and
// returns its id.
func (e *env) report(source, grid string) int64 {
	e.T.Helper()
	lon, lat := e.PointIn(grid)
	e.n++
	var out struct {
		ID int64 `json:"id"`
	}
	e.Must(http.StatusCreated, "POST", "/api/v1/issues", "admin", map[string]any{"category": "noise", "source": source,
		"external_id": fmt.Sprintf("wh-%s-%d", grid, e.n), "description": "webhook test",
		"location": map[string]any{"type": "Point", "coordinates": []float64{lon, lat}}}).Decode(e.T, &out)
	return out.ID
}

// touch writes a change of each issue to the feed, one transaction each, and
// returns their seqs.
func (e *env) touch(ids ...int64) []int64 {
	e.T.Helper()
	ctx := context.Background()
	seqs := make([]int64, len(ids))
	for i, id := range ids {
		err := pgx.BeginFunc(ctx, e.Store.Pool, func(tx pgx.Tx) error {
			var err error
			seqs[i], err = store.AppendUpserts(ctx, tx, "issues", []int64{id})
			return err
		})
		if err != nil {
			e.T.Fatal(err)
		}
	}
	return seqs
}

func (e *env) head() int64 { return e.Int(`SELECT seq FROM change_counter`) }

// hook reads a subscription as the admin sees it.
func (e *env) hook(id int64) (status, lastError string, cursor int64) {
	e.T.Helper()
	e.Scan(`SELECT status, last_error, cursor FROM webhooks WHERE id = $1`, []any{id}, &status, &lastError, &cursor)
	return
}

// caughtUp waits for the subscription's cursor to reach seq: the receiver
// answers before the delivery is recorded.
func (e *env) caughtUp(id, seq int64) {
	e.T.Helper()
	waitFor(e.T, "the cursor at the last delivery", func() bool { _, _, c := e.hook(id); return c >= seq })
}

// waitFor polls cond for up to 15 seconds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// request is what a receiver was sent.
type request struct {
	seq      int64
	event    string
	answered int // the status it answered
	sigOK    bool
	body     map[string]any
}

// receiver is a partner system's endpoint: it answers 200, or 500 to the next
// fail requests, or hangs on the next hang requests until the caller gives up.
type receiver struct {
	srv        *httptest.Server
	fail, hang atomic.Int32
	failAll    atomic.Bool
	delay      time.Duration
	mu         sync.Mutex
	got        []request
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	req := request{event: r.Header.Get(webhooks.HeaderEvent), answered: http.StatusOK,
		sigOK: webhooks.Verify(secret, r.Header.Get(webhooks.HeaderSignature), data, time.Now(), 5*time.Minute) == nil}
	req.seq, _ = strconv.ParseInt(r.Header.Get(webhooks.HeaderDelivery), 10, 64)
	_ = json.Unmarshal(data, &req.body)
	switch {
	case rc.hang.Add(-1) >= 0:
		select { // hang until the dispatcher's timeout cuts the request
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		req.answered = 0
	case rc.fail.Add(-1) >= 0 || rc.failAll.Load():
		req.answered = http.StatusInternalServerError
	default:
		time.Sleep(rc.delay)
	}
	rc.mu.Lock()
	rc.got = append(rc.got, req)
	rc.mu.Unlock()
	if req.answered != 0 {
		w.WriteHeader(req.answered)
	}
}

// requests is everything sent so far.
func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

// accepted is the seqs of the requests answered 2xx, in the order received.
func (rc *receiver) accepted() []int64 {
	var out []int64
	for _, r := range rc.requests() {
		if r.answered == http.StatusOK {
			out = append(out, r.seq)
		}
	}
	return out
}
