package tileload

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"citymap/server"
	"citymap/server/access"
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

func TestTemplateURL(t *testing.T) {
	tile := tileRef{"parking", maptile.New(6848, 3366, 13)}
	for _, c := range []struct{ template, want string }{
		{"http://h:7800/public.{table}/{z}/{x}/{y}.pbf", "http://h:7800/public.parking_zones/13/6848/3366.pbf"},
		{"http://h/{layer}/{z}/{x}/{y}.mvt?v=1", "http://h/parking/13/6848/3366.mvt?v=1"},
		{"http://h/{y}/{x}/{z}", "http://h/3366/6848/13"},
	} {
		if got := templateURL(c.template)(tile); got != c.want {
			t.Errorf("%s: %s, want %s", c.template, got, c.want)
		}
	}
}

func TestPeerURLNeedsTheTile(t *testing.T) {
	for _, template := range []string{"http://h/{z}/{x}.pbf", "http://h/tiles", "http://h/{Z}/{X}/{Y}"} {
		cfg := Config{BaselineDSN: "postgres://unused", PeerURL: template, Concurrency: []int{1},
			Duration: time.Second, TilesPerZoom: 1}
		if _, err := Run(context.Background(), cfg, io.Discard); err == nil || !strings.Contains(err.Error(), "peer URL") {
			t.Errorf("%s: %v, want the peer URL refused", template, err)
		}
	}
}

// TestRun runs the benchmark briefly against a server with its cache off and
// one with it on, the baseline query, a peer tile server (here one that knows
// every tile empty, checking the URLs it is asked for) and the HTTP ceiling,
// on the demo city.
func TestRun(t *testing.T) {
	t.Parallel()
	st := dbtest.New(t)
	start := func(cacheBytes int64) string {
		srv, err := server.New(context.Background(), server.Config{DataDir: t.TempDir(), Tiles: tiles.Config{CacheBytes: cacheBytes}}, st)
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(func() { srv.Close(); ts.Close() })
		return ts.URL
	}
	cold, warm := start(0), start(16<<20)
	tok, hash, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateToken(context.Background(), "load", access.Viewer, nil, hash, nil); err != nil {
		t.Fatal(err)
	}
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var z, x, y uint32
		if n, _ := fmt.Sscanf(r.URL.Path, "/public.issues/%d/%d/%d.pbf", &z, &x, &y); n != 3 || z < 12 || z > 14 {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(peer.Close)
	cfg := Config{ColdURL: cold, WarmURL: warm, Token: tok, BaselineDSN: st.Pool.Config().ConnString(),
		PeerURL: peer.URL + "/public.{table}/{z}/{x}/{y}.pbf", PeerName: "pg_tileserv", CeilingURL: cold + "/healthz",
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
	if len(rep.Rows) != 10 {
		t.Fatalf("%d rows, want 5 modes × 2 concurrencies", len(rep.Rows))
	}
	for _, r := range rep.Rows {
		if r.Tiles == 0 || r.Errors > 0 {
			t.Errorf("%s with %d clients: %d tiles, %d errors", r.Mode, r.Clients, r.Tiles, r.Errors)
		}
		if r.Mode == "cache warm" && r.Hits != r.Tiles {
			t.Errorf("warm: %d hits of %d tiles", r.Hits, r.Tiles)
		}
	}
	var table strings.Builder
	rep.Print(&table)
	if head, _, _ := strings.Cut(table.String(), "\n"); !strings.Contains(head, "| × pg_tileserv | of ceiling |") {
		t.Errorf("the table compares with neither the peer nor the ceiling: %s", head)
	}
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
