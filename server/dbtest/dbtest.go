// Package dbtest gives each test its own real PostGIS database, cloned from the
// migrated and seeded template that `make test` prepares, and drops it afterwards.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"citymap/server/store"
)

// Environment that `make test` sets: the server to use and the template to clone.
const (
	EnvURL      = "CITYMAP_TEST_DATABASE_URL"
	EnvTemplate = "CITYMAP_TEST_TEMPLATE"
	// EnvRequire, set by `make test`, turns a missing service from a skip into
	// a failure: a plain `go test ./...` on a machine without the database runs
	// the pure tests and skips the rest, but the suite that CI trusts must not
	// pass by skipping.
	EnvRequire = "CITYMAP_REQUIRE_SERVICES"
	// EnvReplicaURL is the URL of the postgres database on a streaming
	// replica of EnvURL's server (scripts/replica.sh).
	EnvReplicaURL = "CITYMAP_TEST_REPLICA_URL"
)

// Env returns the environment variable name that a test needs, which names
// the service it points at (what). Without it the test is skipped, or fails
// under EnvRequire.
func Env(t testing.TB, name, what string) string {
	t.Helper()
	v := os.Getenv(name)
	if v != "" {
		return v
	}
	msg := fmt.Sprintf("%s is not set: run the tests with `make test`, which starts %s", name, what)
	if os.Getenv(EnvRequire) != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// New returns a store on a fresh clone of the test template (the demo city at
// scale 1, seed 1). The clone is dropped when the test ends.
func New(t testing.TB) *store.Store {
	t.Helper()
	return open(t, Env(t, EnvTemplate, "the database and prepares the template"))
}

// Empty returns a store on a fresh database with PostGIS and no schema, for tests
// of migrations and seeding.
func Empty(t testing.TB) *store.Store {
	t.Helper()
	return open(t, "")
}

// URL returns the connection URL of a fresh clone of the template, for tests that
// run a citymap process of their own. The clone is dropped when the test ends.
func URL(t testing.TB) string {
	t.Helper()
	s := New(t)
	url := s.Pool.Config().ConnString()
	s.Close()
	return url
}

func open(t testing.TB, template string) *store.Store {
	t.Helper()
	admin := Env(t, EnvURL, "the database")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	name := "citymap_t_" + randomSuffix()
	if err := exec(ctx, admin, createStatement(name, template)); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	if template == "" {
		if err := exec(ctx, withDatabase(t, admin, name), "CREATE EXTENSION postgis"); err != nil {
			t.Fatalf("postgis: %v", err)
		}
	}
	s, err := store.Open(ctx, withDatabase(t, admin, name))
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() {
		s.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := exec(ctx, admin, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	return s
}

func createStatement(name, template string) string {
	if template == "" {
		return fmt.Sprintf(`CREATE DATABASE %s`, name)
	}
	// FILE_COPY clones at file level: much faster than WAL-logging every block
	return fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s STRATEGY FILE_COPY`,
		name, pgx.Identifier{template}.Sanitize())
}

func withDatabase(t testing.TB, raw, db string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%s: %v", EnvURL, err)
	}
	u.Path = "/" + db
	return u.String()
}

func exec(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// QuietDeadlines moves the deadlines of open issues that fall within the next d
// to d later, so that no issue turns overdue during the next d. A test that
// compares an answer's overdue flags or counts with its own SQL reads the clock
// twice (the server's statement, then the test's); with no deadline in
// between, both instants give the same figures, whatever the day and hour and
// whatever instant the template was seeded at.
func QuietDeadlines(t testing.TB, s *store.Store, d time.Duration) {
	t.Helper()
	if _, err := s.Pool.Exec(context.Background(), `UPDATE issues SET deadline = deadline + $1::interval
		WHERE issue_is_open(status) AND deadline >= now() AND deadline < now() + $1::interval`, d); err != nil {
		t.Fatalf("quiet deadlines: %v", err)
	}
}

// ReplicaURL returns the URL of st's database on the test replica, once the
// replica has replayed everything the primary had written when asked (the
// database's creation among it).
func ReplicaURL(t testing.TB, st *store.Store) string {
	t.Helper()
	raw := Env(t, EnvReplicaURL, "a streaming replica of the database (scripts/replica.sh)")
	CaughtUp(t, raw, st)
	return withDatabase(t, raw, st.Pool.Config().ConnConfig.Database)
}

// CaughtUp waits until the replica at replicaURL has replayed the primary's
// WAL position of now.
func CaughtUp(t testing.TB, replicaURL string, st *store.Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pos, err := st.WALPosition(ctx)
	if err != nil {
		t.Fatalf("primary's WAL position: %v", err)
	}
	conn, err := pgx.Connect(ctx, replicaURL)
	if err != nil {
		t.Fatalf("replica: %v", err)
	}
	defer conn.Close(context.Background())
	for {
		var done bool
		err := conn.QueryRow(ctx, `SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn`, pos.String()).Scan(&done)
		if err != nil {
			t.Fatalf("the replica's replay (is replay paused?): %v", err)
		}
		if done {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
