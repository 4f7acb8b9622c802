package live

import (
	"context"
	"errors"
	"time"

	"github.com/gorilla/websocket"

	"citymap/server/auth"
)

// Close codes beyond the standard ones: the reason of each is
// {"type":...,"resume_since":N}, where N is the sequence number to resume from.
const (
	// CloseSlow closes a client that fell further behind than the ring of recent
	// changes: its queue overflowed and it could not catch up.
	CloseSlow = 4000
	// CloseReplayFailed closes a client whose replay the database could not serve.
	CloseReplayFailed = 4001
)

const (
	maxMessage = 64 << 10
	// closeGrace is how long a closed client may take to answer the close frame;
	// reading its answer keeps the socket from being reset under unread data.
	closeGrace = 2 * time.Second
)

var errGone = errors.New("live: client gone")

// client is one websocket connection. Its session goroutine (run) owns all writes;
// its reader goroutine turns client messages into requests for it.
type client struct {
	id         int
	hub        *Hub
	conn       *websocket.Conn
	net        *stallConn // under conn
	who        *auth.Principal
	queue      chan *Change
	requests   chan request
	readerDone chan struct{}
	writerDone chan struct{}
	// overflow tells the session that the queue was full and the client left the
	// live stream; it must catch up from the ring
	overflow chan struct{}

	// guarded by hub.mu; filter and skip change only while the client is not live
	filter     *filter
	skip       int64 // live changes up to this were sent by the replay
	registered bool  // in the hub's index
	overflowed bool  // the queue was full: nothing more is queued until it rejoins

	// owned by the session goroutine
	pos        int64 // every matching change up to pos has been written
	cut        int64 // the change whose write timed out part-way
	subscribed bool
}

func newClient(h *Hub, conn *websocket.Conn, who *auth.Principal) *client {
	sc, _ := conn.NetConn().(*stallConn)
	return &client{
		id:  int(h.nextID.Add(1)),
		hub: h, conn: conn, net: sc, who: who,
		queue:      make(chan *Change, h.cfg.QueueSize),
		requests:   make(chan request, 1),
		readerDone: make(chan struct{}),
		writerDone: make(chan struct{}),
		overflow:   make(chan struct{}, 1),
	}
}

// run is the session: it writes queued changes, answers requests, pings and
// sends heartbeats until the client goes, falls too far behind or the hub closes.
func (c *client) run() {
	defer c.finish()
	ping := time.NewTicker(c.hub.cfg.PingEvery)
	defer ping.Stop()
	beat := time.NewTicker(c.hub.cfg.Heartbeat)
	defer beat.Stop()
	for {
		var err error
		select {
		case <-c.hub.done:
			c.close(websocket.CloseGoingAway, "shutdown")
			return
		case <-c.readerDone:
			return
		case req := <-c.requests:
			err = c.handle(req)
		case ch := <-c.queue:
			err = c.send(ch)
		case <-c.overflow:
			err = c.catchUp()
		case <-ping.C:
			err = c.ping()
		case <-beat.C:
			err = c.heartbeat()
		}
		if err != nil {
			c.failed(err)
			return
		}
	}
}

// failed closes the client after err, with a reason when the connection can
// still take one.
func (c *client) failed(err error) {
	select {
	case <-c.hub.done: // the replay's database work was cancelled by the shutdown
		c.close(websocket.CloseGoingAway, "shutdown")
		return
	default:
	}
	switch {
	case errors.Is(err, errSlow):
		c.closeSlow("fell behind the ring of recent changes")
	case errors.Is(err, errStalled):
		c.hub.m.writeTimeouts.Inc()
		c.closeSlow("a write timed out: the client stopped reading")
	case errors.Is(err, errReplay):
		sent := c.close(CloseReplayFailed, "error")
		c.hub.logger().Warn("live: replay failed", "err", err, "token", c.who.Name,
			"remote", c.conn.RemoteAddr().String(), "resume_since", c.pos, "close_sent", sent)
	}
}

// closeSlow closes a client that cannot keep up (4000, with where to resume),
// and counts and logs it.
func (c *client) closeSlow(why string) {
	c.hub.m.slow.Inc() // before the close frame, which the client may act on at once
	sent := c.close(CloseSlow, "slow")
	c.hub.logger().Warn("live: closed a slow client", "why", why, "token", c.who.Name,
		"remote", c.conn.RemoteAddr().String(), "resume_since", c.pos, "close_sent", sent)
}

func (c *client) finish() {
	close(c.writerDone)
	c.hub.remove(c)
	_ = c.conn.Close()
}

// close sends a close frame that says where to resume, best effort within
// CloseTimeout, and waits briefly for the client's answer. After a write that
// timed out, what it left goes first: then the change it was writing has reached
// the client too. sent reports whether the close frame got through.
func (c *client) close(code int, typ string) (sent bool) {
	deadline := time.Now().Add(c.hub.cfg.CloseTimeout)
	if c.net.stalled() {
		if err := c.net.flush(deadline); err != nil {
			c.net.abort()
			return false
		}
		c.pos = max(c.pos, c.cut)
	}
	msg := websocket.FormatCloseMessage(code, closeReason(typ, c.pos))
	if err := c.conn.WriteControl(websocket.CloseMessage, msg, deadline); err != nil || c.net.stalled() {
		return false
	}
	t := time.NewTimer(closeGrace)
	defer t.Stop()
	select {
	case <-c.readerDone:
	case <-t.C:
	}
	return true
}

// read turns client messages into requests for the session.
func (c *client) read() {
	defer close(c.readerDone)
	wait := 3 * c.hub.cfg.PingEvery
	c.conn.SetReadLimit(maxMessage)
	_ = c.conn.SetReadDeadline(time.Now().Add(wait))
	c.conn.SetPongHandler(func(string) error { return c.conn.SetReadDeadline(time.Now().Add(wait)) })
	for {
		typ, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		_ = c.conn.SetReadDeadline(time.Now().Add(wait))
		req := request{err: &protoError{"invalid_message", "send JSON text frames"}}
		if typ == websocket.TextMessage {
			req = parseRequest(data, c.who)
		}
		select {
		case c.requests <- req:
		case <-c.writerDone:
			return
		}
	}
}

// handle applies a subscription: the client leaves the live stream, its filter
// changes, and it rejoins either now or after replaying from since.
func (c *client) handle(req request) error {
	if req.err != nil {
		return c.write(errorFrame(req.err.code, req.err.message))
	}
	select { // the hub knows the feed's head once it has read it
	case <-c.hub.ready:
	case <-c.hub.done:
		return nil
	case <-c.readerDone:
		return errGone
	}
	c.hub.leave(c)
	c.discardQueue()
	select { // an overflow of the old subscription no longer matters
	case <-c.overflow:
	default:
	}
	c.filter = req.filter
	c.subscribed = true
	if req.since == nil {
		c.pos = c.hub.joinNow(c)
		return c.write(seqFrame("subscribed", c.pos))
	}
	if err := c.write(seqFrame("subscribed", c.hub.Published())); err != nil {
		return err
	}
	return c.replay(*req.since)
}

// discardQueue drops what was queued under the previous filter.
func (c *client) discardQueue() {
	for {
		select {
		case <-c.queue:
		default:
			return
		}
	}
}

// send writes a live change, unless the replay already sent it.
func (c *client) send(ch *Change) error {
	if ch.Seq <= c.skip && !ch.reset {
		return nil
	}
	return c.writeChange(ch)
}

// writeChange writes a change's frame: the client then has every matching
// change up to it.
func (c *client) writeChange(ch *Change) error {
	if err := c.write(ch.frame); err != nil {
		if errors.Is(err, errStalled) {
			c.cut = ch.Seq // delivered if close gets the rest through
		}
		return err
	}
	c.pos = ch.Seq
	c.hub.m.delivered.Inc()
	return nil
}

// heartbeat tells a live client the sequence number it has everything up to, so
// that one whose filter matched nothing for hours can still resume from the head.
// Whatever is queued up to that number is written first.
func (c *client) heartbeat() error {
	if !c.subscribed {
		return nil
	}
	pos, ok := c.hub.position(c)
	if !ok {
		return nil
	}
	// changes up to pos were queued before position read it: they are all here
	for n := len(c.queue); n > 0; n-- {
		if err := c.send(<-c.queue); err != nil {
			return err
		}
	}
	c.pos = max(c.pos, pos)
	return c.write(seqFrame("heartbeat", c.pos))
}

// write writes a text frame within WriteTimeout; errStalled says it timed out.
func (c *client) write(frame []byte) error {
	if err := c.conn.SetWriteDeadline(time.Now().Add(c.hub.cfg.WriteTimeout)); err != nil {
		return err
	}
	if err := c.conn.WriteMessage(websocket.TextMessage, frame); err != nil {
		return err
	}
	return c.stallErr()
}

// ping writes a ping within WriteTimeout, like write.
func (c *client) ping() error {
	if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.hub.cfg.WriteTimeout)); err != nil {
		return err
	}
	return c.stallErr()
}

// stallErr is errStalled once a write, whichever, has timed out.
func (c *client) stallErr() error {
	if c.net.stalled() {
		return errStalled
	}
	return nil
}

// interrupted reports whether a replay should stop: a new subscription replaces
// it, or the client or the hub is going.
func (c *client) interrupted() bool {
	if len(c.requests) > 0 {
		return true
	}
	select {
	case <-c.readerDone:
		return true
	case <-c.hub.done:
		return true
	default:
		return false
	}
}

// context for the database work of a session: ends with the hub.
func (c *client) context() context.Context { return c.hub.ctx }
