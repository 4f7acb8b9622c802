package ogc

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"citymap/geo/validate"
	"citymap/server/ogc/cql2"
	"citymap/server/respond"
	"citymap/server/store"
)

// Page sizes. A limit above MaxLimit is served as MaxLimit rather than refused:
// Part 1 lets the server cap the page, the next link carries on from there, and
// clients that ask for "everything" still work.
const (
	DefaultLimit = 100
	MaxLimit     = 10000
)

// itemsParams are the parameters of /items besides the property filters.
var itemsParams = map[string]bool{
	"f": true, "access_token": true, "limit": true, "offset": true, "bbox": true, "bbox-crs": true,
	"datetime": true, "crs": true, "filter": true, "filter-lang": true, "filter-crs": true,
	"after": true, "sortby": true, "properties": true,
}

// itemsRequest is a parsed /items query.
type itemsRequest struct {
	limit, offset int
	// after is the position next links carry (the last row id of the page
	// before), so that a deep page costs what the first does; offset then only
	// numbers the page, for the prev link.
	after  int64
	crs    crs
	filter cql2.Expr // bbox, datetime, property filters and filter, ANDed
	// sortBy orders the features before the id (the last key, which makes the
	// order total); pages sorted so continue by offset.
	sortBy []store.OGCSortKey
	// properties are those each feature keeps, nil for all of them
	properties []string
}

func badParam(name, format string, args ...any) error {
	return respond.Field(name, "invalid_parameter", name+": "+fmt.Sprintf(format, args...))
}

// parseItems reads the query of /collections/{id}/items.
func parseItems(q url.Values, collection string) (itemsRequest, error) {
	props := map[string]cql2.Queryable{}
	for _, p := range store.OGCQueryables(collection) {
		if p.Type != cql2.TypeGeometry {
			props[p.Name] = p
		}
	}
	err := checkParams(q, func(name string) bool {
		_, isProp := props[name]
		return itemsParams[name] || isProp
	})
	if err != nil {
		return itemsRequest{}, err
	}
	var req itemsRequest
	if req.limit, err = intParam(q, "limit", DefaultLimit, 1); err != nil {
		return req, err
	}
	req.limit = min(req.limit, MaxLimit)
	if req.offset, err = intParam(q, "offset", 0, 0); err != nil {
		return req, err
	}
	if s := q.Get("after"); s != "" {
		if req.after, err = strconv.ParseInt(s, 10, 64); err != nil || req.after < 0 {
			return req, badParam("after", "must be a position from a next link, got %q", s)
		}
	}
	if req.crs, err = crsParam(q, "crs"); err != nil {
		return req, err
	}
	bbox, err := bboxFilter(q)
	if err != nil {
		return req, err
	}
	when, err := datetimeFilter(q, store.OGCTimeProperty(collection))
	if err != nil {
		return req, err
	}
	filter, err := cqlFilter(q)
	if err != nil {
		return req, err
	}
	byProps, err := propertyFilters(q, props)
	if err != nil {
		return req, err
	}
	req.filter = cql2.And(append([]cql2.Expr{bbox, when, filter}, byProps...)...)
	if req.sortBy, err = sortByParam(q, props); err != nil {
		return req, err
	}
	if len(req.sortBy) > 0 && req.after > 0 {
		return req, badParam("after", "continues pages in id order; sorted pages continue by offset")
	}
	req.properties, err = propertiesParam(q, props)
	return req, err
}

// nameList splits a comma-separated list of queryable names, refusing
// unknown and repeated ones; strip removes a name's prefix first.
func nameList(q url.Values, param string, props map[string]cql2.Queryable, strip func(string) string) ([]string, error) {
	s := q.Get(param)
	if s == "" {
		return nil, nil
	}
	var names []string
	for _, item := range strings.Split(s, ",") {
		name := strip(strings.TrimSpace(item))
		if _, ok := props[name]; !ok {
			return nil, badParam(param, "unknown property %q; the queryables are %s", name,
				strings.Join(slices.Sorted(maps.Keys(props)), ", "))
		}
		if slices.Contains(names, name) {
			return nil, badParam(param, "%q is given more than once", name)
		}
		names = append(names, name)
	}
	return names, nil
}

// sortByParam reads sortby=+a,-b (Part 1's common sorting extension, as
// OGC API – Records defines it): "+" or no sign ascending, "-" descending.
func sortByParam(q url.Values, props map[string]cql2.Queryable) ([]store.OGCSortKey, error) {
	names, err := nameList(q, "sortby", props, func(s string) string { return strings.TrimLeft(s, "+-") })
	if err != nil {
		return nil, err
	}
	items := strings.Split(q.Get("sortby"), ",")
	keys := make([]store.OGCSortKey, len(names))
	for i, name := range names {
		keys[i] = store.OGCSortKey{Name: name, Desc: strings.HasPrefix(strings.TrimSpace(items[i]), "-")}
	}
	return keys, nil
}

// propertiesParam reads properties=a,b: the properties each feature keeps.
func propertiesParam(q url.Values, props map[string]cql2.Queryable) ([]string, error) {
	return nameList(q, "properties", props, func(s string) string { return s })
}

func intParam(q url.Values, name string, def, lowest int) (int, error) {
	s := q.Get(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lowest {
		return 0, badParam(name, "must be an integer of at least %d, got %q", lowest, s)
	}
	return v, nil
}

func crsParam(q url.Values, name string) (crs, error) {
	s := q.Get(name)
	if s == "" {
		return crs84, nil
	}
	c, ok := parseCRS(s)
	if !ok {
		return crs{}, badParam(name, "unsupported CRS %q; supported: %s", s, strings.Join(crsURIs(), ", "))
	}
	return c, nil
}

// bboxFilter reads bbox in bbox-crs (CRS84 by default), whose axis order it
// follows: EPSG:4326 and EPSG:4490 boxes are minLat,minLon,maxLat,maxLon.
func bboxFilter(q url.Values) (cql2.Expr, error) {
	s := q.Get("bbox")
	if s == "" {
		if q.Get("bbox-crs") != "" {
			return nil, badParam("bbox-crs", "given without bbox")
		}
		return nil, nil
	}
	c, err := crsParam(q, "bbox-crs")
	if err != nil {
		return nil, err
	}
	b, err := parseBBox(s, c)
	if err != nil {
		return nil, err
	}
	return &cql2.Spatial{Name: "S_INTERSECTS", A: &cql2.Property{Name: "geometry"}, B: &cql2.Geometry{Geom: boxGeometry(b)}}, nil
}

func parseBBox(s string, c crs) (orb.Bound, error) {
	v, err := validate.ParseBBox(s, 4, 6)
	if err != nil {
		return orb.Bound{}, badParam("bbox", "%s", err)
	}
	if len(v) == 6 {
		// heights: nothing here has any, so they cannot exclude anything
		v = []float64{v[0], v[1], v[3], v[4]}
	}
	if v[0] > v[2] || v[1] > v[3] {
		return orb.Bound{}, badParam("bbox", "the lower corner must come first (boxes across the antimeridian are not supported)")
	}
	lo := c.toStorage(orb.Point{v[0], v[1]}).(orb.Point)
	hi := c.toStorage(orb.Point{v[2], v[3]}).(orb.Point)
	b := orb.Bound{Min: lo, Max: hi}
	if err := validate.BBox(b); err != nil {
		return orb.Bound{}, badParam("bbox", "%s is outside the valid range of %s", s, c.code)
	}
	return b, nil
}

// boxGeometry keeps degenerate boxes (a point or a line, which clients send
// when zoomed onto one feature) valid geometries.
func boxGeometry(b orb.Bound) orb.Geometry {
	switch {
	case b.Min == b.Max:
		return b.Min
	case b.Min[0] == b.Max[0] || b.Min[1] == b.Max[1]:
		return orb.LineString{b.Min, b.Max}
	}
	return b
}

// datetimeFilter reads datetime: an instant, a day, or an interval start/end
// with ".." or nothing for an open end, on the collection's time property.
func datetimeFilter(q url.Values, timeProp string) (cql2.Expr, error) {
	s := q.Get("datetime")
	if s == "" {
		return nil, nil
	}
	v, err := timeValue("datetime", s)
	if err != nil {
		return nil, err
	}
	return &cql2.Temporal{Name: "T_INTERSECTS", A: &cql2.Property{Name: timeProp}, B: v}, nil
}

func timeValue(name, s string) (cql2.Expr, error) {
	start, end, isInterval := strings.Cut(s, "/")
	if !isInterval {
		v, ok := cql2.ParseInstant(s)
		if !ok {
			return nil, badParam(name, "%q is neither an RFC 3339 time nor a date", s)
		}
		return v, nil
	}
	var bounds [2]cql2.Expr
	for i, b := range []string{start, end} {
		if b == "" || b == ".." {
			continue
		}
		v, ok := cql2.ParseInstant(b)
		if !ok {
			return nil, badParam(name, "%q is neither an RFC 3339 time, a date nor ..", b)
		}
		bounds[i] = v
	}
	if bounds[0] == nil && bounds[1] == nil && (start == "" || end == "") {
		return nil, badParam(name, "an interval needs at least one bound or ../..")
	}
	return &cql2.Interval{Start: bounds[0], End: bounds[1]}, nil
}

// cqlFilter parses filter (CQL2 text) and brings its geometry literals from
// filter-crs into storage coordinates.
func cqlFilter(q url.Values) (cql2.Expr, error) {
	text := q.Get("filter")
	lang := q.Get("filter-lang")
	if lang != "" && lang != "cql2-text" {
		return nil, badParam("filter-lang", "only cql2-text is supported, not %q", lang)
	}
	if text == "" {
		if q.Get("filter-crs") != "" {
			return nil, badParam("filter-crs", "given without filter")
		}
		return nil, nil
	}
	c, err := crsParam(q, "filter-crs")
	if err != nil {
		return nil, err
	}
	e, err := cql2.Parse(text)
	if err != nil {
		return nil, err
	}
	cql2.MapGeometries(e, c.toStorage)
	return e, nil
}

// propertyFilters turns ?name=value for queryables into equality tests (time
// properties take an instant or an interval, like datetime).
func propertyFilters(q url.Values, props map[string]cql2.Queryable) ([]cql2.Expr, error) {
	var out []cql2.Expr
	// sorted, so that equal queries compile to equal SQL and share a prepared statement
	for _, name := range slices.Sorted(maps.Keys(q)) {
		p, ok := props[name]
		if !ok || itemsParams[name] {
			continue
		}
		e, err := propertyFilter(p, q.Get(name))
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func propertyFilter(p cql2.Queryable, s string) (cql2.Expr, error) {
	prop := &cql2.Property{Name: p.Name}
	switch p.Type {
	case cql2.TypeString:
		return &cql2.Comparison{Op: "=", Left: prop, Right: &cql2.String{Value: s}}, nil
	case cql2.TypeInteger, cql2.TypeNumber:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, badParam(p.Name, "%q is not a number", s)
		}
		return &cql2.Comparison{Op: "=", Left: prop, Right: &cql2.Number{Value: f, Text: s}}, nil
	case cql2.TypeBoolean:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, badParam(p.Name, "must be true or false, got %q", s)
		}
		return &cql2.Comparison{Op: "=", Left: prop, Right: &cql2.Bool{Value: b}}, nil
	}
	v, err := timeValue(p.Name, s)
	if err != nil {
		return nil, err
	}
	return &cql2.Temporal{Name: "T_INTERSECTS", A: prop, B: v}, nil
}
