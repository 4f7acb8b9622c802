package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"citymap/server"
	"citymap/server/access"
	"citymap/server/apitest"
	"citymap/server/dbtest"
	"citymap/server/store"
)

// During a database outage intake answers 503 with Retry-After and the code
// unavailable, which partner systems retry, not 500 internal; once the
// database is back, the same request is taken.
func TestDatabaseOutage(t *testing.T) {
	e := apitest.New(t)
	lon, lat := e.PointIn(e.GridIn)
	issue := map[string]any{"category": "noise", "source": "hotline_12345", "external_id": "outage-1",
		"location": map[string]any{"type": "Point", "coordinates": []float64{lon, lat}}}
	form := url.Values{"service_code": {"noise"}, "lat": {fmt.Sprint(lat)}, "long": {fmt.Sprint(lon)},
		"api_key": {e.Tokens[access.Reporter]}}
	// the tokens are known (cached) before the outage, so that intake itself meets it
	e.Get("/api/v1/me", access.Dispatcher)
	e.Get("/api/v1/me", access.Reporter)

	name := e.Store.Pool.Config().ConnConfig.Database
	admin(t, `ALTER DATABASE `+pgx.Identifier{name}.Sanitize()+` ALLOW_CONNECTIONS false`)
	restore := func() { admin(t, `ALTER DATABASE `+pgx.Identifier{name}.Sanitize()+` ALLOW_CONNECTIONS true`) }
	t.Cleanup(restore)
	admin(t, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, name)

	// the first requests meet terminated connections, the later ones new
	// connections refused
	for _, c := range []struct {
		name, method, path, role string
		body                     any
	}{
		{"intake", "POST", "/api/v1/issues", access.Dispatcher, issue},
		{"a read", "GET", "/api/v1/issues?limit=1", access.Dispatcher, nil},
		{"Open311 intake", "POST", "/open311/v2/requests.json", "", form},
		{"intake again", "POST", "/api/v1/issues", access.Dispatcher, issue},
		{"a read again", "GET", "/api/v1/issues?limit=1", access.Dispatcher, nil},
		{"intake once more", "POST", "/api/v1/issues", access.Dispatcher, issue},
	} {
		r := e.Call(c.method, c.path, c.role, c.body)
		if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
			t.Errorf("%s during the outage: %d, Retry-After %q, want 503 with Retry-After\n%s",
				c.name, r.Status, r.Header.Get("Retry-After"), r.Body)
			continue
		}
		if strings.HasPrefix(c.path, "/open311/") {
			continue // the specification's error list
		}
		if code, _ := r.ErrorOf(t); code != "unavailable" {
			t.Errorf("%s during the outage: code %q, want unavailable", c.name, code)
		}
	}

	restore()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := e.Call("POST", "/api/v1/issues", access.Dispatcher, issue)
		if r.Status == http.StatusCreated {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the outage: %d %s", r.Status, r.Body)
		}
		time.Sleep(100 * time.Millisecond) // the pool reconnecting, not synchronisation
	}
}

// A database that refuses connections (nothing listens on its port) is a 503
// with Retry-After too, from the token lookup on.
func TestDatabaseRefusesConnections(t *testing.T) {
	pool, err := pgxpool.New(context.Background(), "postgres://citymap@127.0.0.1:1/citymap?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	srv, err := server.New(context.Background(), server.Config{DataDir: t.TempDir()}, &store.Store{Pool: pool})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	req, _ := http.NewRequest("POST", ts.URL+"/api/v1/issues", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer cm_whatever")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Errorf("%d, Retry-After %q, want 503 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
	}
	expectStatus(t, ts.URL+"/healthz", http.StatusOK, "")
	expectStatus(t, ts.URL+"/readyz", http.StatusServiceUnavailable, "not_ready")
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
