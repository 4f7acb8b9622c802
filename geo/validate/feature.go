package validate

import (
	"strings"

	"github.com/paulmach/orb/geojson"

	"citymap/invalid"
)

// Feature checks a decoded feature: its geometry as Geometry does (fields
// prefixed "geometry"), and that every required property is present and not
// empty ("properties.NAME"). Features decoded by orb/geojson have already
// lost malformed positions (a missing latitude decodes as 0), so API input
// should check raw geometries with DecodeGeometry; the importer relies on
// this function plus PostGIS.
func Feature(f *geojson.Feature, allowedGeom []string, required []string) error {
	if f == nil {
		return &invalid.Error{Message: "missing feature"}
	}
	if f.Geometry == nil {
		return &invalid.Error{Field: "geometry", Message: "missing"}
	}
	if err := Geometry(f.Geometry, allowedGeom...); err != nil {
		return invalid.Prefix("geometry", err)
	}
	for _, name := range required {
		v, ok := f.Properties[name]
		if !ok || v == nil {
			return &invalid.Error{Field: "properties." + name, Message: "required"}
		}
		if empty(v) {
			return &invalid.Error{Field: "properties." + name, Message: "must not be empty"}
		}
	}
	return nil
}

// empty treats blank strings and empty arrays or objects as missing, since
// a code of "   " is no better than none; zero and false are real values.
func empty(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v) == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}
