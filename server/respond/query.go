package respond

import (
	"fmt"
	"net/url"
	"strings"
)

// List reads a query parameter given as comma-separated values (or repeated),
// answering a value that valid refuses with a 400 naming the parameter.
func List(q url.Values, name string, valid func(string) bool) ([]string, error) {
	var out []string
	for _, v := range q[name] {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			if !valid(s) {
				return nil, Field(name, "invalid", fmt.Sprintf("unknown %s %q", name, s))
			}
			out = append(out, s)
		}
	}
	return out, nil
}
