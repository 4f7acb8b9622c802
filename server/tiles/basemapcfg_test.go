package tiles_test

import (
	"slices"
	"strings"
	"testing"

	"citymap/server/access"
	"citymap/server/tiles"
)

// TestParseBasemap reads each kind of basemap setting, and refuses what would
// draw citymap's layers off the map (a shifted datum) or cannot work.
func TestParseBasemap(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		spec, key string
		style     string
		layers    []string // the raster layers' ids
		origins   int      // distinct origins the pages may fetch from
		err       string   // part of the refusal
	}{
		{spec: "", origins: 0},
		{spec: "none", origins: 0},
		{spec: "tianditu-vec", key: "k1", layers: []string{"basemap-tianditu-vec", "basemap-tianditu-cva"}, origins: 8},
		{spec: "tianditu-img", key: "k1", layers: []string{"basemap-tianditu-img", "basemap-tianditu-cia"}, origins: 8},
		{spec: "tianditu-vec", err: "天地图 key"},
		{spec: "xyz:https://tiles.example.org/{z}/{x}/{y}.png", layers: []string{"basemap-xyz"}, origins: 1},
		{spec: "xyz:https://tiles.example.org/{z}/{x}.png", err: "has no {y}"},
		{spec: "xyz:ftp://tiles.example.org/{z}/{x}/{y}.png", err: "not an http(s) URL"},
		{spec: "style:https://maps.example.org/style.json", style: "https://maps.example.org/style.json", origins: 1},
		{spec: "xyz:https://webrd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}&style=8", err: "GCJ-02"},
		{spec: "style:https://webapi.amap.com/style.json", err: "AMap"},
		{spec: "xyz:https://maponline0.bdimg.com/tile/?x={x}&y={y}&z={z}", err: "BD-09"},
		{spec: "xyz:https://rt0.map.gtimg.com/tile?z={z}&x={x}&y={y}", err: "Tencent"},
		{spec: "google", err: "not a basemap"},
	} {
		style, raster, err := tiles.ParseBasemap(c.spec, c.key)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want one saying %q", c.spec, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.spec, err)
			continue
		}
		var ids []string
		for _, l := range raster {
			ids = append(ids, l.ID)
			for _, u := range l.Tiles {
				if strings.HasPrefix(c.spec, "tianditu") && (!strings.Contains(u, "tk="+c.key) || !strings.Contains(u, "TILEMATRIX={z}&TILEROW={y}&TILECOL={x}")) {
					t.Errorf("%q: tile URL %s", c.spec, u)
				}
			}
		}
		if style != c.style || !slices.Equal(ids, c.layers) {
			t.Errorf("%q: style %q, layers %v; want %q, %v", c.spec, style, ids, c.style, c.layers)
		}
		cfg := tiles.Config{BasemapStyle: style, BasemapRaster: raster}
		if o := cfg.BasemapOrigins(); len(o) != c.origins {
			t.Errorf("%q: origins %v, want %d", c.spec, o, c.origins)
		}
	}
}

// TestRasterBasemap draws 天地图's two layers under citymap's, dimmed on the
// dark theme, and names them as the basemap's in the style's metadata.
func TestRasterBasemap(t *testing.T) {
	t.Parallel()
	_, raster, err := tiles.ParseBasemap("tianditu-img", "key")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, tiles.Config{BasemapRaster: raster})
	for _, theme := range []string{"light", "dark"} {
		var s styleDoc
		e.getJSON("/style.json?theme="+theme, e.Tokens[access.Viewer], &s)
		if len(s.Layers) < 3 || s.Layers[0].ID != "basemap-tianditu-img" || s.Layers[1].ID != "basemap-tianditu-cia" || s.Layers[0].Type != "raster" {
			t.Fatalf("%s: the basemap does not come first: %+v", theme, s.Layers[:3])
		}
		src := s.Sources["basemap-tianditu-img"]
		if src["type"] != "raster" || len(src["tiles"].([]any)) != 8 || src["tileSize"] != 256.0 {
			t.Errorf("%s: source %v", theme, src)
		}
		if dimmed := s.Layers[0].Paint["raster-brightness-max"] != nil; dimmed != (theme == "dark") {
			t.Errorf("%s: paint %v", theme, s.Layers[0].Paint)
		}
		for _, l := range s.Layers[2:] {
			if l.Type == "background" {
				t.Errorf("%s: a background %s hides the basemap", theme, l.ID)
			}
		}
		meta := s.Metadata.Basemap
		if !slices.Equal(meta, []string{"basemap-tianditu-cia", "basemap-tianditu-img"}) {
			t.Errorf("%s: metadata names %v as the basemap", theme, meta)
		}
	}
}
