package ogc

import (
	"context"
	"net/http"
	"sync"
	"time"

	"citymap/server/ogc/cql2"
	"citymap/server/respond"
	"citymap/server/store"
)

// collectionInfo is what the API says about a collection besides its data.
type collectionInfo struct {
	title, description string
	writable           bool
}

var collectionInfos = map[string]collectionInfo{
	"areas":       {"Administrative areas 行政区划", "Districts, streets (街道/镇) and communities (社区), each a MultiPolygon with its code and parent.", false},
	"grids":       {"Unit grids 单元网格", "Unit grids of the digital city-management system, with their grid managers.", false},
	"points":      {"Inspection points 测评点位", "Inspection points of the civilized-city evaluation, with their responsible unit and person.", true},
	"parking":     {"Parking zones 停车区域", "Smart parking lots with live occupancy and tidal zones (潮汐车位).", true},
	"issues":      {"Issues 案卷", "City-management cases with their workflow status, grid and deadline.", false},
	"inspections": {"Inspections 督查记录", "Visits to inspection points with score and deductions, at the point's location.", false},
	"activities":  {"Volunteer activities 文明实践活动", "The communities' monthly menus of volunteer activities, with capacity, sign-ups and attendance (no names).", false},
}

// extentTTL bounds how stale a collection's advertised extent may be: it
// describes the data for clients zooming to it, and computing it scans a table.
const extentTTL = 5 * time.Minute

type extentCache struct {
	mu sync.Mutex
	m  map[string]cachedExtent
}

type cachedExtent struct {
	ext store.OGCExtent
	at  time.Time
}

// extent returns the collection's cached extent, computing it when stale. The
// lock is held across the query so that a burst of requests computes it once.
func (h *Handler) extent(ctx context.Context, id string) (store.OGCExtent, error) {
	h.extents.mu.Lock()
	defer h.extents.mu.Unlock()
	if c, ok := h.extents.m[id]; ok && time.Since(c.at) < extentTTL {
		return c.ext, nil
	}
	ext, err := h.store.OGCExtent(ctx, id)
	if err != nil {
		return ext, err
	}
	h.extents.m[id] = cachedExtent{ext, time.Now()}
	return ext, nil
}

func (h *Handler) collections(w http.ResponseWriter, r *http.Request) {
	if err := checkParams(r.URL.Query(), plainParams); err != nil {
		fail(w, r, err)
		return
	}
	l := linksFor(r)
	out := make([]map[string]any, 0, len(store.OGCCollectionIDs))
	for _, id := range store.OGCCollectionIDs {
		c, err := h.describe(r.Context(), l, id)
		if err != nil {
			fail(w, r, err)
			return
		}
		out = append(out, c)
	}
	send(w, r, http.StatusOK, mediaJSON, map[string]any{
		"links":       []Link{l.link("/collections", "self", mediaJSON, "the collections")},
		"crs":         crsURIs(),
		"collections": out,
	})
}

func (h *Handler) collection(w http.ResponseWriter, r *http.Request) {
	id, ok := collectionOf(w, r)
	if !ok {
		return
	}
	if err := checkParams(r.URL.Query(), plainParams); err != nil {
		fail(w, r, err)
		return
	}
	c, err := h.describe(r.Context(), linksFor(r), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	send(w, r, http.StatusOK, mediaJSON, c)
}

// describe is a collection's metadata document.
func (h *Handler) describe(ctx context.Context, l links, id string) (map[string]any, error) {
	info := collectionInfos[id]
	ext, err := h.extent(ctx, id)
	if err != nil {
		return nil, err
	}
	base := "/collections/" + id
	return map[string]any{
		"id":          id,
		"title":       info.title,
		"description": info.description,
		"itemType":    "feature",
		"crs":         crsURIs(),
		"storageCrs":  crs84.uri,
		"extent":      extentJSON(ext),
		"links": []Link{
			l.link(base, "self", mediaJSON, "this collection"),
			l.link(base+"/items", "items", mediaGeoJSON, "the features"),
			l.link(base+"/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables", mediaSchema,
				"the properties filters may use"),
		},
	}, nil
}

func extentJSON(ext store.OGCExtent) map[string]any {
	out := map[string]any{}
	if ext.BBox != nil {
		out["spatial"] = map[string]any{"bbox": [][]float64{ext.BBox}, "crs": crs84.uri}
	}
	interval := []any{nil, nil}
	if ext.Start != nil {
		interval[0] = ext.Start.UTC().Format(time.RFC3339)
	}
	if ext.End != nil {
		interval[1] = ext.End.UTC().Format(time.RFC3339)
	}
	out["temporal"] = map[string]any{
		"interval": [][]any{interval},
		"trs":      "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
	}
	return out
}

// queryables is the collection's filterable properties as a JSON Schema
// (Part 3); the same names work as ?name=value parameters on items.
func (h *Handler) queryables(w http.ResponseWriter, r *http.Request) {
	id, ok := collectionOf(w, r)
	if !ok {
		return
	}
	if err := checkParams(r.URL.Query(), plainParams); err != nil {
		fail(w, r, err)
		return
	}
	l := linksFor(r)
	props := map[string]any{}
	for _, q := range store.OGCQueryables(id) {
		props[q.Name] = propertySchema(q, q.Name == store.OGCTimeProperty(id))
	}
	send(w, r, http.StatusOK, mediaSchema, map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  l.base + "/collections/" + id + "/queryables",
		"type":                 "object",
		"title":                collectionInfos[id].title,
		"properties":           props,
		"additionalProperties": false,
	})
}

// propertySchema describes one queryable in JSON Schema, with the roles of
// OGC API – Features Part 5 for the geometry and the primary time.
func propertySchema(q cql2.Queryable, primaryTime bool) map[string]any {
	s := map[string]any{"title": q.Name, "description": q.Description}
	switch q.Type {
	case cql2.TypeString:
		s["type"] = "string"
		if len(q.Enum) > 0 {
			s["enum"] = q.Enum
		}
	case cql2.TypeInteger:
		s["type"] = "integer"
	case cql2.TypeNumber:
		s["type"] = "number"
	case cql2.TypeBoolean:
		s["type"] = "boolean"
	case cql2.TypeTimestamp:
		s["type"], s["format"] = "string", "date-time"
		if primaryTime {
			s["x-ogc-role"] = "primary-instant"
		}
	case cql2.TypeGeometry:
		s["format"] = "geometry-any"
		s["x-ogc-role"] = "primary-geometry"
	}
	return s
}

// collectionOf returns the path's collection or answers 404.
func collectionOf(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("collectionId")
	if _, ok := collectionInfos[id]; !ok {
		respond.Fail(w, r, errNoCollection)
		return "", false
	}
	return id, true
}
