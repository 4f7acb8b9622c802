package validate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"citymap/invalid"
)

// positionDepth is how many array levels wrap the positions of each type.
var positionDepth = map[string]int{
	geojson.TypePoint:           0,
	geojson.TypeMultiPoint:      1,
	geojson.TypeLineString:      1,
	geojson.TypeMultiLineString: 2,
	geojson.TypePolygon:         2,
	geojson.TypeMultiPolygon:    3,
}

const typeCollection = "GeometryCollection"

// geometryTypes lists every GeoJSON geometry type, for suggestions when a
// client gets the capitalisation wrong.
var geometryTypes = []string{
	geojson.TypePoint, geojson.TypeMultiPoint, geojson.TypeLineString, geojson.TypeMultiLineString,
	geojson.TypePolygon, geojson.TypeMultiPolygon, typeCollection,
}

// DecodeGeometry decodes and checks a GeoJSON geometry object, as Geometry
// does. The structure is walked before orb/geojson decodes it because the
// standard decoder is lenient where clients make mistakes: [120] becomes
// (120, 0), null becomes 0 and a type error names no position.
func DecodeGeometry(raw []byte, allowed ...string) (orb.Geometry, error) {
	if err := checkStructure(raw, allowed); err != nil {
		return nil, err
	}
	g, err := geojson.UnmarshalGeometry(raw)
	if err != nil {
		return nil, &invalid.Error{Message: err.Error()}
	}
	if err := Geometry(g.Geometry(), allowed...); err != nil {
		return nil, err
	}
	return g.Geometry(), nil
}

type rawGeometry struct {
	Type        json.RawMessage `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
	Geometries  json.RawMessage `json:"geometries"`
}

func checkStructure(raw []byte, allowed []string) error {
	if isNull(raw) {
		return &invalid.Error{Message: "missing geometry"}
	}
	if kind := jsonKind(raw); kind != "object" {
		return &invalid.Error{Message: "geometry must be an object, got " + kind}
	}
	var rg rawGeometry
	if err := json.Unmarshal(raw, &rg); err != nil {
		return &invalid.Error{Message: "invalid JSON: " + err.Error()}
	}
	typ, err := geometryType(rg.Type)
	if err != nil {
		return err
	}
	if err := checkType(typ, allowed); err != nil {
		return err
	}
	if typ == typeCollection {
		return checkMembers(rg.Geometries)
	}
	return invalid.Prefix("coordinates", checkNesting(rg.Coordinates, positionDepth[typ]))
}

func geometryType(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", &invalid.Error{Field: "type", Message: "missing"}
	}
	var typ string
	if err := json.Unmarshal(raw, &typ); err != nil {
		return "", &invalid.Error{Field: "type", Message: "must be a string, got " + jsonKind(raw)}
	}
	if slices.Contains(geometryTypes, typ) {
		return typ, nil
	}
	reason := fmt.Sprintf("unknown geometry type %q", typ)
	for _, known := range geometryTypes {
		if strings.EqualFold(known, typ) {
			reason += fmt.Sprintf(" (did you mean %q?)", known)
		}
	}
	return "", &invalid.Error{Field: "type", Message: reason}
}

func checkMembers(raw json.RawMessage) error {
	if isNull(raw) {
		return &invalid.Error{Field: "geometries", Message: "missing"}
	}
	var members []json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return &invalid.Error{Field: "geometries", Message: "must be an array, got " + jsonKind(raw)}
	}
	for i, m := range members {
		if err := checkStructure(m, nil); err != nil {
			return invalid.Prefix("geometries"+index(i), err)
		}
	}
	return nil
}

// checkNesting verifies that raw is depth levels of arrays around
// positions of two or three numbers.
func checkNesting(raw json.RawMessage, depth int) error {
	if isNull(raw) {
		return &invalid.Error{Message: "missing"}
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		if depth == 0 {
			return &invalid.Error{Message: "expected a position [longitude, latitude], got " + jsonKind(raw)}
		}
		return &invalid.Error{Message: "expected an array, got " + jsonKind(raw)}
	}
	if depth == 0 {
		return checkPosition(items)
	}
	for i, item := range items {
		if err := checkNesting(item, depth-1); err != nil {
			return invalid.Prefix(index(i), err)
		}
	}
	return nil
}

// checkPosition looks at the elements before counting them, so that a
// missing nesting level is reported as an array where a number belongs.
func checkPosition(items []json.RawMessage) error {
	for i, item := range items {
		var v float64
		if jsonKind(item) != "number" || json.Unmarshal(item, &v) != nil {
			return &invalid.Error{Field: index(i), Message: "expected a number, got " + jsonKind(item)}
		}
	}
	if len(items) < 2 || len(items) > 3 {
		return &invalid.Error{Message: fmt.Sprintf("position must have 2 or 3 numbers, got %d", len(items))}
	}
	return nil
}

func isNull(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// jsonKind names the JSON value type of raw for error messages.
func jsonKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}
