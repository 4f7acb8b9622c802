package tileload

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"citymap/server"
	"citymap/server/auth"
	"citymap/server/dbtest"
	"citymap/server/tiles"
)

func TestTileListIsFixed(t *testing.T) {
	cfg := Config{MinZoom: 12, MaxZoom: 16, TilesPerZoom: 50, Seed: 7}
	city := orb.Bound{Min: orb.Point{119.55, 31.15}, Max: orb.Point{119.96, 31.56}}
	a, b := tileList(cfg, "issues", city), tileList(cfg, "issues", city)
	if len(a) != 250 || !slices.Equal(a, b) {
		t.Fatalf("lists of %d and %d tiles differ", len(a), len(b))
	}
	zooms := map[uint32]int{}
	for _, r := range a {
		zooms[uint32(r.tile.Z)]++
		if !r.tile.Bound().Intersects(city) {
			t.Errorf("%v is outside the city", r.tile)
		}
	}
	for z := uint32(12); z <= 16; z++ {
		if zooms[z] != 50 {
			t.Errorf("z%d: %d tiles", z, zooms[z])
		}
	}
}

func TestMedians(t *testing.T) {
	row := func(rate float64, p50 time.Duration) Row {
		return Row{Rate: rate, P50: p50, Tiles: 10, ZoomP50: map[int]time.Duration{12: p50}}
	}
	got := medians([][]Row{{row(100, 3)}, {row(300, 1)}, {row(200, 2)}})
	if len(got) != 1 || got[0].Rate != 200 || got[0].P50 != 2 || got[0].ZoomP50[12] != 2 || got[0].Tiles != 30 {
		t.Errorf("medians %+v", got)
	}
}

// TestRun runs the benchmark briefly against a server with its cache off and
// one with it on, and the baseline query, on the demo city.
func TestRun(t *testing.T) {
	t.Parallel()
	st := dbtest.New(t)
	start := func(cacheBytes int64) string {
		srv := server.New(server.Config{DataDir: t.TempDir(), Tiles: tiles.Config{CacheBytes: cacheBytes}}, st)
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(func() { srv.Close(); ts.Close() })
		return ts.URL
	}
	cold, warm := start(0), start(16<<20)
	tok, hash, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateToken(context.Background(), "load", auth.Viewer, nil, hash, nil); err != nil {
		t.Fatal(err)
	}
	cfg := Config{ColdURL: cold, WarmURL: warm, Token: tok, BaselineDSN: st.Pool.Config().ConnString(),
		Layers: []string{"issues"}, MinZoom: 12, MaxZoom: 14, Concurrency: []int{1, 4},
		Duration: 300 * time.Millisecond, TilesPerZoom: 5, Seed: 1, Runs: 1}
	// the warm server stores tiles once its hub follows the feed
	deadline := time.Now().Add(15 * time.Second)
	for !following(warm) {
		if time.Now().After(deadline) {
			t.Fatal("the warm server's cache does not follow the feed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	rep, err := Run(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 6 {
		t.Fatalf("%d rows, want 3 modes × 2 concurrencies", len(rep.Rows))
	}
	for _, r := range rep.Rows {
		if r.Tiles == 0 || r.Errors > 0 {
			t.Errorf("%s with %d clients: %d tiles, %d errors", r.Mode, r.Clients, r.Tiles, r.Errors)
		}
		if r.Mode == "cache warm" && r.Hits != r.Tiles {
			t.Errorf("warm: %d hits of %d tiles", r.Hits, r.Tiles)
		}
	}
	rep.Print(io.Discard)
}

func following(url string) bool {
	res, err := http.Get(url + "/metrics")
	if err != nil {
		return false
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return !strings.Contains(string(body), "citymap_tile_cache_resets_total 0")
}
