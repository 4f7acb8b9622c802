// Package webhooks delivers the changes feed to partner systems' subscriptions
// (the 12345 hotline, 网格通, 12319) as signed POSTs, and serves the API that
// manages them (docs/WEBHOOKS.md).
package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"citymap/server/metrics"
	"citymap/server/store"
)

// Config tunes deliveries; zero fields take the defaults.
type Config struct {
	// Timeout bounds one delivery: connecting, sending, the receiver's answer (10s).
	Timeout time.Duration
	// PauseAfter is how long a subscription may fail before it is paused (1h).
	PauseAfter time.Duration
	// MinBackoff and MaxBackoff bound the wait between attempts, which doubles
	// from the first to the second, with jitter (1s, 5m).
	MinBackoff, MaxBackoff time.Duration
	// PollEvery is how often the instance looks for work besides the feed's
	// notifications: subscriptions another instance left (5s).
	PollEvery time.Duration
	// Concurrency bounds the subscriptions this instance delivers to at once (16).
	Concurrency int
	// Batch is how many changes a worker reads at a time (200).
	Batch int
	// KeepDeliveries is how long delivery attempts are listed (7 days).
	KeepDeliveries time.Duration
	// AllowPrivate lets deliveries go to loopback and private addresses
	// (CITYMAP_WEBHOOK_ALLOW_PRIVATE; tests and a partner on the city's own network).
	AllowPrivate bool
	// Off leaves this instance delivering nothing (the API still answers).
	Off bool
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Timeout, 10*time.Second)
	def(&c.PauseAfter, time.Hour)
	def(&c.MinBackoff, time.Second)
	def(&c.MaxBackoff, 5*time.Minute)
	def(&c.PollEvery, 5*time.Second)
	def(&c.KeepDeliveries, 7*24*time.Hour)
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = c.MinBackoff
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 16
	}
	if c.Batch <= 0 {
		c.Batch = 200
	}
	return c
}

// leaseTTL is how long a worker's claim on a subscription lasts unrenewed; an
// instance that dies leaves its subscriptions to others after it. A worker
// renews it at every delivery and, while waiting to retry, every third of it,
// so it need only outlast an attempt (Timeout) and a third of itself.
func (c Config) leaseTTL() time.Duration {
	return max(30*time.Second, 3*c.Timeout)
}

// Dispatcher works the subscriptions on one instance. Several instances on one
// database share them: each subscription is worked by the instance holding its
// lease, one goroutine for it, at most Concurrency at once.
type Dispatcher struct {
	cfg      Config
	st       *store.Store
	client   *http.Client
	instance string
	m        *dispatchMetrics
	log      *slog.Logger

	wake chan struct{}
	// known counts the subscriptions the last round saw: news of the feed
	// wakes no round while there are none
	known  atomic.Int64
	mu     sync.Mutex
	active map[int64]bool // subscriptions this instance's workers hold
	sem    chan struct{}

	cancel context.CancelFunc
	done   sync.WaitGroup
}

// New returns a dispatcher; Start starts it.
func New(cfg Config, st *store.Store, reg *metrics.Registry) *Dispatcher {
	cfg = cfg.withDefaults()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	d := &Dispatcher{cfg: cfg, st: st, instance: hex.EncodeToString(b), log: slog.With("component", "webhooks"),
		wake: make(chan struct{}, 1), active: map[int64]bool{}, sem: make(chan struct{}, cfg.Concurrency)}
	d.client = newClient(cfg)
	d.m = newMetrics(reg)
	return d
}

// newClient is the HTTP client of deliveries: its dialer refuses private
// addresses at connect time, it uses no proxy (the check must see the real
// destination) and follows no redirect (a 3xx is a failed delivery).
func newClient(cfg Config) *http.Client {
	dialer := &net.Dialer{Timeout: cfg.Timeout, Control: dialControl(cfg.AllowPrivate)}
	return &http.Client{
		Timeout: cfg.Timeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   cfg.Timeout,
			ResponseHeaderTimeout: cfg.Timeout,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Instance names this dispatcher in leases and delivery records.
func (d *Dispatcher) Instance() string { return d.instance }

// Start runs the scheduler until Close.
func (d *Dispatcher) Start() {
	if d.cfg.Off {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	d.done.Add(1)
	go func() {
		defer d.done.Done()
		d.run(ctx)
	}()
}

// Close stops the scheduler and every worker, waiting for them; a delivery
// under way is cut off, and delivered again by whoever works it next.
func (d *Dispatcher) Close() {
	if d.cancel != nil {
		d.cancel()
	}
	d.done.Wait()
}

// Wake makes the scheduler look for work now: the feed has news, or a
// subscription was created, replayed or resumed. It never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// FeedChanged is Wake for news of the feed: it wakes the scheduler only when
// there are subscriptions, so that an instance without any does not read the
// webhooks at every change of the city.
func (d *Dispatcher) FeedChanged() {
	if d.known.Load() > 0 {
		d.Wake()
	}
}

// minRound spaces the scheduler's rounds while the feed is busy: news arriving
// meanwhile is taken in the next round.
const minRound = 50 * time.Millisecond

func (d *Dispatcher) run(ctx context.Context) {
	tick := time.NewTicker(d.cfg.PollEvery)
	defer tick.Stop()
	var pruned time.Time
	for {
		d.schedule(ctx)
		if time.Since(pruned) > time.Hour {
			d.pruneDeliveries(ctx)
			pruned = time.Now()
		}
		if !d.sleep(ctx, minRound) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-tick.C:
		}
	}
}

// schedule starts a worker for every active subscription with changes after
// its cursor that no other instance holds, as far as the concurrency allows,
// and updates every subscription's gauges.
func (d *Dispatcher) schedule(ctx context.Context) {
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	states, err := d.st.WebhookStates(qctx, d.instance)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			d.log.Warn("webhooks: reading the subscriptions", "err", err)
		}
		return
	}
	d.m.observe(states)
	d.known.Store(int64(len(states)))
	for _, s := range states {
		if s.Status != store.WebhookActive || !s.Free || s.Cursor == s.Head {
			continue
		}
		if !d.claim(s.ID) {
			continue
		}
		select {
		case d.sem <- struct{}{}:
		default:
			d.unclaim(s.ID)
			return // every slot busy: the next round takes the rest
		}
		d.done.Add(1)
		go func(id int64) {
			defer d.done.Done()
			defer func() { <-d.sem }()
			defer d.unclaim(id)
			if d.work(ctx, id) {
				d.Wake() // caught up: news that came meanwhile is not missed
			}
		}(s.ID)
	}
}

func (d *Dispatcher) claim(id int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.active[id] {
		return false
	}
	d.active[id] = true
	return true
}

func (d *Dispatcher) unclaim(id int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.active, id)
}

func (d *Dispatcher) pruneDeliveries(ctx context.Context) {
	qctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	n, err := d.st.PruneDeliveries(qctx, time.Now().Add(-d.cfg.KeepDeliveries))
	switch {
	case err != nil && ctx.Err() == nil:
		d.log.Warn("webhooks: pruning deliveries", "err", err)
	case n > 0:
		d.log.Info("webhooks: pruned delivery records", "deleted", n)
	}
}
