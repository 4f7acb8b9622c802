package live_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"citymap/server/access"
	"citymap/server/live"
	"citymap/server/logtest"
	"citymap/server/store"
)

// tinyReceiver dials with a receive buffer of a few kilobytes, so that a client
// that does not read fills the server's side of the connection quickly.
var tinyReceiver = &websocket.Dialer{NetDialContext: (&net.Dialer{
	Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		}); cerr != nil {
			return cerr
		}
		return err
	},
}).DialContext}

// bigIssue is an issue whose feature is tens of kilobytes: a few of its changes
// fill the socket buffers.
func bigIssue(t *testing.T, st *store.Store) int64 {
	t.Helper()
	id := newIssue(t, st, 119.80, 31.30, "manhole_cover", gridA)
	if _, err := st.Pool.Exec(context.Background(), `UPDATE issues SET description = repeat('x', 32000) WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return id
}

// stallClient dials a client that subscribes to everything, reads its
// subscription's answer, and then reads nothing, while changes are written until a
// write to it times out. It returns the client, the subscription's sequence number
// and the last change written.
func stallClient(t *testing.T, in *instance, st *store.Store, tok string) (*wsClient, int64, int64) {
	t.Helper()
	id := bigIssue(t, st)
	c := dialQuiet(t, in.wsURL(), tok, tinyReceiver)
	c.send(map[string]any{"type": "subscribe"})
	var sub frame
	if err := c.conn.ReadJSON(&sub); err != nil || sub.Type != "subscribed" {
		t.Fatalf("subscribing: %+v, %v", sub, err)
	}
	var last int64
	for i := 0; in.metric(t, "citymap_live_write_timeouts_total") == 0; i++ {
		if i > 5000 {
			t.Fatal("no write to the client that does not read ever timed out")
		}
		last = mustTouch(t, st, id)
	}
	return c, sub.Seq, last
}

// TestClientStopsReading: a client that stops reading blocks the writes to it
// (its TCP window is full); when one times out the client is closed as slow,
// logged and counted. If it reads again in time it receives everything up to
// the change cut short, then the 4000 close with where to resume; if it never
// does, the connection goes without one.
func TestClientStopsReading(t *testing.T) {
	t.Parallel()
	t.Run("reads again", func(t *testing.T) {
		t.Parallel()
		st := newStore(t)
		logs := &logtest.Buffer{}
		cfg := testConfig()
		cfg.Heartbeat = time.Hour // nothing but changes in the stream
		cfg.WriteTimeout = 200 * time.Millisecond
		cfg.CloseTimeout = wait // time enough to read again
		cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
		in := startInstance(t, st, cfg)
		tok := token(t, st, access.Viewer)
		c, start, last := stallClient(t, in, st, tok)

		c.start()
		var got []frame
		for f := range c.frames {
			got = append(got, f)
		}
		var ce *websocket.CloseError
		if !errors.As(c.closeErr, &ce) || ce.Code != live.CloseSlow {
			t.Fatalf("ended with %v, want close code %d", c.closeErr, live.CloseSlow)
		}
		var reason struct {
			Type        string `json:"type"`
			ResumeSince int64  `json:"resume_since"`
		}
		if err := json.Unmarshal([]byte(ce.Text), &reason); err != nil || reason.Type != "slow" {
			t.Fatalf("close reason %q", ce.Text)
		}
		// every change up to the resume point, the one cut short included, whole
		checkRun(t, got, start+1, reason.ResumeSince)
		t.Logf("%d changes written, %d received before the close", last-start, len(got))
		if n := in.metric(t, "citymap_live_slow_closed_total"); n != 1 {
			t.Errorf("slow closes: %v, want 1", n)
		}
		waitFor(t, "the log line", func() bool {
			return logs.Line(`msg="live: closed a slow client"`, "close_sent=true") != ""
		})
		again := dial(t, in.wsURL(), tok)
		again.subscribe(map[string]any{"since": reason.ResumeSince})
		checkRun(t, again.changesThrough(last), reason.ResumeSince+1, last)
	})
	t.Run("never reads", func(t *testing.T) {
		t.Parallel()
		st := newStore(t)
		logs := &logtest.Buffer{}
		cfg := testConfig()
		cfg.WriteTimeout = 200 * time.Millisecond
		cfg.CloseTimeout = 200 * time.Millisecond
		cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
		in := startInstance(t, st, cfg)
		c, _, _ := stallClient(t, in, st, token(t, st, access.Viewer))

		remote := "remote=" + c.conn.LocalAddr().String()
		var line string
		waitFor(t, "the log line", func() bool {
			line = logs.Line(`msg="live: closed a slow client"`, remote)
			return line != ""
		})
		// whether the close frame still fits in the kernel's buffers depends on
		// how far the stalled write got, so only its mention is asserted
		for _, want := range []string{"token=test-viewer", "resume_since=", "close_sent=", `why="a write timed out`} {
			if !strings.Contains(line, want) {
				t.Errorf("log line lacks %s: %s", want, line)
			}
		}
		for _, name := range []string{"citymap_live_slow_closed_total", "citymap_live_write_timeouts_total"} {
			if n := in.metric(t, name); n != 1 {
				t.Errorf("%s = %v, want 1", name, n)
			}
		}
		waitFor(t, "the connection to be closed", func() bool { return in.metric(t, "citymap_live_subscribers") == 0 })
	})
}
