package reportcube

import (
	"context"

	"citymap/geo/hexgrid"
	"citymap/server/store"
)

// Hexagons counts f's issues per ST_HexagonGrid cell of edge size (EPSG:3857
// units): hexgrid.Cell places each point as HexagonReport's SQL does, and
// the few points it cannot decide (within rounding of an edge) go to PostGIS
// itself, with the very coordinates the cube holds.
func (c *Cube) Hexagons(ctx context.Context, f store.ReportFilter, size float64) ([]store.HexagonCount, bool) {
	if !c.fresh(ctx) {
		c.declined.Add(1)
		return nil, false
	}
	counts := map[[2]int]int64{}
	var xs, ys []float64
	c.mu.RLock()
	sel := c.selection(f, store.FigureKey{})
	lo, hi := c.rangeOf(f)
	for i := lo; i < hi; i++ {
		x := &c.facts[i]
		if !sel.passes(x) {
			continue
		}
		if ci, cj, exact := hexgrid.Cell(x.x, x.y, size); exact {
			counts[[2]int{ci, cj}]++
		} else {
			xs, ys = append(xs, x.x), append(ys, x.y)
		}
	}
	c.mu.RUnlock()
	if len(xs) > 0 && !c.cellsInPostGIS(ctx, size, xs, ys, counts) {
		c.declined.Add(1)
		return nil, false
	}
	c.answered.Add(1)
	out := make([]store.HexagonCount, 0, len(counts))
	for k, n := range counts {
		out = append(out, store.HexagonCount{I: k[0], J: k[1], Issues: n})
	}
	return out, true
}

// cellsInPostGIS adds the cells of the points (xs, ys) as the report's SQL
// picks them.
func (c *Cube) cellsInPostGIS(ctx context.Context, size float64, xs, ys []float64, counts map[[2]int]int64) bool {
	cells, err := c.st.HexagonCells(ctx, size, xs, ys)
	if err != nil {
		return false
	}
	for _, h := range cells {
		counts[[2]int{h.I, h.J}] += h.Issues
	}
	return true
}
