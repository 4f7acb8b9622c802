package tiles

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"citymap/geo/tile"
	"citymap/server/respond"
	"citymap/server/store"
)

// tileJSON is a TileJSON 3.0.0 document (https://github.com/mapbox/tilejson-spec).
type tileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name"`
	Description  string        `json:"description"`
	Version      string        `json:"version"`
	Attribution  string        `json:"attribution"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       [4]float64    `json:"bounds"`
	Center       [3]float64    `json:"center"`
	VectorLayers []vectorLayer `json:"vector_layers"`
}

type vectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
	Fields      map[string]string `json:"fields"`
}

// freshness is what every TileJSON says about caching.
const freshness = " Tiles are never stale: a change committed to the map reaches the tiles it " +
	"touches within a second. They are served with Cache-Control: no-cache and an ETag, so clients " +
	"revalidate each tile and get 304 Not Modified while it is unchanged. A tile without features is " +
	"204 No Content. Every request needs a token (Authorization: Bearer, or ?access_token=); the tile " +
	"URLs here do not carry one. A token limited to areas sees only what lies in its areas, in every " +
	"layer; the areas layer also draws the areas that contain them."

// centerZoom is the zoom of the TileJSON center and the style's start: the
// whole demo city on a wall display.
const centerZoom = 11

// serveTileJSON is GET /tiles/{layer}.json.
func (t *Tiles) serveTileJSON(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".json")
	if !ok {
		respond.Fail(w, r, respond.ErrNotFound)
		return
	}
	l, ok := layerByName(name)
	if !ok {
		respond.Fail(w, r, errNoLayer)
		return
	}
	bounds, err := t.cityBounds(r)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	base := baseURL(r)
	doc := tileJSON{
		TileJSON: "3.0.0", Name: "citymap " + l.name, Description: l.description + freshness,
		Version: "1.0.0", Attribution: "citymap", Scheme: "xyz",
		Tiles:   []string{base + "/tiles/" + l.name + "/{z}/{x}/{y}.mvt"},
		MinZoom: l.minZoom, MaxZoom: l.maxZoom, Bounds: bounds,
		Center: [3]float64{(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, centerZoom},
		VectorLayers: []vectorLayer{{ID: l.name, Description: l.description,
			MinZoom: l.minZoom, MaxZoom: l.maxZoom, Fields: l.fieldMap()}},
	}
	writeJSON(w, r, doc)
}

func (l layer) fieldMap() map[string]string {
	m := make(map[string]string, len(l.fields))
	for _, f := range l.fields {
		m[f.name] = f.description
	}
	return m
}

// cityBounds is the districts' extent, or the Web-Mercator world before a city
// is loaded.
func (t *Tiles) cityBounds(r *http.Request) ([4]float64, error) {
	b, err := t.store.CityExtent(r.Context())
	if errors.Is(err, store.ErrNoCity) {
		return [4]float64{-180, -tile.MaxLat, 180, tile.MaxLat}, nil
	}
	if err != nil {
		return [4]float64{}, err
	}
	return [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}, nil
}

// baseURL is the scheme and host the client reached, behind a proxy what it
// forwarded: TileJSON and the style name absolute URLs, since MapLibre loads
// tiles in workers where relative URLs do not resolve.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := firstValue(r.Header.Get("X-Forwarded-Proto")); p == "http" || p == "https" {
		scheme = p
	}
	host := r.Host
	if h := firstValue(r.Header.Get("X-Forwarded-Host")); h != "" && !strings.ContainsAny(h, "/\\ ") {
		host = h
	}
	return scheme + "://" + host
}

func firstValue(h string) string {
	v, _, _ := strings.Cut(h, ",")
	return strings.TrimSpace(v)
}

// writeJSON answers a document that is the same for every caller with an ETag,
// so that revalidation is a 304.
func writeJSON(w http.ResponseWriter, r *http.Request, doc any) {
	body, err := json.Marshal(doc)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	revalidate(w.Header(), etag)
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	respond.RawJSON(w, http.StatusOK, append(body, '\n'))
}
