package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"citymap/server"
	"citymap/server/dbtest"
	"citymap/server/store"
)

func TestHealthAndReadiness(t *testing.T) {
	ctx := context.Background()
	st := dbtest.Empty(t)
	srv, err := server.New(context.Background(), server.Config{DataDir: t.TempDir()}, st)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)

	// before migrating: up, but not ready
	expectStatus(t, ts.URL+"/healthz", http.StatusOK, "")
	expectStatus(t, ts.URL+"/readyz", http.StatusServiceUnavailable, "not_ready")

	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// ready once the live stream follows the changes feed too, which it retries
	// to within half a second
	var body struct {
		Status string
		Feed   struct{ Following bool }
	}
	waitStatus(t, ts.URL+"/readyz", http.StatusOK, &body)
	if body.Status != "ready" || !body.Feed.Following {
		t.Errorf("/readyz: %+v", body)
	}

	// the database gone: still up, no longer ready
	st.Close()
	expectStatus(t, ts.URL+"/healthz", http.StatusOK, "")
	expectStatus(t, ts.URL+"/readyz", http.StatusServiceUnavailable, "not_ready")
}

// waitStatus polls url until it answers status, then decodes the answer into v.
func waitStatus(t *testing.T, url string, status int, v any) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode == status {
			defer res.Body.Close()
			if err := json.NewDecoder(res.Body).Decode(v); err != nil {
				t.Fatalf("GET %s: %v", url, err)
			}
			return
		}
		res.Body.Close()
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: status %d, want %d", url, res.StatusCode, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func expectStatus(t *testing.T, url string, status int, code string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != status {
		t.Fatalf("GET %s: status %d, want %d", url, res.StatusCode, status)
	}
	if code == "" {
		return
	}
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	if body.Error.Code != code || body.Error.Message == "" {
		t.Errorf("GET %s: error %+v, want code %q with a message", url, body.Error, code)
	}
}

// TestNewFailsWhole: a part that cannot start makes New fail with its name,
// and the parts started before it are stopped again (the live hub's and the
// token watcher's LISTEN connections closed).
func TestNewFailsWhole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := dbtest.New(t)
	// the questionnaires' secret cannot be kept under a regular file
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(ctx, server.Config{DataDir: filepath.Join(file, "data")}, st)
	if err == nil {
		srv.Close()
		t.Fatal("New started an instance that cannot keep its surveys' secret")
	}
	if !strings.HasPrefix(err.Error(), "surveys: ") {
		t.Errorf("error %q does not name the part", err)
	}
	waitListening(t, st, func(n int) bool { return n == 0 }, "no LISTEN connection left after New failed")

	// and the query sees them: a whole instance listens
	srv, err = server.New(ctx, server.Config{DataDir: t.TempDir()}, st)
	if err != nil {
		t.Fatal(err)
	}
	waitListening(t, st, func(n int) bool { return n > 0 }, "a started instance's LISTEN connections")
	srv.Close()
	waitListening(t, st, func(n int) bool { return n == 0 }, "no LISTEN connection left after Close")
}

// waitListening waits until ok holds for the number of LISTEN connections to
// st's database other than the test's own.
func waitListening(t *testing.T, st *store.Store, ok func(int) bool, what string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		if err := st.Pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if ok(n) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s: %d LISTEN connections", what, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
