package live

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Stalls: a client that stops reading fills the TCP window, and the write under
// way blocks until its deadline. Such a write usually ends part-way through a
// frame, and after half a frame nothing, not even a close frame, means anything to
// the client. stallConn sits under the websocket and keeps the unsent rest of such
// a write instead, so that the stream stays whole: the session can still send the
// rest and then the close frame that says where to resume, should the client read
// again in time, and otherwise closes the connection knowing it could not.

// maxStallExtra bounds what is kept after a stall besides the frame cut short:
// pongs to a client that keeps pinging without reading, say.
const maxStallExtra = 64 << 10

// errStalled says a write to the client did not complete within the write timeout.
var errStalled = errors.New("live: a write to the client timed out")

// stallConn is the websocket's connection. The websocket serialises its writes;
// the mutex orders them against flush.
type stallConn struct {
	net.Conn
	mu      sync.Mutex
	pending []byte // the unsent rest of the write cut short, and what followed it
	extra   int    // bytes kept after the stall
	stuck   atomic.Bool
}

// Write writes b, or after a stall keeps it behind what is pending: to the
// websocket above, a write that timed out has succeeded, and stalled tells.
func (s *stallConn) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stuck.Load() {
		if s.extra += len(b); s.extra > maxStallExtra {
			return 0, errStalled
		}
		s.pending = append(s.pending, b...)
		return len(b), nil
	}
	n, err := s.Conn.Write(b)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		s.pending = append(s.pending[:0], b[n:]...)
		s.stuck.Store(true)
		return len(b), nil
	}
	return n, err
}

// stalled reports whether a write timed out: the connection then holds back
// everything until flush gets it through.
func (s *stallConn) stalled() bool { return s != nil && s.stuck.Load() }

// flush writes what a stall held back, by the deadline; then writes go through
// again.
func (s *stallConn) flush(deadline time.Time) error {
	if !s.stalled() {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.Conn.SetWriteDeadline(deadline); err != nil {
		return err
	}
	n, err := s.Conn.Write(s.pending)
	s.pending = s.pending[n:]
	if err != nil {
		return err
	}
	s.pending, s.extra = nil, 0
	s.stuck.Store(false)
	return nil
}

// abort makes closing the connection reset it: what a client that stopped
// reading was never sent (megabytes, maybe) is then dropped at once rather than
// kept by the kernel while it tries on.
func (s *stallConn) abort() {
	if tcp, ok := s.Conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
}

// stallWriter hands the websocket upgrader the hijacked connection in a
// stallConn.
type stallWriter struct{ http.ResponseWriter }

func (w stallWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	return &stallConn{Conn: conn}, rw, nil
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (w stallWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
