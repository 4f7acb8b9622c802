package tile

import (
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// Range is the rectangle of tile indexes that Covering(b, z, bufferFraction)
// enumerates, inclusive on every side. A cache holding far fewer tiles of a
// zoom than the covering counts tests each of its tiles with Contains instead
// of enumerating the covering. ok is false for bounds that cover nothing.
type Range struct {
	Z                      maptile.Zoom
	MinX, MinY, MaxX, MaxY uint32
}

// CoveringRect returns the Range of the covering of b at zoom z.
func CoveringRect(b orb.Bound, z maptile.Zoom, bufferFraction float64) (r Range, ok bool) {
	if z > MaxZoom {
		return Range{}, false
	}
	xy, ok := tileRange(b, z, bufferFraction)
	if !ok {
		return Range{}, false
	}
	return Range{Z: z, MinX: xy.minX, MinY: xy.minY, MaxX: xy.maxX, MaxY: xy.maxY}, true
}

// Contains reports whether the tile x/y of the range's zoom lies in it.
func (r Range) Contains(x, y uint32) bool {
	return x >= r.MinX && x <= r.MaxX && y >= r.MinY && y <= r.MaxY
}

// Count is the number of tiles in the range.
func (r Range) Count() uint64 {
	return uint64(r.MaxX-r.MinX+1) * uint64(r.MaxY-r.MinY+1)
}
