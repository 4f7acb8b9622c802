package store

import (
	"encoding/json"
	"testing"
)

// TestHexShapesBudget checks what the cache keeps and drops: the edge used
// longest ago goes first, the edge being kept never evicts itself, and a cell
// kept without its polygon is missing for a GeoJSON answer.
func TestHexShapesBudget(t *testing.T) {
	poly := json.RawMessage(`{"type":"Polygon","coordinates":[]}`)
	cell := hexShapeOverhead + len(poly)
	cells := func(n int) []HexagonCount {
		out := make([]HexagonCount, n)
		for k := range out {
			out[k] = HexagonCount{I: k, J: -k, Issues: 1}
		}
		return out
	}
	shapes := func(n int, withPoly bool) []hexShape {
		out := make([]hexShape, n)
		for k := range out {
			out[k] = hexShape{lon: float64(k), lat: float64(-k)}
			if withPoly {
				out[k].geometry = poly
			}
		}
		return out
	}
	all := func(n int) []int {
		out := make([]int, n)
		for k := range out {
			out[k] = k
		}
		return out
	}
	missing := func(c *hexShapes, edge float64, n int, geometry bool) int {
		return len(c.lookup(edge, cells(n), geometry, make([]hexShape, n)))
	}

	c := &hexShapes{budget: 10 * cell}
	c.keep(1, cells(4), all(4), shapes(4, true))
	c.keep(2, cells(4), all(4), shapes(4, true))
	if got := missing(c, 1, 4, true); got != 0 {
		t.Fatalf("edge 1: %d missing, want none", got)
	}
	// edge 2 is now the one used longest ago: six more cells of edge 3 evict it
	c.keep(3, cells(6), all(6), shapes(6, true))
	if got := missing(c, 2, 4, true); got != 4 {
		t.Errorf("edge 2 after eviction: %d missing, want 4", got)
	}
	if got := missing(c, 1, 4, true); got != 0 {
		t.Errorf("edge 1 (used last): %d missing, want none", got)
	}
	if c.bytes > c.budget {
		t.Errorf("%d bytes kept, budget %d", c.bytes, c.budget)
	}
	// one edge larger than the budget keeps what fits and evicts the rest
	c.keep(4, cells(20), all(20), shapes(20, true))
	if got := missing(c, 4, 20, true); got != 10 {
		t.Errorf("edge 4 of 20 cells: %d missing, want 10", got)
	}
	if c.bytes > c.budget {
		t.Errorf("%d bytes kept, budget %d", c.bytes, c.budget)
	}

	// a centre kept without its polygon serves CSV, not GeoJSON
	c = &hexShapes{}
	c.keep(5, cells(3), all(3), shapes(3, false))
	if got := missing(c, 5, 3, false); got != 0 {
		t.Errorf("centres: %d missing, want none", got)
	}
	if got := missing(c, 5, 3, true); got != 3 {
		t.Errorf("polygons: %d missing, want 3", got)
	}
	c.keep(5, cells(3), all(3), shapes(3, true))
	if got := missing(c, 5, 3, true); got != 0 || c.bytes != 3*cell {
		t.Errorf("polygons kept: %d missing and %d bytes, want none and %d", got, c.bytes, 3*cell)
	}
}
