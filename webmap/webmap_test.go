package webmap

import (
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestPagesHaveNoInlineCode: the pages' CSP allows scripts and style sheets from
// files only, so the HTML must hold no inline script, handler attribute,
// javascript: URL or <style> element.
var scriptTag = regexp.MustCompile(`(?i)<script[^>]*>`)

func TestPagesHaveNoInlineCode(t *testing.T) {
	inline := map[string]*regexp.Regexp{
		"inline script":     regexp.MustCompile(`(?i)<script(\s[^>]*)?>\s*[^<\s]`),
		"handler attribute": regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`),
		"javascript: URL":   regexp.MustCompile(`(?i)javascript:`),
		"style element":     regexp.MustCompile(`(?i)<style`),
	}
	pages, _ := filepath.Glob("src/*.html")
	if len(pages) != len(Pages) {
		t.Fatalf("src holds %d pages, Pages %d", len(pages), len(Pages))
	}
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for what, re := range inline {
			if m := re.Find(b); m != nil {
				t.Errorf("%s: %s: %s", p, what, m)
			}
		}
		for _, tag := range scriptTag.FindAll(b, -1) {
			if !strings.Contains(string(tag), " src=") {
				t.Errorf("%s: a script without src: %s", p, tag)
			}
		}
	}
}

// TestNoHTMLSinks: no page code turns a string into HTML. Names, addresses and
// descriptions come from the server and may hold markup, so the pages build
// elements and set text (lib/dom.js says how).
func TestNoHTMLSinks(t *testing.T) {
	sinks := regexp.MustCompile(`\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|\.setHTML\(|document\.write|createContextualFragment|DOMParser|srcdoc|formatter:\s*(\([^)]*\)|\w+)\s*=>\s*` + "`")
	err := filepath.WalkDir("src", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "//") {
				continue // a comment may name them
			}
			if m := sinks.FindString(line); m != "" {
				t.Errorf("%s:%d: %s — build elements (h, textContent, setDOMContent) instead", p, i+1, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPolicy(t *testing.T) {
	cases := []struct {
		host    string
		connect []string
		want    string // connect-src
	}{
		{"citymap.example.gov.cn", nil, "connect-src 'self' ws://citymap.example.gov.cn wss://citymap.example.gov.cn"},
		{"127.0.0.1:8080", []string{"https://tiles.example.com"}, "connect-src 'self' ws://127.0.0.1:8080 wss://127.0.0.1:8080 https://tiles.example.com"},
		{"[::1]:8080", nil, "connect-src 'self' ws://[::1]:8080 wss://[::1]:8080"},
		// a crafted Host or origin adds nothing to the policy
		{"evil.example; script-src *", nil, "connect-src 'self';"},
		{"a.example", []string{"https://x.example; script-src *", "*"}, "connect-src 'self' ws://a.example wss://a.example;"},
	}
	for _, c := range cases {
		p := Policy(c.host, c.connect)
		if !strings.Contains(p+";", c.want) {
			t.Errorf("Policy(%q, %q) = %q, want %q", c.host, c.connect, p, c.want)
		}
		if strings.Count(p, "script-src") != 1 || !strings.Contains(p, "script-src 'self';") || strings.Contains(p, "unsafe-eval") {
			t.Errorf("Policy(%q): scripts %q", c.host, p)
		}
	}
}

func TestOrigin(t *testing.T) {
	cases := map[string]string{
		"https://tiles.example.com/styles/city/style.json": "https://tiles.example.com",
		"http://10.0.0.5:8081/style.json?key=1":            "http://10.0.0.5:8081",
		"https://user:pw@tiles.example.com/s.json":         "https://tiles.example.com",
		"/style.json":                 "",
		"":                            "",
		"file:///etc/style.json":      "",
		"https://bad host/style.json": "",
	}
	for in, want := range cases {
		if got := Origin(in); got != want {
			t.Errorf("Origin(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPagesCarryTheCityZone: each page names the city's time zone on <html>
// (the pages count "today" from its midnight), escaped, and only when set.
func TestPagesCarryTheCityZone(t *testing.T) {
	if _, err := fs.Stat(dist, "dist/wall.html"); err != nil {
		t.Skip("the web map is not built (make build)")
	}
	for _, c := range []struct{ zone, want string }{
		{"Asia/Urumqi", `<html data-city-tz="Asia/Urumqi" lang=`},
		{`x"><script>`, `<html data-city-tz="x&#34;&gt;&lt;script&gt;" lang=`},
		{"", `<html lang=`},
	} {
		for path := range Pages {
			rec := httptest.NewRecorder()
			Handler(Options{Timezone: c.zone}).ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
			if body := rec.Body.String(); !strings.Contains(body, c.want) {
				t.Errorf("zone %q, %s: no %s in %.80s", c.zone, path, c.want, body)
			}
		}
	}
}
