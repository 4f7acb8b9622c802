package tiles_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"citymap/server"
	"citymap/server/access"
	"citymap/server/apitest"
	"citymap/server/tilecache"
	"citymap/server/tiles"
)

// env is a citymap instance on a fresh clone of the demo city, with a token per
// role; the grid manager's covers the first street.
type env struct{ *apitest.Env }

// answer is a response with its body read.
type answer = apitest.Reply

func newEnv(t *testing.T, cfg tiles.Config) *env {
	t.Helper()
	e := &env{apitest.NewWith(t, server.Config{Tiles: cfg})}
	var street string
	e.Scan(`SELECT min(code) FROM areas WHERE level = 'street'`, nil, &street)
	e.Tokens[access.GridManager] = e.Token("tiles-test-"+access.GridManager, access.GridManager, []string{street})
	return e
}

// cached is a config with the cache on.
var cached = tiles.Config{CacheBytes: 64 << 20}

// get requests path with the token (none when empty) and header pairs.
func (e *env) get(path, tok string, header ...string) answer {
	e.T.Helper()
	if tok != "" {
		header = append([]string{"Authorization", "Bearer " + tok}, header...)
	}
	return e.Call(http.MethodGet, path, "", nil, header...)
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
	e.T.Helper()
	a := e.get(tilePath(layer, t), tok, "Accept-Encoding", "gzip")
	f := fetched{status: a.Status, outcome: a.Header.Get("X-Tile-Cache"), etag: a.Header.Get("ETag")}
	switch a.Status {
	case http.StatusNoContent:
		return f
	case http.StatusOK:
	default:
		e.T.Fatalf("%s: status %d: %s", tilePath(layer, t), a.Status, a.Body)
	}
	raw := a.Body
	if a.Header.Get("Content-Encoding") == "gzip" {
		raw = gunzip(e.T, a.Body)
	} else if len(raw) >= tilecache.MinGzip {
		e.T.Fatalf("%s: %d bytes not gzip-compressed", tilePath(layer, t), len(raw))
	}
	layers, err := decodeMVT(raw)
	if err != nil {
		e.T.Fatalf("%s: %v", tilePath(layer, t), err)
	}
	if len(layers) != 1 {
		e.T.Fatalf("%s: %d layers, want 1", tilePath(layer, t), len(layers))
	}
	f.layer = layers[layer]
	return f
}

func gunzip(t testing.TB, b []byte) []byte {
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

// metric reads one value from /metrics.
func (e *env) metric(name string) float64 {
	e.T.Helper()
	a := e.get("/metrics", "")
	for _, line := range strings.Split(string(a.Body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				e.T.Fatalf("metric %s: %q", name, line)
			}
			return f
		}
	}
	e.T.Fatalf("/metrics lacks %s", name)
	return 0
}

// waitFollowing waits until the cache follows the changes feed: before that it
// stores nothing.
func (e *env) waitFollowing() {
	e.T.Helper()
	waitFor(e.T, "the tile cache to follow the feed", 15*time.Second, func() bool {
		return e.metric("citymap_tile_cache_resets_total") >= 1
	})
}

func waitFor(t testing.TB, what string, limit time.Duration, cond func() bool) time.Duration {
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
