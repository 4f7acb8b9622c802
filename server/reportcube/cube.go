// Package reportcube keeps the issues in memory in the shape the evaluation
// figures read them (the report cube), and computes the figures of
// store/reports.go from there: a year of a million issues in milliseconds
// where the SQL aggregate takes a second. It loads once, follows the changes
// feed, and answers only when it holds every change committed before the
// report asked (else the report runs its SQL). docs/REPORTS.md says how exact
// it is and why.
package reportcube

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"citymap/server/store"
)

// Config tunes a cube.
type Config struct {
	// MaxWait bounds how long a report waits for the cube to apply the changes
	// committed before it asked; past it the report runs its SQL.
	MaxWait time.Duration
	// PollEvery is how often the cube looks at the feed when nothing nudged it.
	PollEvery time.Duration
}

// DefaultConfig is the serve command's.
var DefaultConfig = Config{MaxWait: 500 * time.Millisecond, PollEvery: time.Second}

// Cube is the report cube of one instance.
type Cube struct {
	st  *store.Store
	cfg Config

	grids, units, categories, sources *dict

	mu       sync.RWMutex
	facts    []fact            // sorted by (created, id)
	events   map[int64][]event // of the cases with a clock counter set
	applied  int64             // every change of the feed up to here is in facts
	loaded   bool              // facts hold the database as of applied
	progress chan struct{}     // closed (and replaced) whenever applied moves

	// answered and declined count the calls of Figures the cube answered
	// and those it left to SQL
	answered, declined atomic.Int64

	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
	stats  Stats
}

// Stats are what the last full load took.
type Stats struct {
	Issues, Events int
	Load           time.Duration
	// Bytes is the memory the facts and events take (slices and maps).
	Bytes int64
}

// New returns a cube over st's database; Start loads it.
func New(st *store.Store, cfg Config) *Cube {
	return &Cube{st: st, cfg: cfg, progress: make(chan struct{}), wake: make(chan struct{}, 1),
		grids: newDict(), units: newDict(), categories: newDict(), sources: newDict()}
}

// Start loads the cube and follows the feed in the background until Close.
func (c *Cube) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel, c.done = cancel, make(chan struct{})
	go c.follow(ctx)
}

// Close stops following the feed.
func (c *Cube) Close() {
	if c.cancel != nil {
		c.cancel()
		<-c.done
	}
}

// Nudge tells the cube the feed moved; it never blocks (the live hub calls it
// for every change).
func (c *Cube) Nudge() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Loaded reports whether the cube holds the issues, and the feed position it
// holds them at.
func (c *Cube) Loaded() (bool, int64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.loaded, c.applied
}

// Answers counts the calls of Figures the cube answered and those it left
// to the reports' SQL (not loaded, or behind the feed past MaxWait).
func (c *Cube) Answers() (answered, declined int64) {
	return c.answered.Load(), c.declined.Load()
}

// Stats are the figures of the last full load.
func (c *Cube) Stats() Stats {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.stats
}

// follow loads the cube, then applies the feed whenever nudged or polled. A
// feed it cannot read on from (pruned past its position) makes it load again.
func (c *Cube) follow(ctx context.Context) {
	defer close(c.done)
	tick := time.NewTicker(c.cfg.PollEvery)
	defer tick.Stop()
	for ctx.Err() == nil {
		err := c.step(ctx)
		if err != nil && ctx.Err() == nil {
			slog.Warn("report cube: behind the feed, reports use SQL meanwhile", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-c.wake:
		case <-tick.C:
		}
	}
}

func (c *Cube) step(ctx context.Context) error {
	if ok, _ := c.Loaded(); !ok {
		return c.load(ctx)
	}
	err := c.catchUp(ctx)
	if errors.Is(err, errPruned) {
		c.mu.Lock()
		c.loaded = false
		c.mu.Unlock()
		return c.load(ctx)
	}
	return err
}

// advanceLocked publishes a new position to the reports waiting for it.
func (c *Cube) advanceLocked(seq int64) {
	c.applied = seq
	close(c.progress)
	c.progress = make(chan struct{})
}
