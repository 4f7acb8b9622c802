package tiles_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"citymap/server/access"
	"citymap/server/tiles"
)

type styleDoc struct {
	Version  int       `json:"version"`
	Glyphs   string    `json:"glyphs"`
	Sprite   string    `json:"sprite"`
	Center   []float64 `json:"center"`
	Metadata struct {
		Basemap []string `json:"citymap:basemap"`
	} `json:"metadata"`
	Sources map[string]map[string]any `json:"sources"`
	Layers  []struct {
		ID          string         `json:"id"`
		Type        string         `json:"type"`
		Source      string         `json:"source"`
		SourceLayer string         `json:"source-layer"`
		Paint       map[string]any `json:"paint"`
	} `json:"layers"`
}

// TestStyle checks that the style draws every tile layer from its TileJSON,
// in both themes, with nothing to load from elsewhere.
func TestStyle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, cached)
	tok := e.Tokens[access.Viewer]
	backgrounds := map[string]bool{}
	for _, theme := range []string{"", "light", "dark"} {
		var s styleDoc
		e.getJSON("/style.json?theme="+theme, tok, &s)
		if s.Version != 8 || s.Glyphs != "" || s.Sprite != "" || len(s.Center) != 2 {
			t.Errorf("theme %q: version %d, glyphs %q, sprite %q, center %v", theme, s.Version, s.Glyphs, s.Sprite, s.Center)
		}
		drawn := map[string]bool{}
		for _, l := range s.Layers {
			if l.Type == "background" {
				backgrounds[l.Paint["background-color"].(string)] = true
				continue
			}
			if l.Type == "symbol" {
				t.Errorf("theme %q: %s needs glyphs", theme, l.ID)
			}
			if l.SourceLayer != l.Source || s.Sources[l.Source] == nil {
				t.Errorf("theme %q: layer %s draws %s/%s", theme, l.ID, l.Source, l.SourceLayer)
			}
			drawn[l.Source] = true
		}
		for _, name := range []string{"areas", "grids", "points", "parking", "issues"} {
			src := s.Sources[name]
			if src["type"] != "vector" || src["url"] != e.URL+"/tiles/"+name+".json" || !drawn[name] {
				t.Errorf("theme %q: source %s %v, drawn %v", theme, name, src, drawn[name])
			}
		}
	}
	if len(backgrounds) != 2 {
		t.Errorf("backgrounds %v: the themes should differ", backgrounds)
	}
}

// TestBasemap puts a configured basemap under the city's layers.
func TestBasemap(t *testing.T) {
	t.Parallel()
	base := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/styles/base/style.json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"version": 8, "name": "base",
			"glyphs": "fonts/{fontstack}/{range}.pbf", "sprite": "/sprites/base",
			"sources": {
				"land": {"type": "raster", "tiles": ["tiles/{z}/{x}/{y}.png"], "tileSize": 256},
				"points": {"type": "vector", "url": "https://other.example/points.json"}},
			"layers": [
				{"id": "base-bg", "type": "background", "paint": {"background-color": "#000"}},
				{"id": "land", "type": "raster", "source": "land"},
				{"id": "pois", "type": "circle", "source": "points", "source-layer": "poi"}]}`))
	}))
	t.Cleanup(base.Close)
	e := newEnv(t, tiles.Config{CacheBytes: 1 << 20, BasemapStyle: base.URL + "/styles/base/style.json"})
	var s styleDoc
	e.getJSON("/style.json", e.Tokens[access.Viewer], &s)
	if len(s.Layers) < 4 || s.Layers[0].ID != "base-bg" || s.Layers[1].ID != "land" || s.Layers[2].ID != "pois" {
		t.Fatalf("the basemap's layers do not come first: %+v", s.Layers[:min(4, len(s.Layers))])
	}
	if s.Layers[2].Source != "basemap-points" || s.Sources["basemap-points"] == nil {
		t.Errorf("the basemap's clashing source: layer draws %q, sources %v", s.Layers[2].Source, s.Sources)
	}
	if s.Sources["points"]["url"] != e.URL+"/tiles/points.json" {
		t.Errorf("citymap's points source is %v", s.Sources["points"])
	}
	tilesURL := s.Sources["land"]["tiles"].([]any)[0]
	if tilesURL != base.URL+"/styles/base/tiles/{z}/{x}/{y}.png" || s.Glyphs != base.URL+"/styles/base/fonts/{fontstack}/{range}.pbf" ||
		s.Sprite != base.URL+"/sprites/base" {
		t.Errorf("relative URLs: tiles %v, glyphs %s, sprite %s", tilesURL, s.Glyphs, s.Sprite)
	}
	for _, l := range s.Layers[1:] {
		if l.Type == "background" {
			t.Errorf("a second background %s hides the basemap", l.ID)
		}
	}

	// a basemap that does not answer leaves the city on its own background
	down := newEnv(t, tiles.Config{BasemapStyle: base.URL + "/missing.json"})
	var plain styleDoc
	down.getJSON("/style.json", down.Tokens[access.Viewer], &plain)
	if len(plain.Layers) == 0 || plain.Layers[0].Type != "background" || !strings.HasPrefix(plain.Layers[0].ID, "citymap-") {
		t.Errorf("without its basemap the style starts with %+v", plain.Layers[0])
	}
}
