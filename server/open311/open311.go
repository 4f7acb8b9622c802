// Package open311 serves Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2)
// at /open311/v2: discovery, services (the issue categories) with their
// attribute definitions, and service requests (issues) to submit, list and read,
// each endpoint in JSON and XML after its suffix.
//
// Keys, as the specification has them: POST needs api_key; discovery, the
// services and the requests are read without one, unless KeyedReads is set.
// A read without a key is the public view: every request of the city, as a
// request read shows it (no personal data, no stored photo). A read with a
// key is that key's: its areas, a reporter its own requests. The key is
// api_key (query or form), a bearer header or access_token. A missing or bad
// key is a 403, the specification's answer, where the REST API says 401; a
// bad key is refused on a read too, as the client meant it.
//
// Where citymap differs from the specification, and why:
//   - a key outside the body is checked before the body is read; a POST whose
//     key is in its form may send at most 64 KiB (maxKeylessForm), one keyed
//     outside 1 MiB;
//   - errors are the specification's list of {code, description}, not citymap's
//     usual {"error": {...}} body, since Open311 clients parse that list;
//   - POST answers 201 Created;
//   - address_string without lat and long is located by a text match on the
//     names and addresses of inspection points, parking zones and grids, as
//     citymap has no geocoder; if nothing (or too much) matches, the answer is
//     400, since an issue needs a location;
//   - extensions: coord_sys=gcj02|bd09 on POST, page and page_size on GET
//     requests, lang=zh|en (else Accept-Language) for names and notices.
package open311

import (
	"errors"
	"mime"
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

// Handler serves GeoReport v2 for one city.
type Handler struct {
	store *store.Store
	auth  *auth.Authenticator
	// Jurisdiction is the jurisdiction_id this server answers for; requests that
	// name another get a 404, as the specification says.
	Jurisdiction string
	// Contact and KeyService are what discovery tells client developers.
	Contact    string
	KeyService string
	// KeyedReads makes every endpoint need a key, reads included, for cities
	// that want to know every reader; by default only POST does.
	KeyedReads bool
}

// New returns the API over st, authenticating with a, for the demo city.
func New(st *store.Store, a *auth.Authenticator) *Handler {
	return &Handler{store: st, auth: a,
		Jurisdiction: "yixing.js.cn",
		Contact:      "宜兴市城市管理局数字化城管指挥中心，热线 12319 / City management command centre, hotline 12319",
		KeyService:   "向指挥中心申请 reporter 密钥 / ask the command centre for a reporter key (citymap token create --role reporter)",
	}
}

// Who may submit requests: reporters (Open311 clients) and the command centre.
// Every role may read them.
var submitters = access.Submitters

// maxForm bounds a POST body; a request carries text and a media URL, not media.
const maxForm = respond.MaxBody

// Routes lists the API's routes. Format suffixes are part of the last path
// segment, which the mux cannot split, so each route reads its segment; each
// checks its key itself (reads are public unless KeyedReads). The list of
// requests costs a list; everything else a single read or write.
func (h *Handler) Routes() []routes.Route {
	return []routes.Route{
		routes.Checked("GET /open311/v2/{doc}", h.top(map[string]endpoint{
			"discovery": h.discovery, "services": h.services, "requests": h.listRequests}), limit.Light).By(listClass),
		routes.Checked("POST /open311/v2/{doc}", h.top(map[string]endpoint{"requests": h.createRequest}), limit.Light),
		routes.Checked("GET /open311/v2/services/{doc}", h.serve(h.serviceDefinition), limit.Light),
		routes.Checked("GET /open311/v2/requests/{doc}", h.serve(h.getRequest), limit.Light),
		routes.Checked("GET /open311/v2/tokens/{doc}", h.serve(h.token), limit.Light),
		routes.Open("/open311/", http.HandlerFunc(h.unknown), limit.Light),
	}
}

// listClass is the class of GET /open311/v2/{doc}: medium for the list of
// requests, light for discovery and the services.
func listClass(r *http.Request) string {
	// the class is asked before the mux sets the path's values
	if p := r.URL.Path; p == "/open311/v2/requests.json" || p == "/open311/v2/requests.xml" {
		return limit.Medium
	}
	return limit.Light
}

// call is one request being served.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	name   string // the last path segment without its format suffix
	format format
	params url.Values // query and form
	who    *auth.Principal
	lang   lang
}

// endpoint serves a call; a failure it returns becomes the error answer.
type endpoint func(c *call) error

// top serves the documents directly below /open311/v2 by name.
func (h *Handler) top(byName map[string]endpoint) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name, _, _ := splitDoc(r.PathValue("doc"))
		if e, ok := byName[name]; ok {
			h.serve(e)(w, r)
			return
		}
		h.unknown(w, r)
	}
}

// knownDocs are the documents below /open311/v2 and the method each allows.
var knownDocs = map[string]string{"discovery": "GET, HEAD", "services": "GET, HEAD", "requests": "GET, HEAD, POST"}

// unknown answers what no route serves: 405 for a known document asked with
// another method, else 404, both in the specification's error shape.
func (h *Handler) unknown(w http.ResponseWriter, r *http.Request) {
	seg := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	name, f, ok := splitDoc(seg)
	if !ok {
		f = formatJSON
	}
	if allow, known := knownDocs[name]; ok && known && strings.TrimSuffix(r.URL.Path, seg) == "/open311/v2/" {
		w.Header().Set("Allow", allow)
		writeError(w, r, f, fail(http.StatusMethodNotAllowed, "%s does not allow %s", seg, r.Method))
		return
	}
	writeError(w, r, f, fail(http.StatusNotFound, "no such endpoint: %s (see /open311/v2/discovery.json)", r.URL.Path))
}

// serve runs an endpoint: the format from the suffix, then the parameters, the
// key (a POST carries it in its form) and the jurisdiction.
func (h *Handler) serve(e endpoint) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := &call{w: w, r: r}
		var ok bool
		if c.name, c.format, ok = splitDoc(r.PathValue("doc")); !ok {
			writeError(w, r, formatJSON, fail(http.StatusNotFound,
				"unknown format %q: end the path in .json or .xml", r.PathValue("doc")))
			return
		}
		err := h.prepare(c)
		if err == nil {
			err = e(c)
		}
		if err != nil {
			writeError(w, r, c.format, err)
		}
	}
}

func (h *Handler) prepare(c *call) error {
	limit, err := h.checkKeyFirst(c)
	if err != nil {
		auth.CloseAfterReply(c.w, c.r)
		return err
	}
	if c.params, err = readParams(c.w, c.r, limit); err != nil {
		return err
	}
	c.who, err = h.auth.Principal(withKey(c.r, c.params))
	switch {
	case errors.Is(err, auth.ErrNoToken) && c.r.Method != http.MethodPost && !h.KeyedReads:
		c.who = nil // a public read
	case err != nil:
		return keyError(err)
	}
	if j := c.params.Get("jurisdiction_id"); j != "" && j != h.Jurisdiction {
		return fail(http.StatusNotFound, "jurisdiction_id %q not found: this server answers for %s", j, h.Jurisdiction)
	}
	c.lang = language(c.params.Get("lang"), c.r.Header.Get("Accept-Language"))
	return nil
}

// maxKeylessForm bounds the body of a POST that carries its key in the form
// itself, the specification's way: nothing vouches for the client until the
// body is read, so it may send less than one whose key came first.
const maxKeylessForm = 64 << 10

// checkKeyFirst checks a POST's key before its body is read when the key comes
// outside it (api_key in the query, a bearer header, access_token), so that a
// bad key is refused with the body unread. It returns the limit of the body.
func (h *Handler) checkKeyFirst(c *call) (limit int64, err error) {
	if c.r.Method != http.MethodPost {
		return maxForm, nil
	}
	_, err = h.auth.Principal(withKey(c.r, c.r.URL.Query()))
	if errors.Is(err, auth.ErrNoToken) {
		return maxKeylessForm, nil
	}
	return maxForm, keyError(err)
}

// readParams returns the query and, for a POST, the form body (url-encoded or
// multipart) of at most limit bytes, whose values come first.
func readParams(w http.ResponseWriter, r *http.Request, limit int64) (url.Values, error) {
	if e := respond.CheckRequestURL(r); e != nil {
		return nil, badRequest("%s", e.Message)
	}
	if r.Method != http.MethodPost {
		return r.URL.Query(), nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	switch mt {
	case "application/x-www-form-urlencoded":
		err = r.ParseForm()
	case "multipart/form-data":
		err = r.ParseMultipartForm(limit)
		if err == nil && r.MultipartForm != nil && len(r.MultipartForm.File) > 0 {
			return nil, badRequest("media files are not taken here: upload the photo to /api/v1/photos and send its URL as media_url")
		}
	default:
		return nil, badRequest("send the request as application/x-www-form-urlencoded or multipart/form-data")
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, fail(http.StatusRequestEntityTooLarge, "the body is over the limit of %d bytes", limit)
	}
	if err != nil {
		return nil, badRequest("malformed form body: %v", err)
	}
	if e := respond.CheckValues(r.Form); e != nil {
		return nil, badRequest("%s", e.Message)
	}
	return r.Form, nil
}

// viewer is what the caller may read of the requests: the public view (every
// request) without a key, else the key's.
func (c *call) viewer() store.Viewer {
	if c.who == nil {
		return store.Viewer{}
	}
	return c.who.Viewer()
}

// withKey hands the api_key of params, if any, to the authenticator, which reads
// bearer headers, as one; a bad api_key is refused even when a header carries a
// good token, since the client meant the key.
func withKey(r *http.Request, params url.Values) *http.Request {
	key := params.Get("api_key")
	if key == "" {
		return r
	}
	r = r.WithContext(r.Context())
	r.Header = r.Header.Clone()
	r.Header.Set("Authorization", "Bearer "+key)
	return r
}

// keyError answers the authenticator's errors in the specification's way.
func keyError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, auth.ErrNoToken):
		return fail(http.StatusForbidden, "api_key was not provided")
	case errors.Is(err, store.ErrNoToken):
		return fail(http.StatusForbidden, "api_key is invalid")
	}
	return err
}

// lang is the language of names and notices.
type lang string

const (
	zh lang = "zh"
	en lang = "en"
)

// language reads the lang parameter, else the first language of Accept-Language
// that is Chinese or English; Chinese is the default.
func language(param, accept string) lang {
	for _, tag := range append([]string{param}, strings.Split(accept, ",")...) {
		tag = strings.ToLower(strings.TrimSpace(strings.Split(tag, ";")[0]))
		switch {
		case strings.HasPrefix(tag, "en"):
			return en
		case strings.HasPrefix(tag, "zh"):
			return zh
		}
	}
	return zh
}

// pick returns the text in the call's language.
func (l lang) pick(zhText, enText string) string {
	if l == en {
		return enText
	}
	return zhText
}

// baseURL is scheme://host of the request as the client reached it, honouring
// the load balancer's X-Forwarded-Proto.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	return scheme + "://" + publicHost(r)
}

// publicHost is the host the client reached, honouring X-Forwarded-Host.
func publicHost(r *http.Request) string {
	if fh := r.Header.Get("X-Forwarded-Host"); fh != "" {
		return strings.TrimSpace(strings.Split(fh, ",")[0])
	}
	return r.Host
}
