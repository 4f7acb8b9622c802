package respond

import (
	"errors"
	"net/url"
	"testing"
)

func TestKnownParams(t *testing.T) {
	cases := []struct {
		query string
		known []string
		bad   string // the parameter named, "" when accepted
	}{
		{"", nil, ""},
		{"a=1&b=2", []string{"a", "b", "c"}, ""},
		{"a=1&bb=2", []string{"a", "b"}, "bb"},
		{"A=1", []string{"a"}, "A"},
	}
	for _, c := range cases {
		q, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		err = KnownParams(q, c.known...)
		if c.bad == "" {
			if err != nil {
				t.Errorf("%q: %v", c.query, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Status != 400 || e.Code != "unknown_parameter" || e.Fields[c.bad] == "" {
			t.Errorf("%q: %#v, want a 400 unknown_parameter naming %s", c.query, err, c.bad)
		}
	}
}
