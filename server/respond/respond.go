// Package respond writes JSON answers and the error shape that every citymap
// endpoint shares: {"error": {"code", "message", "fields"}}.
package respond

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"citymap/invalid"
)

// Error is the machine-readable error body.
type Error struct {
	Status  int               `json:"-"`
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	// RetryAfter, when set, goes out as the Retry-After header: the answer
	// is about a passing condition (overload, an outage), not the request.
	RetryAfter time.Duration `json:"-"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf builds an error answer.
func Errorf(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// Field builds a 400 answer that names the offending field.
func Field(field, code, message string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Message: message,
		Fields: map[string]string{field: message}}
}

// Invalid is the answer to input refused by any layer: a 400, or a 422 for
// input well formed but refused by what it meets, that names the field. A
// code left empty (the geometry checks leave it to their caller) is
// "invalid".
func Invalid(in *invalid.Error) *Error {
	e := &Error{Status: http.StatusBadRequest, Code: in.Code, Message: in.Message}
	if in.Unprocessable {
		e.Status = http.StatusUnprocessableEntity
	}
	if e.Code == "" {
		e.Code = "invalid"
	}
	if in.Field != "" {
		e.Fields = map[string]string{in.Field: in.Message}
	}
	return e
}

// JSON writes v with the given status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.Debug("write response", "err", err)
	}
}

// RawJSON writes an already encoded JSON body.
func RawJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// Unavailable builds a 503 answer that tells the client when to try again.
func Unavailable(code, message string, retryAfter time.Duration) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: code, Message: message, RetryAfter: retryAfter}
}

// StatusClientClosed is what the request log and metrics record for a request
// whose client went away before its answer (nginx's 499): nobody reads it.
const StatusClientClosed = 499

// Fail writes err as the error body: an *Error as it says (wrapped ones too),
// an *invalid.Error as Invalid renders it, a database outage or a query past
// its deadline as a 503 with Retry-After (Classify), anything else as a 500
// whose details stay in the log. A request its client cancelled (MapLibre
// cancels the tiles of every pan) is no error: it is recorded as 499, with
// nothing written and no error logged (Cancelled) — unless err says already
// what to answer (a body cut off by the read deadline is a 408).
func Fail(w http.ResponseWriter, r *http.Request, err error) {
	if Cancelled(w, r, err) {
		return
	}
	e := Classify(err)
	switch {
	case e.Status == http.StatusInternalServerError:
		slog.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	case !isError(err):
		slog.Warn("request failed", "method", r.Method, "path", r.URL.Path, "code", e.Code, "err", err)
	}
	SetRetryAfter(w, e.RetryAfter)
	JSON(w, e.Status, map[string]*Error{"error": e})
}

// isError reports whether err says itself what to answer.
func isError(err error) bool {
	var e *Error
	var in *invalid.Error
	return errors.As(err, &e) || errors.As(err, &in)
}

// SetRetryAfter sets the Retry-After header in whole seconds (at least one);
// zero leaves it out.
func SetRetryAfter(w http.ResponseWriter, d time.Duration) {
	if d <= 0 {
		return
	}
	w.Header().Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
}

// Common answers.
var (
	ErrNotFound     = Errorf(http.StatusNotFound, "not_found", "no such resource")
	ErrUnauthorized = Errorf(http.StatusUnauthorized, "unauthorized", "a valid bearer token is required")
	ErrForbidden    = Errorf(http.StatusForbidden, "forbidden", "this token may not do that")
	ErrInternal     = Errorf(http.StatusInternalServerError, "internal", "internal error")
)
