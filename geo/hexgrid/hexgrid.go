// Package hexgrid finds, in pure Go, the cell of PostGIS's ST_HexagonGrid
// tiling of EPSG:3857 that holds a point, as the hotspot report's SQL picks it:
//
//	SELECT g.i, g.j FROM ST_HexagonGrid(size, m) g WHERE ST_Intersects(g.geom, m) LIMIT 1
//
// It exists so that a report held in memory can put a million issues into
// hexagons without asking PostGIS a million times.
//
// The contract: Cell(x, y, size) gives exact=true only when the (i, j) it
// returns is the one the SQL above returns for the point (x, y) in EPSG:3857
// and the edge length size, the very float64 values PostGIS holds (the point
// as ST_Transform computed it, the size as the report's SQL scaled it). When
// the point lies so close to an edge or a vertex that rounding decides
// between two or three cells, it gives exact=false and the caller must ask
// PostGIS. Everywhere else the point is inside one hexagon by a margin far
// larger than any rounding of the vertices or of the point-in-polygon test, so
// the answer does not depend on how PostGIS rounds; on the demo city no issue
// point comes that close at any report size.
//
// The tiling, from PostGIS 3.3's postgis/lwgeom_generate_grid.c: flat-topped
// hexagons of circumradius size; column i has its centres at x = 1.5·size·i,
// row j at y = j·height, odd columns (also negative odd ones) shifted up by
// height/2, where height = size·2·H and H = 0.8660254037844387. ST_HexagonGrid
// yields the cells around the box of its geometry, by ascending i and then
// ascending j; the box of a point is rounded outwards to float32 (up to 2 m
// wide in EPSG:3857), so a point gets one to a few cells of which exactly one
// holds it unless it is on an edge. ST_Intersects counts a point on the
// boundary as intersecting, so a point on a shared edge takes the first
// holding cell in that order, as PostGIS's rounding decides: that is the case
// left to PostGIS.
package hexgrid

import (
	"math"

	"github.com/paulmach/orb"
)

// halfHeight is PostGIS's H: cos(π/6) as the literal lwgeom_generate_grid.c
// uses, the ratio of the centre-to-edge distance to the edge length.
const halfHeight = 0.8660254037844387

// tolerance, relative to the coordinates' magnitude, is the margin below
// which a point counts as on an edge. The vertices PostGIS builds and its
// point-in-polygon test are each off by a few units in the last place of the
// coordinates (2⁻⁵² relative); 2⁻⁴⁰ leaves thousands of them to spare, also for
// a PostGIS built with fused multiply-add, and at the demo city's coordinates
// is about 15 µm, so few real points ever fall within it.
const tolerance = 0x1p-40

// maxIndex keeps cell numbers far inside the int32 PostGIS stores them in.
const maxIndex = 1 << 30

// Cell returns the ST_HexagonGrid cell (i, j) of edge size holding the point
// (x, y) of EPSG:3857. exact=false means the point is within rounding of an
// edge or vertex, or the input is out of range (size not positive, NaN or
// infinite values, cell numbers beyond int32): the caller must ask PostGIS.
func Cell(x, y, size float64) (i, j int, exact bool) {
	if !(size > 0) || math.IsInf(size, 0) {
		return 0, 0, false
	}
	height := size * 2 * halfHeight
	u, v := math.Floor(x/(1.5*size)), y/height
	if !(math.Abs(u) < maxIndex) || !(math.Abs(v) < maxIndex) {
		return 0, 0, false
	}
	tol := tolerance * (math.Abs(x) + math.Abs(y) + size)
	left := column(point{x, y, v}, u, size, height)
	right := column(point{x, y, v}, u+1, size, height)
	switch {
	case left.margin > tol && right.margin < -tol:
		return left.i, left.j, true
	case right.margin > tol && left.margin < -tol:
		return right.i, right.j, true
	}
	return 0, 0, false
}

// candidate is the hexagon of one column whose row band holds the point, and
// the point's signed distance to the nearest of its edge lines (positive
// inside).
type candidate struct {
	i, j   int
	margin float64
}

// point is a point and its y in heights.
type point struct{ x, y, v float64 }

// column returns the candidate of column c (a whole number) for the point.
func column(p point, c, size, height float64) candidate {
	i := int(c)
	shift := rowShift(i)
	// The row whose band holds the point, by ST_HexagonGrid's formulas for
	// the ends of its row range.
	row := math.Floor(p.v + 0.5)
	if shift != 0 {
		row = math.Floor(p.v)
	}
	dx := math.Abs(p.x - size*(1.5*c))
	dy := math.Abs(p.y - height*(row+shift))
	// The flat top and bottom are height/2 from the centre; the slanted edges'
	// unit normals are (H, 1/2), so their distance to the point is
	// height/2 - (H·dx + dy/2).
	far := max(dy, halfHeight*dx+0.5*dy)
	return candidate{i: i, j: int(row), margin: 0.5*height - far}
}

// Hexagon returns the ring ST_Hexagon(size, i, j) builds, vertex for vertex
// and bit for bit: it starts at the left vertex and runs counter-clockwise.
func Hexagon(i, j int, size float64) orb.Ring {
	// The vertex offsets from lwgeom_generate_grid.c, in edge lengths (x)
	// and heights (y).
	offX := [7]float64{-1, -0.5, 0.5, 1, 0.5, -0.5, -1}
	offY := [7]float64{0, -0.5, -0.5, 0, 0.5, 0.5, 0}
	height := size * 2 * halfHeight
	shift := rowShift(i)
	ring := make(orb.Ring, len(offX))
	for k := range ring {
		// Each sum is exact, so each coordinate is one rounded product, as
		// in PostGIS.
		ring[k] = orb.Point{
			size * (1.5*float64(i) + offX[k]),
			height * (float64(j) + shift + offY[k]),
		}
	}
	return ring
}

// Centre returns the centre of hexagon (i, j) in EPSG:3857. The hotspot report
// prints ST_Centroid of the hexagon after ST_Transform to EPSG:4326, which is
// near but not bit for bit the transform of this point.
func Centre(i, j int, size float64) orb.Point {
	return orb.Point{size * (1.5 * float64(i)), size * 2 * halfHeight * (float64(j) + rowShift(i))}
}

// rowShift is how many heights column i is shifted up: half for odd columns,
// negative ones too (PostGIS takes abs(i) % 2).
func rowShift(i int) float64 {
	if i&1 != 0 {
		return 0.5
	}
	return 0
}
