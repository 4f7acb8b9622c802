// Package limit keeps expensive work from stalling a server. Requests are
// sorted into classes by what they cost; each class serves at most so many at
// once and the rest wait a short, bounded time for a slot, then get 503 with
// Retry-After. Each token has at most so many requests in flight (and, when
// set, a rate), past which it gets 429 with Retry-After. A served request
// carries its class's deadline, which cancels its queries (the store sends
// PostgreSQL a cancel request when a context ends), so that one expensive
// request cannot hold a database connection for minutes. Health checks and
// streams are never limited: the classifier leaves them out.
package limit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/sync/semaphore"

	"citymap/server/metrics"
	"citymap/server/respond"
)

// Classes of requests by cost, measured on the demo city: a year of 50 m
// hexagons or a red/black list scans every issue of the range (0.1–0.3 s and
// a megabyte on an idle machine, seconds under load); lists, OGC items and
// tiles read a page or a tile (10–50 ms); single reads and writes touch a row
// or a few (1–5 ms); uploads are bound by the client's bandwidth, not the
// database.
const (
	Heavy  = "heavy"  // reports, batches
	Medium = "medium" // lists, OGC items, tiles
	Light  = "light"  // single reads and writes
	Upload = "upload" // photo uploads
)

// Classes lists the classes.
var Classes = []string{Heavy, Medium, Light, Upload}

// ClassConfig limits one class.
type ClassConfig struct {
	// Concurrency is how many requests of the class are served at once; 0
	// means no limit.
	Concurrency int
	// Timeout is the deadline of a served request; 0 means none.
	Timeout time.Duration
}

// Config is an instance's limits. The zero Config limits nothing.
type Config struct {
	Classes map[string]ClassConfig
	// Wait is how long a request waits for a slot of its class or its token
	// before it is refused.
	Wait time.Duration
	// TokenConcurrency is how many requests of one token and one class are
	// in flight at once, waiting for their class included; 0 means no limit.
	TokenConcurrency int
	// TokenRate is how many requests per second of one class one token may
	// send (with bursts of TokenBurst); 0 means no limit.
	TokenRate  float64
	TokenBurst int
}

// Defaults are the limits of `citymap serve` unless flags say otherwise. The
// heavy and medium classes together stay well below the database pool (see
// store.DefaultMaxConns), so that light requests always find a connection.
func Defaults() Config {
	return Config{
		Classes: map[string]ClassConfig{
			Heavy:  {Concurrency: 4, Timeout: 30 * time.Second},
			Medium: {Concurrency: 8, Timeout: 15 * time.Second},
			Light:  {Concurrency: 64, Timeout: 10 * time.Second},
			// no deadline: a phone on a slow network may take a minute to send
			// five photos; the database's statement_timeout still bounds queries
			Upload: {Concurrency: 8},
		},
		Wait:             2 * time.Second,
		TokenConcurrency: 8,
	}
}

// Classifier names the class of a request, "" for one never limited.
type Classifier func(*http.Request) string

// Limiter applies a Config.
type Limiter struct {
	cfg      Config
	classify Classifier
	classes  map[string]*class
	tokens   *tokens
	m        instruments
}

// instruments are the limiter's metrics.
type instruments struct {
	rejected metrics.CounterVec // by class and reason
	timeouts metrics.CounterVec // by class
	inFlight metrics.GaugeVec   // by class
	waiting  metrics.GaugeVec   // by class
}

// Reasons of a refusal, in citymap_limit_rejected_total.
const (
	reasonClassFull = "class_full"
	reasonTokenBusy = "token_busy"
	reasonTokenRate = "token_rate"
)

// New returns a limiter of cfg over classify, with its metrics in reg.
func New(cfg Config, classify Classifier, reg *metrics.Registry) *Limiter {
	l := &Limiter{cfg: cfg, classify: classify, classes: map[string]*class{},
		tokens: newTokens(cfg.TokenConcurrency, cfg.TokenRate, cfg.TokenBurst)}
	l.m = instruments{
		rejected: reg.CounterVec("citymap_limit_rejected_total",
			"Requests refused by the limits, by class and reason (class_full: 503, token_busy and token_rate: 429).",
			"class", "reason"),
		timeouts: reg.CounterVec("citymap_limit_timeouts_total",
			"Served requests whose class deadline passed, by class.", "class"),
		inFlight: reg.GaugeVec("citymap_limit_in_flight", "Requests being served, by class.", "class"),
		waiting:  reg.GaugeVec("citymap_limit_waiting", "Requests waiting for a slot of their class, by class.", "class"),
	}
	for _, name := range Classes {
		c := cfg.Classes[name]
		l.classes[name] = newClass(name, c)
		// every series exists from the start, so that dashboards see zeros
		for _, reason := range []string{reasonClassFull, reasonTokenBusy, reasonTokenRate} {
			l.m.rejected.With(name, reason).Add(0)
		}
		l.m.timeouts.With(name).Add(0)
	}
	return l
}

// class is the slots of one class.
type class struct {
	name string
	cfg  ClassConfig
	sem  *semaphore.Weighted // nil: no limit; waiters queue in order
}

func newClass(name string, cfg ClassConfig) *class {
	c := &class{name: name, cfg: cfg}
	if cfg.Concurrency > 0 {
		c.sem = semaphore.NewWeighted(int64(cfg.Concurrency))
	}
	return c
}

// Wrap serves next within the limits.
func (l *Limiter) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := l.classes[l.classify(r)]
		if c == nil {
			next.ServeHTTP(w, r)
			return
		}
		release, err := l.admit(r, c)
		if err != nil {
			if r.Context().Err() == nil { // a client that left needs no answer
				respond.Fail(w, r, err)
			}
			return
		}
		defer release()
		l.serve(w, r, c, next)
	})
}

// admit takes a slot of the token, then one of the class, waiting at most
// cfg.Wait for both together.
func (l *Limiter) admit(r *http.Request, c *class) (release func(), err error) {
	ctx, cancel := context.WithTimeout(r.Context(), max(l.cfg.Wait, time.Millisecond))
	defer cancel()
	// a token's limit is per class: its single reads do not wait behind its
	// own reports
	key := tokenKey(r)
	releaseToken := func() {}
	if key != "" {
		key = c.name + "\x00" + key
		var reason string
		releaseToken, reason, err = l.tokens.acquire(ctx, key, l.cfg.Wait)
		if err != nil {
			l.m.rejected.With(c.name, reason).Inc()
			return nil, err
		}
	}
	if c.sem == nil {
		return releaseToken, nil
	}
	gauge := l.m.waiting.With(c.name)
	gauge.Add(1)
	err = c.sem.Acquire(ctx, 1)
	gauge.Add(-1)
	if err != nil {
		releaseToken()
		l.m.rejected.With(c.name, reasonClassFull).Inc()
		return nil, classFull(c.name, l.cfg.Wait)
	}
	return func() {
		c.sem.Release(1)
		releaseToken()
	}, nil
}

// serve runs next under the class's deadline.
func (l *Limiter) serve(w http.ResponseWriter, r *http.Request, c *class, next http.Handler) {
	gauge := l.m.inFlight.With(c.name)
	gauge.Add(1)
	defer gauge.Add(-1)
	if c.cfg.Timeout <= 0 {
		next.ServeHTTP(w, r)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), c.cfg.Timeout)
	defer cancel()
	inner := r.WithContext(ctx)
	next.ServeHTTP(w, inner)
	// the mux names the route on the request it is given; the request log
	// and the metrics outside read it from theirs
	r.Pattern = inner.Pattern
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && r.Context().Err() == nil {
		l.m.timeouts.With(c.name).Inc()
	}
}

// classFull is the answer when a class has no slot for a request in time.
func classFull(name string, wait time.Duration) *respond.Error {
	return respond.Unavailable("overloaded", fmt.Sprintf(
		"the server is busy with other %s requests; try again shortly", name), max(wait, time.Second))
}

// SmallBatch is the body size up to which a batch is a light write: a
// sensor gateway's few readings, a hotline's few cases. Bigger ones (up to
// 10,000 issues, seconds of work) are heavy, as are those of unknown size.
const SmallBatch = 64 << 10

// ByBatchSize is the class of a batch (a route's routes.Route.ClassOf):
// light when small, heavy when bigger or of unknown size.
func ByBatchSize(r *http.Request) string {
	if r.ContentLength < 0 || r.ContentLength > SmallBatch {
		return Heavy
	}
	return Light
}
