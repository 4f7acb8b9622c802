// Package respond writes JSON answers and the error shape that every citymap
// endpoint shares: {"error": {"code", "message", "fields"}}.
package respond

import (
	"encoding/json"
	"log/slog"
	"net/http"
)

// Error is the machine-readable error body.
type Error struct {
	Status  int               `json:"-"`
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
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

// Fail writes err as the error body: an *Error as it says, anything else as a 500
// whose details stay in the log.
func Fail(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := err.(*Error)
	if !ok {
		slog.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		e = Errorf(http.StatusInternalServerError, "internal", "internal error")
	}
	JSON(w, e.Status, map[string]*Error{"error": e})
}

// Common answers.
var (
	ErrNotFound     = Errorf(http.StatusNotFound, "not_found", "no such resource")
	ErrUnauthorized = Errorf(http.StatusUnauthorized, "unauthorized", "a valid bearer token is required")
	ErrForbidden    = Errorf(http.StatusForbidden, "forbidden", "this token may not do that")
)
