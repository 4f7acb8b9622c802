package server_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"citymap/server"
	"citymap/server/access"
	"citymap/server/apitest"
	"citymap/server/tiles"
	"citymap/webmap"
)

// secure are the headers every answer carries.
var secure = map[string]string{
	"X-Content-Type-Options": "nosniff",
	"X-Frame-Options":        "DENY",
	"Referrer-Policy":        "no-referrer",
}

// TestSecurityHeaders walks every page and asset of the web map and a sample of
// every other kind of answer (JSON, GeoJSON, CSV, errors, the style, the
// metrics, the OGC API's HTML page) and checks their security headers: the
// pages' strict policy on the pages and assets, the API's on the rest.
func TestSecurityHeaders(t *testing.T) {
	assets, err := webmap.Assets()
	if err != nil {
		t.Fatal(err)
	}
	if len(assets) == 0 {
		if os.Getenv("CITYMAP_REQUIRE_BROWSER") != "" {
			t.Fatal("the web map is not built (make build)")
		}
		t.Skip("the web map is not built (make build)")
	}
	basemap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"version": 8, "sources": {}, "layers": []}`))
	}))
	t.Cleanup(basemap.Close)
	e := apitest.NewWith(t, server.Config{Tiles: tiles.Config{BasemapStyle: basemap.URL + "/styles/city.json"}})
	host := strings.TrimPrefix(e.URL, "http://")

	pages := []string{}
	for p := range webmap.Pages {
		pages = append(pages, p)
	}
	for _, p := range append(pages, assets...) {
		r := e.Must(http.StatusOK, "GET", p, "", nil)
		checkSecure(t, p, r)
		csp := directives(t, p, r.Header.Get("Content-Security-Policy"))
		for name, want := range map[string]string{
			"default-src":     "'self'",
			"script-src":      "'self'",
			"style-src":       "'self'",
			"style-src-attr":  "'unsafe-inline'",
			"img-src":         "'self' data: blob: " + basemap.URL,
			"connect-src":     "'self' ws://" + host + " wss://" + host + " " + basemap.URL,
			"worker-src":      "'self'",
			"object-src":      "'none'",
			"base-uri":        "'none'",
			"form-action":     "'self'",
			"frame-ancestors": "'none'",
		} {
			if csp[name] != want {
				t.Errorf("%s: %s %q, want %q", p, name, csp[name], want)
			}
		}
	}

	for _, c := range []struct {
		method, path, role string
		status             int
	}{
		{"GET", "/healthz", "", http.StatusOK},
		{"GET", "/readyz", "", http.StatusOK},
		{"GET", "/metrics", "", http.StatusOK},
		{"GET", "/api/v1/me", access.Viewer, http.StatusOK},
		{"GET", "/api/v1/me", "", http.StatusUnauthorized},
		{"GET", "/api/v1/issues?limit=1", access.Viewer, http.StatusOK},
		{"GET", "/api/v1/photos/0123456789abcdef0123456789abcdef", access.Viewer, http.StatusNotFound},
		{"POST", "/api/v1/issues", access.Admin, http.StatusBadRequest},
		{"GET", "/api/v1/reports/areas?level=street&format=csv", access.Planner, http.StatusOK},
		{"GET", "/api/v1/points/overdue?format=geojson", access.Planner, http.StatusOK},
		{"GET", "/ogc", access.Viewer, http.StatusOK},
		{"GET", "/ogc/collections/areas/items?limit=1", access.Viewer, http.StatusOK},
		{"GET", "/style.json", access.Viewer, http.StatusOK},
		{"GET", "/open311/v2/services.json", "", http.StatusOK},
		{"GET", "/no/such/path", "", http.StatusNotFound},
		{"GET", "/assets/no-such.js", "", http.StatusNotFound},
	} {
		r := e.Must(c.status, c.method, c.path, c.role, map[string]any{})
		checkSecure(t, c.path, r)
		want := "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
		if strings.HasPrefix(c.path, "/assets/") {
			want = webmap.Policy(host, []string{basemap.URL})
		}
		if got := r.Header.Get("Content-Security-Policy"); got != want {
			t.Errorf("%s %s: Content-Security-Policy %q, want %q", c.method, c.path, got, want)
		}
	}

	// the OGC API's HTML page: its style sheet by its hash, nothing else
	r := e.Must(http.StatusOK, "GET", "/ogc/api.html", access.Viewer, nil)
	checkSecure(t, "/ogc/api.html", r)
	style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindSubmatch(r.Body)
	if style == nil {
		t.Fatalf("/ogc/api.html has no style sheet:\n%s", r.Body)
	}
	sum := sha256.Sum256(style[1])
	csp := directives(t, "/ogc/api.html", r.Header.Get("Content-Security-Policy"))
	if csp["default-src"] != "'none'" || csp["style-src"] != "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'" ||
		csp["frame-ancestors"] != "'none'" {
		t.Errorf("/ogc/api.html: policy %v", csp)
	}
}

func checkSecure(t *testing.T, path string, r apitest.Reply) {
	t.Helper()
	for k, want := range secure {
		if got := r.Header.Get(k); got != want {
			t.Errorf("%s: %s %q, want %q", path, k, got, want)
		}
	}
}

// directives splits a policy into its directives, each present once.
func directives(t *testing.T, path, policy string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, d := range strings.Split(policy, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		if _, dup := out[name]; dup {
			t.Errorf("%s: %s twice in %q", path, name, policy)
		}
		out[name] = value
	}
	return out
}
