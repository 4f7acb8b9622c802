package tiles

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// A basemap is a MapLibre style the operator configures (a city's own map
// service, an internal tile server) to draw under citymap's layers. Its
// document is fetched by the server, kept for a while, and merged into
// /style.json: its sources and layers first, then citymap's.

const (
	basemapTTL      = 10 * time.Minute
	basemapRetry    = 30 * time.Second
	basemapMaxBytes = 4 << 20
)

type basemap struct {
	url    string
	client *http.Client

	mu      sync.Mutex
	raw     []byte
	err     error
	expires time.Time
}

func newBasemap(u string) *basemap {
	return &basemap{url: u, client: &http.Client{Timeout: 5 * time.Second}}
}

// get returns a fresh copy of the basemap style, fetching it when the copy in
// hand is too old; a failed fetch is remembered briefly so that a basemap that
// is down does not slow every style request.
func (b *basemap) get(ctx context.Context) (map[string]any, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if time.Now().After(b.expires) {
		raw, err := b.fetch(ctx)
		switch {
		case err == nil:
			b.raw, b.err, b.expires = raw, nil, time.Now().Add(basemapTTL)
		case b.raw != nil: // keep drawing the last good basemap
			b.expires = time.Now().Add(basemapRetry)
		default:
			b.err, b.expires = err, time.Now().Add(basemapRetry)
		}
	}
	if b.raw == nil {
		return nil, b.err
	}
	var style map[string]any
	err := json.Unmarshal(b.raw, &style)
	return style, err
}

func (b *basemap) fetch(ctx context.Context) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.url, nil)
	if err != nil {
		return nil, err
	}
	res, err := b.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("basemap style: %s", res.Status)
	}
	raw, err := io.ReadAll(io.LimitReader(res.Body, basemapMaxBytes))
	if err != nil {
		return nil, err
	}
	var probe struct {
		Version int               `json:"version"`
		Sources map[string]any    `json:"sources"`
		Layers  []json.RawMessage `json:"layers"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil || probe.Version != 8 {
		return nil, fmt.Errorf("basemap style: not a MapLibre style of version 8 (%v)", err)
	}
	return raw, nil
}

// underlay puts the basemap under the city's style: the basemap's sources
// (renamed where they clash with citymap's) and layers, then citymap's layers
// without their background; glyphs and sprite come from the basemap, whose
// relative URLs are made absolute against its own.
func underlay(base, city map[string]any, baseURL string) map[string]any {
	out := map[string]any{}
	for k, v := range city {
		out[k] = v
	}
	sources := map[string]any{}
	rename := map[string]string{}
	baseSources, _ := base["sources"].(map[string]any)
	citySources, _ := city["sources"].(map[string]any)
	for id, src := range baseSources {
		newID := id
		if _, clash := citySources[id]; clash {
			newID = "basemap-" + id
			rename[id] = newID
		}
		sources[newID] = absoluteSource(src, baseURL)
	}
	for id, src := range citySources {
		sources[id] = src
	}
	out["sources"] = sources
	var layersOut []any
	baseLayers, _ := base["layers"].([]any)
	for _, l := range baseLayers {
		if m, ok := l.(map[string]any); ok {
			if s, ok := m["source"].(string); ok && rename[s] != "" {
				m["source"] = rename[s]
			}
		}
		layersOut = append(layersOut, l)
	}
	cityLayers, _ := city["layers"].([]any)
	for _, l := range cityLayers {
		if m, ok := l.(map[string]any); ok && m["type"] == "background" {
			continue
		}
		layersOut = append(layersOut, l)
	}
	out["layers"] = layersOut
	// the pages tell the basemap's sources from citymap's (a basemap that is
	// out of reach is no error of the page's)
	meta := map[string]any{}
	if m, ok := city["metadata"].(map[string]any); ok {
		for k, v := range m {
			meta[k] = v
		}
	}
	var ids []string
	for id := range baseSources {
		if rename[id] != "" {
			id = rename[id]
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	meta["citymap:basemap"] = ids
	out["metadata"] = meta
	for _, k := range []string{"glyphs", "sprite"} {
		if v, ok := base[k]; ok {
			out[k] = absoluteAny(v, baseURL)
		}
	}
	return out
}

func absoluteSource(src any, baseURL string) any {
	m, ok := src.(map[string]any)
	if !ok {
		return src
	}
	for _, k := range []string{"url", "tiles", "data"} {
		if v, ok := m[k]; ok {
			m[k] = absoluteAny(v, baseURL)
		}
	}
	return m
}

// absoluteAny makes the URL strings in v (a string or a list of them)
// absolute against base. It joins strings rather than parsing them, since
// templates such as {z} or {fontstack} must pass through unescaped.
func absoluteAny(v any, base string) any {
	switch x := v.(type) {
	case string:
		return absoluteURL(x, base)
	case []any:
		for i := range x {
			x[i] = absoluteAny(x[i], base)
		}
	}
	return v
}

func absoluteURL(ref, base string) string {
	if strings.Contains(ref, "://") || strings.HasPrefix(ref, "mapbox:") || strings.HasPrefix(ref, "data:") {
		return ref
	}
	b, err := url.Parse(base)
	if err != nil {
		return ref
	}
	if strings.HasPrefix(ref, "/") {
		return b.Scheme + "://" + b.Host + ref
	}
	dir := b.Path[:strings.LastIndex(b.Path, "/")+1]
	if dir == "" {
		dir = "/"
	}
	return b.Scheme + "://" + b.Host + dir + ref
}
