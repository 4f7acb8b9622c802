package live_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"citymap/server/access"
	"citymap/server/live"
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
		waitFor(t, "the backends to be terminated", func() bool {
			var n int
			err := st.Pool.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid))
				FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n)
			return err == nil && n > 0
		})
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
	pg := newCluster(t)
	ctx := context.Background()
	st, err := store.Open(ctx, pg.createDB(t, "citymap"))
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
	pg.restart(t)
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
	pg := newCluster(t)
	ctx := context.Background()
	st, err := store.Open(ctx, pg.createDB(t, "citymap"))
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

	pg.stop(t)
	waitFor(t, "the feed to be lost", func() bool {
		r := in.readyz(t)
		return r.status == http.StatusServiceUnavailable && r.Error.Code == "not_ready" && !r.Feed.Following
	})
	time.Sleep(3 * time.Second) // the outage: long enough for backoffs to grow
	pg.start(t)
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

// cluster is a throwaway PostgreSQL server with its own data directory and port.
type cluster struct {
	dir, data string
	port      int
	bin, opts string // pg_ctl's directory, the server's options
}

// newCluster initialises and starts a cluster; it stops and vanishes with the
// test. PostgreSQL refuses to run as root, so as root it runs as postgres.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	initdb, err := exec.LookPath("initdb")
	if err != nil {
		initdb = "/usr/lib/postgresql/15/bin/initdb"
	}
	if _, err := os.Stat(initdb); err != nil {
		t.Skip("initdb is not installed: cannot run a private PostgreSQL")
	}
	bin := filepath.Dir(initdb)
	dir, err := os.MkdirTemp("", "citymap-pg-")
	if err != nil {
		t.Fatal(err)
	}
	pg := &cluster{dir: dir, data: filepath.Join(dir, "data"), port: freePort(t), bin: bin}
	t.Cleanup(func() {
		_ = asPostgres(filepath.Join(bin, "pg_ctl"), "-D", pg.data, "-m", "immediate", "-w", "stop").Run()
		os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root without a postgres user to run PostgreSQL as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	run(t, asPostgres(initdb, "-D", pg.data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"))
	pg.opts = fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off", pg.port, dir)
	pg.start(t)
	return pg
}

// pgCtl runs pg_ctl on the cluster, the server writing to its log file: one
// writing to our pipe would keep run waiting.
func (pg *cluster) pgCtl(t *testing.T, args ...string) {
	t.Helper()
	run(t, asPostgres(filepath.Join(pg.bin, "pg_ctl"),
		append([]string{"-D", pg.data, "-l", filepath.Join(pg.dir, "log"), "-w", "-t", "60"}, args...)...))
}

func (pg *cluster) start(t *testing.T) { t.Helper(); pg.pgCtl(t, "-o", pg.opts, "start") }

// stop stops the server (fast: connections are cut).
func (pg *cluster) stop(t *testing.T) { t.Helper(); pg.pgCtl(t, "-m", "fast", "stop") }

func (pg *cluster) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", pg.port, db)
}

// createDB creates a database and returns its URL.
func (pg *cluster) createDB(t *testing.T, name string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pg.url("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	return pg.url(name)
}

// restart stops the server (fast: connections are cut) and starts it again with
// the same options.
func (pg *cluster) restart(t *testing.T) { t.Helper(); pg.pgCtl(t, "-m", "fast", "restart") }

func asPostgres(name string, args ...string) *exec.Cmd {
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
	}
	return exec.Command(name, args...)
}

func run(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	// a server started by cmd could hold its output pipe open for good
	cmd.WaitDelay = 5 * time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
