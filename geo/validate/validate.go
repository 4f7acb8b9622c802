// Package validate is the early filter for GeoJSON arriving through the
// import command and the HTTP API. It rejects what would otherwise fail deep
// inside PostGIS with an opaque message — wrong types, bad nesting,
// out-of-range or unclosed coordinates, self-intersecting rings — and names
// the offending field in an *invalid.Error (its Code left to the caller, who
// knows what the geometry was for) so clients can point at it.
//
// It does not pretend to be PostGIS: holes outside their shell, overlapping
// polygons of a MultiPolygon, and self-intersections in rings longer than
// SelfIntersectionLimit positions pass here and are left to ST_IsValid,
// which remains the final judge. Ring orientation is not enforced: RFC 7946
// only recommends counter-clockwise shells and PostGIS accepts either.
package validate

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"

	"citymap/invalid"
)

func index(i int) string {
	return fmt.Sprintf("[%d]", i)
}

// Point checks that p is a finite WGS-84 position.
func Point(p orb.Point) error {
	if err := coordinate("longitude", p[0], 180); err != nil {
		return err
	}
	return coordinate("latitude", p[1], 90)
}

func coordinate(name string, v, limit float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return &invalid.Error{Message: fmt.Sprintf("%s %v is not a finite number", name, v)}
	}
	if v < -limit || v > limit {
		return &invalid.Error{Message: fmt.Sprintf("%s %v out of range [-%v, %v]", name, v, limit, limit)}
	}
	return nil
}
