package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"citymap/server"
	"citymap/server/dbtest"
)

func TestHealthAndReadiness(t *testing.T) {
	ctx := context.Background()
	st := dbtest.Empty(t)
	srv := server.New(server.Config{DataDir: t.TempDir()}, st)
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
