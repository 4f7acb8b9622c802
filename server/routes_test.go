package server_test

import (
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"citymap/server/access"
	"citymap/server/apitest"
	"citymap/server/routes"
)

var update = flag.Bool("update", false, "rewrite testdata/routes.golden from the served routes")

const routesGolden = "testdata/routes.golden"

// TestRoutes lists every served pattern with who may call it and its limit
// class against testdata/routes.golden, so that a change to the public
// surface shows in review (go test ./server -run TestRoutes -update rewrites
// it); then it calls every route that needs a role with a token of each role
// it does not name, and every token route without a token, and wants them
// refused.
func TestRoutes(t *testing.T) {
	e := apitest.New(t)
	table := e.Server.RouteTable()
	var b strings.Builder
	b.WriteString("# pattern\twho may call it\tlimit class (go test ./server -run TestRoutes -update)\n")
	for _, r := range table {
		b.WriteString(r.String() + "\n")
	}
	if *update {
		if err := os.WriteFile(routesGolden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(routesGolden)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("the served routes differ from %s (rerun with -update and review the diff):\n%s", routesGolden, got)
	}
	refused := 0
	for _, r := range table {
		if r.Auth != routes.Token {
			continue
		}
		method, path := requestFor(r.Pattern)
		if got := e.Call(method, path, "", nil); got.Status != http.StatusUnauthorized {
			t.Errorf("%s without a token: %d, want 401", r.Pattern, got.Status)
		}
		if len(r.Roles) == 0 {
			continue
		}
		for _, role := range access.Roles {
			if slices.Contains(r.Roles, role) {
				continue
			}
			got := e.Call(method, path, role, nil)
			var body struct {
				Error struct{ Code string }
			}
			_ = json.Unmarshal(got.Body, &body)
			if got.Status != http.StatusForbidden || body.Error.Code != "forbidden" {
				t.Errorf("%s as %s: %d %s, want 403 forbidden", r.Pattern, role, got.Status, got.Body)
			}
			refused++
		}
	}
	if refused < len(table) {
		t.Errorf("only %d calls with a token of the wrong role among %d routes", refused, len(table))
	}
}

var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// requestFor is a request that pattern matches: its method (GET when it has
// none) and its path with each wildcard filled in.
func requestFor(pattern string) (method, path string) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = http.MethodGet, pattern
	}
	path = strings.ReplaceAll(path, "{$}", "")
	return method, wildcard.ReplaceAllString(path, "1")
}
