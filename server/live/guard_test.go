package live_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/gorilla/websocket"

	"citymap/server/access"
	"citymap/server/live"
)

// Sockets over a token's cap are refused with 429, over the instance's with
// 503, both before the upgrade, with Retry-After and the JSON error; a closed
// socket frees its place.
func TestSocketCaps(t *testing.T) {
	st := newStore(t)
	cfg := testConfig()
	cfg.MaxPerToken, cfg.MaxClients = 2, 3
	in := startInstance(t, st, cfg)
	wall, phone, third := token(t, st, access.Viewer), token(t, st, access.Viewer), token(t, st, access.Dispatcher)

	w1 := dial(t, in.wsURL(), wall)
	dial(t, in.wsURL(), wall)
	refused(t, in.wsURL(), wall, http.StatusTooManyRequests, "too_many_streams")
	dial(t, in.wsURL(), phone) // the third socket: the instance is full
	refused(t, in.wsURL(), third, http.StatusServiceUnavailable, "live_full")
	refused(t, in.wsURL(), phone, http.StatusServiceUnavailable, "live_full")

	if got := in.metric(t, `citymap_live_refused_total{reason="token"}`); got != 1 {
		t.Errorf("refused over the token's cap: %v, want 1", got)
	}
	if got := in.metric(t, `citymap_live_refused_total{reason="total"}`); got != 2 {
		t.Errorf("refused over the instance's cap: %v, want 2", got)
	}

	_ = w1.conn.Close()
	waitFor(t, "the closed socket to go", func() bool { return in.metric(t, "citymap_live_subscribers") == 2 })
	dial(t, in.wsURL(), third)
	refused(t, in.wsURL(), wall, http.StatusServiceUnavailable, "live_full")
}

// Caps below zero are off: one token may hold many sockets (the benchmark's
// load tool plays every wall with one token).
func TestSocketCapsOff(t *testing.T) {
	st := newStore(t)
	cfg := testConfig()
	cfg.MaxPerToken, cfg.MaxClients = -1, -1
	in := startInstance(t, st, cfg)
	tok := token(t, st, access.Viewer)
	for range live.DefaultMaxPerToken + 1 {
		dialQuiet(t, in.wsURL(), tok, nil)
	}
	if got := in.metric(t, "citymap_live_subscribers"); got != live.DefaultMaxPerToken+1 {
		t.Errorf("%v subscribers, want %d", got, live.DefaultMaxPerToken+1)
	}
}

// refused dials and expects the upgrade to be refused with status and code.
func refused(t *testing.T, url, tok string, status int, code string) {
	t.Helper()
	conn, res, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {"Bearer " + tok}})
	if err == nil {
		conn.Close()
		t.Fatalf("the upgrade was accepted, want %d", status)
	}
	if res == nil {
		t.Fatalf("dial: %v", err)
	}
	defer res.Body.Close()
	var body struct {
		Error struct{ Code, Message string }
	}
	_ = json.NewDecoder(res.Body).Decode(&body)
	if res.StatusCode != status || body.Error.Code != code || body.Error.Message == "" ||
		res.Header.Get("Retry-After") == "" {
		t.Errorf("refused with %d %+v Retry-After %q; want %d %s with a Retry-After",
			res.StatusCode, body.Error, res.Header.Get("Retry-After"), status, code)
	}
}
