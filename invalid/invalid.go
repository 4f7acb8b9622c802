// Package invalid holds the one error every layer returns for input it
// refuses: the field that is wrong, a machine-readable code and a message for
// people. The geometry checks (geo/validate), the filter compiler, the store
// and the domain packages build it without knowing HTTP; server/respond
// renders it as {"error": {"code", "message", "fields": {field: message}}}.
package invalid

import (
	"errors"
	"fmt"
	"strings"
)

// Error says which field of an input is wrong and why.
type Error struct {
	// Field is a path into the input: "location", "questions[2].options",
	// "coordinates[0][3]"; empty means the input as a whole.
	Field string
	// Code is the machine-readable reason ("required", "unknown_unit"); the
	// geometry checks leave it empty for the caller, who knows what the
	// geometry was for, to fill in.
	Code    string
	Message string
	// Unprocessable says the input is well formed but what it meets refuses
	// it (a declaration submitted without its materials): a 422, not a 400.
	Unprocessable bool
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// Field builds an error about field.
func Field(field, code, format string, args ...any) *Error {
	return &Error{Field: field, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Prefix places an error inside an enclosing object, e.g. Prefix("location",
// err) for a geometry sent as an issue's location. An err that is no *Error
// comes back unchanged.
func Prefix(prefix string, err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	p := *e
	p.Field = joinField(prefix, e.Field)
	return &p
}

func joinField(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	case strings.HasPrefix(field, "["):
		return prefix + field
	}
	return prefix + "." + field
}
