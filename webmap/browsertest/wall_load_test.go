package browsertest

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"citymap/server"
	"citymap/server/apitest"
	"citymap/server/tiles"
)

// TestWallLoad drives the wall at a real city's pace: webmap/test/wall-load.mjs
// opens four walls at once (1920×1080, 3840×2160, 5760×1080, 7680×2160) while
// cases are reported through the intake API at 10 a second for two minutes,
// checks from the rendered pages that nothing is clipped, hidden or drawn over
// anything else and that the heap does not climb, then crosses the city's
// midnight on the pages' clock. CITYMAP_WALL_SECONDS, _RATE, _SIZES and
// _SERIES (a CSV of the samples) tune it: scripts/bench-wall.sh runs it for
// half an hour as a soak.
func TestWallLoad(t *testing.T) {
	node, chromium := needBrowser(t)
	seconds := 120
	if v := os.Getenv("CITYMAP_WALL_SECONDS"); v != "" {
		var err error
		if seconds, err = strconv.Atoi(v); err != nil || seconds < 10 {
			t.Fatalf("CITYMAP_WALL_SECONDS=%q: a number of seconds, 10 or more", v)
		}
	}
	runWallLoad(t, apitest.New(t), node, chromium, seconds)
}

// TestWallBasemapDown configures a raster basemap that cannot be reached (a
// command center without internet) and drives one wall for a while: it starts,
// keeps up and shows its own layers, the CSP lets it try the tile server, and
// the failed tiles are no console error.
func TestWallBasemapDown(t *testing.T) {
	node, chromium := needBrowser(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there any more: every tile is refused
	_, raster, err := tiles.ParseBasemap("xyz:"+down+"/{z}/{x}/{y}.png", "")
	if err != nil {
		t.Fatal(err)
	}
	e := apitest.NewWith(t, server.Config{Tiles: tiles.Config{BasemapRaster: raster}})
	runWallLoad(t, e, node, chromium, 15, "CITYMAP_WALL_SIZES=1920x1080", "CITYMAP_WALL_ROLLOVER=0",
		"CITYMAP_WALL_BASEMAP_DOWN="+down, "CITYMAP_WALL_SAMPLE_S=5")
}

func needBrowser(t *testing.T) (node, chromium string) {
	t.Helper()
	node, chromium, err := prerequisites()
	if err != nil {
		if os.Getenv(requireEnv) != "" {
			t.Fatalf("%v (%s is set: the browser tests must run)", err, requireEnv)
		}
		t.Skip(err)
	}
	return node, chromium
}

// runWallLoad runs webmap/test/wall-load.mjs against e for seconds of cases.
func runWallLoad(t *testing.T, e *apitest.Env, node, chromium string, seconds int, env ...string) {
	recentIssues(e)
	points := cityPoints(e, 500)
	var categories []string
	rows, err := e.Store.Pool.Query(context.Background(), `SELECT code FROM issue_categories ORDER BY code`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		categories = append(categories, c)
	}
	rows.Close()
	if len(categories) == 0 {
		t.Fatal("no issue categories")
	}
	pointsJSON, _ := json.Marshal(points)
	catsJSON, _ := json.Marshal(categories)
	tokens, _ := json.Marshal(map[string]string{"viewer": e.Tokens["viewer"], "admin": e.Tokens["admin"]})
	var res struct {
		Walls    map[string]any `json:"walls"`
		Feed     map[string]any `json:"feed"`
		Checks   map[string]any `json:"checks"`
		Failures []string       `json:"failures"`
	}
	_, took := runScript(t, node, chromium, "test/wall-load.mjs", time.Duration(seconds)*time.Second+10*time.Minute, &res,
		append([]string{
			"CITYMAP_E2E_URL=" + e.URL,
			"CITYMAP_E2E_TOKENS=" + string(tokens),
			"CITYMAP_E2E_POINTS=" + string(pointsJSON),
			"CITYMAP_E2E_CATEGORIES=" + string(catsJSON),
			"CITYMAP_WALL_SECONDS=" + strconv.Itoa(seconds),
		}, env...)...)
	t.Logf("feed: %v", res.Feed)
	for name, w := range res.Walls {
		t.Logf("%-10s %v", name, w)
	}
	t.Logf("checks: %v; browser run %v", res.Checks, took)
}

// cityPoints are n points scattered over the city (the district), the same
// every run: where the load's cases are reported.
func cityPoints(e *apitest.Env, n int) [][2]float64 {
	e.T.Helper()
	rows, err := e.Store.Pool.Query(context.Background(), `SELECT ST_X(d.geom), ST_Y(d.geom) FROM
		(SELECT geom FROM areas WHERE level = 'district' ORDER BY code LIMIT 1) a,
		ST_Dump(ST_GeneratePoints(a.geom, $1, 7)) d`, n)
	if err != nil {
		e.T.Fatal(err)
	}
	defer rows.Close()
	var out [][2]float64
	for rows.Next() {
		var p [2]float64
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			e.T.Fatal(err)
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		e.T.Fatal("no district to scatter cases over")
	}
	return out
}
