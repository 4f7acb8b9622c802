package respond

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"

	"citymap/server/textcheck"
)

// Text from clients must be text: PostgreSQL's text cannot hold NUL, and bytes
// that are not UTF-8 are not what any client meant. Both are refused with a 400
// naming the field here, at the edge, instead of failing as a 500 deep in the
// database. JSON bodies cannot carry invalid UTF-8 (the decoder replaces it),
// only NUL as \u0000.

// TextProblem says what is wrong with s as text, "" when nothing is.
func TextProblem(s string) string { return textcheck.Problem(s) }

// BadText is the answer for a field whose text has a problem.
func BadText(field, problem string) *Error {
	return Field(field, "invalid", field+" "+problem)
}

// CheckValues checks the names and values of query or form parameters.
func CheckValues(v url.Values) *Error {
	for name, vals := range v {
		if p := TextProblem(name); p != "" {
			return BadText("parameter name", p)
		}
		for _, s := range vals {
			if p := TextProblem(s); p != "" {
				return BadText(name, p)
			}
		}
	}
	return nil
}

// CheckURL checks the path and the query parameters of every request before
// next sees it. Open311 is left to its handler, which answers in the error
// shape of its specification.
func CheckURL(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/open311/") {
			if err := CheckRequestURL(r); err != nil {
				Fail(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// CheckRequestURL checks the path and the query parameters of r. A malformed
// query is left to the handlers, which see what url.ParseQuery could read.
func CheckRequestURL(r *http.Request) *Error {
	if p := TextProblem(r.URL.Path); p != "" {
		return BadText("path", p)
	}
	q, _ := url.ParseQuery(r.URL.RawQuery)
	return CheckValues(q)
}

// CheckDecoded checks every string in v, a value decoded from JSON (structs by
// their JSON names, maps, slices), naming the first bad one by its path, e.g.
// where.address; whole names v itself. json.RawMessage members are left to
// whoever decodes them later (DecodeItem for the items of a batch, which are
// refused one by one, not with their batch).
func CheckDecoded(v any, whole string) *Error {
	field, problem := findBadText(reflect.ValueOf(v), "")
	if problem == "" {
		return nil
	}
	if field == "" {
		field = whole
	}
	return BadText(field, problem)
}

// findBadText walks v depth first and returns the path of the first string
// with a text problem and the problem.
func findBadText(v reflect.Value, path string) (string, string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "", ""
		}
		return findBadText(v.Elem(), path)
	case reflect.String:
		return path, TextProblem(v.String())
	case reflect.Struct:
		return structBadText(v, path)
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			k := fmt.Sprint(iter.Key().Interface())
			if p := TextProblem(k); p != "" {
				return join(path, "member name"), p
			}
			if f, p := findBadText(iter.Value(), join(path, k)); p != "" {
				return f, p
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return "", "" // raw JSON, or bytes (base64 in JSON): not text
		}
		for i := range v.Len() {
			if f, p := findBadText(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return f, p
			}
		}
	}
	return "", ""
}

func structBadText(v reflect.Value, path string) (string, string) {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		fpath := path // embedded structs are flattened, as encoding/json does
		if !sf.Anonymous || name != "" {
			if name == "" {
				name = sf.Name
			}
			fpath = join(path, name)
		}
		if f, p := findBadText(v.Field(i), fpath); p != "" {
			return f, p
		}
	}
	return "", ""
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
