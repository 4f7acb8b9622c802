package reportcube

import (
	"context"
	"testing"

	"citymap/geo/hexgrid"
	"citymap/server/dbtest"
)

// TestEdgePointsInPostGIS: points on hexagon vertices are the ones
// hexgrid.Cell leaves to PostGIS, and PostGIS places each in one cell.
func TestEdgePointsInPostGIS(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	const size = 577.0
	var xs, ys []float64
	rows, err := st.Pool.Query(ctx, `SELECT DISTINCT ST_X(p.geom), ST_Y(p.geom)
		FROM ST_HexagonGrid($1, ST_MakeEnvelope(13375000, 3530000, 13378000, 3532000, 3857)) h,
		ST_DumpPoints(h.geom) p`, size)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var x, y float64
		if err := rows.Scan(&x, &y); err != nil {
			t.Fatal(err)
		}
		if _, _, exact := hexgrid.Cell(x, y, size); exact {
			t.Fatalf("hexgrid decided the vertex (%v, %v)", x, y)
		}
		xs, ys = append(xs, x), append(ys, y)
	}
	if len(xs) == 0 {
		t.Fatal("no vertices")
	}
	c := New(st, DefaultConfig)
	counts := map[[2]int]int64{}
	if !c.cellsInPostGIS(ctx, size, xs, ys, counts) {
		t.Fatal("PostGIS did not place the points")
	}
	var n int64
	for _, k := range counts {
		n += k
	}
	if n != int64(len(xs)) {
		t.Errorf("%d of %d points placed", n, len(xs))
	}
}
