package routes

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// guard refuses every caller whose X-Role is not one of roles.
func guard(h http.Handler, roles ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(roles) > 0 && !slices.Contains(roles, r.Header.Get("X-Role")) {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func teapot(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }

func TestTable(t *testing.T) {
	tb := New(guard)
	big := func(r *http.Request) string {
		if r.ContentLength > 10 {
			return "heavy"
		}
		return "light"
	}
	tb.Add(
		For("GET /b/{id}", teapot, "medium", []string{"admin"}),
		For("POST /a", teapot, "light", nil).By(big),
		Open("GET /{$}", http.HandlerFunc(teapot), ""),
		Checked("GET /live", http.HandlerFunc(teapot), ""),
	)
	if got := tb.Patterns(); !slices.Equal(got, []string{"GET /b/{id}", "GET /live", "GET /{$}", "POST /a"}) {
		t.Errorf("patterns %v", got)
	}
	serve := func(method, target, role, body string) int {
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("X-Role", role)
		w := httptest.NewRecorder()
		tb.ServeHTTP(w, r)
		return w.Code
	}
	for _, c := range []struct {
		method, target, role string
		want                 int
	}{
		{"GET", "/b/7", "admin", http.StatusTeapot},
		{"GET", "/b/7", "viewer", http.StatusForbidden}, // the guard wraps Token routes
		{"POST", "/a", "viewer", http.StatusTeapot},     // no roles: every role
		{"GET", "/", "", http.StatusTeapot},             // public: no guard
		{"GET", "/live", "", http.StatusTeapot},         // checked by the handler
	} {
		if got := serve(c.method, c.target, c.role, ""); got != c.want {
			t.Errorf("%s %s as %q: %d, want %d", c.method, c.target, c.role, got, c.want)
		}
	}
	for _, c := range []struct{ method, target, body, class string }{
		{"GET", "/b/7", "", "medium"},
		{"HEAD", "/b/7", "", "medium"},
		{"POST", "/a", "small", "light"},
		{"POST", "/a", strings.Repeat("x", 11), "heavy"},
		{"GET", "/", "", ""},
		{"GET", "/nowhere", "", ""}, // a 404 matches no route
		{"DELETE", "/a", "", ""},    // nor does a 405
	} {
		r := httptest.NewRequest(c.method, c.target, strings.NewReader(c.body))
		if got := tb.Class(r); got != c.class {
			t.Errorf("class of %s %s (%d bytes): %q, want %q", c.method, c.target, len(c.body), got, c.class)
		}
	}
	lines := make([]string, 0, 4)
	for _, r := range tb.Routes() {
		lines = append(lines, r.String())
	}
	want := []string{
		"GET /b/{id}\tadmin\tmedium",
		"GET /live\tchecked by the handler\tunlimited",
		"GET /{$}\tpublic\tunlimited",
		"POST /a\tany role\tlight (by request)",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("route list:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}
