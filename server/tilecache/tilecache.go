// Package tilecache keeps rendered vector tiles in memory so that a tile asked
// for again costs no database query, without ever serving one that is stale.
//
// A tile stays cached until one of three things happens:
//   - a change to the map touches it: Invalidate drops every cached tile, at
//     every zoom, whose buffered envelope meets the changed geometry's bound;
//   - its content would change by time alone (an issue's deadline passes, a
//     tidal parking window opens): each tile carries that moment as Expires
//     and is rendered again once it has passed;
//   - the cache is over its byte budget: the least recently used tiles go.
//
// Concurrent requests for a tile that is not cached share one rendering
// (singleflight). A rendering that an invalidation overtakes (it read the
// database before the change committed, and finishes after the change was
// announced) is handed to the requests waiting for it but never stored, and
// requests arriving after the invalidation start a rendering of their own.
//
// A rendering also says from which snapshot it was drawn (Tile.Seq, the
// changes feed's head in it): one read from a streaming replica that has not
// yet replayed a change the cache has already applied would bring back what
// that change invalidated. The cache keeps a log of its recent invalidations
// by sequence number and stores a rendering only if none after its snapshot
// touches its tile (Current).
package tilecache

import (
	"container/list"
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"citymap/geo/tile"
)

// Key names one cached tile.
type Key struct {
	Layer string
	Z     maptile.Zoom
	X, Y  uint32
	// Variant tells apart renderings of one tile for different audiences
	// (e.g. a grid manager's areas); "" is everyone's.
	Variant string
}

// Tile is a rendered tile as it is kept and served.
type Tile struct {
	// Body is the MVT, gzip-compressed when Gzipped; empty for a tile without
	// features.
	Body    []byte
	Gzipped bool
	// Size is the length of the uncompressed MVT.
	Size int
	// ETag is the quoted entity tag of the uncompressed MVT.
	ETag string
	// Expires is when the content would change without any change to the
	// data; zero when only a change can alter it.
	Expires time.Time
	// Seq is the changes feed's head in the snapshot the tile was drawn from.
	Seq int64
}

// Empty reports whether the tile has no features.
func (t Tile) Empty() bool { return len(t.Body) == 0 }

// Render produces a tile. The cache calls it with a context that the request
// which triggered it cannot cancel, since other requests may wait for it.
type Render func(ctx context.Context) (Tile, error)

// Outcome says how Get answered.
type Outcome int

// Outcomes of Get.
const (
	Hit      Outcome = iota // served from the cache
	Miss                    // rendered for this request
	Shared                  // rendered for a concurrent request of the same tile
	Bypassed                // the cache is disabled
)

// entryOverhead approximates what an entry costs beyond its body: the key, the
// entry, its list element and its places in the maps.
const entryOverhead = 256

// Cache is a byte-bounded LRU of tiles with invalidation by tile coordinates.
type Cache struct {
	maxBytes int64
	now      func() time.Time

	mu      sync.Mutex
	armed   bool
	bytes   int64
	entries map[Key]*entry
	lru     *list.List // of *entry, most recently used first
	// index finds the cached tiles of a layer and zoom by their x/y, every
	// variant of one tile together.
	index   map[string]map[maptile.Zoom]map[xy][]*entry
	flights map[Key]*flight
	// applied logs the recent invalidations, in sequence order; floor is the
	// sequence number before which the log cannot tell (the last reset, or
	// the newest invalidation that left the log)
	applied []invalidation
	floor   int64

	stats counters
}

// invalidation is one change the cache applied: to every tile of layer (all),
// or to those whose buffered envelope meets bound.
type invalidation struct {
	seq    int64
	layer  string
	all    bool
	bound  orb.Bound
	buffer float64
}

// logSize bounds the log of invalidations: at a thousand changes a second a
// few tens of seconds, longer than a replica in use lags.
const logSize = 1 << 15

func (v invalidation) touches(k Key) bool {
	if v.layer != k.Layer {
		return false
	}
	if v.all {
		return true
	}
	r, ok := tile.CoveringRect(v.bound, k.Z, v.buffer)
	return ok && r.Contains(k.X, k.Y)
}

type xy struct{ x, y uint32 }

type entry struct {
	key  Key
	tile Tile
	size int64
	elem *list.Element
}

// flight is a rendering in progress that requests for the same tile wait for.
type flight struct {
	key  Key
	done chan struct{}
	tile Tile
	err  error
	// stale is set when an invalidation touched the tile during the rendering
	stale bool
}

// New returns a cache of at most maxBytes; 0 or less disables caching (every
// Get renders). The cache stores nothing until the first Reset: its owner
// calls Reset once it follows the changes feed, since before that nothing
// would tell it about a change.
func New(maxBytes int64) *Cache {
	return &Cache{
		maxBytes: maxBytes,
		now:      time.Now,
		entries:  map[Key]*entry{},
		lru:      list.New(),
		index:    map[string]map[maptile.Zoom]map[xy][]*entry{},
		flights:  map[Key]*flight{},
	}
}

// Enabled reports whether the cache keeps tiles at all.
func (c *Cache) Enabled() bool { return c.maxBytes > 0 }

// Get returns the tile for k: the cached one while it is fresh, else what
// render produces, which it stores when no invalidation overtook it.
func (c *Cache) Get(ctx context.Context, k Key, render Render) (Tile, Outcome, error) {
	if !c.Enabled() {
		t, err := render(ctx)
		return t, Bypassed, err
	}
	c.mu.Lock()
	if t, ok := c.freshLocked(k); ok {
		c.mu.Unlock()
		c.stats.hits.Add(1)
		return t, Hit, nil
	}
	if f := c.flights[k]; f != nil {
		c.mu.Unlock()
		c.stats.shared.Add(1)
		select {
		case <-f.done:
			return f.tile, Shared, f.err
		case <-ctx.Done():
			return Tile{}, Shared, ctx.Err()
		}
	}
	f := &flight{key: k, done: make(chan struct{})}
	c.flights[k] = f
	c.mu.Unlock()
	c.stats.misses.Add(1)
	c.run(ctx, f, render)
	return f.tile, Miss, f.err
}

// freshLocked returns the cached tile of k unless it is missing or expired;
// an expired one is dropped.
func (c *Cache) freshLocked(k Key) (Tile, bool) {
	e := c.entries[k]
	if e == nil {
		return Tile{}, false
	}
	if c.expired(e.tile) {
		c.removeLocked(e)
		c.stats.expired.Add(1)
		return Tile{}, false
	}
	c.lru.MoveToFront(e.elem)
	return e.tile, true
}

func (c *Cache) expired(t Tile) bool {
	return !t.Expires.IsZero() && !c.now().Before(t.Expires)
}

// run renders f's tile, then stores it unless it went stale, and releases the
// requests waiting for it, even should render panic.
func (c *Cache) run(ctx context.Context, f *flight, render Render) {
	defer close(f.done)
	defer c.finish(f)
	f.tile, f.err = render(context.WithoutCancel(ctx))
}

func (c *Cache) finish(f *flight) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.flights[f.key] == f {
		delete(c.flights, f.key)
	}
	if f.err != nil || f.stale || !c.armed || c.expired(f.tile) || !c.currentLocked(f.key, f.tile.Seq) {
		return
	}
	c.storeLocked(f.key, f.tile)
}

// Current reports whether a rendering of k from a snapshot whose feed head is
// seq shows every change the cache has applied to k. A disabled cache applies
// nothing: every rendering is current.
func (c *Cache) Current(k Key, seq int64) bool {
	if !c.Enabled() {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.currentLocked(k, seq)
}

func (c *Cache) currentLocked(k Key, seq int64) bool {
	if seq < c.floor {
		return false
	}
	for i := len(c.applied) - 1; i >= 0 && c.applied[i].seq > seq; i-- {
		if c.applied[i].touches(k) {
			return false
		}
	}
	return true
}

// logLocked records an invalidation, dropping the oldest half of the log
// when it is full.
func (c *Cache) logLocked(v invalidation) {
	if len(c.applied) >= logSize {
		half := len(c.applied) / 2
		c.floor = max(c.floor, c.applied[half-1].seq)
		c.applied = append(c.applied[:0], c.applied[half:]...)
	}
	c.applied = append(c.applied, v)
}

func (c *Cache) storeLocked(k Key, t Tile) {
	// the body's capacity is what it holds on to
	size := int64(cap(t.Body)+len(t.ETag)+len(k.Layer)+len(k.Variant)) + entryOverhead
	if size > c.maxBytes {
		return
	}
	if old := c.entries[k]; old != nil {
		c.removeLocked(old)
	}
	e := &entry{key: k, tile: t, size: size}
	e.elem = c.lru.PushFront(e)
	c.entries[k] = e
	c.bytes += size
	zooms := c.index[k.Layer]
	if zooms == nil {
		zooms = map[maptile.Zoom]map[xy][]*entry{}
		c.index[k.Layer] = zooms
	}
	tiles := zooms[k.Z]
	if tiles == nil {
		tiles = map[xy][]*entry{}
		zooms[k.Z] = tiles
	}
	at := xy{k.X, k.Y}
	tiles[at] = append(tiles[at], e)
	for c.bytes > c.maxBytes {
		c.removeLocked(c.lru.Back().Value.(*entry))
		c.stats.evictions.Add(1)
	}
}

func (c *Cache) removeLocked(e *entry) {
	c.lru.Remove(e.elem)
	delete(c.entries, e.key)
	c.bytes -= e.size
	zooms := c.index[e.key.Layer]
	tiles := zooms[e.key.Z]
	at := xy{e.key.X, e.key.Y}
	variants := tiles[at]
	for i, v := range variants {
		if v == e {
			variants = append(variants[:i], variants[i+1:]...)
			break
		}
	}
	switch {
	case len(variants) > 0:
		tiles[at] = variants
	case len(tiles) > 1:
		delete(tiles, at)
	case len(zooms) > 1:
		delete(zooms, e.key.Z)
	default:
		delete(c.index, e.key.Layer)
	}
}

// Invalidate applies change seq of the feed: it drops the tiles of layer, at
// every zoom and in every variant, whose envelope grown by bufferFraction of
// a tile (the MVT buffer: a feature near an edge is drawn in the neighbour's
// buffer too) touches the WGS-84 bound b, and spoils renderings of such tiles
// in progress. It returns how many cached tiles it dropped.
func (c *Cache) Invalidate(seq int64, layer string, b orb.Bound, bufferFraction float64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.logLocked(invalidation{seq: seq, layer: layer, bound: b, buffer: bufferFraction})
	dropped := 0
	for z, tiles := range c.index[layer] {
		r, ok := tile.CoveringRect(b, z, bufferFraction)
		if !ok {
			continue
		}
		dropped += c.dropLocked(tiles, r)
	}
	for k, f := range c.flights {
		if k.Layer != layer {
			continue
		}
		if r, ok := tile.CoveringRect(b, k.Z, bufferFraction); ok && r.Contains(k.X, k.Y) {
			c.spoilLocked(f)
		}
	}
	c.stats.invalidated.Add(uint64(dropped))
	return dropped
}

// dropLocked removes the tiles of one zoom that lie in r, enumerating r when it
// is smaller than what the zoom holds and testing each held tile otherwise: a
// small change at z22 covers thousands of tiles of which a few are cached.
func (c *Cache) dropLocked(tiles map[xy][]*entry, r tile.Range) int {
	var hit [][]*entry
	if r.Count() <= uint64(len(tiles)) {
		for y := r.MinY; y <= r.MaxY; y++ {
			for x := r.MinX; x <= r.MaxX; x++ {
				if v := tiles[xy{x, y}]; v != nil {
					hit = append(hit, v)
				}
			}
		}
	} else {
		for at, v := range tiles {
			if r.Contains(at.x, at.y) {
				hit = append(hit, v)
			}
		}
	}
	n := 0
	for _, variants := range hit {
		for _, e := range append([]*entry(nil), variants...) {
			c.removeLocked(e)
			n++
		}
	}
	return n
}

// spoilLocked keeps a rendering in progress out of the cache and lets later
// requests start a fresh one instead of waiting for it.
func (c *Cache) spoilLocked(f *flight) {
	f.stale = true
	delete(c.flights, f.key)
}

// InvalidateLayer drops every tile of layer, for change seq that cannot be
// placed.
func (c *Cache) InvalidateLayer(seq int64, layer string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.logLocked(invalidation{seq: seq, layer: layer, all: true})
	n := 0
	for _, tiles := range c.index[layer] {
		for _, variants := range tiles {
			for _, e := range append([]*entry(nil), variants...) {
				c.removeLocked(e)
				n++
			}
		}
	}
	for k, f := range c.flights {
		if k.Layer == layer {
			c.spoilLocked(f)
		}
	}
	c.stats.invalidated.Add(uint64(n))
	return n
}

// Reset drops every tile, spoils every rendering in progress and from then on
// lets the cache store tiles drawn from snapshots at or after feed head seq.
// Its owner calls it when it starts following the changes feed and whenever
// it may have missed changes.
func (c *Cache) Reset(seq int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.applied = c.applied[:0]
	c.floor = seq
	c.stats.invalidated.Add(uint64(len(c.entries)))
	clear(c.entries)
	clear(c.index)
	c.lru.Init()
	c.bytes = 0
	for _, f := range c.flights {
		c.spoilLocked(f)
	}
	c.armed = true
}

// Stats are the cache's counters since it was made, and its current size.
type Stats struct {
	Hits, Misses, Shared, Evictions, Invalidated, Expired uint64
	Entries                                               int
	Bytes                                                 int64
}

type counters struct {
	hits, misses, shared, evictions, invalidated, expired atomic.Uint64
}

// Stats returns the counters and the current size.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	entries, bytes := len(c.entries), c.bytes
	c.mu.Unlock()
	return Stats{
		Hits: c.stats.hits.Load(), Misses: c.stats.misses.Load(), Shared: c.stats.shared.Load(),
		Evictions: c.stats.evictions.Load(), Invalidated: c.stats.invalidated.Load(),
		Expired: c.stats.expired.Load(), Entries: entries, Bytes: bytes,
	}
}
