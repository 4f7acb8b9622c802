package live_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"citymap/server/access"
	"citymap/server/live"
	"citymap/server/pgcluster"
	"citymap/server/store"
)

// writer commits a change every few milliseconds until stopped, riding out
// database failures: a write that fails is simply tried again (one that committed
// although its COMMIT failed is in the feed all the same, and the tests read what
// to expect from the feed).
type writer struct {
	stop     chan struct{}
	done     sync.WaitGroup
	ok, fail atomic.Int64
}

func startWriter(st *store.Store, ids []int64) *writer {
	w := &writer{stop: make(chan struct{})}
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		for i := 0; ; i++ {
			select {
			case <-w.stop:
				return
			default:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err := touch(ctx, st, ids[i%len(ids)])
			cancel()
			if err != nil {
				w.fail.Add(1)
				time.Sleep(20 * time.Millisecond) // pacing a retry, not synchronising
				continue
			}
			w.ok.Add(1)
		}
	}()
	return w
}

func (w *writer) halt() {
	close(w.stop)
	w.done.Wait()
}

// progress waits until the writer has committed n more changes.
func (w *writer) progress(t *testing.T, n int64) {
	t.Helper()
	target := w.ok.Load() + n
	waitFor(t, fmt.Sprintf("%d more writes", n), func() bool { return w.ok.Load() >= target })
}

// retryHead reads the feed's head, retrying while the database recovers.
func retryHead(t *testing.T, st *store.Store) int64 {
	t.Helper()
	var h int64
	waitFor(t, "the database to answer", func() bool {
		var err error
		h, err = store.FeedHead(context.Background(), st.Pool)
		return err == nil
	})
	return h
}

// terminateBackends cuts every other connection to st's database, the
// tailer's included.
func terminateBackends(t *testing.T, st *store.Store) {
	t.Helper()
	waitFor(t, "the backends to be terminated", func() bool {
		var n int
		err := st.Pool.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid))
			FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n)
		return err == nil && n > 0
	})
}

// TestDatabaseConnectionsKilled: every connection to the database, the tailer's
// included, is terminated three times while writes go on; the subscriber still
// receives every change, once and in order.
func TestDatabaseConnectionsKilled(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	in := startInstance(t, st, testConfig())
	c := dial(t, in.wsURL(), token(t, st, access.Viewer))
	start := c.subscribe(map[string]any{})
	w := startWriter(st, []int64{
		newIssue(t, st, 119.80, 31.30, "manhole_cover", gridA),
		newIssue(t, st, 119.90, 31.40, "street_vending", gridB),
	})
	var got []frame
	for range 3 {
		w.progress(t, 20)
		got = append(got, c.changesThrough(retryHead(t, st))...)
		terminateBackends(t, st)
	}
	w.progress(t, 20)
	w.halt()
	end := retryHead(t, st)
	got = append(got, c.changesThrough(end)...)
	checkRun(t, got, start+1, end)
	if n := in.metric(t, "citymap_live_feed_reconnects_total"); n < 3 {
		t.Errorf("the tailer reconnected %v times, want >= 3", n)
	}
	t.Logf("%d changes, %d failed writes retried", end-start, w.fail.Load())
}

// TestPostgresRestart restarts a private PostgreSQL cluster under a stream with
// writes going on: the hub reconnects and the subscriber misses nothing.
func TestPostgresRestart(t *testing.T) {
	t.Parallel()
	pg := pgcluster.New(t).Primary("primary")
	pg.CreateDatabase("citymap")
	ctx := context.Background()
	st, err := store.Open(ctx, pg.URL("citymap"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	in := startInstance(t, st, testConfig())
	c := dial(t, in.wsURL(), token(t, st, access.Viewer))
	start := c.subscribe(map[string]any{})
	w := startWriter(st, []int64{newIssue(t, st, 119.80, 31.30, "manhole_cover", gridA)})
	w.progress(t, 20)
	pg.Restart()
	w.progress(t, 20)
	w.halt()
	end := retryHead(t, st)
	checkRun(t, c.changesThrough(end), start+1, end)
	if n := in.metric(t, "citymap_live_feed_reconnects_total"); n < 1 {
		t.Errorf("the tailer never reconnected")
	}
}

// readiness is an answer of /readyz.
type readiness struct {
	status int
	Status string
	Feed   live.FeedState
	Error  struct{ Code, Message string }
}

func (in *instance) readyz(t *testing.T) readiness {
	t.Helper()
	res, err := http.Get(in.ts.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	r := readiness{status: res.StatusCode}
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatalf("/readyz: %v", err)
	}
	return r
}

// TestReadyFollowsTheFeed: /readyz says whether the instance follows the changes
// feed, not only whether its database answers. After an outage it turns green
// only once the live stream flows again, which is within about a second of the
// database being back.
func TestReadyFollowsTheFeed(t *testing.T) {
	t.Parallel()
	pg := pgcluster.New(t).Primary("primary")
	pg.CreateDatabase("citymap")
	ctx := context.Background()
	st, err := store.Open(ctx, pg.URL("citymap"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	in := startInstance(t, st, testConfig())
	waitFor(t, "the instance to be ready", func() bool { return in.readyz(t).status == http.StatusOK })
	if r := in.readyz(t); r.Status != "ready" || !r.Feed.Following || r.Feed.Lag != 0 {
		t.Fatalf("ready: %+v", r)
	}
	c := dial(t, in.wsURL(), token(t, st, access.Viewer))
	start := c.subscribe(map[string]any{})
	w := startWriter(st, []int64{newIssue(t, st, 119.80, 31.30, "manhole_cover", gridA)})
	w.progress(t, 20)

	pg.Stop("fast")
	waitFor(t, "the feed to be lost", func() bool {
		r := in.readyz(t)
		return r.status == http.StatusServiceUnavailable && r.Error.Code == "not_ready" && !r.Feed.Following
	})
	time.Sleep(3 * time.Second) // the outage: long enough for backoffs to grow
	pg.Start()
	back := time.Now()
	waitFor(t, "the instance to be ready again", func() bool { return in.readyz(t).status == http.StatusOK })
	readyAfter := time.Since(back)

	// green means streaming: what is committed now reaches the client at once
	ready := time.Now()
	seq := mustTouch(t, st, newIssue(t, st, 119.81, 31.31, "manhole_cover", gridA))
	got := c.changesThrough(seq)
	flowing := time.Since(ready)
	w.progress(t, 20)
	w.halt()
	end := retryHead(t, st)
	got = append(got, c.changesThrough(end)...)
	checkRun(t, got, start+1, end)
	t.Logf("ready %v after the database was back; a change then took %v", readyAfter, flowing)
	// bounds for a loaded machine: the tailer retries at most every half second
	if readyAfter > 3*time.Second {
		t.Errorf("ready only %v after the database was back", readyAfter)
	}
	if flowing > 2*time.Second {
		t.Errorf("ready, but a change took %v to reach the client", flowing)
	}
}

// TestFeedRewound: the database the hub reconnects to has lost the last
// commits it published (a failover to a standby that lagged, a restore): the
// hub goes back to the feed's head with a reset, so the subscriber reloads
// and then receives the new changes under the reused sequence numbers, none
// skipped.
func TestFeedRewound(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	in := startInstance(t, st, testConfig())
	c := dial(t, in.wsURL(), token(t, st, access.Viewer))
	start := c.subscribe(map[string]any{})
	id := newIssue(t, st, 119.80, 31.30, "manhole_cover", gridA)
	for range 5 {
		mustTouch(t, st, id)
	}
	checkRun(t, c.changesThrough(start+5), start+1, start+5)

	// the last three commits vanish, as on a standby that never received them
	ctx := context.Background()
	if _, err := st.Pool.Exec(ctx, `DELETE FROM changes WHERE seq > $1`, start+2); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool.Exec(ctx, `UPDATE change_counter SET seq = $1`, start+2); err != nil {
		t.Fatal(err)
	}
	terminateBackends(t, st)
	if f := c.expect("reset"); f.Seq != start+2 {
		t.Fatalf("reset at %d, want %d", f.Seq, start+2)
	}
	seq := mustTouch(t, st, id)
	if seq != start+3 {
		t.Fatalf("the new change has seq %d, want %d", seq, start+3)
	}
	checkRun(t, c.changesThrough(seq), start+3, seq)
}
