package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"citymap/server"
	"citymap/server/access"
	"citymap/server/live"
	"citymap/server/pgcluster"
	"citymap/server/store"
	"citymap/server/webhooks"
)

// TestFailover runs an instance on a primary and its synchronous standby
// (DATABASE_URL naming both, target_session_attrs=read-write) while partners
// post cases, a wall follows /live and a webhook receiver takes deliveries;
// the primary crashes (pg_ctl stop -m immediate), the standby is promoted,
// and the writes go on. Then: every case answered 2xx is in the database,
// every other answer was a 503 with Retry-After and a code; the wall saw every
// seq of the feed exactly once and in order; the receiver got every change of
// its subscription in order, again only the one in doubt at the crash;
// /readyz went not-ready and back to ready, all without a restart of the
// instance.
func TestFailover(t *testing.T) {
	pair := newPair(t)
	st, err := store.Open(context.Background(), pgcluster.HostsURL("citymap", pair.primary, pair.standby))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	admin, _ := newToken(t, st, "failover-admin", access.Admin, nil)
	viewer, _ := newToken(t, st, "failover-wall", access.Viewer, nil)
	in := startInstance(t, st, server.Config{
		Live: live.Config{Heartbeat: 100 * time.Millisecond},
		Webhooks: webhooks.Config{AllowPrivate: true, PollEvery: 200 * time.Millisecond,
			MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Timeout: 5 * time.Second},
	})
	ready := watchReadiness(t, in)
	ready.await(t, http.StatusOK, time.Minute)
	rcv := newReceiver(t)
	hook, from := subscribeWebhook(t, in, admin, rcv.url)
	wall := followLive(t, in, viewer)
	w := startIntake(t, in, admin, 3)

	w.progress(t, 30, time.Minute)
	pair.primary.Stop("immediate")
	crashed := time.Now()
	ready.await(t, http.StatusServiceUnavailable, time.Minute)
	time.Sleep(time.Second) // the time a failover tool takes to decide, writes failing meanwhile
	pair.standby.Promote()
	ready.await(t, http.StatusOK, 2*time.Minute)
	t.Logf("ready again %v after the crash", time.Since(crashed).Round(time.Millisecond))
	w.progress(t, 30, time.Minute)
	w.halt()
	in.listening(t) // the token watcher is back on the new primary

	head := feedHead(t, st)
	checkAccepted(t, st, w)
	checkLive(t, wall, head)
	checkDeliveries(t, st, rcv, hook, from, head)
	ready.check(t)
}

// pair is a primary with a synchronous streaming standby, the citymap
// database migrated on it with one grid for intake.
type pair struct{ primary, standby *pgcluster.Server }

func newPair(t *testing.T) pair {
	t.Helper()
	c := pgcluster.New(t)
	p := c.Primary("primary")
	p.CreateDatabase("citymap")
	st, err := store.Open(context.Background(), p.URL("citymap"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	st.Close()
	for level := 1; level <= 4; level++ { // each below the one before
		p.Exec("citymap", failoverAreas, level)
	}
	s := c.Standby(p, "standby")
	// a commit the primary acknowledged is then on the standby too: what
	// makes "nothing accepted is lost" hold across the failover
	p.Synchronous(s)
	return pair{primary: p, standby: s}
}

// failoverAreas is the made-up district 999999 of one street, one community
// and one grid, a square of about 2 km around (119.80, 31.30).
const failoverAreas = `
INSERT INTO areas (code, name, level, parent_id, geom)
SELECT v.code, v.level, v.level, (SELECT id FROM areas WHERE code = v.parent),
       ST_Multi(ST_MakeEnvelope(119.79, 31.29, 119.81, 31.31, 4326))
FROM (VALUES (1, '999999', 'district', NULL), (2, '999999001', 'street', '999999'),
             (3, '999999001001', 'community', '999999001'),
             (4, '99999900100101', 'grid', '999999001001')) v(n, code, level, parent)
WHERE v.n = $1`

func feedHead(t *testing.T, st *store.Store) int64 {
	t.Helper()
	h, err := store.FeedHead(context.Background(), st.Pool)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// checkAccepted: every case answered 2xx is in the database, once.
func checkAccepted(t *testing.T, st *store.Store, w *intake) {
	t.Helper()
	ids := w.acceptedIDs()
	var n int
	err := st.Pool.QueryRow(context.Background(), `SELECT count(*) FROM issues
		WHERE source = 'hotline_12345' AND external_id = ANY($1)`, ids).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(ids) {
		t.Errorf("%d of the %d accepted cases are in the database", n, len(ids))
	}
	t.Logf("%d cases accepted, %d answers 503 (retried)", len(ids), w.unavailable.Load())
}

// subscribeWebhook subscribes url to the cases and returns the
// subscription's id and its cursor, from which it delivers.
func subscribeWebhook(t *testing.T, in *instance, tok, url string) (id, cursor int64) {
	t.Helper()
	var hook struct{ ID, Cursor int64 }
	status := callJSON(t, "POST", in.url+"/api/v1/webhooks", tok, map[string]any{
		"url": url, "secret": receiverSecret}, &hook)
	if status != http.StatusCreated {
		t.Fatalf("subscribing a webhook: %d", status)
	}
	return hook.ID, hook.Cursor
}

// checkDeliveries waits until the subscription is done with the feed, then
// compares what the receiver got with the feed's changes after from, where
// the subscription started.
func checkDeliveries(t *testing.T, st *store.Store, rcv *receiver, hook, from, head int64) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(time.Minute)
	for {
		var cursor int64
		if err := st.Pool.QueryRow(ctx, `SELECT cursor FROM webhooks WHERE id = $1`, hook).Scan(&cursor); err != nil {
			t.Fatal(err)
		}
		if cursor >= head {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the webhook's cursor is at %d, the feed's head at %d", cursor, head)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var want []int64
	rows, err := st.Pool.Query(ctx, `SELECT seq FROM changes WHERE layer = 'issues' AND seq > $1 AND seq <= $2
		ORDER BY seq`, from, head)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s int64
		_ = rows.Scan(&s)
		want = append(want, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rcv.check(t, hook, want)
}
