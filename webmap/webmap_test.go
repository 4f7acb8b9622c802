package webmap

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

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
