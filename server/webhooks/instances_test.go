package webhooks_test

import (
	"context"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"citymap/server/dbtest"
)

// Two instances on one database deliver each change once: whoever holds a
// subscription's lease works it, the other leaves it alone.
func TestTwoInstancesDeliverOnce(t *testing.T) {
	off := fast()
	off.Off = true
	e := newEnv(t, off)
	a, b := e.dispatcher(fast()), e.dispatcher(fast())
	rcs := []*receiver{newReceiver(t), newReceiver(t), newReceiver(t)}
	var ids []int64
	for _, rc := range rcs {
		ids = append(ids, e.subscribe("admin", rc, nil))
	}
	want := e.touch(e.issues(`true`, 30)...)
	for i, rc := range rcs {
		waitFor(t, "thirty deliveries", func() bool { return len(rc.accepted()) >= 30 })
		e.caughtUp(ids[i], want[29])
		time.Sleep(100 * time.Millisecond) // a duplicate would come now
		if got := rc.accepted(); !slices.Equal(got, want) {
			t.Errorf("receiver %d got %v, want each of %v once", i, got, want)
		}
	}
	by := map[string]int64{}
	rows, err := e.Store.Pool.Query(t.Context(), `SELECT instance, count(*) FROM webhook_deliveries GROUP BY instance`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var inst string
		var n int64
		if err := rows.Scan(&inst, &n); err != nil {
			t.Fatal(err)
		}
		by[inst] = n
	}
	if by[a.Instance()]+by[b.Instance()] != 90 {
		t.Errorf("deliveries by instance %v, want 90 by %s and %s", by, a.Instance(), b.Instance())
	}
}

// An instance stopped in the middle of a subscription's backlog loses
// nothing: the next one goes on from the cursor (the delivery that was cut off
// may come twice, nothing is skipped).
func TestStoppedMidwayLosesNothing(t *testing.T) {
	off := fast()
	off.Off = true
	e := newEnv(t, off)
	rc := newReceiver(t)
	rc.delay = 20 * time.Millisecond
	e.subscribe("admin", rc, nil)
	want := e.touch(e.issues(`true`, 20)...)
	first := e.dispatcher(fast())
	waitFor(t, "five deliveries", func() bool { return len(rc.accepted()) >= 5 })
	first.Close()
	stopped := len(rc.accepted())
	if stopped == len(want) {
		t.Fatal("the first instance delivered everything before it was stopped")
	}
	e.dispatcher(fast()) // the first's lease was given up: no waiting for it to run out
	waitFor(t, "every delivery", func() bool { return len(slices.Compact(slices.Sorted(slices.Values(rc.accepted())))) >= 20 })
	got := rc.accepted()
	if !slices.IsSorted(got) {
		t.Errorf("out of order: %v", got)
	}
	if uniq := slices.Compact(slices.Clone(got)); !slices.Equal(uniq, want) || len(got) > len(want)+1 {
		t.Errorf("delivered %v, want %v (one repeat at most)", got, want)
	}
}

// An instance that dies holding a lease (no release) delays its subscriptions
// until the lease runs out, then another instance takes them over.
func TestLeaseTakenOverAfterItRunsOut(t *testing.T) {
	off := fast()
	off.Off = true
	e := newEnv(t, off)
	rc := newReceiver(t)
	id := e.subscribe("admin", rc, nil)
	e.Exec(`UPDATE webhooks SET lease_owner = 'dead-instance', lease_until = now() + interval '300 milliseconds' WHERE id = $1`, id)
	want := e.touch(e.issues(`true`, 2)...)
	e.dispatcher(fast())
	time.Sleep(150 * time.Millisecond)
	if n := len(rc.requests()); n != 0 {
		t.Errorf("%d deliveries while another instance held the lease", n)
	}
	waitFor(t, "the takeover", func() bool { return len(rc.accepted()) >= 2 })
	if got := rc.accepted(); !slices.Equal(got, want) {
		t.Errorf("accepted %v, want %v", got, want)
	}
	e.Must(http.StatusOK, "GET", "/api/v1/webhooks", "admin", nil)
}

// A database outage in the middle of a backlog loses nothing: the workers and
// the scheduler meet closed connections, and once the database is back the
// deliveries go on from the cursors.
func TestDatabaseOutageLosesNothing(t *testing.T) {
	e := newEnv(t, fast())
	rc := newReceiver(t)
	rc.delay = 20 * time.Millisecond
	e.subscribe("admin", rc, nil)
	want := e.touch(e.issues(`true`, 15)...)
	waitFor(t, "three deliveries", func() bool { return len(rc.accepted()) >= 3 })
	name := pgx.Identifier{e.Store.Pool.Config().ConnConfig.Database}.Sanitize()
	restore := func() { admin(t, `ALTER DATABASE `+name+` ALLOW_CONNECTIONS true`) }
	t.Cleanup(restore)
	admin(t, `ALTER DATABASE `+name+` ALLOW_CONNECTIONS false`)
	admin(t, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`,
		e.Store.Pool.Config().ConnConfig.Database)
	time.Sleep(300 * time.Millisecond)
	restore()
	waitFor(t, "every delivery", func() bool { return len(slices.Compact(slices.Sorted(slices.Values(rc.accepted())))) >= 15 })
	got := rc.accepted()
	if uniq := slices.Compact(slices.Clone(got)); !slices.IsSorted(got) || !slices.Equal(uniq, want) {
		t.Errorf("delivered %v, want %v in order", got, want)
	}
}

// admin runs a statement on the test server's maintenance database.
func admin(t *testing.T, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, os.Getenv(dbtest.EnvURL))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
