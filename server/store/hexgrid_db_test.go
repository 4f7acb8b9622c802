package store_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"citymap/geo/hexgrid"
	"citymap/server/dbtest"
)

// probe is a point of EPSG:3857 and the edge length of the hexagons to find
// its cell among.
type probe struct{ x, y, size float64 }

// hexCellSQL gives the cell of each probe as HexagonReport does: the first
// ST_HexagonGrid cell around the point that intersects it, NULL if none does.
const hexCellSQL = `SELECT h.i, h.j
	FROM unnest($1::float8[], $2::float8[], $3::float8[]) WITH ORDINALITY AS p(x, y, size, n)
	CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint(p.x, p.y), 3857) AS m) q
	LEFT JOIN LATERAL (SELECT g.i, g.j FROM ST_HexagonGrid(p.size, q.m) g
		WHERE ST_Intersects(g.geom, q.m) LIMIT 1) h ON true
	ORDER BY p.n`

// reportSizesSQL scales edge lengths on the ground to EPSG:3857 as
// HexagonReport does.
const reportSizesSQL = `SELECT s::float8 / cos(radians(coalesce(
	(SELECT ST_Y(ST_Centroid(ST_Extent(geom)::geometry)) FROM areas WHERE level = 'district'), 0)))
	FROM unnest($1::float8[]) AS s`

// TestHexgridCellMatchesPostGIS checks hexgrid.Cell against the hotspot
// report's SQL: every exact answer must be PostGIS's cell, and inexact ones
// must be rare away from the edges.
func TestHexgridCellMatchesPostGIS(t *testing.T) {
	t.Parallel()
	s := dbtest.New(t)
	ctx := context.Background()
	var minX, minY, maxX, maxY float64
	if err := s.Pool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
		FROM (SELECT ST_Extent(ST_Transform(geom, 3857)) AS e FROM areas) x`).Scan(&minX, &minY, &maxX, &maxY); err != nil {
		t.Fatal(err)
	}
	city := orb.Bound{Min: orb.Point{minX, minY}, Max: orb.Point{maxX, maxY}}
	scaled := reportSizes(t, s.Pool, 50, 100, 500, 1000, 20000)
	odd := []float64{50, 73.3, 100, 500, 1000, 19999, 20000}
	world := orb.Bound{Min: orb.Point{-worldHalf, -worldHalf}, Max: orb.Point{worldHalf, worldHalf}}
	tests := []struct {
		name string
		// maxInexact bounds the answers left to PostGIS, as a fraction.
		maxInexact float64
		probes     []probe
	}{
		{"random in the city", 1e-4, randomProbes(1, 100000, city, append(odd, scaled...))},
		{"random in the world", 1e-4, randomProbes(2, 20000, world, odd)},
		{"near the world's corners", 1e-4, randomProbes(3, 20000, orb.Bound{
			Min: orb.Point{worldHalf - 50000, worldHalf - 50000}, Max: world.Max}, odd)},
		{"near the world's negative corner", 1e-4, randomProbes(4, 20000, orb.Bound{
			Min: world.Min, Max: orb.Point{-worldHalf + 50000, -worldHalf + 50000}}, odd)},
		{"on and beside edges and vertices", 1, boundaryProbes(t, s.Pool, city, append(odd, scaled...))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inexact, missing := compareCells(t, tt.probes, postgisCells(t, s.Pool, tt.probes))
			t.Logf("%d points: %d inexact, %d of them in no PostGIS cell", len(tt.probes), inexact, missing)
			if float64(inexact) > tt.maxInexact*float64(len(tt.probes)) {
				t.Errorf("%d of %d points inexact", inexact, len(tt.probes))
			}
		})
	}
}

// TestHexgridDemoIssues runs the report's own cell SQL over the demo city's
// issues at the report's sizes and counts the points Cell leaves to PostGIS.
func TestHexgridDemoIssues(t *testing.T) {
	t.Parallel()
	s := dbtest.New(t)
	ctx := context.Background()
	for _, ground := range []float64{50, 100, 500, 1000, 20000} {
		size := reportSizes(t, s.Pool, ground)[0]
		rows, err := s.Pool.Query(ctx, `SELECT ST_X(p.m), ST_Y(p.m), h.i, h.j FROM issues i
			CROSS JOIN LATERAL (SELECT ST_Transform(i.geom, 3857) AS m) p
			LEFT JOIN LATERAL (SELECT g.i, g.j FROM ST_HexagonGrid($1, p.m) g
				WHERE ST_Intersects(g.geom, p.m) LIMIT 1) h ON true`, size)
		if err != nil {
			t.Fatal(err)
		}
		var probes []probe
		var cells []postgisCell
		for rows.Next() {
			var x, y float64
			var i, j *int
			if err := rows.Scan(&x, &y, &i, &j); err != nil {
				t.Fatal(err)
			}
			probes = append(probes, probe{x, y, size})
			cells = append(cells, newPostgisCell(i, j))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if len(probes) == 0 {
			t.Fatal("the demo city has no issues")
		}
		inexact, missing := compareCells(t, probes, cells)
		t.Logf("size %v m (%v in EPSG:3857): %d issues, %d inexact, %d in no PostGIS cell",
			ground, size, len(probes), inexact, missing)
		if inexact*1000 > len(probes) {
			t.Errorf("size %v: %d of %d issues inexact", ground, inexact, len(probes))
		}
	}
}

// worldHalf is half the width of the Web-Mercator world in metres.
const worldHalf = 20037508.342789244

// postgisCell is PostGIS's answer for a probe: ok is false when no cell
// intersects the point.
type postgisCell struct {
	i, j int
	ok   bool
}

func newPostgisCell(i, j *int) postgisCell {
	if i == nil || j == nil {
		return postgisCell{}
	}
	return postgisCell{*i, *j, true}
}

// compareCells fails the test for every exact Cell answer that differs from
// PostGIS's and returns how many were inexact and, of those, how many PostGIS
// put in no cell.
func compareCells(t *testing.T, probes []probe, cells []postgisCell) (inexact, missing int) {
	t.Helper()
	wrong := 0
	for k, p := range probes {
		i, j, exact := hexgrid.Cell(p.x, p.y, p.size)
		want := cells[k]
		switch {
		case !exact:
			inexact++
			if !want.ok {
				missing++
			}
		case !want.ok || i != want.i || j != want.j:
			if wrong++; wrong <= 10 {
				t.Errorf("Cell(%v, %v, %v) = %d, %d; PostGIS %+v", p.x, p.y, p.size, i, j, want)
			}
		}
	}
	if wrong > 10 {
		t.Errorf("%d exact answers differ from PostGIS", wrong)
	}
	return inexact, missing
}

// postgisCells asks PostGIS for the cells of the probes, in batches.
func postgisCells(t *testing.T, pool *pgxpool.Pool, probes []probe) []postgisCell {
	t.Helper()
	const batch = 50000
	cells := make([]postgisCell, 0, len(probes))
	for start := 0; start < len(probes); start += batch {
		part := probes[start:min(start+batch, len(probes))]
		xs, ys, sizes := make([]float64, len(part)), make([]float64, len(part)), make([]float64, len(part))
		for k, p := range part {
			xs[k], ys[k], sizes[k] = p.x, p.y, p.size
		}
		rows, err := pool.Query(context.Background(), hexCellSQL, xs, ys, sizes)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var i, j *int
			if err := rows.Scan(&i, &j); err != nil {
				t.Fatal(err)
			}
			cells = append(cells, newPostgisCell(i, j))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	if len(cells) != len(probes) {
		t.Fatalf("%d cells for %d points", len(cells), len(probes))
	}
	return cells
}

// reportSizes returns the EPSG:3857 edge lengths HexagonReport uses for the
// given lengths on the ground.
func reportSizes(t *testing.T, pool *pgxpool.Pool, ground ...float64) []float64 {
	t.Helper()
	rows, err := pool.Query(context.Background(), reportSizesSQL, ground)
	if err != nil {
		t.Fatal(err)
	}
	var sizes []float64
	for rows.Next() {
		var s float64
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, s)
	}
	if err := rows.Err(); err != nil || len(sizes) != len(ground) {
		t.Fatalf("scaled sizes %v: %v", sizes, err)
	}
	return sizes
}

// randomProbes returns n points uniform over the bound at every size.
func randomProbes(seed uint64, n int, b orb.Bound, sizes []float64) []probe {
	r := rand.New(rand.NewPCG(seed, 0))
	probes := make([]probe, 0, n*len(sizes))
	for range n {
		x := b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0])
		y := b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1])
		for _, size := range sizes {
			probes = append(probes, probe{x, y, size})
		}
	}
	return probes
}

// boundaryProbes returns points on the vertices and edges of hexagons in the
// city and far from it, as PostGIS builds them (which must be what
// hexgrid.Hexagon builds), and points a few units in the last place and a
// micrometre to a millimetre beside them.
func boundaryProbes(t *testing.T, pool *pgxpool.Pool, city orb.Bound, sizes []float64) []probe {
	t.Helper()
	var probes []probe
	for _, size := range sizes {
		for _, at := range []orb.Point{city.Center(), city.Min, {-1, -1}, {-worldHalf + 1, worldHalf - 1}, {worldHalf - 1, -worldHalf + 1}} {
			i, j, _ := hexgrid.Cell(at[0], at[1], size)
			for di := -1; di <= 1; di++ {
				ring := postgisHexagon(t, pool, i+di, j, size)
				if want := hexgrid.Hexagon(i+di, j, size); !ring.Equal(want) {
					t.Fatalf("ST_Hexagon(%v, %d, %d) = %v; hexgrid.Hexagon %v", size, i+di, j, ring, want)
				}
				probes = append(probes, aroundRing(ring, size)...)
			}
		}
	}
	return probes
}

// aroundRing returns the ring's vertices and points along its edges, each
// also moved by one unit in the last place and by 1 µm and 1 mm each way.
func aroundRing(ring orb.Ring, size float64) []probe {
	var on []orb.Point
	for k := range len(ring) - 1 {
		a, b := ring[k], ring[k+1]
		on = append(on, a)
		for _, f := range []float64{0.5, 1.0 / 3, 0.999} {
			on = append(on, orb.Point{a[0] + (b[0]-a[0])*f, a[1] + (b[1]-a[1])*f})
		}
	}
	var probes []probe
	for _, p := range on {
		probes = append(probes, probe{p[0], p[1], size})
		for _, d := range [][2]float64{{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {1, 1}, {-1, -1}} {
			probes = append(probes, probe{nudge(p[0], d[0]), nudge(p[1], d[1]), size})
			for _, off := range []float64{1e-6, 1e-3} {
				probes = append(probes, probe{p[0] + d[0]*off, p[1] + d[1]*off, size})
			}
		}
	}
	return probes
}

// nudge moves v by one unit in the last place in the direction of the sign of
// d, or not at all for d = 0.
func nudge(v, d float64) float64 {
	if d == 0 {
		return v
	}
	return math.Nextafter(v, math.Copysign(math.Inf(1), d))
}

// postgisHexagon returns the ring of ST_Hexagon(size, i, j).
func postgisHexagon(t *testing.T, pool *pgxpool.Pool, i, j int, size float64) orb.Ring {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT ST_X(d.geom), ST_Y(d.geom)
		FROM ST_DumpPoints(ST_Hexagon($1, $2, $3)) d ORDER BY d.path`, size, i, j)
	if err != nil {
		t.Fatal(err)
	}
	var ring orb.Ring
	for rows.Next() {
		var p orb.Point
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			t.Fatal(err)
		}
		ring = append(ring, p)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ring
}
