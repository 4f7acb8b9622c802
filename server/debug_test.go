package server_test

import (
	"bytes"
	"net/http"
	"testing"

	"citymap/server/access"
	"citymap/server/apitest"
	"citymap/server/store"
)

// TestPprofAdminOnly: Go's profiles are served to admin tokens, and to no one
// else.
func TestPprofAdminOnly(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap?debug=1", "/debug/pprof/goroutine?debug=1",
		"/debug/pprof/cmdline", "/debug/pprof/symbol"} {
		for _, role := range append(access.Roles, "") {
			want := http.StatusForbidden
			switch role {
			case access.Admin:
				want = http.StatusOK
			case "":
				want = http.StatusUnauthorized
			}
			if r := e.Call("GET", path, role, nil); r.Status != want {
				t.Errorf("GET %s as %q: %d, want %d", path, role, r.Status, want)
			}
		}
	}
	// an admin of one street sees no more of the process than of the city outside it
	e.Tokens["street admin"] = e.TokenFor(store.Token{Name: "street admin", Role: access.Admin, Areas: []string{"320282001"}})
	if r := e.Call("GET", "/debug/pprof/heap?debug=1", "street admin", nil); r.Status != http.StatusForbidden {
		t.Errorf("GET /debug/pprof/heap as a scoped admin: %d, want 403", r.Status)
	}
	if r := e.Must(http.StatusOK, "GET", "/debug/pprof/goroutine?debug=1", access.Admin, nil); !bytes.Contains(r.Body, []byte("goroutine profile:")) {
		t.Errorf("goroutine profile:\n%.300s", r.Body)
	}
}
