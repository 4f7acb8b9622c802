// Package ogc serves OGC API – Features at /ogc: Part 1 (core, GeoJSON, OpenAPI
// 3.0), Part 2 (coordinate reference systems by reference), Part 3 (queryables,
// CQL2 text filters) and Part 4 (create, replace, update and delete) for points
// and parking zones. Every endpoint needs a token, sent as a bearer header or,
// for clients such as GDAL that are given a URL, as ?access_token=.
package ogc

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"citymap/server/access"
	"citymap/server/auth"
	"citymap/server/limit"
	"citymap/server/respond"
	"citymap/server/routes"
	"citymap/server/store"
)

// Media types of the API's answers.
const (
	mediaJSON    = "application/json"
	mediaGeoJSON = "application/geo+json"
	mediaOpenAPI = "application/vnd.oai.openapi+json;version=3.0"
	mediaSchema  = "application/schema+json"
	mediaHTML    = "text/html"
)

// Handler serves the API.
type Handler struct {
	store   *store.Store
	auth    *auth.Authenticator
	extents extentCache
}

// New returns the API over st, authenticating with a.
func New(st *store.Store, a *auth.Authenticator) *Handler {
	return &Handler{store: st, auth: a, extents: extentCache{m: map[string]cachedExtent{}}}
}

// Routes lists the API's routes. Every role but the reporter (Open311 keys)
// reads every collection; the command centre creates, replaces, updates and
// deletes points and parking zones. A page of features costs a list; one
// feature, a single read.
func (h *Handler) Routes() []routes.Route {
	read := func(pattern string, f http.HandlerFunc) routes.Route {
		return routes.For(pattern, f, limit.Light, access.Readers)
	}
	write := func(pattern string, f http.HandlerFunc) routes.Route {
		return routes.For(pattern, f, limit.Light, access.Editors)
	}
	return []routes.Route{
		read("GET /ogc", h.landing),
		read("GET /ogc/{$}", h.landing),
		read("GET /ogc/conformance", h.conformance),
		read("GET /ogc/api", h.openAPI),
		read("GET /ogc/api.html", h.apiHTML),
		read("GET /ogc/collections", h.collections),
		read("GET /ogc/collections/{collectionId}", h.collection),
		read("GET /ogc/collections/{collectionId}/queryables", h.queryables),
		routes.For("GET /ogc/collections/{collectionId}/items", h.items, limit.Medium, access.Readers),
		read("GET /ogc/collections/{collectionId}/items/{featureId}", h.item),
		write("POST /ogc/collections/{collectionId}/items", h.create),
		write("PUT /ogc/collections/{collectionId}/items/{featureId}", h.replace),
		write("PATCH /ogc/collections/{collectionId}/items/{featureId}", h.update),
		write("DELETE /ogc/collections/{collectionId}/items/{featureId}", h.remove),
	}
}

// links builds absolute links back into the API for one request.
type links struct {
	base  string // scheme://host/ogc
	token string // the request's access_token, carried into links
}

// Link is a web link of the OGC API documents.
type Link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// linksFor honours X-Forwarded-Proto and X-Forwarded-Host so that links work
// behind the load balancer. A token that came in the URL goes into the links
// too: a client that cannot send headers could not follow them otherwise.
func linksFor(r *http.Request) links {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	host := r.Host
	if fh := r.Header.Get("X-Forwarded-Host"); fh != "" {
		host = strings.TrimSpace(strings.Split(fh, ",")[0])
	}
	return links{base: scheme + "://" + host + "/ogc", token: r.URL.Query().Get("access_token")}
}

// href returns the link to path (below /ogc) with query.
func (l links) href(path string, query url.Values) string {
	if l.token != "" {
		if query == nil {
			query = url.Values{}
		}
		query.Set("access_token", l.token)
	}
	u := l.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	return u
}

func (l links) link(path, rel, typ, title string) Link {
	return Link{Href: l.href(path, nil), Rel: rel, Type: typ, Title: title}
}

// marshal encodes v without escaping <, > and & (which links are full of).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// send writes v as JSON with the given media type.
func send(w http.ResponseWriter, r *http.Request, status int, mediaType string, v any) {
	body, err := marshal(v)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", mediaType)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// fail answers with the project's JSON error shape, translating store and
// filter errors into their 4xx.
func fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrOGCNotFound):
		err = respond.Errorf(http.StatusNotFound, "not_found", "no such feature")
	case errors.Is(err, store.ErrOGCUnknownCollection):
		err = errNoCollection
	case errors.Is(err, store.ErrOGCExists):
		err = respond.Errorf(http.StatusConflict, "exists", "a feature with this code exists; PUT replaces it")
	case errors.Is(err, store.ErrOGCReferenced):
		err = respond.Errorf(http.StatusConflict, "referenced",
			"other records (inspections, issues) refer to this feature; it cannot be deleted")
	}
	respond.Fail(w, r, err)
}

var errNoCollection = respond.Errorf(http.StatusNotFound, "not_found", "no such collection")

// checkParams rejects query parameters the endpoint does not know, as Part 1
// recommends (a typo should not silently return everything), and repeated ones.
func checkParams(q url.Values, known func(string) bool) error {
	for name, vals := range q {
		if !known(name) {
			return respond.Field(name, "unknown_parameter", "unknown query parameter "+name)
		}
		if len(vals) > 1 {
			return respond.Field(name, "invalid_parameter", name+" is given more than once")
		}
	}
	return checkFormat(q.Get("f"))
}

// checkFormat accepts f=json (and f=geojson): JSON is the only encoding served.
func checkFormat(f string) error {
	switch strings.ToLower(f) {
	case "", "json", "geojson":
		return nil
	}
	return respond.Field("f", "invalid_parameter", "unsupported format "+f+": only f=json is served")
}

func plainParams(name string) bool { return name == "f" || name == "access_token" }
