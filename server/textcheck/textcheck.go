// Package textcheck holds the rules for text that clients write: no NUL (which
// PostgreSQL text cannot hold) and valid UTF-8 everywhere, the pattern of the
// codes of points and parking zones, and the lengths of the free-text columns
// of mapped objects. Both writers of those objects, OGC API – Features Part 4
// and citymap import, check with it; migration 0016 enforces the same in the
// database. Each check returns what is wrong, "" when nothing is, for the
// caller to put in its own error shape.
package textcheck

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Problem says what is wrong with s as text.
func Problem(s string) string {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return "contains a NUL character"
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	}
	return ""
}

// MaxCode is the length of the longest code of a point or parking zone.
const MaxCode = 64

// codePattern is what a code may be: it appears in URLs (/ogc/.../items/CODE)
// and file names of exports, so no slashes, spaces, percent signs or dots at
// the start. Migration 0016 has the same pattern.
var codePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// Code says what is wrong with the code of a point or parking zone.
func Code(code string) string {
	switch {
	case code == "":
		return "must not be empty"
	case len(code) > MaxCode:
		return fmt.Sprintf("has %d characters, at most %d are allowed", len(code), MaxCode)
	case !codePattern.MatchString(code) || strings.Contains(code, ".."):
		return "may hold only letters A–Z, digits and . _ - (starting with a letter or digit, no \"..\")"
	}
	return ""
}

// Lengths of free text, in characters.
const (
	MaxName    = 200
	MaxAddress = 500
	MaxPerson  = 100 // a unit, a person, an operator: a name, not a note
	MaxPhone   = 50
)

// columnLimits are the free-text columns of points, parking zones and areas
// with their lengths.
var columnLimits = map[string]int{
	"name": MaxName, "address": MaxAddress, "unit": MaxName, "person": MaxPerson, "phone": MaxPhone,
	"operator": MaxName, "manager": MaxPerson, "manager_phone": MaxPhone,
}

// Column says what is wrong with v as the value of a free-text column of a
// mapped object (name, address, unit, person, phone, operator, manager,
// manager_phone); other columns are checked as text only.
func Column(column, v string) string {
	if p := Problem(v); p != "" {
		return p
	}
	if max, ok := columnLimits[column]; ok {
		if n := utf8.RuneCountInString(v); n > max {
			return fmt.Sprintf("has %d characters, at most %d are allowed", n, max)
		}
	}
	return ""
}

// TooLong reports whether a problem is one of length, for callers that answer
// those with their own code.
func TooLong(problem string) bool { return strings.HasPrefix(problem, "has ") }
