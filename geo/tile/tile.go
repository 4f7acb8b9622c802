// Package tile is the Web-Mercator (EPSG:3857) tile math of the vector-tile
// server: parsing and checking z/x/y from URLs, tile envelopes matching
// PostGIS ST_TileEnvelope, and the tiles a changed geometry touches so their
// cached copies can be dropped. It builds on orb/maptile and orb/project.
package tile

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/project"
)

// MaxZoom is the deepest zoom served; beyond it tiles are smaller than a
// phone's GPS error and uint32 tile indexes stay far from overflow.
const MaxZoom = 24

// MaxLat is the latitude at which Web Mercator is cut off, making the
// world a square; tiles and coverings clamp to it.
const MaxLat = 85.05112877980659

// WorldHalf is half the width of the Web-Mercator world in metres
// (π·6378137), the bound ST_TileEnvelope uses by default.
const WorldHalf = math.Pi * orb.EarthRadius

// ErrInvalid is wrapped by every Parse error, so handlers can answer 400.
var ErrInvalid = errors.New("invalid tile")

// Parse reads tile coordinates from URL path segments and checks that they
// name an existing tile.
func Parse(z, x, y string) (maptile.Tile, error) {
	zoom, err := parseIndex("zoom", z, MaxZoom)
	if err != nil {
		return maptile.Tile{}, err
	}
	last := uint64(1)<<zoom - 1
	tx, err := parseIndex("x", x, last)
	if err != nil {
		return maptile.Tile{}, err
	}
	ty, err := parseIndex("y", y, last)
	if err != nil {
		return maptile.Tile{}, err
	}
	return maptile.New(uint32(tx), uint32(ty), maptile.Zoom(zoom)), nil
}

// parseIndex accepts only plain decimal digits: signs, spaces and
// exponents in tile URLs are mistakes, not alternative spellings.
func parseIndex(name, s string, maxValue uint64) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v > maxValue {
		return 0, fmt.Errorf("%w: %s %q must be an integer in 0..%d", ErrInvalid, name, s, maxValue)
	}
	return v, nil
}

// Bounds3857 returns the tile envelope in EPSG:3857 metres, computed the way
// ST_TileEnvelope does, so SQL and Go agree on tile edges exactly.
func Bounds3857(t maptile.Tile) (minx, miny, maxx, maxy float64) {
	size := 2 * WorldHalf / float64(uint64(1)<<t.Z)
	minx = -WorldHalf + float64(t.X)*size
	maxx = -WorldHalf + float64(t.X+1)*size
	maxy = WorldHalf - float64(t.Y)*size
	miny = WorldHalf - float64(t.Y+1)*size
	return minx, miny, maxx, maxy
}

// ToMercator projects a WGS-84 point to EPSG:3857 metres, clamping beyond
// MaxLat so poles give finite values.
func ToMercator(p orb.Point) orb.Point {
	return project.WGS84.ToMercator(p)
}

// FromMercator converts EPSG:3857 metres back to WGS-84.
func FromMercator(p orb.Point) orb.Point {
	return project.Mercator.ToWGS84(p)
}
