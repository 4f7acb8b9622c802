package validate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"citymap/invalid"
)

// Geometry checks g and, when allowed names GeoJSON types ("Point",
// "MultiPolygon", ...), that g is one of them; members of a
// GeometryCollection may be of any type. Fields in errors are relative to
// the geometry object.
func Geometry(g orb.Geometry, allowed ...string) error {
	if g == nil {
		return &invalid.Error{Message: "missing geometry"}
	}
	if err := checkType(g.GeoJSONType(), allowed); err != nil {
		return err
	}
	return checkGeometry(g)
}

func checkType(typ string, allowed []string) error {
	if len(allowed) == 0 || slices.Contains(allowed, typ) {
		return nil
	}
	return &invalid.Error{Field: "type", Message: fmt.Sprintf("%s not allowed here (want %s)", typ, strings.Join(allowed, ", "))}
}

func checkGeometry(g orb.Geometry) error {
	switch g := g.(type) {
	case orb.Point:
		return invalid.Prefix("coordinates", Point(g))
	case orb.MultiPoint:
		return invalid.Prefix("coordinates", checkPositions(g))
	case orb.LineString:
		return invalid.Prefix("coordinates", checkLine(g))
	case orb.MultiLineString:
		return invalid.Prefix("coordinates", checkEach(g, checkLine))
	case orb.Polygon:
		return invalid.Prefix("coordinates", checkPolygon(g))
	case orb.MultiPolygon:
		return invalid.Prefix("coordinates", checkEach(g, checkPolygon))
	case orb.Ring:
		return checkGeometry(orb.Polygon{g})
	case orb.Bound:
		return checkGeometry(g.ToPolygon())
	case orb.Collection:
		return checkCollection(g)
	}
	return &invalid.Error{Field: "type", Message: fmt.Sprintf("unsupported geometry %T", g)}
}

func checkCollection(c orb.Collection) error {
	if len(c) == 0 {
		return &invalid.Error{Field: "geometries", Message: "empty"}
	}
	for i, g := range c {
		if err := Geometry(g); err != nil {
			return invalid.Prefix("geometries"+index(i), err)
		}
	}
	return nil
}

// checkEach applies check to every part of a multi-geometry, which must have
// at least one.
func checkEach[T any](parts []T, check func(T) error) error {
	if len(parts) == 0 {
		return &invalid.Error{Message: "empty"}
	}
	for i, p := range parts {
		if err := check(p); err != nil {
			return invalid.Prefix(index(i), err)
		}
	}
	return nil
}

func checkPositions(ps []orb.Point) error {
	return checkEach(ps, Point)
}

func checkLine(ls orb.LineString) error {
	if err := checkPositions(ls); err != nil {
		return err
	}
	for _, p := range ls[1:] {
		if p != ls[0] {
			return nil
		}
	}
	return &invalid.Error{Message: "line needs at least 2 distinct positions"}
}

func checkPolygon(p orb.Polygon) error {
	return checkEach(p, checkRing)
}
