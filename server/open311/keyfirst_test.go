package open311_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"citymap/server/access"
)

// A POST whose key is only in its form is read under a smaller limit than one
// whose key came first, outside the body, and was checked before the body.
func TestKeyFirstLimits(t *testing.T) {
	e := newEnv(t)
	key := e.Tokens[access.Reporter]
	form := func() url.Values {
		return url.Values{"service_code": {"noise"}, "description": {strings.Repeat("x", 100<<10)}}
	}
	cases := []struct {
		name     string
		path     string
		headers  []string
		inForm   bool
		tooLarge bool
	}{
		{"key in the form", "/open311/v2/requests.json", nil, true, true},
		{"key in the query", "/open311/v2/requests.json?api_key=" + url.QueryEscape(key), nil, false, false},
		{"bearer header", "/open311/v2/requests.json", []string{"Authorization", "Bearer " + key}, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := form()
			if c.inForm {
				f.Set("api_key", key)
			}
			r := e.Call("POST", c.path, "", f, c.headers...)
			if got := r.Status == http.StatusRequestEntityTooLarge; got != c.tooLarge {
				t.Errorf("status %d %s; want 413: %v", r.Status, r.Body, c.tooLarge)
			}
			if c.tooLarge && !strings.Contains(string(r.Body), "65536") {
				t.Errorf("the refusal does not name the limit: %s", r.Body)
			}
		})
	}
}
