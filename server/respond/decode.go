package respond

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"unicode/utf8"
)

// MaxBody is the default limit of a JSON request body.
const MaxBody = 1 << 20

// Decode reads a JSON body of at most limit bytes into v, rejecting unknown fields,
// trailing data, bodies over the limit, bodies that are not UTF-8 and strings
// that are not text (NUL, see CheckDecoded) with an answer that names the
// problem.
func Decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") &&
		!strings.HasPrefix(ct, "application/geo+json") {
		return Errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "send application/json")
	}
	// read whole (json.Decoder buffers a value whole anyway) to see that it is
	// UTF-8, which the decoder would silently mend into U+FFFD
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return decodeError(err, limit, "body")
	}
	if !utf8.Valid(body) {
		return BadText("body", "is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, limit, "body")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Errorf(http.StatusBadRequest, "invalid_json", "trailing data after the JSON value")
	}
	if e := CheckDecoded(v, "body"); e != nil {
		return e
	}
	return nil
}

// DecodeItem decodes one item of a batch as strictly as Decode does a body; its
// error names the item's field, or "item" for the item as a whole.
func DecodeItem(raw json.RawMessage, v any) *Error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		e := decodeError(err, 0, "item")
		if e.Fields == nil {
			e.Fields = map[string]string{"item": e.Message}
		}
		return e
	}
	return CheckDecoded(v, "item")
}

// decodeError maps a JSON decoding error to an answer; whole names the value
// decoded when the error is about all of it.
func decodeError(err error, limit int64, whole string) *Error {
	var tooBig *http.MaxBytesError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooBig):
		return Errorf(http.StatusRequestEntityTooLarge, "body_too_large",
			fmt.Sprintf("the body is over the limit of %d bytes", limit))
	case errors.As(err, &syntax):
		return Errorf(http.StatusBadRequest, "invalid_json", fmt.Sprintf("malformed JSON at byte %d", syntax.Offset))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = whole
		}
		return Field(field, "invalid_type", fmt.Sprintf("%s must be %s", field, typ.Type))
	case errors.Is(err, os.ErrDeadlineExceeded): // the server's body deadline
		return Errorf(http.StatusRequestTimeout, "body_timeout", "the body did not arrive in time")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return Errorf(http.StatusBadRequest, "invalid_json", "the body is empty or cut short")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return Field(name, "unknown_field", fmt.Sprintf("unknown field %q", name))
	}
	return Errorf(http.StatusBadRequest, "invalid_json", err.Error())
}
