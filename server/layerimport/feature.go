package layerimport

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/paulmach/orb/encoding/ewkb"

	"citymap/geo/coordsys"
	"citymap/geo/validate"
	"citymap/invalid"
	"citymap/server/store"
)

// FeatureError rejects a file because of one feature.
type FeatureError struct {
	Index int    // 0-based position in the file's features array
	Code  string // the feature's code when it has one, for finding it in a GIS tool
	Err   error  // usually an *invalid.Error naming the field
}

func (e *FeatureError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("feature %d: %v", e.Index, e.Err)
	}
	return fmt.Sprintf("feature %d (code %s): %v", e.Index, e.Code, e.Err)
}

func (e *FeatureError) Unwrap() error { return e.Err }

// rawFeature holds the members of a Feature that the import reads; foreign
// members are ignored, as RFC 7946 allows.
type rawFeature struct {
	Type       json.RawMessage `json:"type"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties json.RawMessage `json:"properties"`
}

// checkFeature decodes and checks one feature for layer and maps it to a
// store row (store.AreaRow, store.PointRow or store.ParkingRow), converting
// its coordinates from sys to WGS-84. It returns the feature's code as far as
// it could be read, for messages.
func checkFeature(layer Layer, raw []byte, sys coordsys.System) (code string, row any, err error) {
	p, rawGeom, err := decodeFeature(raw)
	if err != nil {
		return "", nil, err
	}
	code, _, _ = p.text("code")
	g, err := validate.DecodeGeometry(rawGeom, layer.geometryTypes()...)
	if err != nil {
		return code, nil, invalid.Prefix("geometry", err)
	}
	switch layer {
	case Grids, Areas:
		row, err = areaRow(layer, p)
	case Points:
		row, err = pointRow(p)
	case Parking:
		row, err = parkingRow(p)
	default:
		err = fmt.Errorf("unknown layer %q", layer)
	}
	if err != nil {
		return code, nil, err
	}
	wkb, err := ewkb.Marshal(coordsys.Geometry(sys, g), 4326)
	if err != nil {
		return code, nil, &invalid.Error{Field: "geometry", Message: err.Error()}
	}
	return code, withGeom(row, wkb), nil
}

// decodeFeature checks the Feature envelope and decodes its properties.
func decodeFeature(raw []byte) (props, json.RawMessage, error) {
	var f rawFeature
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, nil, &invalid.Error{Message: "must be a GeoJSON Feature object"}
	}
	var typ string
	if json.Unmarshal(f.Type, &typ) != nil || typ != "Feature" {
		return nil, nil, &invalid.Error{Field: "type", Message: fmt.Sprintf("must be \"Feature\", got %s", orNothing(f.Type))}
	}
	p := props{}
	if len(f.Properties) > 0 && string(f.Properties) != "null" {
		dec := json.NewDecoder(bytes.NewReader(f.Properties))
		dec.UseNumber()
		if err := dec.Decode(&p); err != nil {
			return nil, nil, &invalid.Error{Field: "properties", Message: "must be an object"}
		}
	}
	return p, f.Geometry, nil
}

func orNothing(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "nothing"
	}
	return string(raw)
}

// withGeom sets the geometry of a row made by areaRow, pointRow or parkingRow.
func withGeom(row any, wkb []byte) any {
	switch r := row.(type) {
	case store.AreaRow:
		r.Geom = wkb
		return r
	case store.PointRow:
		r.Geom = wkb
		return r
	case store.ParkingRow:
		r.Geom = wkb
		return r
	}
	return row
}

// areaRow maps an area: its level comes from the layer (grids) or from the
// "level" property (areas), and its code must have that level's length.
func areaRow(layer Layer, p props) (store.AreaRow, error) {
	level, err := areaLevel(layer, p)
	if err != nil {
		return store.AreaRow{}, err
	}
	r := store.AreaRow{Level: level}
	if r.Code, err = p.required("code"); err != nil {
		return r, err
	}
	if n := levels[levelRank(level)].digits; !digits(r.Code, n) {
		return r, fieldError("code", "must be %d digits for a %s, got %q", n, level, r.Code)
	}
	if r.Name, err = p.required("name"); err != nil {
		return r, err
	}
	if r.Manager, err = p.optional("manager"); err != nil {
		return r, err
	}
	r.ManagerPhone, err = p.optional("manager_phone")
	return r, err
}

func areaLevel(layer Layer, p props) (string, error) {
	level, ok, err := p.text("level")
	if err != nil {
		return "", err
	}
	if layer == Grids {
		// a grids file is all grids; a stray level is a file meant for --layer areas
		if ok && level != "" && level != "grid" {
			return "", fieldError("level", "%q in a grids file (import other levels with --layer areas)", level)
		}
		return "grid", nil
	}
	if !ok || level == "" {
		return "", fieldError("level", "required (district, street, community or grid)")
	}
	if levelRank(level) < 0 {
		return "", fieldError("level", "unknown level %q (want district, street, community or grid)", level)
	}
	return level, nil
}

func pointRow(p props) (store.PointRow, error) {
	var r store.PointRow
	code, err := p.code()
	if err != nil {
		return r, err
	}
	r.Code = code
	for _, f := range []struct {
		name string
		dst  *string
	}{{"name", &r.Name}, {"category", &r.Category}, {"unit", &r.Unit}} {
		if *f.dst, err = p.required(f.name); err != nil {
			return r, err
		}
	}
	for _, f := range []struct {
		name string
		dst  **string
	}{{"address", &r.Address}, {"person", &r.Person}, {"phone", &r.Phone}} {
		if *f.dst, err = p.optional(f.name); err != nil {
			return r, err
		}
	}
	r.GridCode, err = gridCode(p)
	return r, err
}

// gridCode reads the optional grid of a point or zone: "grid_code", or
// "grid" as the API's features name it, so that an export re-imports. Absent
// or empty means the store finds the grid by point-in-polygon.
func gridCode(p props) (*string, error) {
	name := "grid_code"
	if _, ok := p[name]; !ok {
		name = "grid"
	}
	code, err := p.optional(name)
	if err != nil || code == nil || *code == "" {
		return nil, err
	}
	if !digits(*code, 14) {
		return nil, fieldError(name, "must be a 14-digit grid code, got %q", *code)
	}
	return code, nil
}

// Parking kinds: smart lots report live occupancy, tidal zones open in windows.
const (
	kindSmart = "smart"
	kindTidal = "tidal"
)

func parkingRow(p props) (store.ParkingRow, error) {
	var r store.ParkingRow
	var err error
	if err = parkingText(p, &r); err != nil {
		return r, err
	}
	if err = parkingNumbers(p, &r); err != nil {
		return r, err
	}
	if r.GridCode, err = gridCode(p); err != nil {
		return r, err
	}
	r.Windows, err = zoneWindows(r.Kind, p)
	return r, err
}

func parkingText(p props, r *store.ParkingRow) error {
	var err error
	if r.Code, err = p.code(); err != nil {
		return err
	}
	if r.Name, err = p.required("name"); err != nil {
		return err
	}
	if r.Kind, err = p.required("kind"); err != nil {
		return err
	}
	if r.Kind != kindSmart && r.Kind != kindTidal {
		return fieldError("kind", "unknown kind %q (want smart or tidal)", r.Kind)
	}
	if r.Address, err = p.optional("address"); err != nil {
		return err
	}
	r.Operator, err = p.optional("operator")
	return err
}

func parkingNumbers(p props, r *store.ParkingRow) error {
	capacity, ok, err := p.integer("capacity")
	switch {
	case err != nil:
		return err
	case !ok:
		return fieldError("capacity", "required")
	case capacity <= 0:
		return fieldError("capacity", "must be a positive integer, got %d", capacity)
	}
	r.Capacity = int32(capacity)
	occupied, ok, err := p.integer("occupied")
	if err != nil || !ok {
		return err
	}
	if occupied < 0 || occupied > capacity {
		return fieldError("occupied", "must be between 0 and the capacity %d, got %d", capacity, occupied)
	}
	o := int32(occupied)
	r.Occupied = &o
	return nil
}

// zoneWindows reads the windows a zone of kind must (tidal) or must not
// (smart) have: windows mean nothing for a smart lot, so a file that gives
// them has most likely got the kind wrong.
func zoneWindows(kind string, p props) ([]store.ParkingWindow, error) {
	v := p["windows"]
	if kind == kindSmart {
		if v != nil && !emptyValue(v) {
			return nil, fieldError("windows", "only tidal zones have windows")
		}
		return nil, nil
	}
	if v == nil || emptyValue(v) {
		return nil, fieldError("windows", "required for a tidal zone (non-empty array of {weekday, opens, closes})")
	}
	return parseWindows(v)
}

func emptyValue(v any) bool {
	switch v := v.(type) {
	case []any:
		return len(v) == 0
	case string:
		return v == "" || v == "[]"
	}
	return false
}
