package liveload

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/paulmach/orb"
)

// receipt is one change frame as a subscriber got it.
type receipt struct {
	seq int64
	at  int64 // unix nanoseconds
}

// subscriber is one simulated wall: a websocket subscribed to issues in its box,
// which reconnects with since the way a wall must when it is closed.
type subscriber struct {
	url, token string
	bound      orb.Bound

	mu     sync.Mutex
	conn   *websocket.Conn
	closed bool

	start      int64 // the sequence number it subscribed at
	pos        int64 // what it has everything up to (owned by read)
	receipts   []receipt
	count      atomic.Int64
	reconnects int
	resets     int
	done       chan struct{}
}

var dialer = websocket.Dialer{
	HandshakeTimeout: 30 * time.Second,
	ReadBufferSize:   4096,
	WriteBufferSize:  512,
	WriteBufferPool:  &sync.Pool{},
}

// connect dials and subscribes, from since when it is not nil.
func (s *subscriber) connect(ctx context.Context, since *int64) error {
	conn, res, err := dialer.DialContext(ctx, s.url, http.Header{"Authorization": {"Bearer " + s.token}})
	if err != nil {
		if res != nil {
			err = fmt.Errorf("%w (HTTP %s)", err, res.Status)
		}
		return err
	}
	sub := map[string]any{"type": "subscribe", "layers": []string{"issues"},
		"bbox": []float64{s.bound.Min[0], s.bound.Min[1], s.bound.Max[0], s.bound.Max[1]}}
	if since != nil {
		sub["since"] = *since
	}
	if err := conn.WriteJSON(sub); err != nil {
		conn.Close()
		return err
	}
	var answer struct {
		Type string
		Seq  int64
	}
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	if err := conn.ReadJSON(&answer); err != nil || answer.Type != "subscribed" {
		conn.Close()
		return fmt.Errorf("subscribe: %v %+v", err, answer)
	}
	_ = conn.SetReadDeadline(time.Time{})
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		conn.Close()
		return errors.New("closed")
	}
	s.conn = conn
	if since == nil {
		s.start, s.pos = answer.Seq, answer.Seq
		s.done = make(chan struct{})
	}
	return nil
}

// read records change frames until the subscriber is closed, reconnecting from
// where it stands whenever the server closes it.
func (s *subscriber) read(ctx context.Context) {
	defer close(s.done)
	var buf bytes.Buffer
	for {
		err := s.readConn(&buf)
		if s.isClosed() || ctx.Err() != nil {
			return
		}
		s.noteClose(err)
		if !s.reconnect(ctx) {
			return
		}
	}
}

func (s *subscriber) readConn(buf *bytes.Buffer) error {
	conn := s.current()
	for {
		_, r, err := conn.NextReader()
		if err != nil {
			return err
		}
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil {
			return err
		}
		s.frame(buf.Bytes())
	}
}

var changePrefix = []byte(`{"type":"change","seq":`)

// frame records a frame: changes by their sequence number, read straight from the
// frame's fixed prefix (the feature is not needed here).
func (s *subscriber) frame(b []byte) {
	now := time.Now().UnixNano()
	if rest, ok := bytes.CutPrefix(b, changePrefix); ok {
		end := bytes.IndexByte(rest, ',')
		if seq, err := strconv.ParseInt(string(rest[:max(end, 0)]), 10, 64); err == nil {
			s.receipts = append(s.receipts, receipt{seq, now})
			s.pos = max(s.pos, seq)
			s.count.Add(1)
			return
		}
	}
	var f struct {
		Type string
		Seq  int64
	}
	if json.Unmarshal(b, &f) == nil {
		switch f.Type {
		case "heartbeat":
			s.pos = max(s.pos, f.Seq)
		case "reset":
			s.resets++
			s.pos = f.Seq
		}
	}
}

// noteClose takes the resume position from a close reason when it is further on.
func (s *subscriber) noteClose(err error) {
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		return
	}
	var reason struct {
		ResumeSince int64 `json:"resume_since"`
	}
	if json.Unmarshal([]byte(ce.Text), &reason) == nil {
		s.pos = max(s.pos, reason.ResumeSince)
	}
}

// reconnect resumes from pos, retrying with backoff until it works or the run ends.
func (s *subscriber) reconnect(ctx context.Context) bool {
	backoff := 100 * time.Millisecond
	for !s.isClosed() && ctx.Err() == nil {
		since := s.pos
		if err := s.connect(ctx, &since); err == nil {
			s.reconnects++
			return true
		}
		time.Sleep(backoff) // pacing retries against a server that is away
		backoff = min(2*backoff, 5*time.Second)
	}
	return false
}

func (s *subscriber) current() *websocket.Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn
}

func (s *subscriber) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// close ends the subscriber and waits for its reader, after which its receipts
// may be read.
func (s *subscriber) close() {
	s.mu.Lock()
	s.closed = true
	if s.conn != nil {
		_ = s.conn.Close()
	}
	done := s.done
	s.mu.Unlock()
	if done != nil {
		<-done
	}
}
