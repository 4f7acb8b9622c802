package layerimport

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"citymap/invalid"
	"citymap/server/textcheck"
)

// props are a feature's properties, decoded with json.Number so that long
// numeric codes keep every digit.
type props map[string]any

// fieldError names a property in the shape geo/validate uses for geometries.
func fieldError(name, format string, args ...any) error {
	return &invalid.Error{Field: "properties." + name, Message: fmt.Sprintf(format, args...)}
}

// text returns the trimmed string property name; ok is false when it is
// absent or null. Numbers are accepted as their literal text because GIS tools
// export numeric-looking columns (codes, phone numbers) as JSON numbers. The
// text must pass the rules the OGC writes check too (server/textcheck): no
// NUL, valid UTF-8, names and addresses of bounded length.
func (p props) text(name string) (s string, ok bool, err error) {
	switch v := p[name].(type) {
	case nil:
		return "", false, nil
	case string:
		s = strings.TrimSpace(v)
	case json.Number:
		s = v.String()
	default:
		return "", true, fieldError(name, "must be a string, got %s", kind(v))
	}
	if problem := textcheck.Column(name, s); problem != "" {
		return "", true, fieldError(name, "%s", problem)
	}
	return s, true, nil
}

// code returns the required code of a point or parking zone, which must be
// one (textcheck.Code).
func (p props) code() (string, error) {
	code, err := p.required("code")
	if err != nil {
		return "", err
	}
	if problem := textcheck.Code(code); problem != "" {
		return "", fieldError("code", "%s", problem)
	}
	return code, nil
}

// required returns a non-empty text property.
func (p props) required(name string) (string, error) {
	s, ok, err := p.text(name)
	switch {
	case err != nil:
		return "", err
	case !ok:
		return "", fieldError(name, "required")
	case s == "":
		return "", fieldError(name, "must not be empty")
	}
	return s, nil
}

// optional returns a text property, nil when absent so that the store keeps
// the stored value; an explicit "" clears it.
func (p props) optional(name string) (*string, error) {
	s, ok, err := p.text(name)
	if err != nil || !ok {
		return nil, err
	}
	return &s, nil
}

// integer returns an integral number property (or a string holding one, as
// CSV-derived files carry); ok is false when it is absent or null.
func (p props) integer(name string) (n int64, ok bool, err error) {
	v := p[name]
	if v == nil {
		return 0, false, nil
	}
	n, err = toInteger(v)
	if err != nil {
		return 0, true, fieldError(name, "%v", err)
	}
	return n, true, nil
}

func toInteger(v any) (int64, error) {
	var lit string
	switch v := v.(type) {
	case json.Number:
		lit = v.String()
	case string:
		lit = strings.TrimSpace(v)
	case int:
		lit = strconv.Itoa(v)
	case float64:
		lit = strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return 0, fmt.Errorf("must be an integer, got %s", kind(v))
	}
	if n, err := strconv.ParseInt(lit, 10, 32); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
		return 0, fmt.Errorf("must be an integer, got %q", lit)
	}
	return int64(f), nil
}

// kind names the JSON type of a decoded value for messages.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// digits reports whether s is exactly n ASCII digits.
func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
