package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"citymap/server"
	"citymap/server/access"
	"citymap/server/dbtest"
	"citymap/server/live"
	"citymap/server/store"
)

// revokeWithin is how soon every instance must refuse a changed token: the time
// a notification takes, far below the 30 s the cache once held tokens for.
const revokeWithin = 2 * time.Second

// probe is what the tests ask for: a wall's TileJSON, for readers only.
const probe = "/tiles/areas.json"

// Whatever takes a token's power away, by the CLI's path or by SQL, every
// instance on the database refuses the token at once and closes its sockets.
func TestRevocationReachesEveryInstance(t *testing.T) {
	ctx := context.Background()
	st := dbtest.New(t)
	a := startInstance(t, st, server.Config{})
	b := startInstance(t, st, server.Config{})
	a.listening(t)
	b.listening(t)
	cases := []struct {
		name   string
		change func(id int64)
	}{
		{"citymap token revoke", func(id int64) {
			if _, err := st.RevokeToken(ctx, "revoke-citymap token revoke"); err != nil {
				t.Fatal(err)
			}
		}},
		{"UPDATE revoked_at", func(id int64) { exec(t, st, `UPDATE api_tokens SET revoked_at = now() WHERE id = $1`, id) }},
		{"UPDATE expires_at", func(id int64) {
			exec(t, st, `UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, id)
		}},
		{"DELETE", func(id int64) { exec(t, st, `DELETE FROM api_tokens WHERE id = $1`, id) }},
		{"UPDATE role", func(id int64) { exec(t, st, `UPDATE api_tokens SET role = 'reporter' WHERE id = $1`, id) }},
		{"TRUNCATE", func(int64) { exec(t, st, `TRUNCATE api_tokens`) }}, // last: it takes every token
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok, id := newToken(t, st, "revoke-"+c.name, access.Viewer, nil)
			sockets := []*socket{openSocket(t, a, tok), openSocket(t, b, tok)}
			for _, in := range []*instance{a, b} { // cached on both
				for range 2 {
					if s := in.status(t, probe, tok); s != http.StatusOK {
						t.Fatalf("before the change: status %d", s)
					}
				}
			}
			c.change(id)
			changed := time.Now()
			for _, in := range []*instance{a, b} {
				for in.status(t, probe, tok) == http.StatusOK {
					if time.Since(changed) > revokeWithin {
						t.Fatalf("%s still accepts the token %v after the change", in.url, revokeWithin)
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
			for i, s := range sockets {
				if code, typ := s.closed(t); code != live.CloseUnauthorized || typ != "revoked" {
					t.Errorf("socket %d closed with %d %q, want %d revoked", i, code, typ, live.CloseUnauthorized)
				}
			}
			t.Logf("refused on both instances %v after the change", time.Since(changed).Round(time.Millisecond))
		})
	}
}

// A change that leaves a token's grants alone leaves its sockets open.
func TestUnrelatedChangesKeepSockets(t *testing.T) {
	st := dbtest.New(t)
	a := startInstance(t, st, server.Config{})
	a.listening(t)
	tok, id := newToken(t, st, "wall", access.Viewer, nil)
	other, otherID := newToken(t, st, "other", access.Viewer, nil)
	s := openSocket(t, a, tok)
	so := openSocket(t, a, other)
	exec(t, st, `UPDATE api_tokens SET last_used_at = now(), name = 'renamed' WHERE id = $1`, id)
	exec(t, st, `UPDATE api_tokens SET revoked_at = now() WHERE id = $1`, otherID)
	if code, _ := so.closed(t); code != live.CloseUnauthorized {
		t.Errorf("the revoked token's socket closed with %d", code)
	}
	if !s.open(300 * time.Millisecond) {
		t.Error("a socket was closed though its token still grants the same")
	}
	if got := a.status(t, probe, tok); got != http.StatusOK {
		t.Errorf("the renamed token: status %d", got)
	}
}

// A token expires on time in the cache and on open sockets, without anything
// changing in the database.
func TestExpiryIsHonoured(t *testing.T) {
	st := dbtest.New(t)
	a := startInstance(t, st, server.Config{})
	a.listening(t)
	var dbNow time.Time
	if err := st.Pool.QueryRow(context.Background(), `SELECT now()`).Scan(&dbNow); err != nil {
		t.Fatal(err)
	}
	expires := dbNow.Add(1500 * time.Millisecond)
	tok, _ := newToken(t, st, "short", access.Viewer, &expires)
	s := openSocket(t, a, tok)
	if got := a.status(t, probe, tok); got != http.StatusOK {
		t.Fatalf("before expiry: status %d", got)
	}
	if code, typ := s.closed(t); code != live.CloseUnauthorized || typ != "expired" {
		t.Errorf("closed with %d %q, want %d expired", code, typ, live.CloseUnauthorized)
	}
	time.Sleep(time.Until(expires.Add(50 * time.Millisecond)))
	if got := a.status(t, probe, tok); got != http.StatusUnauthorized {
		t.Errorf("after expiry: status %d, want 401", got)
	}
}

// With the listener's connection killed, no revoked token is accepted: while it
// is down every token is looked up, and once it listens again the cache starts
// empty and the open sockets are checked.
func TestListenerLossTrustsNothing(t *testing.T) {
	st := dbtest.New(t)
	a := startInstance(t, st, server.Config{})
	a.listening(t)
	tok, id := newToken(t, st, "wall", access.Viewer, nil)
	s := openSocket(t, a, tok)
	for range 2 {
		if got := a.status(t, probe, tok); got != http.StatusOK {
			t.Fatalf("before: status %d", got)
		}
	}
	lost := a.metric(t, "citymap_auth_listener_reconnects_total")
	exec(t, st, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = $1 AND datname = current_database()`, store.TokenListenerName)
	waitFor(t, "the listener to notice", func() bool { return a.metric(t, "citymap_auth_listener_reconnects_total") > lost })
	// revoked while the listener is down or just back: no announcement reaches
	// this instance, or it reaches one whose cache was cleared
	exec(t, st, `UPDATE api_tokens SET revoked_at = now() WHERE id = $1`, id)
	if got := a.status(t, probe, tok); got != http.StatusUnauthorized {
		t.Errorf("after the listener was lost: status %d, want 401", got)
	}
	if code, typ := s.closed(t); code != live.CloseUnauthorized || typ != "revoked" {
		t.Errorf("socket closed with %d %q, want %d revoked", code, typ, live.CloseUnauthorized)
	}
	a.listening(t) // and it comes back
	good, _ := newToken(t, st, "good", access.Viewer, nil)
	if got := a.status(t, probe, good); got != http.StatusOK {
		t.Errorf("a good token after the listener came back: status %d", got)
	}
}

// A revocation whose announcement was missed is caught when the listener
// connects again, on sockets and in the cache. The trigger is switched off for
// the revocation, as if the listener had been down when it happened.
func TestRevocationMissedIsCaughtOnReconnect(t *testing.T) {
	st := dbtest.New(t)
	a := startInstance(t, st, server.Config{})
	a.listening(t)
	tok, id := newToken(t, st, "wall", access.Viewer, nil)
	s := openSocket(t, a, tok)
	for range 2 {
		if got := a.status(t, probe, tok); got != http.StatusOK {
			t.Fatalf("before: status %d", got)
		}
	}
	exec(t, st, `ALTER TABLE api_tokens DISABLE TRIGGER api_tokens_changed`)
	exec(t, st, `UPDATE api_tokens SET revoked_at = now() WHERE id = $1`, id)
	exec(t, st, `ALTER TABLE api_tokens ENABLE TRIGGER api_tokens_changed`)
	if !s.open(200*time.Millisecond) || a.status(t, probe, tok) != http.StatusOK {
		t.Fatal("the unannounced revocation took effect: this test no longer tests a missed one")
	}
	lost := a.metric(t, "citymap_auth_listener_reconnects_total")
	exec(t, st, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = $1 AND datname = current_database()`, store.TokenListenerName)
	waitFor(t, "the listener to notice", func() bool { return a.metric(t, "citymap_auth_listener_reconnects_total") > lost })
	if got := a.status(t, probe, tok); got != http.StatusUnauthorized {
		t.Errorf("status %d, want 401", got)
	}
	if code, typ := s.closed(t); code != live.CloseUnauthorized || typ != "revoked" {
		t.Errorf("socket closed with %d %q, want %d revoked", code, typ, live.CloseUnauthorized)
	}
}

func exec(t *testing.T, st *store.Store, sql string, args ...any) {
	t.Helper()
	if _, err := st.Pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
