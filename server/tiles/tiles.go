// Package tiles serves the map as Mapbox Vector Tiles at
// /tiles/{layer}/{z}/{x}/{y}.mvt, their TileJSON at /tiles/{layer}.json and a
// MapLibre style over them at /style.json.
//
// Tiles are rendered by PostGIS (store.RenderTile) and kept in a byte-bounded
// cache (server/tilecache) that is never stale: the instance's live hub hands
// every committed change to the cache, which drops the tiles the change's old
// and new geometry touch, and each tile expires when its content would change
// by time alone (an issue turning overdue, a tidal zone opening). Clients are
// told Cache-Control: no-cache with an ETag, so they revalidate every tile and
// get a 304 while it is unchanged.
package tiles

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"citymap/geo/tile"
	"citymap/server/access"
	"citymap/server/auth"
	"citymap/server/limit"
	"citymap/server/live"
	"citymap/server/metrics"
	"citymap/server/replica"
	"citymap/server/respond"
	"citymap/server/routes"
	"citymap/server/store"
	"citymap/server/tilecache"
)

// Config tunes the tile server.
type Config struct {
	// CacheBytes bounds the tile cache; 0 turns it off (every tile is rendered).
	CacheBytes int64
	// BasemapStyle is the URL of a MapLibre style drawn under citymap's layers
	// in /style.json; empty draws them on a plain background.
	BasemapStyle string
	// BasemapRaster are raster tile layers drawn under citymap's instead (天地图,
	// an XYZ template: ParseBasemap).
	BasemapRaster []RasterLayer
	// RenderTimeout bounds rendering one tile (10 s when zero).
	RenderTimeout time.Duration
}

// Tiles is an instance's tile server.
type Tiles struct {
	cfg      Config
	store    *store.Store
	renderer *store.TileRenderer
	auth     *auth.Authenticator
	cache    *tilecache.Cache
	m        *tileMetrics
	basemap  *basemap
}

// bufferFraction is the MVT buffer as a fraction of a tile: a change touches
// the tiles whose envelope grown by it meets the changed geometry.
const bufferFraction = float64(store.TileBuffer) / store.TileExtent

// New returns the tile server over st, registering its metrics in reg. Close
// releases its database connections.
func New(st *store.Store, a *auth.Authenticator, cfg Config, reg *metrics.Registry) (*Tiles, error) {
	if cfg.RenderTimeout <= 0 {
		cfg.RenderTimeout = 10 * time.Second
	}
	r, err := st.NewTileRenderer()
	if err != nil {
		return nil, err
	}
	t := &Tiles{cfg: cfg, store: st, renderer: r, auth: a, cache: tilecache.New(cfg.CacheBytes)}
	t.m = newTileMetrics(reg, t.cache)
	if cfg.BasemapStyle != "" {
		t.basemap = newBasemap(cfg.BasemapStyle)
	}
	return t, nil
}

// Close releases the renderer's connections.
func (t *Tiles) Close() { t.renderer.Close() }

// PoolStats are the usage figures of the renderer's pools.
func (t *Tiles) PoolStats() []store.PoolStat { return t.renderer.PoolStats() }

// Routes lists the routes: every role but the reporter, which only submits,
// reads the tiles.
func (t *Tiles) Routes() []routes.Route {
	return []routes.Route{
		routes.For("GET /tiles/{layer}/{z}/{x}/{y}", t.serveTile, limit.Medium, access.Readers),
		routes.For("GET /tiles/{file}", t.serveTileJSON, limit.Medium, access.Readers),
		routes.For("GET /style.json", t.serveStyle, limit.Light, access.Readers),
	}
}

// Changes is what the cache follows: the committed changes in feed order,
// each handed to the observer, a reset when the source skipped some (the
// live hub is one).
type Changes interface {
	Observe(fn func(*live.Change))
}

// Follow makes the cache follow src's changes. Until src has started
// following the feed the cache stores nothing (see tilecache.New).
func (t *Tiles) Follow(src Changes) { src.Observe(t.changed) }

// changed drops the cached tiles a change alters: in every tile layer the feed
// layer maps to, the tiles that the object's geometry before and after the
// change touches, at every zoom. A reset (the hub started, or skipped changes
// it could not read) drops everything.
func (t *Tiles) changed(ch *live.Change) {
	if ch.IsReset() {
		t.cache.Reset(ch.Seq)
		t.m.resets.Inc()
		return
	}
	bounds := ch.Bounds()
	for _, l := range feedLayers[ch.Layer] {
		if len(bounds) == 0 {
			t.cache.InvalidateLayer(ch.Seq, l)
			continue
		}
		for _, b := range bounds {
			t.cache.Invalidate(ch.Seq, l, b, bufferFraction)
		}
	}
}

var (
	errNotMVT  = respond.Errorf(http.StatusNotFound, "not_found", "tiles are at /tiles/{layer}/{z}/{x}/{y}.mvt")
	errNoLayer = respond.Errorf(http.StatusNotFound, "unknown_layer", "no such layer (areas, grids, parking, points, issues)")
)

// serveTile is GET /tiles/{layer}/{z}/{x}/{y}.mvt.
func (t *Tiles) serveTile(w http.ResponseWriter, r *http.Request) {
	l, ok := layerByName(r.PathValue("layer"))
	if !ok {
		respond.Fail(w, r, errNoLayer)
		return
	}
	y, ok := strings.CutSuffix(r.PathValue("y"), ".mvt")
	if !ok {
		respond.Fail(w, r, errNotMVT)
		return
	}
	tl, err := tile.Parse(r.PathValue("z"), r.PathValue("x"), y)
	if err != nil {
		respond.Fail(w, r, respond.Errorf(http.StatusBadRequest, "invalid_tile", err.Error()))
		return
	}
	req := store.TileRequest{Layer: l.name, Z: uint32(tl.Z), X: tl.X, Y: tl.Y}
	key := tilecache.Key{Layer: l.name, Z: tl.Z, X: tl.X, Y: tl.Y}
	// every layer is limited to a scoped token's areas, as the REST and OGC
	// APIs and the live stream limit it
	if p := auth.From(r.Context()); len(p.Areas) > 0 {
		req.Scope = p.Areas
		key.Variant = scopeVariant(p.Areas)
	}
	got, outcome, err := t.cache.Get(r.Context(), key, func(ctx context.Context) (tilecache.Tile, error) {
		return t.render(ctx, req, key)
	})
	t.m.requests[l.name][outcome].Inc()
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	w.Header().Set("X-Tile-Cache", outcomeName[outcome])
	writeTile(w, r, got)
}

// scopeVariant names the rendering of a tile for one area scope: tiles limited
// to a grid manager's areas are cached apart from everyone else's, and shared
// by the tokens of the same areas.
func scopeVariant(areas []string) string {
	s := slices.Clone(areas)
	slices.Sort(s)
	return "areas=" + strings.Join(slices.Compact(s), ",")
}

var outcomeName = map[tilecache.Outcome]string{
	tilecache.Hit: "hit", tilecache.Miss: "miss", tilecache.Shared: "shared", tilecache.Bypassed: "bypass",
}

// render draws a tile in the database and encodes it for serving. A tile drawn
// on a replica that has not replayed a change the cache has applied to it is
// drawn again on the primary: served, it would bring back what the change
// undid, and it could not be cached.
func (t *Tiles) render(ctx context.Context, req store.TileRequest, key tilecache.Key) (tilecache.Tile, error) {
	ctx, cancel := context.WithTimeout(ctx, t.cfg.RenderTimeout)
	defer cancel()
	start := time.Now()
	rt, err := t.renderer.Render(ctx, req)
	if err == nil && rt.Replica != "" && !t.cache.Current(key, rt.Seq) {
		t.m.behind.Inc()
		rt, err = t.renderer.Render(replica.OnPrimary(ctx), req)
	}
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			slog.Warn("tiles: rendering timed out", "layer", req.Layer, "z", req.Z, "x", req.X, "y", req.Y)
		}
		return tilecache.Tile{}, err
	}
	t.m.render[req.Layer].Observe(time.Since(start).Seconds())
	tl, err := tilecache.Encode(rt.MVT, rt.Expires)
	tl.Seq = rt.Seq
	return tl, err
}

// mvtType is the media type of Mapbox Vector Tiles.
const mvtType = "application/vnd.mapbox-vector-tile"

// writeTile answers with the tile: 304 when the client holds it already, 204
// when it has no features (MapLibre takes that for an empty tile), else the MVT,
// gzip-compressed when the client accepts that and the tile is not tiny.
func writeTile(w http.ResponseWriter, r *http.Request, t tilecache.Tile) {
	h := w.Header()
	revalidate(h, t.ETag)
	h.Set("Vary", "Accept-Encoding, Authorization")
	if etagMatch(r.Header.Get("If-None-Match"), t.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if t.Empty() {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h.Set("Content-Type", mvtType)
	body := t.Body
	switch {
	case !t.Gzipped: // too small to gain from it
	case acceptsGzip(r.Header.Get("Accept-Encoding")):
		h.Set("Content-Encoding", "gzip")
	default:
		raw, err := t.MVT()
		if err != nil {
			respond.Fail(w, r, err)
			return
		}
		body = raw
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// revalidate sets the caching headers of every answer here: clients may keep
// it but must ask again each time (cheap: a 304 when nothing changed), which
// is what lets tiles be never stale. private, since the issues layer depends
// on the token.
func revalidate(h http.Header, etag string) {
	h.Set("Cache-Control", "private, no-cache")
	h.Set("ETag", etag)
}

// etagMatch compares If-None-Match with an entity tag the weak way (RFC 9110
// 13.1.2): W/ prefixes do not matter.
func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, c := range strings.Split(header, ",") {
		c = strings.TrimSpace(c)
		if c == "*" || strings.TrimPrefix(c, "W/") == want {
			return true
		}
	}
	return false
}

// acceptsGzip reads Accept-Encoding: gzip (or x-gzip, or *) with a quality
// above zero.
func acceptsGzip(header string) bool {
	ok := false
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" && coding != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		refused := q == "q=0" || strings.HasPrefix(q, "q=0.0") && strings.Trim(q[len("q=0."):], "0") == ""
		if coding != "*" {
			return !refused
		}
		ok = !refused
	}
	return ok
}
