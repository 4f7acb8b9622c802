package tiles_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"citymap/server"
	"citymap/server/auth"
	"citymap/server/dbtest"
	"citymap/server/store"
	"citymap/server/tilecache"
	"citymap/server/tiles"
)

// env is a citymap instance on a fresh clone of the demo city, with a token per
// role.
type env struct {
	t      *testing.T
	st     *store.Store
	ts     *httptest.Server
	tokens map[string]string
}

func newEnv(t *testing.T, cfg tiles.Config) *env {
	t.Helper()
	st := dbtest.New(t)
	srv := server.New(server.Config{DataDir: t.TempDir(), Tiles: cfg}, st)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { srv.Close(); ts.Close() })
	e := &env{t: t, st: st, ts: ts, tokens: map[string]string{}}
	for _, role := range auth.Roles {
		if role != auth.GridManager {
			e.tokens[role] = e.token(role)
		}
	}
	// the grid manager of the first street
	var street string
	if err := st.Pool.QueryRow(context.Background(),
		`SELECT min(code) FROM areas WHERE level = 'street'`).Scan(&street); err != nil {
		t.Fatal(err)
	}
	e.tokens[auth.GridManager] = e.token(auth.GridManager, street)
	return e
}

// cached is a config with the cache on.
var cached = tiles.Config{CacheBytes: 64 << 20}

func (e *env) token(role string, areas ...string) string {
	e.t.Helper()
	tok, hash, err := auth.NewToken()
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.st.CreateToken(context.Background(), "tiles-test-"+role, role, areas, hash, nil); err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// answer is a response with its body read.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// get requests path with the token (none when empty) and header pairs.
func (e *env) get(path, tok string, header ...string) answer {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.ts.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// a Transport that leaves Accept-Encoding and gzip bodies alone
	res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return answer{res.StatusCode, res.Header, body}
}

// tileAt is the tile of zoom z holding p.
func tileAt(p orb.Point, z maptile.Zoom) maptile.Tile { return maptile.At(p, z) }

func tilePath(layer string, t maptile.Tile) string {
	return fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layer, t.Z, t.X, t.Y)
}

// fetched is a decoded tile and how the cache answered.
type fetched struct {
	status  int
	outcome string
	etag    string
	layer   mvtLayer
}

// fetch gets a tile as a browser would (gzip) and decodes it.
func (e *env) fetch(layer string, t maptile.Tile, tok string) fetched {
	e.t.Helper()
	a := e.get(tilePath(layer, t), tok, "Accept-Encoding", "gzip")
	f := fetched{status: a.status, outcome: a.header.Get("X-Tile-Cache"), etag: a.header.Get("ETag")}
	switch a.status {
	case http.StatusNoContent:
		return f
	case http.StatusOK:
	default:
		e.t.Fatalf("%s: status %d: %s", tilePath(layer, t), a.status, a.body)
	}
	raw := a.body
	if a.header.Get("Content-Encoding") == "gzip" {
		raw = gunzip(e.t, a.body)
	} else if len(raw) >= tilecache.MinGzip {
		e.t.Fatalf("%s: %d bytes not gzip-compressed", tilePath(layer, t), len(raw))
	}
	layers, err := decodeMVT(raw)
	if err != nil {
		e.t.Fatalf("%s: %v", tilePath(layer, t), err)
	}
	if len(layers) != 1 {
		e.t.Fatalf("%s: %d layers, want 1", tilePath(layer, t), len(layers))
	}
	f.layer = layers[layer]
	return f
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// count runs a query that returns one number.
func (e *env) count(sql string, args ...any) int64 {
	e.t.Helper()
	var n int64
	if err := e.st.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// metric reads one value from /metrics.
func (e *env) metric(name string) float64 {
	e.t.Helper()
	a := e.get("/metrics", "")
	for _, line := range strings.Split(string(a.body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				e.t.Fatalf("metric %s: %q", name, line)
			}
			return f
		}
	}
	e.t.Fatalf("/metrics lacks %s", name)
	return 0
}

// waitFollowing waits until the cache follows the changes feed: before that it
// stores nothing.
func (e *env) waitFollowing() {
	e.t.Helper()
	waitFor(e.t, "the tile cache to follow the feed", 15*time.Second, func() bool {
		return e.metric("citymap_tile_cache_resets_total") >= 1
	})
}

func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// ids lists the issue numbers of a tile's features.
func ids(l mvtLayer) map[int64]mvtFeature {
	out := map[int64]mvtFeature{}
	for _, f := range l.features {
		out[int64(f.id)] = f
	}
	return out
}

// envelope is the SQL for tile t's envelope in WGS 84, grown by the MVT buffer.
const envelope = `ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326)`

func tileArgs(t maptile.Tile) []any { return []any{int32(t.Z), int64(t.X), int64(t.Y)} }
