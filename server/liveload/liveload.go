// Package liveload is the load generator of the live stream (citymap load live):
// it connects many websocket subscribers whose boxes are spread over the city,
// commits changes to issues at a steady rate straight through the store, and
// checks that every subscriber received exactly the changes inside its box, once
// and in order, and how long after their commit.
package liveload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"citymap/server/store"
)

// Config describes one run.
type Config struct {
	URL         string // ws://host:port/live
	Token       string
	Subscribers int
	Rate        float64       // changes per second
	Duration    time.Duration // of writing
	BBoxKm      float64       // side of each subscriber's box
	Tick        time.Duration // the writer commits one transaction per tick
	Drain       time.Duration // how long to wait for late deliveries
	Extent      orb.Bound     // where boxes go; zero: the districts' extent
	Dialers     int           // concurrent connection attempts
	Seed        uint64
}

func (c *Config) defaults() {
	if c.Tick <= 0 {
		c.Tick = 10 * time.Millisecond
	}
	if c.Drain <= 0 {
		c.Drain = 30 * time.Second
	}
	if c.BBoxKm <= 0 {
		c.BBoxKm = 3
	}
	if c.Dialers <= 0 {
		c.Dialers = 100
	}
}

// Run performs the load test, printing progress to log, and returns its report.
// The report's Missing is what a caller should fail on.
func Run(ctx context.Context, st *store.Store, cfg Config, log io.Writer) (*Report, error) {
	cfg.defaults()
	if cfg.Subscribers <= 0 || cfg.Rate <= 0 || cfg.Duration <= 0 {
		return nil, errors.New("subscribers, rate and duration must be positive")
	}
	extent := cfg.Extent
	if extent.IsZero() {
		var err error
		if extent, err = st.CityExtent(ctx); err != nil {
			return nil, err
		}
	}
	issues, err := st.IssuePoints(ctx, extent, 20000)
	if err != nil {
		return nil, err
	}
	if need := int(math.Ceil(cfg.Rate * cfg.Tick.Seconds())); len(issues) < 2*need {
		return nil, fmt.Errorf("%d issues inside %v: need at least %d (seed the demo city)", len(issues), extent, 2*need)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x11fe))
	fmt.Fprintf(log, "connecting %d subscribers with %.1f km boxes over %v\n", cfg.Subscribers, cfg.BBoxKm, extent)
	subs, err := connectAll(ctx, cfg, boxes(rng, extent, cfg.BBoxKm, cfg.Subscribers))
	if err != nil {
		return nil, err
	}
	defer closeAll(subs)

	fmt.Fprintf(log, "writing %.0f changes/s for %v, one transaction every %v\n", cfg.Rate, cfg.Duration, cfg.Tick)
	w := &writer{st: st, issues: issues, rng: rng}
	started := time.Now()
	if err := w.run(ctx, cfg.Rate, cfg.Tick, cfg.Duration); err != nil {
		return nil, err
	}
	wrote := time.Since(started)
	expected := expectations(subs, w.changes)
	fmt.Fprintf(log, "wrote %d changes in %v; waiting up to %v for %d deliveries\n",
		len(w.changes), wrote.Round(time.Millisecond), cfg.Drain, expected.total)
	drain(ctx, subs, expected.total, cfg.Drain)
	server := scrapeServer(cfg.URL) // while the subscribers are still connected
	r := evaluate(subs, w, expected, wrote)
	r.Config, r.Extent, r.Server = cfg, extent, server
	return r, nil
}

// boxes spreads n square boxes of side km uniformly over the extent.
func boxes(rng *rand.Rand, extent orb.Bound, km float64, n int) []orb.Bound {
	lat := (extent.Min[1] + extent.Max[1]) / 2
	dy := km / 111.32
	dx := km / (111.32 * math.Cos(lat*math.Pi/180))
	out := make([]orb.Bound, n)
	for i := range out {
		x := extent.Min[0] + rng.Float64()*(extent.Max[0]-extent.Min[0])
		y := extent.Min[1] + rng.Float64()*(extent.Max[1]-extent.Min[1])
		out[i] = orb.Bound{Min: orb.Point{x - dx/2, y - dy/2}, Max: orb.Point{x + dx/2, y + dy/2}}
	}
	return out
}

// connectAll dials and subscribes every box, a few at a time.
func connectAll(ctx context.Context, cfg Config, bounds []orb.Bound) ([]*subscriber, error) {
	subs := make([]*subscriber, len(bounds))
	sem := make(chan struct{}, cfg.Dialers)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for i, b := range bounds {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			s := &subscriber{url: cfg.URL, token: cfg.Token, bound: b}
			if err := s.connect(ctx, nil); err != nil {
				mu.Lock()
				firstErr = cmpErr(firstErr, fmt.Errorf("subscriber %d: %w", i, err))
				mu.Unlock()
				return
			}
			subs[i] = s
			go s.read(ctx)
		}()
	}
	wg.Wait()
	if firstErr != nil {
		closeAll(subs)
		return nil, firstErr
	}
	return subs, nil
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func closeAll(subs []*subscriber) {
	for _, s := range subs {
		if s != nil {
			s.close()
		}
	}
}

// drain waits until the subscribers have received the expected number of changes,
// or until the time is up.
func drain(ctx context.Context, subs []*subscriber, want int64, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		var got int64
		for _, s := range subs {
			got += s.count.Load()
		}
		if got >= want {
			return
		}
		time.Sleep(100 * time.Millisecond) // polling counters, nothing to wake us
	}
}

// scrapeServer reads the server's own figures from /metrics next to /live.
func scrapeServer(wsURL string) map[string]string {
	u := "http" + wsURL[len("ws"):]
	if i := len(u) - len("/live"); i > 0 && u[i:] == "/live" {
		u = u[:i]
	}
	res, err := http.Get(u + "/metrics")
	if err != nil {
		return nil
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return pickMetrics(string(body), "citymap_live_slow_closed_total", "citymap_live_resets_total",
		"citymap_live_feed_reconnects_total", "citymap_live_changes_total", "citymap_live_delivered_total",
		"citymap_live_queue_depth_max", "citymap_live_subscribers")
}
