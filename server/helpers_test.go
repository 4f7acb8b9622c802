package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"citymap/server"
	"citymap/server/auth"
	"citymap/server/store"
)

// patience bounds every wait: far above what any step needs, so that only a
// real failure reaches it.
const patience = 15 * time.Second

// instance is one citymap server as serve runs it (HTTPServer on a listener).
type instance struct {
	srv *server.Server
	url string // http://127.0.0.1:PORT
}

func startInstance(t *testing.T, st *store.Store, cfg server.Config) *instance {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	srv, err := server.New(context.Background(), cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := srv.HTTPServer()
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); _ = hs.Close() })
	return &instance{srv: srv, url: "http://" + ln.Addr().String()}
}

func (in *instance) addr() string { return strings.TrimPrefix(in.url, "http://") }

// metric reads one value from the instance's /metrics.
func (in *instance) metric(t *testing.T, name string) float64 {
	t.Helper()
	res, err := http.Get(in.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var f float64
			if _, err := fmt.Sscan(v, &f); err != nil {
				t.Fatalf("metric %s: %q", name, line)
			}
			return f
		}
	}
	t.Fatalf("/metrics lacks %s", name)
	return 0
}

// listening waits until the instance's token listener is up.
func (in *instance) listening(t *testing.T) {
	t.Helper()
	waitFor(t, "the token listener", func() bool { return in.metric(t, "citymap_auth_listener_up") == 1 })
}

// status is the answer to GET path with tok.
func (in *instance) status(t *testing.T, path, tok string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", in.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// newToken creates a token; expires may be nil.
func newToken(t *testing.T, st *store.Store, name, role string, expires *time.Time) (string, int64) {
	t.Helper()
	tok, hash, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	tk, err := st.CreateToken(context.Background(), name, role, nil, hash, expires)
	if err != nil {
		t.Fatal(err)
	}
	return tok, tk.ID
}

// socket is a subscribed /live client that reads until it is closed.
type socket struct {
	conn *websocket.Conn
	end  chan error // how the connection ended
}

func openSocket(t *testing.T, in *instance, tok string) *socket {
	t.Helper()
	url := "ws" + strings.TrimPrefix(in.url, "http") + "/live"
	conn, res, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {"Bearer " + tok}})
	if err != nil {
		t.Fatalf("dial %s: %v (%v)", url, err, res)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if err := conn.WriteJSON(map[string]any{"type": "subscribe"}); err != nil {
		t.Fatal(err)
	}
	var first struct{ Type string }
	if err := conn.ReadJSON(&first); err != nil || first.Type != "subscribed" {
		t.Fatalf("subscribe: %v %+v", err, first)
	}
	s := &socket{conn: conn, end: make(chan error, 1)}
	go func() {
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				s.end <- err
				return
			}
		}
	}()
	return s
}

// closed waits for the socket to be closed and returns the close code and
// reason's type.
func (s *socket) closed(t *testing.T) (int, string) {
	t.Helper()
	select {
	case err := <-s.end:
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("the socket ended without a close frame: %v", err)
		}
		var reason struct{ Type string }
		_ = json.Unmarshal([]byte(ce.Text), &reason)
		return ce.Code, reason.Type
	case <-time.After(patience):
		t.Fatal("the socket was not closed")
	}
	return 0, ""
}

// open reports whether the socket is still open after d.
func (s *socket) open(d time.Duration) bool {
	select {
	case <-s.end:
		return false
	case <-time.After(d):
		return true
	}
}
