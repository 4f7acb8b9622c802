package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"citymap/server/pgcluster"
	"citymap/server/store"
)

// TestSwitchover: the primary is fenced (default_transaction_read_only, as
// before a planned switchover) but keeps running while its standby is
// promoted. The pool's connections to it leave the pool as they meet it, at
// most one failed statement each, and the writes go to the new primary from
// then on; a listener's connection says it must reconnect.
func TestSwitchover(t *testing.T) {
	ctx := context.Background()
	c := pgcluster.New(t)
	p := c.Primary("primary")
	p.Exec("postgres", "CREATE DATABASE citymap")
	p.Exec("citymap", "CREATE TABLE t (n int)")
	s := c.Standby(p, "standby")
	st, err := store.Open(ctx, pgcluster.HostsURL("citymap", p, s), store.MaxConns(8))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	writes(t, st, 8) // every connection of the pool open, on the primary
	listener, err := st.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close(ctx)

	p.Exec("postgres", "ALTER SYSTEM SET default_transaction_read_only = on")
	p.Exec("postgres", "SELECT pg_reload_conf()")
	p.CaughtUp(s)
	s.Promote()

	failed := 0
	for {
		_, err := st.Pool.Exec(ctx, "INSERT INTO t VALUES (2)")
		if err == nil {
			break
		}
		var pg *pgconn.PgError
		if !errors.As(err, &pg) || pg.Code != "25006" {
			t.Fatalf("a write after the switchover: %v", err)
		}
		if failed++; failed > 8 {
			t.Fatalf("%d writes failed on the fenced primary: its connections stay in the pool", failed)
		}
	}
	writes(t, st, 16)
	var port int
	if err := st.Pool.QueryRow(ctx, "SELECT inet_server_port()").Scan(&port); err != nil || port != s.Port {
		t.Errorf("the pool writes to port %d (%v), the new primary is %d", port, err, s.Port)
	}
	t.Logf("%d writes failed on the fenced primary before the pool moved", failed)

	// the listener learns of it at its next exchanges with its server
	for i := 0; st.CheckPrimary(listener) == nil; i++ {
		if i == 10 {
			t.Fatal("the listener's connection to the fenced primary still counts as the primary")
		}
		if _, err := listener.Exec(ctx, "SELECT 1"); err != nil {
			t.Fatal(err)
		}
	}
}

// writes runs n inserts at once, each on its own connection as far as the
// pool allows; every one must succeed.
func writes(t *testing.T, st *store.Store, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.Pool.Exec(context.Background(), "INSERT INTO t SELECT 1 FROM pg_sleep(0.05)")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
