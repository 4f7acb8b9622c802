// Package live serves /live: a websocket stream of the changes feed to command-
// center walls and grid managers' phones, lossless and resumable.
//
// The feed in PostgreSQL is the single source. Each instance's hub tails it (LISTEN
// plus reads by sequence number), decodes each change once, matches it against the
// subscriptions through a spatial index and puts the shared message on the bounded
// queue of every client that wants it. A client that reconnects with since is
// replayed from an in-memory ring of recent changes, or from the feed itself, before
// it joins the live stream at exactly the sequence number where the replay ended.
package live

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"citymap/geo/subindex"
	"citymap/server/auth"
	"citymap/server/metrics"
	"citymap/server/store"
)

// Config tunes the stream; zero fields take the defaults.
type Config struct {
	// Retention is how long the feed keeps changes for clients to resume (7 days):
	// a month of the feed is dropped once the retention has passed its end.
	Retention time.Duration
	// PruneEvery is how often the instance drops the months past the retention.
	PruneEvery time.Duration
	// QueueSize bounds each client's queue of changes waiting to be written.
	QueueSize int
	// RingSize is how many recent changes the instance keeps for replays.
	RingSize int
	// Heartbeat is how often an idle subscription hears the head sequence number.
	Heartbeat time.Duration
	// PingEvery is how often the server pings; a client silent for three times as
	// long is gone.
	PingEvery time.Duration
	// WriteTimeout bounds writing one frame; a client that takes longer is closed
	// as slow.
	WriteTimeout time.Duration
	// CloseTimeout bounds writing a close frame, after what a write that timed
	// out left: a client that stopped reading for good gets none.
	CloseTimeout time.Duration
	// PollEvery is the safety poll of the feed, should a notification be lost.
	PollEvery time.Duration
	// AllowedOrigins are browser origins besides the server's own host.
	AllowedOrigins []string
	// Logger receives the stream's log lines; nil is slog's default.
	Logger *slog.Logger
	// MaxPerToken and MaxClients cap the sockets of one token and of the
	// instance (guard.go); zero takes the default, below zero is no cap.
	MaxPerToken, MaxClients int
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Retention, 7*24*time.Hour)
	def(&c.PruneEvery, 5*time.Minute)
	def(&c.Heartbeat, 15*time.Second)
	def(&c.PingEvery, 20*time.Second)
	def(&c.WriteTimeout, 10*time.Second)
	def(&c.CloseTimeout, time.Second)
	def(&c.PollEvery, time.Second)
	if c.QueueSize <= 0 {
		c.QueueSize = 1024
	}
	if c.RingSize <= 0 {
		c.RingSize = 16384
	}
	if c.MaxPerToken == 0 {
		c.MaxPerToken = DefaultMaxPerToken
	}
	if c.MaxClients == 0 {
		c.MaxClients = DefaultMaxClients
	}
	return c
}

// dbReplays bounds how many clients replay from the database at once, so that a
// reconnect storm after an outage queues up instead of draining the pool.
const dbReplays = 4

// Hub is an instance's side of the stream.
type Hub struct {
	cfg      Config
	st       *store.Store
	auth     *auth.Authenticator
	upgrader websocket.Upgrader
	m        *hubMetrics
	guard    *guard // caps and token checks, guard.go

	mu        sync.RWMutex
	index     *subindex.Index
	live      map[int]*client      // clients in the index, by id
	clients   map[*client]struct{} // every connected client
	ring      ring
	published int64 // every change up to this has been matched and queued
	closed    bool

	ready    chan struct{} // closed once published holds the feed's head
	done     chan struct{} // closed by Close
	ctx      context.Context
	cancel   context.CancelFunc
	bg       sync.WaitGroup // tailer and pruner
	sessions sync.WaitGroup
	nextID   atomic.Int64
	dbSem    chan struct{}
	// announced is the highest head a notification or read has shown
	announced atomic.Int64
	// caughtUpAt is when the tailer last read to the end of the feed (Unix ns),
	// 0 while its connection is down
	caughtUpAt atomic.Int64
	// observers hear every published change (observe.go)
	observers observers
}

// New returns a hub over the store's feed, registering its metrics in reg. Start
// begins tailing.
func New(cfg Config, st *store.Store, authn *auth.Authenticator, reg *metrics.Registry) *Hub {
	cfg = cfg.withDefaults()
	h := &Hub{
		cfg: cfg, st: st, auth: authn,
		index:   subindex.New(0),
		live:    map[int]*client{},
		clients: map[*client]struct{}{},
		ring:    newRing(cfg.RingSize),
		ready:   make(chan struct{}),
		done:    make(chan struct{}),
		dbSem:   make(chan struct{}, dbReplays),
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.upgrader = websocket.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 4096,
		// one pool of write buffers: idle walls then hold none
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     h.checkOrigin,
		Error:           upgradeError,
	}
	h.m = newHubMetrics(reg, h)
	h.guard = newGuard(cfg, reg)
	return h
}

// Start begins tailing and pruning the feed in the background.
func (h *Hub) Start() {
	h.bg.Add(2)
	go func() { defer h.bg.Done(); h.tail(h.ctx) }()
	go func() { defer h.bg.Done(); h.prune(h.ctx) }()
}

// Close stops tailing, closes every client with a reason that says where to resume
// and waits for them to go.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	close(h.done)
	h.mu.Unlock()
	h.cancel()
	h.bg.Wait()
	h.sessions.Wait()
}

// Published is the sequence number up to which the hub has queued every change.
func (h *Hub) Published() int64 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.published
}

// FeedState says whether the hub follows the changes feed, for /readyz.
type FeedState struct {
	// Following: the hub listens on the feed and has read to its end within
	// the last few seconds, so what commits now reaches its clients promptly.
	Following bool `json:"following"`
	// Lag counts the changes the feed has announced and the hub not yet queued.
	Lag int64 `json:"lag"`
	// Published is the sequence number up to which changes are queued.
	Published int64 `json:"published"`
}

// Feed tells how the hub follows the feed. An instance whose tailer is cut off,
// reconnecting or stuck behind is not Following, even when its database answers.
func (h *Hub) Feed() FeedState {
	published := h.Published()
	at := h.caughtUpAt.Load()
	return FeedState{
		Following: at != 0 && time.Since(time.Unix(0, at)) < h.staleAfter(),
		Lag:       max(0, h.announced.Load()-published),
		Published: published,
	}
}

// staleAfter is how long the tailer may go without reading to the end of the
// feed: it does so at least every PollEvery while all is well, and within a few
// pages of a burst.
func (h *Hub) staleAfter() time.Duration { return max(5*time.Second, 3*h.cfg.PollEvery) }

// Subscribers counts connected clients.
func (h *Hub) Subscribers() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.clients)
}

// initialize sets the position the hub streams from at start: the feed's head,
// with the changes before it loaded into the ring for replays.
func (h *Hub) initialize(head int64, recent []*Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.published = head
	h.ring.clear()
	for _, ch := range recent {
		h.ring.push(ch)
	}
	close(h.ready)
	h.m.published.Set(float64(head))
}

// publish matches a contiguous batch of changes, in order, against the live
// subscriptions and queues each on the clients that want it. It never blocks: a
// client whose queue is full leaves the live stream at that change and catches up
// from the ring on its own (session.go), so a burst such as a batch import does not
// cost a healthy wall its connection; only one that falls out of the ring is closed.
func (h *Hub) publish(batch []*Change) {
	now := time.Now()
	h.mu.Lock()
	var over []*client
	queued := 0
	for _, ch := range batch {
		h.ring.push(ch)
		h.candidates(ch, func(c *client) {
			if c.overflowed || !c.filter.match(ch) {
				return
			}
			select {
			case c.queue <- ch:
				queued++
			default:
				c.overflowed = true // nothing more is queued: what is queued stays a prefix
				over = append(over, c)
			}
		})
		h.published = ch.Seq
	}
	for _, c := range over {
		h.unregisterLocked(c)
		select {
		case c.overflow <- struct{}{}:
		default:
		}
	}
	h.mu.Unlock()
	h.observers.notify(batch)
	h.m.overflows.Add(float64(len(over)))
	h.m.observePublished(batch, queued, now)
}

// candidates calls fn for each live client whose box may contain ch.
func (h *Hub) candidates(ch *Change, fn func(*client)) {
	visit := func(id int) { fn(h.live[id]) }
	if ch.bounded && !ch.reset {
		h.index.Query(ch.bound, visit)
	} else {
		h.index.QueryAll(visit)
	}
}

// add admits a new client unless the hub is closing.
func (h *Hub) add(c *client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.clients[c] = struct{}{}
	h.sessions.Add(1)
	return true
}

// remove forgets a client whose session ended.
func (h *Hub) remove(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.unregisterLocked(c)
	delete(h.clients, c)
	h.sessions.Done()
}

// joinAt makes c live if the hub has published no further than cursor, which c's
// replay has reached; live changes up to cursor are then skipped. It reports
// false when the hub has moved on and c must replay further first.
func (h *Hub) joinAt(c *client, cursor int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if cursor < h.published {
		return false
	}
	h.registerLocked(c, cursor)
	return true
}

// joinNow makes c live from the hub's current position, which it returns.
func (h *Hub) joinNow(c *client) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.registerLocked(c, h.published)
	return h.published
}

func (h *Hub) registerLocked(c *client, skip int64) {
	c.skip = skip
	c.registered, c.overflowed = true, false
	h.live[c.id] = c
	if c.filter.hasBBox {
		h.index.Insert(c.id, c.filter.bbox)
	} else {
		h.index.InsertUnbounded(c.id)
	}
}

// leave takes c out of the live stream, before its filter changes.
func (h *Hub) leave(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.unregisterLocked(c)
}

func (h *Hub) unregisterLocked(c *client) {
	if !c.registered {
		return
	}
	c.registered = false
	delete(h.live, c.id)
	h.index.Remove(c.id)
}

// position is where a live client stands once the changes now queued for it are
// written: the hub's published sequence number. ok is false when c is not live,
// since then nothing vouches for changes after its last write.
func (h *Hub) position(c *client) (pos int64, ok bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if !c.registered {
		return 0, false
	}
	return max(h.published, c.skip), true
}

// overflowed reports whether c left the live stream because its queue was full
// and has not rejoined it since.
func (h *Hub) overflowed(c *client) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return c.overflowed && !c.registered
}

// pause waits for ctx, the hub closing or d, whichever is first.
func (h *Hub) pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-h.done:
	case <-t.C:
	}
}

func (h *Hub) logger() *slog.Logger {
	if h.cfg.Logger != nil {
		return h.cfg.Logger.With("component", "live")
	}
	return slog.With("component", "live")
}
