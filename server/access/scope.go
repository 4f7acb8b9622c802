package access

import (
	"fmt"
	"slices"
	"strings"
)

// Scope is the areas a token is limited to: area codes of any level, each
// covering every code it prefixes (they nest by prefix: district 6 digits,
// street 9, community 12, grid 14). An empty scope is the whole city.
type Scope []string

// Covers reports whether the scope includes the area with this code.
func (s Scope) Covers(code string) bool {
	if len(s) == 0 {
		return true
	}
	for _, a := range s {
		if strings.HasPrefix(code, a) {
			return true
		}
	}
	return false
}

// Touches reports whether the area with this code lies in the scope or
// above one of its areas (Covers, or ContainsSQL in Go).
func (s Scope) Touches(code string) bool {
	return s.Covers(code) || slices.ContainsFunc(s, func(a string) bool { return strings.HasPrefix(a, code) })
}

// CoversPtr is Covers for a code that may be missing (nil: outside every
// area, so in no scope but the whole city).
func (s Scope) CoversPtr(code *string) bool {
	if code == nil {
		return len(s) == 0
	}
	return s.Covers(*code)
}

// Patterns is the scope as SQL's parameter: one LIKE pattern per code
// (wildcards escaped, although area codes are digits), never nil, so that it
// encodes as an empty array rather than NULL.
func (s Scope) Patterns() []string {
	out := make([]string, len(s))
	for i, a := range s {
		out[i] = likeEscaper.Replace(a) + "%"
	}
	return out
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// SQL is Covers in SQL: the condition that the area code in column col lies
// in the scope whose Patterns are the text[] parameter param. It is true for
// every row when the scope is empty and false (not NULL) for a NULL code.
//
// LIKE ANY over the patterns, not EXISTS over unnest with starts_with: on the
// test city's 52,000 issues a community's scope reads the grid index
// (text_pattern_ops) in 7–11 ms as a filter, against 25–59 ms for a subplan
// run per row (neither form gives the index a range, having an array).
func SQL(col, param string) string {
	return fmt.Sprintf("(cardinality(%[2]s::text[]) = 0 OR coalesce(%[1]s LIKE ANY (%[2]s::text[]), false))", col, param)
}

// ContainsSQL is the condition that the area code in column col lies above
// one of the scope's areas (contains it), for the text[] parameter param
// holding the scope's codes themselves: a map that draws a grid manager's
// grids also draws the street and district around them.
func ContainsSQL(col, param string) string {
	return fmt.Sprintf("EXISTS (SELECT 1 FROM unnest(%[2]s::text[]) AS scope(area) WHERE starts_with(scope.area, %[1]s))", col, param)
}
