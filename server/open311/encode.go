package open311

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"citymap/server/respond"
)

// format is the answer format an endpoint's suffix asks for.
type format string

const (
	formatJSON format = "json"
	formatXML  format = "xml"
)

// Content types of the two formats, as GeoReport v2 names them.
const (
	mediaJSON = "application/json; charset=utf-8"
	mediaXML  = "text/xml; charset=utf-8"
)

// splitDoc splits a path segment such as "requests.json" or "17.xml" into its
// name and format; ok is false for any other suffix.
func splitDoc(seg string) (name string, f format, ok bool) {
	i := strings.LastIndexByte(seg, '.')
	if i < 0 {
		return seg, formatJSON, false
	}
	name, f = seg[:i], format(seg[i+1:])
	return name, f, f == formatJSON || f == formatXML
}

// opt is a value that may be missing: null in JSON and an empty element in XML,
// as the specification's examples show absent values, so that every request has
// the same fields in both formats.
type opt[T any] struct {
	v  T
	ok bool
}

func some[T any](v T) opt[T] { return opt[T]{v: v, ok: true} }

// optString is s, or missing when s is empty.
func optString(s string) opt[string] {
	if s == "" {
		return opt[string]{}
	}
	return some(s)
}

// optPtr is *p, or missing when p is nil.
func optPtr[T any](p *T) opt[T] {
	if p == nil {
		return opt[T]{}
	}
	return some(*p)
}

func (o opt[T]) MarshalJSON() ([]byte, error) {
	if !o.ok {
		return []byte("null"), nil
	}
	// not json.Marshal, which would escape the & of URLs that write leaves alone
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(o.v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func (o opt[T]) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if !o.ok {
		return e.EncodeElement("", start)
	}
	return e.EncodeElement(o.v, start)
}

// apiError is one entry of the specification's error list.
type apiError struct {
	Code        int    `json:"code" xml:"code"`
	Description string `json:"description" xml:"description"`
}

// failure is an error answer. GeoReport v2 has its own error shape, a list of
// {code, description}, and its clients parse that: Open311 answers it instead of
// citymap's usual {"error": {...}} body, a deliberate exception.
type failure []apiError

func (f failure) Error() string {
	parts := make([]string, len(f))
	for i, e := range f {
		parts[i] = fmt.Sprintf("%d %s", e.Code, e.Description)
	}
	return strings.Join(parts, "; ")
}

// status is the HTTP status of the answer: the first error's.
func (f failure) status() int { return f[0].Code }

// fail builds a one-error answer.
func fail(status int, format string, args ...any) failure {
	return failure{{Code: status, Description: fmt.Sprintf(format, args...)}}
}

// badRequest is the common 400.
func badRequest(format string, args ...any) failure {
	return fail(http.StatusBadRequest, format, args...)
}

// writeList answers a list: a JSON array, or in XML the root element with one
// elem element per item.
func writeList[T any](w http.ResponseWriter, f format, status int, root, elem string, items []T) {
	if items == nil {
		items = []T{} // [] rather than null
	}
	write(w, f, status, items, func(enc *xml.Encoder) error {
		start := xml.StartElement{Name: xml.Name{Local: root}}
		if err := enc.EncodeToken(start); err != nil {
			return err
		}
		for _, it := range items {
			if err := enc.EncodeElement(it, xml.StartElement{Name: xml.Name{Local: elem}}); err != nil {
				return err
			}
		}
		return enc.EncodeToken(start.End())
	})
}

// writeDoc answers one document: a JSON object or the root element.
func writeDoc(w http.ResponseWriter, f format, status int, root string, v any) {
	write(w, f, status, v, func(enc *xml.Encoder) error {
		return enc.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: root}})
	})
}

// write encodes v as JSON, or runs encodeXML, and sends the result. Everything
// is encoded before the status goes out, so a failure can still be a clean 500.
func write(w http.ResponseWriter, f format, status int, v any, encodeXML func(*xml.Encoder) error) {
	body, err := encode(f, v, encodeXML)
	if err != nil {
		slog.Error("open311: encode answer", "err", err)
		status, body = http.StatusInternalServerError, []byte(internalError[f])
	}
	if f == formatXML {
		w.Header().Set("Content-Type", mediaXML)
	} else {
		w.Header().Set("Content-Type", mediaJSON)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// internalError is the 500 answer in each format, for when encoding failed.
var internalError = map[format]string{
	formatJSON: `[{"code":500,"description":"internal error"}]` + "\n",
	formatXML:  xml.Header + "<errors><error><code>500</code><description>internal error</description></error></errors>\n",
}

func encode(f format, v any, encodeXML func(*xml.Encoder) error) ([]byte, error) {
	var b bytes.Buffer
	if f != formatXML {
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // URLs are full of &
		err := enc.Encode(v)
		return b.Bytes(), err
	}
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := encodeXML(enc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// writeError answers err: a failure as it says, anything else as a 500 whose
// details stay in the log.
func writeError(w http.ResponseWriter, r *http.Request, f format, err error) {
	var fl failure
	if (!errors.As(err, &fl) || len(fl) == 0) && respond.Cancelled(w, r, err) {
		return
	}
	if len(fl) == 0 {
		// a database outage or a deadline is a 503 with Retry-After, as elsewhere
		e := respond.Classify(err)
		if e.Status == http.StatusInternalServerError {
			slog.Error("open311: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		respond.SetRetryAfter(w, e.RetryAfter)
		fl = fail(e.Status, "%s", e.Message)
	}
	writeList(w, f, fl.status(), "errors", "error", fl)
}
