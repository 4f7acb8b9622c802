package live

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"citymap/geo/validate"
	"citymap/server/auth"
)

// Layers is what a subscription may name: every layer of the changes feed.
var Layers = []string{"areas", "grids", "points", "parking", "issues", "inspections", "tasks", "declarations", "activities"}

// maxListLen bounds the areas and categories of one subscription.
const maxListLen = 200

// subscribeMsg is what a client sends; every field is optional.
type subscribeMsg struct {
	Type       string    `json:"type"`
	Layers     []string  `json:"layers"`
	BBox       []float64 `json:"bbox"`
	Areas      []string  `json:"areas"`
	Categories []string  `json:"categories"`
	Since      *int64    `json:"since"`
}

// request is a parsed client message: a subscription, or why it was refused.
type request struct {
	filter *filter
	since  *int64
	err    *protoError
}

type protoError struct{ code, message string }

// filter is what a subscription matches. Empty fields match everything.
type filter struct {
	layers     map[string]bool
	bbox       orb.Bound
	hasBBox    bool
	areas      []string // code prefixes
	categories map[string]bool
	// who limits the stream to the token's areas
	who *auth.Principal
}

// parseRequest reads a client message. Unknown fields and types are refused so
// that a typo does not silently widen or narrow a wall's view.
func parseRequest(data []byte, who *auth.Principal) request {
	var m subscribeMsg
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return request{err: decodeError(err)}
	}
	if dec.More() {
		return request{err: &protoError{"invalid_json", "trailing data after the message"}}
	}
	if m.Type != "subscribe" {
		return request{err: &protoError{"unknown_type", fmt.Sprintf("unknown message type %q (send subscribe)", m.Type)}}
	}
	f, err := m.filter(who)
	if err != nil {
		return request{err: err}
	}
	return request{filter: f, since: m.Since}
}

func decodeError(err error) *protoError {
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typ):
		return &protoError{"invalid_type", fmt.Sprintf("%s must be %s", typ.Field, typ.Type)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return &protoError{"unknown_field", strings.TrimPrefix(err.Error(), "json: ")}
	}
	return &protoError{"invalid_json", "the message is not a JSON object"}
}

func (m *subscribeMsg) filter(who *auth.Principal) (*filter, *protoError) {
	f := &filter{who: who}
	if m.Since != nil && *m.Since < 0 {
		return nil, &protoError{"invalid_since", "since must be a sequence number >= 0"}
	}
	if err := f.setLayers(m.Layers); err != nil {
		return nil, err
	}
	if err := f.setBBox(m.BBox); err != nil {
		return nil, err
	}
	if err := f.setAreas(m.Areas); err != nil {
		return nil, err
	}
	return f, f.setCategories(m.Categories)
}

func (f *filter) setLayers(layers []string) *protoError {
	if len(layers) == 0 {
		return nil
	}
	f.layers = map[string]bool{}
	for _, l := range layers {
		if !slices.Contains(Layers, l) {
			return &protoError{"invalid_layer", fmt.Sprintf("unknown layer %q (one of %s)", l, strings.Join(Layers, ", "))}
		}
		f.layers[l] = true
	}
	return nil
}

func (f *filter) setBBox(b []float64) *protoError {
	if b == nil {
		return nil
	}
	bad := &protoError{"invalid_bbox", "bbox must be [west, south, east, north] in degrees with west <= east and south <= north"}
	if len(b) != 4 {
		return bad
	}
	bound := orb.Bound{Min: orb.Point{b[0], b[1]}, Max: orb.Point{b[2], b[3]}}
	if validate.BBox(bound) != nil {
		return bad
	}
	f.bbox, f.hasBBox = bound, true
	return nil
}

func (f *filter) setAreas(codes []string) *protoError {
	if len(codes) > maxListLen {
		return &protoError{"invalid_areas", fmt.Sprintf("at most %d areas", maxListLen)}
	}
	for _, c := range codes {
		if !areaCode(c) {
			return &protoError{"invalid_areas", fmt.Sprintf("%q is not an area code (6, 9, 12 or 14 digits)", c)}
		}
	}
	f.areas = codes
	return nil
}

func areaCode(c string) bool {
	switch len(c) {
	case 6, 9, 12, 14:
	default:
		return false
	}
	return strings.Trim(c, "0123456789") == ""
}

func (f *filter) setCategories(cats []string) *protoError {
	if len(cats) == 0 {
		return nil
	}
	if len(cats) > maxListLen {
		return &protoError{"invalid_categories", fmt.Sprintf("at most %d categories", maxListLen)}
	}
	f.categories = map[string]bool{}
	for _, c := range cats {
		f.categories[c] = true
	}
	return nil
}

// match reports whether the change is one the subscription asked for and its
// token may see. A change without a geometry passes the bbox (nothing places it
// outside); one without a category (areas, parking, deletes) passes the categories,
// which narrow the layers that have them.
func (f *filter) match(ch *Change) bool {
	if ch.reset {
		return true
	}
	if f.layers != nil && !f.layers[ch.Layer] {
		return false
	}
	if f.hasBBox && ch.bounded && !f.touches(ch) {
		return false
	}
	if f.categories != nil && ch.category != "" && !f.categories[ch.category] {
		return false
	}
	if len(f.areas) > 0 && !anyPrefixed(ch.codes, f.areas) {
		return false
	}
	if f.who != nil && f.who.Unit != "" {
		// unit staff and leaders follow their own unit's tasks and
		// declarations and nothing else
		return (ch.Layer == "tasks" || ch.Layer == "declarations") && ch.unit == f.who.Unit
	}
	return f.who == nil || len(f.who.Areas) == 0 || anyPrefixed(ch.codes, f.who.Areas)
}

// touches reports whether the box meets the change's geometry before or after
// it: a client watching where an object was learns that it left, one watching
// where it went that it came, and one in between neither.
func (f *filter) touches(ch *Change) bool {
	if len(ch.boxes) == 0 {
		return f.bbox.Intersects(ch.bound)
	}
	for _, b := range ch.boxes {
		if f.bbox.Intersects(b) {
			return true
		}
	}
	return false
}

// anyPrefixed reports whether one of codes lies in one of the areas: area codes
// nest by prefix.
func anyPrefixed(codes, areas []string) bool {
	for _, c := range codes {
		for _, a := range areas {
			if strings.HasPrefix(c, a) {
				return true
			}
		}
	}
	return false
}
