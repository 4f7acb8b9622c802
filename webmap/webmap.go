// Package webmap is the browser app — the command-center wall, the grid manager's
// workspace and the planner's reports — built from npm packages into dist/ by
// `make build` and embedded in the binary.
package webmap

import (
	"bytes"
	"embed"
	"html"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// Pages maps each page path to its HTML file in dist/.
var Pages = map[string]string{
	"/":        "index.html",
	"/wall":    "wall.html",
	"/grid":    "grid.html",
	"/planner": "planner.html",
	"/tasks":   "tasks.html",
	"/review":  "review.html",
}

// Options tune what the pages may reach.
type Options struct {
	// ConnectOrigins are the origins besides this one that the pages (and
	// MapLibre's worker) fetch from: the configured basemap style's.
	ConnectOrigins []string
	// Timezone is the IANA name of the city's time zone, written into each page
	// as <html data-city-tz>: the pages count "today" from its midnight.
	Timezone string
}

// Handler serves the pages and their assets. Assets carry content hashes in their
// names only for chunks, so they are cached briefly; pages are always revalidated.
// Everything it serves carries the pages' Content-Security-Policy (Policy): the
// assets too, since MapLibre's worker script runs under the policy of its own
// answer.
func Handler(opt Options) http.Handler {
	sub, _ := fs.Sub(dist, "dist")
	assets := http.FileServerFS(sub)
	tz := html.EscapeString(opt.Timezone)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", Policy(r.Host, opt.ConnectOrigins))
		if strings.HasPrefix(r.URL.Path, "/assets/") {
			w.Header().Set("Cache-Control", "public, max-age=300")
			assets.ServeHTTP(w, r)
			return
		}
		page, ok := Pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		body, err := fs.ReadFile(sub, page)
		if err != nil {
			http.Error(w, "the web map is not built: run make build", http.StatusServiceUnavailable)
			return
		}
		if tz != "" {
			body = bytes.Replace(body, []byte("<html "), []byte(`<html data-city-tz="`+tz+`" `), 1)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(body)
	})
}

// Assets lists the paths of the files the pages load (/assets/…), for tests
// that walk everything served.
func Assets() ([]string, error) {
	var paths []string
	err := fs.WalkDir(dist, "dist/assets", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			paths = append(paths, strings.TrimPrefix(p, "dist"))
		}
		return err
	})
	return paths, err
}
