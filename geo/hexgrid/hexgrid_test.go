package hexgrid

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// h is the hexagons' half height at size 1.
const h = halfHeight

func TestCell(t *testing.T) {
	tests := []struct {
		name       string
		x, y, size float64
		i, j       int
		exact      bool
	}{
		{"origin", 0, 0, 1, 0, 0, true},
		{"inside near the right vertex", 0.9, 0, 1, 0, 0, true},
		{"row above", 0, 2 * h, 1, 0, 1, true},
		{"row below", 0, -2 * h, 1, 0, -1, true},
		{"odd column, shifted up", 1.5, h, 1, 1, 0, true},
		{"odd column, row below", 1.5, -h, 1, 1, -1, true},
		{"negative odd column", -1.5, h, 1, -1, 0, true},
		{"negative odd column, row below", -1.5, -h, 1, -1, -1, true},
		{"negative even column", -3, -4 * h, 1, -2, -2, true},
		{"just right of the zigzag", 1.1, 0.1, 1, 1, 0, true},
		{"just left of the zigzag", 0.9, 0.1, 1, 0, 0, true},
		{"scaled edge", 1500, 1000 * h, 1000, 1, 0, true},
		{"far east", 20037508, 10, 50, 267167, 0, true},
		{"far south-west", -20037508, -20037508, 500, -26717, -23138, true},
		{"top edge", 0, h, 1, 0, 0, false},
		{"flat edge of an odd column", 1.5, 0, 1, 0, 0, false},
		{"slanted edge", 0.75, h / 2, 1, 0, 0, false},
		{"vertex of three", 1, 0, 1, 0, 0, false},
		{"vertex, negative side", -1, 0, 1, 0, 0, false},
		{"zero size", 1, 1, 0, 0, 0, false},
		{"negative size", 1, 1, -5, 0, 0, false},
		{"NaN size", 1, 1, math.NaN(), 0, 0, false},
		{"infinite size", 1, 1, math.Inf(1), 0, 0, false},
		{"NaN x", math.NaN(), 1, 1, 0, 0, false},
		{"infinite y", 1, math.Inf(-1), 1, 0, 0, false},
		{"beyond int32 cells", 1e12, 0, 1, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i, j, exact := Cell(tt.x, tt.y, tt.size)
			if exact != tt.exact || exact && (i != tt.i || j != tt.j) {
				t.Errorf("Cell(%v, %v, %v) = %d, %d, %v; want %d, %d, %v",
					tt.x, tt.y, tt.size, i, j, exact, tt.i, tt.j, tt.exact)
			}
		})
	}
}

func TestHexagon(t *testing.T) {
	tests := []struct {
		name    string
		i, j    int
		size    float64
		want    orb.Ring
		centreX float64
		centreY float64
	}{
		{"origin", 0, 0, 1,
			orb.Ring{{-1, 0}, {-0.5, -h}, {0.5, -h}, {1, 0}, {0.5, h}, {-0.5, h}, {-1, 0}}, 0, 0},
		{"odd column", 1, 0, 1,
			orb.Ring{{0.5, h}, {1, 0}, {2, 0}, {2.5, h}, {2, 2 * h}, {1, 2 * h}, {0.5, h}}, 1.5, h},
		{"negative odd column", -1, -1, 2,
			orb.Ring{{-5, -2 * h}, {-4, -4 * h}, {-2, -4 * h}, {-1, -2 * h}, {-2, 0}, {-4, 0}, {-5, -2 * h}}, -3, -2 * h},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Hexagon(tt.i, tt.j, tt.size); !got.Equal(tt.want) {
				t.Errorf("Hexagon(%d, %d, %v) = %v; want %v", tt.i, tt.j, tt.size, got, tt.want)
			}
			if got := Centre(tt.i, tt.j, tt.size); got != (orb.Point{tt.centreX, tt.centreY}) {
				t.Errorf("Centre(%d, %d, %v) = %v; want (%v, %v)", tt.i, tt.j, tt.size, got, tt.centreX, tt.centreY)
			}
		})
	}
}

// TestCellAgreesWithHexagon checks Cell against orb's point-in-ring test on
// the hexagons Hexagon builds, over random points at several scales: every
// exact cell holds its point, and points off every edge are exact.
func TestCellAgreesWithHexagon(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, size := range []float64{1, 58.5, 73.3, 19999, 23427.7} {
		inexact := 0
		for range 20000 {
			x := (r.Float64()*2 - 1) * 2e7
			y := (r.Float64()*2 - 1) * 2e7
			i, j, exact := Cell(x, y, size)
			if !exact {
				inexact++
				continue
			}
			if !planar.RingContains(Hexagon(i, j, size), orb.Point{x, y}) {
				t.Fatalf("Cell(%v, %v, %v) = %d, %d, which does not hold the point", x, y, size, i, j)
			}
		}
		if inexact > 2 {
			t.Errorf("size %v: %d of 20000 random points not exact", size, inexact)
		}
	}
}

// TestCellNearVertices checks that points on a hexagon's vertices and edge
// midpoints are left to PostGIS, and points a little inside are not.
func TestCellNearVertices(t *testing.T) {
	for _, c := range []struct {
		i, j int
		size float64
	}{{0, 0, 1}, {3, -7, 73.3}, {-5, 4, 500}, {-267167, 231350, 50}, {1, 1, 19999}} {
		ring := Hexagon(c.i, c.j, c.size)
		centre := Centre(c.i, c.j, c.size)
		for k := range len(ring) - 1 {
			mid := orb.Point{(ring[k][0] + ring[k+1][0]) / 2, (ring[k][1] + ring[k+1][1]) / 2}
			for _, p := range []orb.Point{ring[k], mid} {
				if _, _, exact := Cell(p[0], p[1], c.size); exact {
					t.Errorf("cell %d,%d size %v: boundary point %v is exact", c.i, c.j, c.size, p)
				}
				in := orb.Point{p[0] + (centre[0]-p[0])*1e-6, p[1] + (centre[1]-p[1])*1e-6}
				if i, j, exact := Cell(in[0], in[1], c.size); !exact || i != c.i || j != c.j {
					t.Errorf("cell %d,%d size %v: inner point %v gives %d, %d, %v", c.i, c.j, c.size, in, i, j, exact)
				}
			}
		}
	}
}

func BenchmarkCell(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 1024
	pts := make([]orb.Point, n)
	for k := range pts {
		// The demo city's extent in EPSG:3857.
		pts[k] = orb.Point{13308365 + r.Float64()*45108, 3652385 + r.Float64()*52730}
	}
	sink := 0
	for k := 0; b.Loop(); k++ {
		p := pts[k%n]
		i, j, _ := Cell(p[0], p[1], 585.3)
		sink += i + j
	}
	_ = sink
}
