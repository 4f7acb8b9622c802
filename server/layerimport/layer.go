// Package layerimport reads a city's own GIS data — a GeoJSON FeatureCollection
// of grids, areas, inspection points or parking zones — checks every feature and
// writes the file through the store in one transaction: one bad feature rejects
// the whole file, naming its index and the reason, and nothing is written.
//
// Checks run in two stages. Reading (pure, no database) checks each feature's
// structure, geometry type and coordinates (geo/validate), required properties
// and codes, and duplicate codes within the file. Writing lets PostGIS judge the
// geometries (ST_IsValid) and checks what only the database knows: parent areas,
// point categories, grid codes.
package layerimport

import (
	"fmt"

	"github.com/paulmach/orb/geojson"
)

// Layer is what a file holds.
type Layer string

// The layers a file can hold.
const (
	Grids   Layer = "grids"   // unit grids only; their communities must exist
	Areas   Layer = "areas"   // any level (property "level"), written parent first
	Points  Layer = "points"  // inspection points
	Parking Layer = "parking" // parking zones with their weekly windows
)

// Layers lists the layers in the order the command documents them.
var Layers = []Layer{Grids, Areas, Points, Parking}

// ParseLayer accepts a layer name.
func ParseLayer(s string) (Layer, error) {
	for _, l := range Layers {
		if string(l) == s {
			return l, nil
		}
	}
	return "", fmt.Errorf("unknown layer %q (want grids, areas, points or parking)", s)
}

// geometryTypes lists the geometry types each layer accepts.
func (l Layer) geometryTypes() []string {
	if l == Grids || l == Areas {
		return []string{geojson.TypePolygon, geojson.TypeMultiPolygon}
	}
	return []string{geojson.TypePoint, geojson.TypePolygon, geojson.TypeMultiPolygon}
}

// Area levels from the top, with the length of their codes: a code's prefix is
// its ancestry (6-digit county, 3-digit street, 3-digit community, 2-digit grid).
var levels = []struct {
	name   string
	digits int
}{{"district", 6}, {"street", 9}, {"community", 12}, {"grid", 14}}

// levelRank returns the position of level from the top, or -1.
func levelRank(level string) int {
	for i, l := range levels {
		if l.name == level {
			return i
		}
	}
	return -1
}
