package tile

import (
	"iter"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// Covering returns every tile at zoom z whose buffered area touches the
// WGS-84 bound b. bufferFraction is the tile buffer as a fraction of the tile
// size (e.g. 64.0/4096 for an MVT extent of 4096 with a 64-unit buffer),
// because a geometry near a tile edge is also drawn in the neighbour's
// buffer and must invalidate it too. Tile edges are inclusive: a bound that
// merely touches a tile selects it, erring towards dropping one cache entry
// too many rather than serving a stale tile.
//
// The buffer is clamped at the antimeridian and the poles rather than
// wrapped: a 3857 tile envelope with a margin does not select data on the
// far side of the antimeridian either.
func Covering(b orb.Bound, z maptile.Zoom, bufferFraction float64) []maptile.Tile {
	var tiles []maptile.Tile
	for t := range CoveringRange(b, z, z, bufferFraction) {
		tiles = append(tiles, t)
	}
	return tiles
}

// CoveringRange yields the Covering of b at every zoom from zmin to zmax
// (zooms beyond MaxZoom are skipped).
// Cost grows fourfold per zoom: a 1 km² area is about one tile at z14 but a
// quarter of a million at z22, so callers should check CoveringCount first
// and fall back to dropping a whole zoom level when it is too large. The
// sequence is produced lazily and the caller may stop early.
func CoveringRange(b orb.Bound, zmin, zmax maptile.Zoom, bufferFraction float64) iter.Seq[maptile.Tile] {
	return func(yield func(maptile.Tile) bool) {
		for z := zmin; z <= zmax && z <= MaxZoom; z++ {
			r, ok := tileRange(b, z, bufferFraction)
			if !ok {
				return
			}
			for y := r.minY; y <= r.maxY; y++ {
				for x := r.minX; x <= r.maxX; x++ {
					if !yield(maptile.New(x, y, z)) {
						return
					}
				}
			}
		}
	}
}

// CoveringCount is the number of tiles CoveringRange yields, computed
// without enumerating them.
func CoveringCount(b orb.Bound, zmin, zmax maptile.Zoom, bufferFraction float64) uint64 {
	var n uint64
	for z := zmin; z <= zmax && z <= MaxZoom; z++ {
		r, ok := tileRange(b, z, bufferFraction)
		if !ok {
			return 0
		}
		n += uint64(r.maxX-r.minX+1) * uint64(r.maxY-r.minY+1)
	}
	return n
}

// xyRange is an inclusive rectangle of tile indexes at one zoom.
type xyRange struct{ minX, minY, maxX, maxY uint32 }

// tileRange is false for bounds that cannot be covered: inverted, NaN or
// negative buffers.
func tileRange(b orb.Bound, z maptile.Zoom, buffer float64) (xyRange, bool) {
	if !(b.Min[0] <= b.Max[0] && b.Min[1] <= b.Max[1]) || !(buffer >= 0) {
		return xyRange{}, false
	}
	// Tile y grows southwards, so the north-west corner gives the minimum.
	n := float64(uint64(1) << z)
	nw := fraction(orb.Point{b.Min[0], b.Max[1]}, n)
	se := fraction(orb.Point{b.Max[0], b.Min[1]}, n)
	last := n - 1
	return xyRange{
		minX: clampIndex(math.Ceil(nw[0]-buffer)-1, last),
		minY: clampIndex(math.Ceil(nw[1]-buffer)-1, last),
		maxX: clampIndex(math.Floor(se[0]+buffer), last),
		maxY: clampIndex(math.Floor(se[1]+buffer), last),
	}, true
}

// fraction is the position of p in tile units at a zoom with n tiles a side.
// Unlike maptile.Fraction it maps the poles onto the world's outer edges
// (0 and n), so a pole is not mistaken for a point inside the last row.
func fraction(p orb.Point, n float64) orb.Point {
	m := ToMercator(p)
	return orb.Point{
		(m[0] + WorldHalf) / (2 * WorldHalf) * n,
		(WorldHalf - m[1]) / (2 * WorldHalf) * n,
	}
}

// clampIndex turns a tile index computed in floating point into a valid one;
// ceil(f)-1 and floor(f) on the two sides make tile edges inclusive.
func clampIndex(i, last float64) uint32 {
	return uint32(math.Max(0, math.Min(i, last)))
}
