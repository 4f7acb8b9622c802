// Package validate is the early filter for GeoJSON arriving through the
// import command and the HTTP API. It rejects what would otherwise fail deep
// inside PostGIS with an opaque message — wrong types, bad nesting,
// out-of-range or unclosed coordinates, self-intersecting rings — and names
// the offending field so clients can point at it.
//
// It does not pretend to be PostGIS: holes outside their shell, overlapping
// polygons of a MultiPolygon, and self-intersections in rings longer than
// SelfIntersectionLimit positions pass here and are left to ST_IsValid,
// which remains the final judge. Ring orientation is not enforced: RFC 7946
// only recommends counter-clockwise shells and PostGIS accepts either.
package validate

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"
)

// Error says which field is wrong and why, in the shape of the API's
// {"fields": {field: reason}} error object.
type Error struct {
	// Field is a path into the checked object, e.g. "coordinates[0][3]"
	// for a geometry or "properties.code" for a feature; empty means the
	// object as a whole.
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

// Prefix places a validation error inside an enclosing object, e.g.
// Prefix("location", err) for a geometry sent as an issue's location.
// Errors that are not *Error are returned unchanged.
func Prefix(prefix string, err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	return &Error{Field: joinField(prefix, e.Field), Reason: e.Reason}
}

func joinField(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	case strings.HasPrefix(field, "["):
		return prefix + field
	}
	return prefix + "." + field
}

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
		return &Error{Reason: fmt.Sprintf("%s %v is not a finite number", name, v)}
	}
	if v < -limit || v > limit {
		return &Error{Reason: fmt.Sprintf("%s %v out of range [-%v, %v]", name, v, limit, limit)}
	}
	return nil
}
