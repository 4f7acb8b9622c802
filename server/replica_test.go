package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"citymap/server"
	"citymap/server/apitest"
	"citymap/server/access"
	"citymap/server/dbtest"
	"citymap/server/replica"
	"citymap/server/store"
	"citymap/server/tilecache"
	"citymap/server/tiles"
)

// The read replica tests run against the streaming replica that make test
// starts (scripts/replica.sh). They pause its replay, which every test of the
// replica sees: they are not parallel, and only this package uses it.

// roomy is a bound the replica keeps while the tests pause it for a moment,
// however much the other packages' tests write meanwhile.
var roomy = replica.Bound{MaxLag: time.Minute, MaxBytes: 8 << 30}

// onReplica starts an instance on a fresh clone whose reads go to the test
// replica (first among rc's URLs), checked every 50 ms. It returns the
// replica's URL of the clone.
func onReplica(t *testing.T, cfg server.Config, rc store.ReplicaConfig) (*apitest.Env, string) {
	t.Helper()
	st := dbtest.New(t)
	u := dbtest.ReplicaURL(t, st)
	rc.URLs = append([]string{u}, rc.URLs...)
	rc.CheckEvery = 50 * time.Millisecond
	if err := st.OpenReplicas(context.Background(), rc); err != nil {
		t.Fatal(err)
	}
	return apitest.NewOn(t, st, cfg), u
}

// replicaName is how /readyz and /metrics name the replica of u: host:port.
func replicaName(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Host
}

// onTheReplica runs sql on the replica's postgres database.
func onTheReplica(t *testing.T, sql string, dest ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, os.Getenv(dbtest.EnvReplicaURL))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, sql).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// pauseReplay pauses the replica's replay until resume is called or the test
// ends.
func pauseReplay(t *testing.T) (resume func()) {
	t.Helper()
	var ignored any
	onTheReplica(t, `SELECT pg_wal_replay_pause()`, &ignored)
	var once sync.Once
	resume = func() { once.Do(func() { onTheReplica(t, `SELECT pg_wal_replay_resume()`, &ignored) }) }
	t.Cleanup(resume)
	waitFor(t, "the replay to pause", func() bool {
		var state string
		onTheReplica(t, `SELECT pg_get_wal_replay_pause_state()`, &state)
		return state == "paused"
	})
	return resume
}

// series reads one series of /metrics (name{labels}), 0 when it is absent.
func series(t *testing.T, e *apitest.Env, s string) float64 {
	t.Helper()
	body := e.Get("/metrics", "").Body
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, s+" "); ok {
			var f float64
			if _, err := fmt.Sscan(v, &f); err != nil {
				t.Fatalf("%q", line)
			}
			return f
		}
	}
	return 0
}

func routed(t *testing.T, e *apitest.Env, server string, reason replica.Reason) float64 {
	t.Helper()
	return series(t, e, fmt.Sprintf(`citymap_db_routed_reads_total{server=%q,reason=%q}`, server, reason))
}

// readyReplicas are the replicas /readyz shows, by name.
func readyReplicas(t *testing.T, e *apitest.Env) map[string]replica.Status {
	t.Helper()
	var ready struct{ Replicas []replica.Status }
	e.Get("/readyz", "").Decode(t, &ready)
	out := map[string]replica.Status{}
	for _, st := range ready.Replicas {
		out[st.Name] = st
	}
	return out
}

func issueAt(lon, lat float64) map[string]any {
	return map[string]any{"category": "noise", "source": "grid_patrol", "description": "replica test",
		"location": map[string]any{"type": "Point", "coordinates": []float64{lon, lat}}}
}

// TestReadsGoToTheReplicaAndSeeTheirOwnWrites: a read goes to the replica; a
// client that presents its last write's position (header or cookie) reads
// it even while the replica's replay is paused, from the primary, and from
// the replica again once that has replayed it.
func TestReadsGoToTheReplicaAndSeeTheirOwnWrites(t *testing.T) {
	e, u := onReplica(t, server.Config{}, store.ReplicaConfig{Bound: roomy})
	name := replicaName(t, u)

	e.Get("/api/v1/issues?limit=1", access.Dispatcher)
	if n := routed(t, e, name, replica.OnReplica); n != 1 {
		t.Fatalf("reads served by the replica: %v, want 1", n)
	}
	var onReplica int
	onTheReplica(t, fmt.Sprintf(`SELECT count(*) FROM pg_stat_activity WHERE datname = '%s'
		AND application_name = 'citymap reads'`, e.Store.Pool.Config().ConnConfig.Database), &onReplica)
	if onReplica == 0 {
		t.Error("no connection of the instance's reads on the replica")
	}

	resume := pauseReplay(t)
	lon, lat := e.PointIn(e.GridIn)
	w := e.Must(http.StatusCreated, "POST", "/api/v1/issues", access.Dispatcher, issueAt(lon, lat))
	pos := w.Header.Get(replica.Header)
	if _, err := replica.ParseLSN(pos); err != nil {
		t.Fatalf("the write's answer: %s %q: %v", replica.Header, pos, err)
	}
	if c := w.Header.Get("Set-Cookie"); !strings.HasPrefix(c, replica.Cookie+"="+pos+";") {
		t.Errorf("the write's cookie: %q", c)
	}
	var created struct{ ID json.Number }
	w.Decode(t, &created)
	path := "/api/v1/issues/" + created.ID.String()

	if r := e.Call("GET", path, access.Dispatcher, nil); r.Status != http.StatusNotFound {
		t.Fatalf("without the position, the paused replica answered %d: it has the issue?", r.Status)
	}
	e.Get(path, access.Dispatcher, replica.Header, pos)
	e.Get(path, access.Dispatcher, "Cookie", replica.Cookie+"="+pos)
	if n := routed(t, e, "primary", replica.Behind); n != 2 {
		t.Errorf("reads sent to the primary because the replica was behind: %v, want 2", n)
	}
	if r := e.Call("GET", path, access.Dispatcher, nil, replica.Header, "today"); r.Status != http.StatusBadRequest {
		t.Errorf("a position that is none: %d", r.Status)
	} else if code, _ := r.ErrorOf(t); code != "invalid_position" {
		t.Errorf("a position that is none: %s", code)
	}

	resume()
	dbtest.CaughtUp(t, os.Getenv(dbtest.EnvReplicaURL), e.Store)
	before := routed(t, e, name, replica.OnReplica)
	e.Get(path, access.Dispatcher, replica.Header, pos)
	if n := routed(t, e, name, replica.OnReplica); n != before+1 {
		t.Errorf("once replayed, the read did not go to the replica (%v → %v)", before, n)
	}
}

// TestTileCacheStoresNoRenderingOfALaggingReplica: a tile drawn on a replica
// that has not replayed the change that invalidated it is drawn again on the
// primary, and that rendering, not the replica's, is what the cache keeps.
func TestTileCacheStoresNoRenderingOfALaggingReplica(t *testing.T) {
	e, u := onReplica(t, server.Config{Tiles: tiles.Config{CacheBytes: 16 << 20}}, store.ReplicaConfig{Bound: roomy})
	name := replicaName(t, u)
	lon, lat := e.PointIn(e.GridIn)
	tl := maptile.At(orb.Point{lon, lat}, 16)
	path := fmt.Sprintf("/tiles/issues/%d/%d/%d.mvt", tl.Z, tl.X, tl.Y)
	// the replica shows the feed's head that the cache started from
	dbtest.CaughtUp(t, os.Getenv(dbtest.EnvReplicaURL), e.Store)

	get := func() apitest.Reply {
		t.Helper()
		r := e.Call("GET", path, access.Dispatcher, nil)
		if r.Status != http.StatusOK && r.Status != http.StatusNoContent {
			t.Fatalf("tile: %d %s", r.Status, r.Body)
		}
		return r
	}
	first := get()
	if c := get().Header.Get("X-Tile-Cache"); c != "hit" {
		t.Fatalf("a rendering of the replica in step was not cached (%s)", c)
	}
	if routed(t, e, name, replica.OnReplica) < 1 {
		t.Fatal("the tile was not drawn on the replica")
	}

	resume := pauseReplay(t)
	invalidated := series(t, e, "citymap_tile_cache_invalidations_total")
	e.Must(http.StatusCreated, "POST", "/api/v1/issues", access.Dispatcher, issueAt(lon, lat))
	waitFor(t, "the change to reach the tile cache", func() bool {
		return series(t, e, "citymap_tile_cache_invalidations_total") > invalidated
	})

	third := get()
	if c := third.Header.Get("X-Tile-Cache"); c != "miss" {
		t.Errorf("after the change: %s, want miss", c)
	}
	if n := series(t, e, "citymap_tile_replica_behind_total"); n != 1 {
		t.Errorf("tiles drawn again on the primary: %v, want 1", n)
	}
	renderer, err := e.Store.NewTileRenderer()
	if err != nil {
		t.Fatal(err)
	}
	defer renderer.Close()
	rt, err := renderer.Render(context.Background(), store.TileRequest{Layer: "issues", Z: uint32(tl.Z), X: tl.X, Y: tl.Y})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := tilecache.Encode(rt.MVT, rt.Expires)
	if third.Header.Get("ETag") != want.ETag || third.Header.Get("ETag") == first.Header.Get("ETag") {
		t.Errorf("served %s, the primary draws %s, before the change %s",
			third.Header.Get("ETag"), want.ETag, first.Header.Get("ETag"))
	}
	fourth := get()
	if fourth.Header.Get("X-Tile-Cache") != "hit" || fourth.Header.Get("ETag") != want.ETag {
		t.Errorf("cached: %s %s, want a hit of the primary's rendering %s",
			fourth.Header.Get("X-Tile-Cache"), fourth.Header.Get("ETag"), want.ETag)
	}
	resume()
}

// TestLaggingOrDownReplicaIsSkipped: a replica that does not answer, or whose
// replay is paused for longer than the bound while the primary writes, serves
// no reads, and /readyz and /metrics say so; the paused one comes back by
// itself once it has caught up.
func TestLaggingOrDownReplicaIsSkipped(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a port nothing answers on once closed
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	ln.Close()
	bound := replica.Bound{MaxLag: time.Second, MaxBytes: 8 << 30}
	e, u := onReplica(t, server.Config{}, store.ReplicaConfig{Bound: bound,
		URLs: []string{"postgres://postgres@" + down + "/citymap?sslmode=disable&connect_timeout=1"}})
	name := replicaName(t, u)

	waitFor(t, "the replica in use", func() bool { return readyReplicas(t, e)[name].InUse })
	if st := readyReplicas(t, e)[down]; st.Up || st.InUse || st.Error == "" {
		t.Errorf("/readyz on the replica that does not answer: %+v", st)
	}
	if v := series(t, e, fmt.Sprintf(`citymap_replica_up{replica=%q}`, down)); v != 0 {
		t.Errorf("citymap_replica_up of the one down: %v", v)
	}

	resume := pauseReplay(t)
	e.Exec(`CREATE TABLE replica_ticks (at timestamptz)`)
	var lagging replica.Status
	waitFor(t, "the paused replica to fall out of use", func() bool {
		e.Exec(`INSERT INTO replica_ticks VALUES (now())`) // WAL the replica lacks
		lagging = readyReplicas(t, e)[name]
		return !lagging.InUse
	})
	if !lagging.Up || lagging.LagSeconds < bound.MaxLag.Seconds() || lagging.LagBytes <= 0 {
		t.Errorf("/readyz on the lagging replica: %+v", lagging)
	}
	for _, s := range []string{"in_use", "lag_seconds", "lag_bytes"} {
		v := series(t, e, fmt.Sprintf(`citymap_replica_%s{replica=%q}`, s, name))
		if (s == "in_use") != (v == 0) {
			t.Errorf("citymap_replica_%s of the lagging replica: %v", s, v)
		}
	}
	before := routed(t, e, "primary", replica.NoReplica)
	e.Get("/api/v1/issues?limit=1", access.Dispatcher)
	if n := routed(t, e, "primary", replica.NoReplica); n != before+1 {
		t.Errorf("reads sent to the primary with no replica usable: %v → %v", before, n)
	}
	for _, pool := range []string{`server="primary",pool="queries"`, fmt.Sprintf(`server=%q,pool="queries"`, name)} {
		if v := series(t, e, "citymap_db_pool_max_connections{"+pool+"}"); v <= 0 {
			t.Errorf("citymap_db_pool_max_connections{%s} = %v", pool, v)
		}
	}

	resume()
	// a machine under load may take the replica out of use again for a
	// moment: what counts is that reads come back to it by themselves
	before = routed(t, e, name, replica.OnReplica)
	waitFor(t, "reads served by the replica again", func() bool {
		e.Get("/api/v1/issues?limit=1", access.Dispatcher)
		return routed(t, e, name, replica.OnReplica) > before
	})
	res, err := http.Get(e.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("/readyz with a replica down: %d, want 200 (reads go to the primary)", res.StatusCode)
	}
}
