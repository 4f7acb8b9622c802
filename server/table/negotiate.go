package table

import (
	"net/http"
	"strconv"
	"strings"

	"citymap/server/respond"
)

// Format is an output format.
type Format string

// The formats, by their format= names.
const (
	JSON    Format = "json"
	CSV     Format = "csv"
	GeoJSON Format = "geojson"
)

// mediaTypes are the formats' media types in the server's order of preference,
// which breaks ties between equally acceptable types.
var mediaTypes = []struct {
	format Format
	typ    string
}{
	{JSON, "application/json"},
	{GeoJSON, "application/geo+json"},
	{CSV, "text/csv"},
}

// ErrNotAcceptable answers an Accept header that allows none of the formats.
var ErrNotAcceptable = respond.Errorf(http.StatusNotAcceptable, "not_acceptable",
	"this resource is available as application/json, text/csv and, with geometry, application/geo+json")

// Negotiate picks the format of the answer to r: the format query parameter
// (json, csv, geojson) when given, else the most acceptable type of the Accept
// header, else JSON. geo says whether the answer has geometry; without it GeoJSON
// is not on offer.
func Negotiate(r *http.Request, geo bool) (Format, error) {
	if name := r.URL.Query().Get("format"); name != "" {
		return byName(name, geo)
	}
	accept := strings.TrimSpace(strings.Join(r.Header.Values("Accept"), ","))
	if accept == "" {
		return JSON, nil
	}
	best, bestQ := Format(""), 0.0
	for _, m := range mediaTypes {
		if m.format == GeoJSON && !geo {
			continue
		}
		if q := quality(accept, m.typ); q > bestQ {
			best, bestQ = m.format, q
		}
	}
	if best == "" {
		return "", ErrNotAcceptable
	}
	return best, nil
}

func byName(name string, geo bool) (Format, error) {
	switch f := Format(strings.ToLower(name)); f {
	case JSON, CSV:
		return f, nil
	case GeoJSON:
		if geo {
			return f, nil
		}
		return "", respond.Field("format", "invalid", "this answer has no geometry: format is json or csv")
	}
	return "", respond.Field("format", "invalid", "format is json, csv or geojson")
}

// quality is the q-value that the Accept header gives media type typ (RFC 9110
// §12.5.1): the most specific matching range decides; 0 when none matches.
func quality(accept, typ string) float64 {
	major, _, _ := strings.Cut(typ, "/")
	q, specificity := 0.0, -1
	for _, part := range strings.Split(accept, ",") {
		params := strings.Split(part, ";")
		rng := strings.ToLower(strings.TrimSpace(params[0]))
		s := -1
		switch rng {
		case typ:
			s = 2
		case major + "/*":
			s = 1
		case "*/*":
			s = 0
		}
		if s <= specificity {
			continue
		}
		specificity, q = s, qValue(params[1:])
	}
	return q
}

func qValue(params []string) float64 {
	for _, p := range params {
		name, value, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(name), "q") {
			v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
			if err != nil || v < 0 || v > 1 {
				return 0
			}
			return v
		}
	}
	return 1
}
