package tiles

import (
	"citymap/server/metrics"
	"citymap/server/tilecache"
)

// tileMetrics are the tile server's figures in /metrics. The hit ratio is
// citymap_tile_cache_hits_total over citymap_tile_requests_total.
type tileMetrics struct {
	// requests and render hold every layer's series, looked up once: a
	// series looked up per request takes the family's lock each time
	requests map[string]map[tilecache.Outcome]metrics.Counter
	render   map[string]metrics.Histogram
	resets   metrics.Counter
	// behind counts tiles drawn again on the primary (render)
	behind metrics.Counter
}

var renderBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10}

func newTileMetrics(reg *metrics.Registry, c *tilecache.Cache) *tileMetrics {
	if reg == nil {
		reg = metrics.NewRegistry()
	}
	requests := reg.CounterVec("citymap_tile_requests_total",
		"Tiles answered, by layer and how (hit, miss, shared: a concurrent miss's rendering, bypass: cache off).",
		"layer", "cache")
	render := reg.HistogramVec("citymap_tile_render_seconds",
		"Time to render a tile in the database and compress it, by layer.", renderBuckets, "layer")
	m := &tileMetrics{
		requests: map[string]map[tilecache.Outcome]metrics.Counter{},
		render:   map[string]metrics.Histogram{},
		resets: reg.Counter("citymap_tile_cache_resets_total",
			"Times the whole tile cache was dropped: the live hub started following the feed or skipped changes."),
		behind: reg.Counter("citymap_tile_replica_behind_total",
			"Tiles drawn on a read replica that had not replayed a change the cache had applied to them, "+
				"and so drawn again on the primary."),
	}
	for _, l := range layers {
		m.render[l.name] = render.With(l.name)
		m.requests[l.name] = map[tilecache.Outcome]metrics.Counter{}
		for outcome, name := range outcomeName {
			m.requests[l.name][outcome] = requests.With(l.name, name)
		}
	}
	stat := func(name, help string, f func(tilecache.Stats) float64) {
		reg.CounterFunc(name, help, func() float64 { return f(c.Stats()) })
	}
	stat("citymap_tile_cache_hits_total", "Tiles served from the cache.",
		func(s tilecache.Stats) float64 { return float64(s.Hits) })
	stat("citymap_tile_cache_misses_total", "Tiles rendered because the cache did not hold them.",
		func(s tilecache.Stats) float64 { return float64(s.Misses) })
	stat("citymap_tile_cache_evictions_total", "Tiles evicted to stay within the cache's byte budget.",
		func(s tilecache.Stats) float64 { return float64(s.Evictions) })
	stat("citymap_tile_cache_invalidations_total", "Cached tiles dropped because a change touched them.",
		func(s tilecache.Stats) float64 { return float64(s.Invalidated) })
	stat("citymap_tile_cache_expirations_total",
		"Cached tiles rendered again because the clock changed their content (deadlines, tidal windows).",
		func(s tilecache.Stats) float64 { return float64(s.Expired) })
	reg.GaugeFunc("citymap_tile_cache_bytes", "Bytes the tile cache holds (compressed tiles and overhead).",
		func() float64 { return float64(c.Stats().Bytes) })
	reg.GaugeFunc("citymap_tile_cache_entries", "Tiles the cache holds.",
		func() float64 { return float64(c.Stats().Entries) })
	return m
}
