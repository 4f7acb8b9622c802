package tiles

import (
	"log/slog"
	"net/http"

	"citymap/server/respond"
)

// The MapLibre style (version 8) at /style.json draws every tile layer. It has
// no text: labels need glyphs, and the web map loads nothing from the internet,
// so names are in the features for popups instead. A configured basemap style
// goes underneath; without one the city is drawn on a plain background.

// palette is a theme's colours.
type palette struct {
	background, areaLine, gridLine, areaFill, streetFill, communityFill   string
	point, pointStroke, parkingOpen, parkingFull, parkingClosed, stroke   string
	reported, working, resolved, overdue, cluster, clusterOverdue, shadow string
	areaFillOpacity                                                       float64
}

var themes = map[string]palette{
	"light": {
		background: "#eef2f7", areaLine: "#5b6b7f", gridLine: "#97a3b4",
		areaFill: "#dfe6ee", streetFill: "#d7e3f0", communityFill: "#e3eadf",
		point: "#6a4fb3", pointStroke: "#ffffff",
		parkingOpen: "#2e9d5b", parkingFull: "#d9822b", parkingClosed: "#8a94a3", stroke: "#ffffff",
		reported: "#e0b100", working: "#2b7bd9", resolved: "#2e9d5b", overdue: "#d93b3b",
		cluster: "#2b7bd9", clusterOverdue: "#d93b3b", shadow: "#ffffff",
		areaFillOpacity: 0.35,
	},
	"dark": {
		background: "#050b16", areaLine: "#4f6d91", gridLine: "#2a3f5c",
		areaFill: "#0d1a2c", streetFill: "#10213a", communityFill: "#0f2230",
		point: "#a98bff", pointStroke: "#050b16",
		parkingOpen: "#3ccf7d", parkingFull: "#f0a040", parkingClosed: "#5d6877", stroke: "#050b16",
		reported: "#ffd23f", working: "#4da3ff", resolved: "#3ccf7d", overdue: "#ff4d4d",
		cluster: "#4da3ff", clusterOverdue: "#ff4d4d", shadow: "#050b16",
		areaFillOpacity: 0.6,
	},
}

// serveStyle is GET /style.json[?theme=light|dark].
func (t *Tiles) serveStyle(w http.ResponseWriter, r *http.Request) {
	theme := r.URL.Query().Get("theme")
	if theme == "" {
		theme = "light"
	}
	p, ok := themes[theme]
	if !ok {
		respond.Fail(w, r, respond.Field("theme", "invalid_theme", "theme is light or dark"))
		return
	}
	bounds, err := t.cityBounds(r)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	if len(t.cfg.BasemapRaster) > 0 || t.basemap != nil {
		p.areaFillOpacity = min(p.areaFillOpacity, 0.2) // the basemap shows through the areas
	}
	style := cityStyle(baseURL(r), theme, p)
	style["center"] = []float64{(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2}
	if len(t.cfg.BasemapRaster) > 0 {
		style = underlay(rasterStyle(t.cfg.BasemapRaster, theme), style, "")
	} else if t.basemap != nil {
		base, err := t.basemap.get(r.Context())
		if err != nil {
			slog.Warn("tiles: basemap style unavailable, drawing a plain background", "url", t.cfg.BasemapStyle, "err", err)
		} else {
			style = underlay(base, style, t.cfg.BasemapStyle)
		}
	}
	writeJSON(w, r, style)
}

// cityStyle is the style of citymap's own layers on a plain background.
func cityStyle(base, theme string, p palette) map[string]any {
	sources := map[string]any{}
	for _, l := range layers {
		src := map[string]any{"type": "vector", "url": base + "/tiles/" + l.name + ".json"}
		if l.name != "issues" { // issues carry their number as the feature id
			src["promoteId"] = "code"
		}
		sources[l.name] = src
	}
	layersOut := []any{map[string]any{"id": "citymap-background", "type": "background",
		"paint": map[string]any{"background-color": p.background}}}
	layersOut = append(layersOut, areaLayers(p)...)
	layersOut = append(layersOut, parkingLayers(p)...)
	layersOut = append(layersOut, pointLayers(p)...)
	layersOut = append(layersOut, issueLayers(p)...)
	return map[string]any{
		"version": 8, "name": "citymap (" + theme + ")",
		"metadata": map[string]any{"citymap:theme": theme},
		"zoom":     centerZoom, "sources": sources, "layers": layersOut,
	}
}

// styleLayer is one layer of source (whose tiles hold one layer of its name).
func styleLayer(id, typ, source string, paint map[string]any, extra ...any) map[string]any {
	l := map[string]any{"id": "citymap-" + id, "type": typ, "source": source, "source-layer": source, "paint": paint}
	for i := 0; i+1 < len(extra); i += 2 {
		l[extra[i].(string)] = extra[i+1]
	}
	return l
}

var (
	isPoint   = []any{"match", []any{"geometry-type"}, []any{"Point", "MultiPoint"}, true, false}
	isPolygon = []any{"match", []any{"geometry-type"}, []any{"Polygon", "MultiPolygon"}, true, false}
	// byZoom interpolates linearly between zoom stops: byZoom(11, 2, 16, 6).
	byZoom = func(stops ...any) []any {
		return append([]any{"interpolate", []any{"linear"}, []any{"zoom"}}, stops...)
	}
)

func areaLayers(p palette) []any {
	return []any{
		styleLayer("areas-fill", "fill", "areas", map[string]any{
			"fill-color": []any{"match", []any{"get", "level"},
				"street", p.streetFill, "community", p.communityFill, p.areaFill},
			"fill-opacity":       p.areaFillOpacity,
			"fill-outline-color": p.gridLine,
		}),
		styleLayer("areas-line", "line", "areas", map[string]any{
			"line-color": p.areaLine,
			"line-width": []any{"match", []any{"get", "level"}, "district", 2.5, "street", 1.6, 1},
		}, "maxzoom", 13),
		styleLayer("grids-line", "line", "grids", map[string]any{
			"line-color": p.gridLine, "line-width": byZoom(13, 0.6, 16, 1.4), "line-dasharray": []any{3, 2},
		}, "minzoom", 13),
	}
}

func parkingLayers(p palette) []any {
	color := []any{"case",
		[]any{"!", []any{"get", "open_now"}}, p.parkingClosed,
		[]any{"<=", []any{"get", "free"}, 0}, p.parkingFull,
		p.parkingOpen}
	return []any{
		styleLayer("parking-fill", "fill", "parking", map[string]any{
			"fill-color": color, "fill-opacity": 0.45, "fill-outline-color": color,
		}, "filter", isPolygon),
		styleLayer("parking-circle", "circle", "parking", map[string]any{
			"circle-color": color, "circle-radius": byZoom(11, 2.5, 14, 5),
			"circle-stroke-color": p.stroke, "circle-stroke-width": 1,
		}, "filter", isPoint),
	}
}

func pointLayers(p palette) []any {
	return []any{
		styleLayer("points-fill", "fill", "points", map[string]any{
			"fill-color": p.point, "fill-opacity": 0.25, "fill-outline-color": p.point,
		}, "filter", isPolygon),
		styleLayer("points-circle", "circle", "points", map[string]any{
			"circle-color": p.point, "circle-radius": byZoom(11, 1.5, 16, 4.5),
			"circle-stroke-color": p.pointStroke, "circle-stroke-width": byZoom(11, 0, 14, 1),
		}, "filter", isPoint),
	}
}

func issueLayers(p palette) []any {
	isCluster := []any{"==", []any{"get", "cluster"}, true}
	return []any{
		styleLayer("issues-clusters", "circle", "issues", map[string]any{
			"circle-color":   []any{"case", []any{">", []any{"get", "overdue_count"}, 0}, p.clusterOverdue, p.cluster},
			"circle-opacity": 0.8,
			"circle-radius": []any{"interpolate", []any{"linear"}, []any{"get", "count"},
				1, 5, 10, 9, 100, 15, 1000, 24},
			"circle-stroke-color": p.shadow, "circle-stroke-width": 1.5,
		}, "filter", isCluster),
		styleLayer("issues", "circle", "issues", map[string]any{
			"circle-color": []any{"case", []any{"==", []any{"get", "overdue"}, true}, p.overdue,
				[]any{"match", []any{"get", "status"},
					[]any{"reported", "registered"}, p.reported,
					[]any{"dispatched", "in_progress"}, p.working,
					p.resolved}},
			"circle-radius":       byZoom(14, 4, 16, 6),
			"circle-stroke-color": p.shadow, "circle-stroke-width": 1.5,
		}, "filter", []any{"!", isCluster}),
	}
}
