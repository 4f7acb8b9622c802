package table

import (
	"encoding/json"
	"math"
	"strconv"
)

// appendJSON appends v as encoding/json marshals it. The values reports hold
// most (integers, finite floats, plain ASCII text) are written directly:
// json.Marshal costs an allocation and a reflection per value, which at
// tens of thousands of rows a report (a year of 100 m hexagons) was a third
// of writing the answer. Everything else — times, text that needs escaping,
// NaN — goes through json.Marshal, so the bytes are always its bytes
// (TestAppendJSON).
func appendJSON(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case float64:
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			return appendFloat(b, x), nil
		}
	case string:
		if plainASCII(x) {
			b = append(b, '"')
			b = append(b, x...)
			return append(b, '"'), nil
		}
	}
	m, err := json.Marshal(v)
	return append(b, m...), err
}

// appendFloat is encoding/json's format of a finite float64: the shortest
// decimal that reads back the same, in exponent form below 1e-6 and from
// 1e21 up, with a one-digit exponent written without its leading zero.
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 → e-9, as encoding/json writes it
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// plainASCII reports whether s needs no escaping in JSON: printable ASCII
// without the quote, the backslash and the characters encoding/json escapes
// for HTML (<, >, &).
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}
