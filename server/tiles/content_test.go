package tiles_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"citymap/geo/tile"
	"citymap/server/access"
)

// busiest is where the demo city's open issues are densest: its tiles hold
// features at every zoom.
func (e *env) busiest() orb.Point {
	e.T.Helper()
	var p orb.Point
	err := e.Store.Pool.QueryRow(context.Background(), `SELECT ST_X(i.geom), ST_Y(i.geom) FROM issues i
		WHERE issue_is_open(i.Status)
		ORDER BY (SELECT count(*) FROM issues j WHERE issue_is_open(j.Status) AND j.geom && ST_Expand(i.geom, 0.005)) DESC, i.id
		LIMIT 1`).Scan(&p[0], &p[1])
	if err != nil {
		e.T.Fatal(err)
	}
	return p
}

// quietParking waits, when a tidal zone of tile t (and so of the tiles inside
// it) opens or closes within the next half minute, until it has: open_now and
// the tiles' expiry then hold still while the test fetches tiles and asks the
// database, each at its own instant, whatever the hour.
func (e *env) quietParking(t maptile.Tile) {
	e.T.Helper()
	var next *float64
	e.Scan(`SELECT extract(epoch FROM min(parking_next_change(id, now())) - now())::float8
		FROM parking_zones WHERE kind = 'tidal' AND geom && `+envelope, tileArgs(t), &next)
	if next != nil && *next < 30 {
		time.Sleep(time.Duration(*next*float64(time.Second)) + 100*time.Millisecond)
	}
}

// rowsByKey runs a query whose first column is a key and returns each row's
// other columns as text by key.
func (e *env) rowsByKey(sql string, args ...any) map[string][]string {
	e.T.Helper()
	rows, err := e.Store.Pool.Query(context.Background(), sql, args...)
	if err != nil {
		e.T.Fatal(err)
	}
	out := map[string][]string{}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			e.T.Fatal(err)
		}
		var cols []string
		for _, v := range vals[1:] {
			cols = append(cols, fmt.Sprint(v))
		}
		out[fmt.Sprint(vals[0])] = cols
	}
	if err := rows.Err(); err != nil {
		e.T.Fatal(err)
	}
	return out
}

// checkFeatures compares a tile's features, keyed by the property key, with
// the rows of the database: every feature is a row within the buffered tile
// with the same properties (props, in the order of the query's other columns),
// and every row strictly inside the tile is a feature.
func checkFeatures(t *testing.T, what string, l mvtLayer, key string, props []string,
	buffered map[string][]string, inside map[string]bool) {
	t.Helper()
	seen := map[string]bool{}
	for _, f := range l.features {
		k := fmt.Sprint(f.props[key])
		seen[k] = true
		row, ok := buffered[k]
		if !ok {
			t.Errorf("%s: feature %s is not in the tile", what, k)
			continue
		}
		for i, p := range props {
			if got := fmt.Sprint(f.props[p]); got != row[i] {
				t.Errorf("%s %s: %s = %s, the database says %s", what, k, p, got, row[i])
			}
		}
	}
	for k := range inside {
		if !seen[k] {
			t.Errorf("%s: %s lies in the tile but is not drawn", what, k)
		}
	}
}

// keysInside lists the keys of a query's rows.
func (e *env) keysInside(sql string, args ...any) map[string]bool {
	out := map[string]bool{}
	for k := range e.rowsByKey(sql, args...) {
		out[k] = true
	}
	return out
}

func TestPointsAndParking(t *testing.T) {
	t.Parallel()
	e := newEnv(t, cached)
	tok := e.Tokens[access.Viewer]
	e.quietParking(tileAt(yixing, 12))
	for _, z := range []maptile.Zoom{12, 14, 16} {
		tl := tileAt(yixing, z)
		args := tileArgs(tl)
		// up to z14 objects with an area are drawn at a point on their surface
		drawn := "CASE WHEN $1 <= 14 THEN ST_PointOnSurface(geom) ELSE geom END"
		points := e.fetch("points", tl, tok)
		checkFeatures(t, fmt.Sprintf("points z%d", z), points.layer, "code",
			[]string{"name", "category", "unit", "grid"},
			e.rowsByKey(`SELECT code, name, category, unit, grid_code FROM points WHERE geom && `+envelope, args...),
			e.keysInside(`SELECT code FROM points WHERE ST_Intersects(`+drawn+`, ST_Transform(ST_TileEnvelope($1, $2, $3, margin => -0.01), 4326))`, args...))
		if z == 16 && len(points.layer.features) == 0 {
			t.Errorf("points z16 tile %v is empty", tl)
		}
		parking := e.fetch("parking", tl, tok)
		checkFeatures(t, fmt.Sprintf("parking z%d", z), parking.layer, "code",
			[]string{"name", "kind", "capacity", "occupied", "free", "open_now"},
			e.rowsByKey(`SELECT code, name, kind, capacity, occupied, capacity - occupied,
					kind = 'smart' OR parking_open_at(id, now())
				FROM parking_zones WHERE geom && `+envelope, args...),
			e.keysInside(`SELECT code FROM parking_zones WHERE ST_Intersects(`+drawn+`, ST_Transform(ST_TileEnvelope($1, $2, $3, margin => -0.01), 4326))`, args...))
		if z == 12 && len(parking.layer.features) == 0 {
			t.Errorf("parking z12 tile %v is empty", tl)
		}
		for _, f := range append(points.layer.features, parking.layer.features...) {
			if z <= 14 && f.typ != 1 {
				t.Errorf("z%d: a feature of type %d, want points up to z14", z, f.typ)
			}
		}
	}
}

func TestIssues(t *testing.T) {
	t.Parallel()
	e := newEnv(t, cached)
	tok := e.Tokens[access.Viewer]
	// overdue in the tiles and in the test's SQL are read at different instants
	e.QuietDeadlines(time.Hour)
	busy := e.busiest()
	for _, z := range []maptile.Zoom{14, 15, 16} {
		tl := tileAt(busy, z)
		got := e.fetch("issues", tl, tok)
		what := fmt.Sprintf("issues z%d", z)
		checkFeatures(t, what, got.layer, "id",
			[]string{"status", "category", "source", "overdue", "deadline", "grid"},
			e.rowsByKey(`SELECT id, status, category, source, deadline < now() AND suspended_at IS NULL,
					to_char(deadline AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), grid_code
				FROM issues WHERE issue_is_open(status) AND geom && `+envelope, tileArgs(tl)...),
			e.keysInside(`SELECT id FROM issues WHERE issue_is_open(status)
				AND ST_Intersects(geom, ST_Transform(ST_TileEnvelope($1, $2, $3), 4326))`, tileArgs(tl)...))
		if len(got.layer.features) == 0 {
			t.Fatalf("%s: no issues at the busiest place", what)
		}
		for _, f := range got.layer.features {
			if !f.hasID || float64(f.id) != f.props["id"] {
				t.Errorf("%s: feature id %d, property id %v", what, f.id, f.props["id"])
			}
			if _, err := time.Parse(time.RFC3339, f.props["deadline"].(string)); err != nil {
				t.Errorf("%s: deadline %v", what, f.props["deadline"])
			}
		}
	}
}

// cityTiles lists the tiles of zoom z over the demo city.
func (e *env) cityTiles(z maptile.Zoom) []maptile.Tile {
	e.T.Helper()
	ext, err := e.Store.CityExtent(context.Background())
	if err != nil {
		e.T.Fatal(err)
	}
	return tile.Covering(ext, z, 0)
}

// TestIssueClusters adds up the clusters of every tile over the city: each
// open issue counts in exactly one cell of one tile.
func TestIssueClusters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, cached)
	tok := e.Tokens[access.Viewer]
	e.QuietDeadlines(time.Hour)
	for _, z := range []maptile.Zoom{9, 12, 13} {
		var count, overdue float64
		for _, tl := range e.cityTiles(z) {
			got := e.fetch("issues", tl, tok)
			for _, f := range got.layer.features {
				if f.props["cluster"] != true || f.hasID || f.typ != 1 || len(f.points) != 1 {
					t.Fatalf("z%d: not a cluster: %+v", z, f)
				}
				if p := f.points[0]; p[0] < 0 || p[0] >= 4096 || p[1] < 0 || p[1] >= 4096 {
					t.Errorf("z%d: a cluster at %v, outside its tile", z, p)
				}
				count += f.props["count"].(float64)
				overdue += f.props["overdue_count"].(float64)
			}
		}
		wantCount := e.Int(`SELECT count(*) FROM issues WHERE issue_is_open(status)`)
		wantOverdue := e.Int(`SELECT count(*) FROM issues WHERE issue_is_open(status) AND deadline < now() AND suspended_at IS NULL`)
		if int64(count) != wantCount || int64(overdue) != wantOverdue {
			t.Errorf("z%d: clusters count %v open issues (%v overdue), the database %d (%d)",
				z, count, overdue, wantCount, wantOverdue)
		}
	}
}

func TestAreasFollowTheZoom(t *testing.T) {
	t.Parallel()
	e := newEnv(t, cached)
	tok := e.Tokens[access.Viewer]
	for z, level := range map[maptile.Zoom]string{7: "district", 9: "street", 10: "street",
		11: "community", 12: "community", 13: "grid", 16: "grid"} {
		got := e.fetch("areas", tileAt(yixing, z), tok)
		if len(got.layer.features) == 0 {
			t.Errorf("areas z%d: empty", z)
		}
		for _, f := range got.layer.features {
			if f.props["level"] != level || f.typ != 3 {
				t.Errorf("areas z%d: a %v feature of type %d, want %s polygons", z, f.props["level"], f.typ, level)
			}
			if parent, ok := f.props["parent"].(string); level != "district" &&
				(!ok || !strings.HasPrefix(f.props["code"].(string), parent)) {
				t.Errorf("areas z%d: %v has parent %v", z, f.props["code"], f.props["parent"])
			}
		}
	}
	grids := e.fetch("grids", tileAt(yixing, 14), tok)
	want := e.Int(`SELECT count(*) FROM areas WHERE level = 'grid'
		AND ST_Intersects(geom, ST_Transform(ST_TileEnvelope($1, $2, $3), 4326))`, tileArgs(tileAt(yixing, 14))...)
	if int64(len(grids.layer.features)) < want {
		t.Errorf("grids z14: %d features, %d grids meet the tile", len(grids.layer.features), want)
	}
	for _, f := range grids.layer.features {
		if len(f.props["code"].(string)) != 14 || f.props["manager"] == nil {
			t.Errorf("grids: %v", f.props)
		}
	}
}

// TestFieldsMatchTileJSON checks that the properties in the tiles are the
// fields TileJSON announces, no more and no fewer.
func TestFieldsMatchTileJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t, cached)
	tok := e.Tokens[access.Viewer]
	// overdue in the tiles and in the test's SQL are read at different instants
	e.QuietDeadlines(time.Hour)
	busy := e.busiest()
	for _, name := range []string{"areas", "grids", "points", "parking", "issues"} {
		var doc struct {
			VectorLayers []struct {
				Fields map[string]string `json:"fields"`
			} `json:"vector_layers"`
		}
		e.getJSON("/tiles/"+name+".json", tok, &doc)
		announced := doc.VectorLayers[0].Fields
		seen := map[string]bool{}
		for _, z := range []maptile.Zoom{8, 12, 15} {
			for _, f := range e.fetch(name, tileAt(busy, z), tok).layer.features {
				for k := range f.props {
					seen[k] = true
				}
			}
		}
		var extra, missing []string
		for k := range seen {
			if _, ok := announced[k]; !ok {
				extra = append(extra, k)
			}
		}
		for k := range announced {
			if !seen[k] {
				missing = append(missing, k)
			}
		}
		sort.Strings(extra)
		sort.Strings(missing)
		if len(extra) > 0 || len(missing) > 0 {
			t.Errorf("%s: properties not in TileJSON %v; fields never seen %v", name, extra, missing)
		}
	}
}

// TestGridManagerScope checks that a grid manager's issue tiles hold only the
// issues of its areas, cached apart from everyone else's.
func TestGridManagerScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t, cached)
	e.waitFollowing()
	// no deadline expires a cached tile while the test expects it cached
	e.QuietDeadlines(time.Hour)
	ctx := context.Background()
	var street string
	err := e.Store.Pool.QueryRow(ctx, `SELECT street_code FROM issues WHERE issue_is_open(status)
		GROUP BY street_code ORDER BY count(*) DESC LIMIT 1`).Scan(&street)
	if err != nil {
		t.Fatal(err)
	}
	manager := e.Token("tiles-test-"+access.GridManager, access.GridManager, []string{street})
	viewer := e.Tokens[access.Viewer]
	var total float64
	for _, tl := range e.cityTiles(12) {
		for _, f := range e.fetch("issues", tl, manager).layer.features {
			total += f.props["count"].(float64)
		}
	}
	want := e.Int(`SELECT count(*) FROM issues WHERE issue_is_open(status) AND grid_code LIKE $1 || '%'`, street)
	if int64(total) != want {
		t.Errorf("the grid manager's clusters count %v issues, its street has %d open", total, want)
	}
	var p orb.Point
	if err := e.Store.Pool.QueryRow(ctx, `SELECT ST_X(geom), ST_Y(geom) FROM issues
		WHERE issue_is_open(status) AND street_code = $1 ORDER BY id LIMIT 1`, street).Scan(&p[0], &p[1]); err != nil {
		t.Fatal(err)
	}
	tl := tileAt(p, 13)
	tl = maptile.New(tl.X, tl.Y, 13).Parent().Parent() // z11: wide enough to hold other streets' issues
	mine, all := e.fetch("issues", tl, manager), e.fetch("issues", tl, viewer)
	if sum(mine.layer) >= sum(all.layer) || sum(mine.layer) == 0 {
		t.Errorf("z11: the grid manager sees %v issues, a viewer %v", sum(mine.layer), sum(all.layer))
	}
	if again := e.fetch("issues", tl, manager); again.outcome != "hit" || sum(again.layer) != sum(mine.layer) {
		t.Errorf("the grid manager's tile again: %s with %v issues", again.outcome, sum(again.layer))
	}
	if again := e.fetch("issues", tl, viewer); again.outcome != "hit" || sum(again.layer) != sum(all.layer) {
		t.Errorf("the viewer's tile again: %s with %v issues", again.outcome, sum(again.layer))
	}
}

func sum(l mvtLayer) float64 {
	var n float64
	for _, f := range l.features {
		n += f.props["count"].(float64)
	}
	return n
}

// getJSON decodes a JSON answer.
func (e *env) getJSON(path, tok string, v any) {
	e.T.Helper()
	a := e.get(path, tok)
	if a.Status != 200 {
		e.T.Fatalf("%s: %d %s", path, a.Status, a.Body)
	}
	if err := json.Unmarshal(a.Body, v); err != nil {
		e.T.Fatalf("%s: %v", path, err)
	}
}
