package respond

import (
	"fmt"
	"net/url"
	"slices"
)

// KnownParams refuses query parameters an endpoint does not know, naming the
// first it meets: a misspelt filter silently ignored would answer with the
// wrong rows.
func KnownParams(q url.Values, known ...string) error {
	for name := range q {
		if !slices.Contains(known, name) {
			return Field(name, "unknown_parameter", fmt.Sprintf("unknown parameter %q", name))
		}
	}
	return nil
}
