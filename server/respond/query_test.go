package respond

import (
	"errors"
	"net/url"
	"slices"
	"testing"
)

func TestList(t *testing.T) {
	known := func(s string) bool { return s == "open" || s == "closed" }
	cases := []struct {
		query string
		want  []string
		bad   bool
	}{
		{"", nil, false},
		{"status=open", []string{"open"}, false},
		{"status=open,%20closed,", []string{"open", "closed"}, false},
		{"status=open&status=closed", []string{"open", "closed"}, false},
		{"status=open,lost", nil, true},
	}
	for _, c := range cases {
		q, _ := url.ParseQuery(c.query)
		got, err := List(q, "status", known)
		var e *Error
		if c.bad {
			if !errors.As(err, &e) || e.Status != 400 || e.Fields["status"] == "" {
				t.Errorf("%q: error %v, want a 400 naming status", c.query, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%q: %v %v, want %v", c.query, got, err, c.want)
		}
	}
}
