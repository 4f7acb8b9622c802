package democity

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Lattice is the grid of small square cells the city is built from: every area is
// a union of whole cells, and a cell's corners are computed from its integer
// indices alone, so neighbouring cells share bit-identical edges and unions of
// cells cover each other exactly.
type Lattice struct {
	Lon0, Lat0 float64 // south-west corner of cell (0, 0)
	DLon, DLat float64 // cell size in degrees (about 190 m × 200 m at Yixing)
	NX, NY     int
}

// yixingLattice spans Yixing from 119.54 E, 31.14 N.
var yixingLattice = Lattice{Lon0: 119.54, Lat0: 31.14, DLon: 0.002, DLat: 0.0018, NX: 225, NY: 240}

// yixingOutline is the city boundary, Yixing-like: the west shore of Lake Taihu to
// the east (the lake stays outside), hills to the south-west.
var yixingOutline = orb.Ring{
	{119.580, 31.500}, {119.640, 31.545}, {119.720, 31.558}, {119.800, 31.552},
	{119.860, 31.535}, {119.930, 31.520}, {119.962, 31.470}, {119.950, 31.420},
	{119.932, 31.360}, {119.922, 31.300}, {119.910, 31.240}, {119.880, 31.190},
	{119.820, 31.160}, {119.740, 31.150}, {119.660, 31.170}, {119.585, 31.200},
	{119.552, 31.270}, {119.562, 31.350}, {119.550, 31.430}, {119.580, 31.500},
}

// cityCentre is 宜城街道, the urban core.
var cityCentre = orb.Point{119.815, 31.362}

// Corner returns the lattice vertex (i, j).
func (l Lattice) Corner(i, j int) orb.Point {
	return orb.Point{l.Lon0 + float64(i)*l.DLon, l.Lat0 + float64(j)*l.DLat}
}

// Len is the number of cells.
func (l Lattice) Len() int { return l.NX * l.NY }

// IJ splits a cell index into its column and row.
func (l Lattice) IJ(c int32) (int, int) { return int(c) % l.NX, int(c) / l.NX }

// Cell returns the index of cell (i, j), or -1 off the lattice.
func (l Lattice) Cell(i, j int) int32 {
	if i < 0 || j < 0 || i >= l.NX || j >= l.NY {
		return -1
	}
	return int32(j*l.NX + i)
}

// CellOf returns the cell containing p, or -1 off the lattice.
func (l Lattice) CellOf(p orb.Point) int32 {
	return l.Cell(int(math.Floor((p[0]-l.Lon0)/l.DLon)), int(math.Floor((p[1]-l.Lat0)/l.DLat)))
}

// Square is the cell as a polygon (counter-clockwise).
func (l Lattice) Square(c int32) orb.Polygon {
	i, j := l.IJ(c)
	return orb.Polygon{orb.Ring{l.Corner(i, j), l.Corner(i+1, j), l.Corner(i+1, j+1), l.Corner(i, j+1), l.Corner(i, j)}}
}

// At returns the point at fractions (fx, fy) of the cell's width and height; keep
// them within [0.02, 0.98] and the point is strictly inside the cell.
func (l Lattice) At(c int32, fx, fy float64) orb.Point {
	i, j := l.IJ(c)
	return orb.Point{l.Lon0 + (float64(i)+fx)*l.DLon, l.Lat0 + (float64(j)+fy)*l.DLat}
}

// Rect is the rectangle [fx0, fx1] × [fy0, fy1] inside the cell (fractions).
func (l Lattice) Rect(c int32, fx0, fy0, fx1, fy1 float64) orb.Polygon {
	a, b := l.At(c, fx0, fy0), l.At(c, fx1, fy1)
	return orb.Polygon{orb.Ring{a, {b[0], a[1]}, b, {a[0], b[1]}, a}}
}

// Centre is the middle of the cell.
func (l Lattice) Centre(c int32) orb.Point { return l.At(c, 0.5, 0.5) }

// neighbours appends the 4-neighbours of c on the lattice to out.
func (l Lattice) neighbours(c int32, out []int32) []int32 {
	i, j := l.IJ(c)
	for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
		if n := l.Cell(i+d[0], j+d[1]); n >= 0 {
			out = append(out, n)
		}
	}
	return out
}

// around appends the cells within Chebyshev distance 1 of c (c included).
func (l Lattice) around(c int32, out []int32) []int32 {
	i, j := l.IJ(c)
	for dj := -1; dj <= 1; dj++ {
		for di := -1; di <= 1; di++ {
			if n := l.Cell(i+di, j+dj); n >= 0 {
				out = append(out, n)
			}
		}
	}
	return out
}

// toKM maps a point to kilometres east and north of the city centre.
func toKM(p orb.Point) (x, y float64) {
	const kmPerDegLat = 110.95
	kmPerDegLon := 111.32 * math.Cos(cityCentre[1]*math.Pi/180)
	return (p[0] - cityCentre[0]) * kmPerDegLon, (p[1] - cityCentre[1]) * kmPerDegLat
}

// distKM is the distance between two points in kilometres.
func distKM(a, b orb.Point) float64 {
	ax, ay := toKM(a)
	bx, by := toKM(b)
	return math.Hypot(ax-bx, ay-by)
}

// insideCells marks the cells whose centre lies inside outline, keeping only the
// largest 4-connected piece so the city is one area without corner-only contacts.
func insideCells(l Lattice, outline orb.Ring) []bool {
	in := make([]bool, l.Len())
	for c := range in {
		in[c] = planar.RingContains(outline, l.Centre(int32(c)))
	}
	comp, best := largestComponent(l, in)
	for c := range in {
		in[c] = in[c] && comp[c] == best
	}
	return in
}

// largestComponent labels the 4-connected pieces of the marked cells and returns
// the labels (0 = unmarked) and the label of the biggest piece.
func largestComponent(l Lattice, in []bool) ([]int32, int32) {
	comp := make([]int32, len(in))
	var best, next int32
	bestSize := 0
	var queue, nb []int32
	for c := range in {
		if !in[c] || comp[c] != 0 {
			continue
		}
		next++
		comp[c] = next
		queue = append(queue[:0], int32(c))
		for k := 0; k < len(queue); k++ {
			for _, n := range l.neighbours(queue[k], nb[:0]) {
				if in[n] && comp[n] == 0 {
					comp[n] = next
					queue = append(queue, n)
				}
			}
		}
		if len(queue) > bestSize {
			best, bestSize = next, len(queue)
		}
	}
	return comp, best
}

// Frac returns where p lies in cell as fractions of its width and height.
func (l Lattice) Frac(c int32, p orb.Point) (fx, fy float64) {
	i, j := l.IJ(c)
	return (p[0]-l.Lon0)/l.DLon - float64(i), (p[1]-l.Lat0)/l.DLat - float64(j)
}
