package tiles

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"citymap/webmap"
)

// A RasterLayer is a basemap of raster tiles drawn under citymap's layers:
// 天地图's WMTS (the national map service, CGCS2000, which is WGS-84 to within
// centimetres, so citymap's layers sit on it unshifted) or any XYZ template.
type RasterLayer struct {
	ID          string   // the style source and layer, "basemap-…"
	Tiles       []string // URL templates with {z}, {x}, {y}
	Attribution string
	MaxZoom     int
}

// 天地图's Web Mercator WMTS ("_w"): a base layer and its annotation layer
// (place names) each; t0…t7 serve the same tiles.
var tianditu = map[string][2]string{
	"tianditu-vec": {"vec", "cva"}, // 矢量底图 + 矢量注记
	"tianditu-img": {"img", "cia"}, // 影像底图 + 影像注记
}

func tiandituLayer(layer, key string) RasterLayer {
	var urls []string
	for i := range 8 {
		urls = append(urls, fmt.Sprintf("https://t%d.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"+
			"&LAYER=%s&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=%s",
			i, layer, layer, url.QueryEscape(key)))
	}
	return RasterLayer{ID: "basemap-tianditu-" + layer, Tiles: urls, Attribution: "© 天地图 (tianditu.gov.cn)", MaxZoom: 18}
}

// shifted are the map services whose tiles are drawn in a shifted datum:
// GCJ-02 (China's obfuscated coordinates: AMap, Tencent, Google's China
// tiles) or Baidu's BD-09 on top of it. citymap's layers are WGS-84/CGCS2000
// and would sit hundreds of metres off on them, so they are refused.
var shifted = []struct{ host, name, datum string }{
	{"autonavi.com", "AMap (高德)", "GCJ-02"},
	{"amap.com", "AMap (高德)", "GCJ-02"},
	{"map.qq.com", "Tencent Maps (腾讯)", "GCJ-02"},
	{"gtimg.com", "Tencent Maps (腾讯)", "GCJ-02"},
	{"google.cn", "Google Maps China", "GCJ-02"},
	{"baidu.com", "Baidu Maps (百度)", "BD-09"},
	{"bdimg.com", "Baidu Maps (百度)", "BD-09"},
	{"bdstatic.com", "Baidu Maps (百度)", "BD-09"},
}

// ParseBasemap reads the basemap setting: tianditu-vec, tianditu-img (with the
// city's 天地图 key), xyz:<template>, style:<MapLibre style URL> or none
// (also ""). It returns a style URL or raster layers.
func ParseBasemap(spec, tiandituKey string) (style string, raster []RasterLayer, err error) {
	kind, arg, _ := strings.Cut(spec, ":")
	switch {
	case spec == "" || spec == "none":
		return "", nil, nil
	case tianditu[spec] != [2]string{}:
		if tiandituKey == "" {
			return "", nil, fmt.Errorf("%s needs the city's 天地图 key (--tianditu-key, env CITYMAP_TIANDITU_KEY)", spec)
		}
		l := tianditu[spec]
		return "", []RasterLayer{tiandituLayer(l[0], tiandituKey), tiandituLayer(l[1], tiandituKey)}, nil
	case kind == "xyz":
		if err := checkURL(arg, true); err != nil {
			return "", nil, err
		}
		return "", []RasterLayer{{ID: "basemap-xyz", Tiles: []string{arg}, MaxZoom: 19}}, nil
	case kind == "style":
		if err := checkURL(arg, false); err != nil {
			return "", nil, err
		}
		return arg, nil, nil
	}
	return "", nil, fmt.Errorf("%q is not a basemap: tianditu-vec, tianditu-img, xyz:<tile URL template>, style:<style URL> or none", spec)
}

// checkURL wants an http(s) URL of a service in WGS-84/CGCS2000 (and, for a
// tile template, {z}, {x} and {y}).
func checkURL(raw string, template bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", raw)
	}
	host := strings.ToLower(u.Hostname())
	for _, s := range shifted {
		if host == s.host || strings.HasSuffix(host, "."+s.host) {
			return fmt.Errorf("%s serves %s tiles, which are drawn in %s, a shifted datum: citymap's layers "+
				"(WGS-84/CGCS2000) would sit hundreds of metres off them; use tianditu-vec or tianditu-img "+
				"(CGCS2000, no shift) or a WGS-84 tile service", host, s.name, s.datum)
		}
	}
	if template {
		for _, p := range []string{"{z}", "{x}", "{y}"} {
			if !strings.Contains(raw, p) {
				return fmt.Errorf("%q has no %s: an XYZ template reads like https://host/{z}/{x}/{y}.png", raw, p)
			}
		}
	}
	return nil
}

// BasemapOrigins are the origins the pages fetch the basemap from: the
// style's, or each tile server's. The pages' CSP allows exactly these.
func (c Config) BasemapOrigins() []string {
	var out []string
	add := func(raw string) {
		if o := webmap.Origin(raw); o != "" && !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	add(c.BasemapStyle)
	for _, l := range c.BasemapRaster {
		for _, t := range l.Tiles {
			add(t)
		}
	}
	return out
}

// rasterStyle is the raster layers as a style to draw citymap's over; on the
// dark theme (the wall) the tiles are dimmed so that the city's own layers
// stand out.
func rasterStyle(layers []RasterLayer, theme string) map[string]any {
	sources := map[string]any{}
	var out []any
	for _, l := range layers {
		src := map[string]any{"type": "raster", "tiles": l.Tiles, "tileSize": 256, "maxzoom": l.MaxZoom}
		if l.Attribution != "" {
			src["attribution"] = l.Attribution
		}
		sources[l.ID] = src
		paint := map[string]any{}
		if theme == "dark" {
			paint = map[string]any{"raster-brightness-max": 0.55, "raster-saturation": -0.35}
		}
		out = append(out, map[string]any{"id": l.ID, "type": "raster", "source": l.ID, "paint": paint})
	}
	return map[string]any{"version": 8, "sources": sources, "layers": out}
}
