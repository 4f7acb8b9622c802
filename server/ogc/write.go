package ogc

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb/geojson"

	"citymap/geo/validate"
	"citymap/invalid"
	"citymap/server/auth"
	"citymap/server/respond"
	"citymap/server/store"
	"citymap/server/textcheck"
)

// maxFeatureBody bounds a written feature: a detailed polygon fits many times.
const maxFeatureBody = 8 << 20

// propSpec is a property clients set on a writable collection.
type propSpec struct {
	name     string
	integer  bool // else a string
	required bool
}

// writeSpecs are the properties of points and parking zones as clients write
// them. readOnly ones are what the server maintains: sent back unchanged by
// clients that PUT what they GET, they are accepted and ignored.
var writeSpecs = map[string]struct {
	props    []propSpec
	readOnly []string
}{
	"points": {
		props: []propSpec{{"code", false, true}, {"name", false, true}, {"category", false, true},
			{"address", false, false}, {"unit", false, true}, {"person", false, false}, {"phone", false, false}},
		readOnly: []string{"grid", "updated_at", "version"},
	},
	"parking": {
		props: []propSpec{{"code", false, true}, {"name", false, true}, {"kind", false, true},
			{"capacity", true, true}, {"occupied", true, false}, {"address", false, false}, {"operator", false, false}},
		readOnly: []string{"grid", "free", "occupancy_at", "open_now", "updated_at", "version"},
	},
}

// writeGeometryTypes are what the points and parking tables accept.
var writeGeometryTypes = []string{"Point", "Polygon", "MultiPolygon"}

// featureIn is a GeoJSON Feature as a client sends it.
type featureIn struct {
	Type       string                     `json:"type"`
	ID         json.RawMessage            `json:"id,omitempty"`
	Geometry   json.RawMessage            `json:"geometry"`
	Properties map[string]json.RawMessage `json:"properties"`
	BBox       json.RawMessage            `json:"bbox,omitempty"`
	Links      json.RawMessage            `json:"links,omitempty"`
}

// writable returns the path's collection if it may be written, answering 404
// for an unknown one and 405 for a read-only one.
func writable(w http.ResponseWriter, r *http.Request) (string, bool) {
	id, ok := collectionOf(w, r)
	if !ok {
		return "", false
	}
	if !collectionInfos[id].writable {
		w.Header().Set("Allow", "GET, HEAD")
		respond.Fail(w, r, respond.Errorf(http.StatusMethodNotAllowed, "method_not_allowed",
			id+" is read-only here; points and parking can be written"))
		return "", false
	}
	if err := checkParams(r.URL.Query(), plainParams); err != nil {
		fail(w, r, err)
		return "", false
	}
	return id, true
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request) {
	id, ok := writable(w, r)
	if !ok {
		return
	}
	var f featureIn
	c, err := bodyCRS(r)
	if err == nil {
		err = respond.Decode(w, r, maxFeatureBody, &f)
	}
	var v store.OGCValues
	var code string
	if err == nil {
		v, code, err = featureValues(id, f, c, "")
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	feature, version, err := h.store.OGCCreate(r.Context(), id, v, scopeOf(auth.From(r.Context())))
	if err != nil {
		fail(w, r, err)
		return
	}
	l := linksFor(r)
	w.Header().Set("Location", l.base+"/collections/"+id+"/items/"+url.PathEscape(code))
	h.answer(w, r, http.StatusCreated, id, code, feature, version)
}

func (h *Handler) replace(w http.ResponseWriter, r *http.Request) {
	id, ok := writable(w, r)
	if !ok {
		return
	}
	code := r.PathValue("featureId")
	var f featureIn
	c, err := bodyCRS(r)
	if err == nil {
		err = respond.Decode(w, r, maxFeatureBody, &f)
	}
	var v store.OGCValues
	if err == nil {
		v, _, err = featureValues(id, f, c, code)
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	feature, version, err := h.store.OGCUpdate(r.Context(), id, code, func(cur store.OGCRecord) (store.OGCValues, error) {
		return v, ifMatch(r, cur.Version)
	}, scopeOf(auth.From(r.Context())))
	if err != nil {
		fail(w, r, err)
		return
	}
	h.answer(w, r, http.StatusOK, id, code, feature, version)
}

// update applies a JSON merge patch (RFC 7396) to the stored feature and
// writes the result as a replacement, so it is validated the same way.
func (h *Handler) update(w http.ResponseWriter, r *http.Request) {
	id, ok := writable(w, r)
	if !ok {
		return
	}
	code := r.PathValue("featureId")
	patch, err := readPatch(w, r)
	if err != nil {
		fail(w, r, err)
		return
	}
	feature, version, err := h.store.OGCUpdate(r.Context(), id, code, func(cur store.OGCRecord) (store.OGCValues, error) {
		if err := ifMatch(r, cur.Version); err != nil {
			return store.OGCValues{}, err
		}
		var target map[string]any
		if err := json.Unmarshal(cur.Feature, &target); err != nil {
			return store.OGCValues{}, err
		}
		merged, err := json.Marshal(mergePatch(target, patch))
		if err != nil {
			return store.OGCValues{}, err
		}
		var f featureIn
		if err := decodeStrict(merged, &f); err != nil {
			return store.OGCValues{}, err
		}
		v, _, err := featureValues(id, f, crs84, code)
		return v, err
	}, scopeOf(auth.From(r.Context())))
	if err != nil {
		fail(w, r, err)
		return
	}
	h.answer(w, r, http.StatusOK, id, code, feature, version)
}

func (h *Handler) remove(w http.ResponseWriter, r *http.Request) {
	id, ok := writable(w, r)
	if !ok {
		return
	}
	scope := scopeOf(auth.From(r.Context()))
	err := h.store.OGCDelete(r.Context(), id, r.PathValue("featureId"), func(cur store.OGCRecord) error {
		if err := scope(cur.Grid); err != nil {
			return err
		}
		return ifMatch(r, cur.Version)
	})
	if err != nil {
		fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// answer sends the written feature with its new version as ETag.
func (h *Handler) answer(w http.ResponseWriter, r *http.Request, status int, id, code string, feature []byte, version int) {
	l := linksFor(r)
	w.Header().Set("ETag", etag(version))
	w.Header().Set("Content-Crs", crs84.header())
	writeFeature(w, r, status, feature, []Link{
		l.link("/collections/"+id+"/items/"+url.PathEscape(code), "self", mediaGeoJSON, ""),
		l.link("/collections/"+id, "collection", mediaJSON, "the collection"),
	})
}

// scopeOf lets an area-scoped writer write only objects inside its areas.
func scopeOf(p *auth.Principal) store.OGCScope {
	return func(grid string) error {
		if p.Covers(grid) {
			return nil
		}
		return respond.Errorf(http.StatusForbidden, "forbidden", "the feature lies outside this token's areas")
	}
}

// ifMatch enforces If-Match against the stored version (strong comparison:
// weak tags never match, as RFC 9110 requires).
func ifMatch(r *http.Request, version int) error {
	h := r.Header.Get("If-Match")
	if h == "" {
		return nil
	}
	for _, tag := range strings.Split(h, ",") {
		if tag = strings.TrimSpace(tag); tag == "*" || tag == etag(version) {
			return nil
		}
	}
	return respond.Errorf(http.StatusPreconditionFailed, "precondition_failed",
		"the feature has changed since that version (it is now "+etag(version)+"); fetch it again")
}

// bodyCRS reads the Content-Crs of a written feature (Part 2 with Part 4).
func bodyCRS(r *http.Request) (crs, error) {
	h := r.Header.Get("Content-Crs")
	if h == "" {
		return crs84, nil
	}
	c, ok := parseCRS(strings.Trim(strings.TrimSpace(h), "<>"))
	if !ok {
		return crs{}, respond.Errorf(http.StatusBadRequest, "invalid_crs", "unsupported Content-Crs "+h)
	}
	return c, nil
}

// readPatch reads a merge patch, which must be a JSON object.
func readPatch(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, _ := mime.ParseMediaType(ct)
		if mt != "application/merge-patch+json" && mt != mediaJSON {
			return nil, respond.Errorf(http.StatusUnsupportedMediaType, "unsupported_media_type",
				"send application/merge-patch+json")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFeatureBody))
	if err != nil {
		return nil, respond.Errorf(http.StatusRequestEntityTooLarge, "body_too_large", "the patch is too large")
	}
	if !utf8.Valid(body) {
		return nil, respond.BadText("body", "is not valid UTF-8")
	}
	var patch map[string]any
	if err := json.Unmarshal(body, &patch); err != nil || patch == nil {
		return nil, respond.Errorf(http.StatusBadRequest, "invalid_json", "a merge patch must be a JSON object")
	}
	if e := respond.CheckDecoded(patch, "body"); e != nil {
		return nil, e
	}
	if g, ok := patch["geometry"]; ok && g != nil {
		c, err := bodyCRS(r)
		if err != nil {
			return nil, err
		}
		raw, _ := json.Marshal(g)
		fixed, err := toCRS84(raw, c)
		if err != nil {
			return nil, err
		}
		patch["geometry"] = json.RawMessage(fixed)
	}
	return patch, nil
}

// mergePatch applies patch to target as RFC 7396 says: objects merge member
// by member, null removes, anything else replaces.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
		} else {
			t[k] = mergePatch(t[k], v)
		}
	}
	return t
}

// decodeStrict decodes JSON rejecting unknown members, as respond.Decode does
// for request bodies.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			name = strings.Trim(name, `"`)
			return respond.Field(name, "unknown_field", "unknown member "+name)
		}
		return respond.Errorf(http.StatusBadRequest, "invalid_json", err.Error())
	}
	return nil
}

// toCRS84 converts a GeoJSON geometry written in c into storage coordinates.
func toCRS84(raw json.RawMessage, c crs) (json.RawMessage, error) {
	if c == crs84 {
		return raw, nil
	}
	g, err := geojson.UnmarshalGeometry(raw)
	if err != nil {
		return nil, respond.Field("geometry", "invalid_geometry", err.Error())
	}
	return json.Marshal(geojson.NewGeometry(c.toStorage(g.Geometry())))
}

// featureValues checks a feature against the collection's properties and
// returns the columns to store and the feature's code. code is the path's id
// for PUT and PATCH (which cannot change it) and "" for POST.
func featureValues(collection string, f featureIn, c crs, code string) (store.OGCValues, string, error) {
	if f.Type != "Feature" {
		return store.OGCValues{}, "", respond.Field("type", "invalid_value", `type must be "Feature"`)
	}
	geom, err := featureGeometry(f.Geometry, c)
	if err != nil {
		return store.OGCValues{}, "", err
	}
	cols, err := featureColumns(collection, f.Properties)
	if err != nil {
		return store.OGCValues{}, "", err
	}
	code, err = featureCode(f, cols, code)
	if err != nil {
		return store.OGCValues{}, "", err
	}
	cols["code"] = code
	if err := requireColumns(collection, cols); err != nil {
		return store.OGCValues{}, "", err
	}
	return store.OGCValues{Columns: cols, Geometry: geom}, code, nil
}

func featureGeometry(raw json.RawMessage, c crs) ([]byte, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, respond.Field("geometry", "required", "a geometry is required")
	}
	raw, err := toCRS84(raw, c)
	if err != nil {
		return nil, err
	}
	if _, err := validate.DecodeGeometry(raw, writeGeometryTypes...); err != nil {
		var ve *invalid.Error
		if errors.As(invalid.Prefix("geometry", err), &ve) {
			return nil, respond.Field(ve.Field, "invalid_geometry", ve.Message)
		}
		return nil, respond.Field("geometry", "invalid_geometry", err.Error())
	}
	return raw, nil
}

// featureColumns decodes the properties clients may set; null counts as absent.
func featureColumns(collection string, props map[string]json.RawMessage) (map[string]any, error) {
	spec := writeSpecs[collection]
	cols := map[string]any{}
	for name, raw := range props {
		field := "properties." + name
		ps, known := findProp(spec.props, name)
		switch {
		case !known && slices.Contains(spec.readOnly, name):
			continue
		case !known:
			return nil, respond.Field(field, "unknown_property", "unknown property "+name)
		case string(raw) == "null":
			continue
		case ps.integer:
			var n int64
			if err := json.Unmarshal(raw, &n); err != nil {
				return nil, respond.Field(field, "invalid_type", name+" must be an integer")
			}
			cols[name] = n
		default:
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, respond.Field(field, "invalid_type", name+" must be a string")
			}
			if err := checkText(field, name, s); err != nil {
				return nil, err
			}
			cols[name] = s
		}
	}
	return cols, nil
}

// featureCode finds the code: the path's for PUT and PATCH, else properties.code
// or the feature's id; where several are given they must agree.
func featureCode(f featureIn, cols map[string]any, code string) (string, error) {
	var id string
	if len(f.ID) > 0 && string(f.ID) != "null" {
		if err := json.Unmarshal(f.ID, &id); err != nil {
			return "", respond.Field("id", "invalid_type", "the id of a point or parking zone is its code, a string")
		}
	}
	prop, _ := cols["code"].(string)
	creating := code == ""
	if code == "" {
		code = prop
		if code == "" {
			code = id
		}
	}
	switch {
	case prop != "" && prop != code:
		return "", respond.Field("properties.code", "invalid_value", "the code cannot change: create a new feature instead")
	case id != "" && id != code:
		return "", respond.Field("id", "invalid_value", "id and code disagree")
	case creating && code != "":
		// a new code must be one; an existing one is what the path named
		if p := textcheck.Code(code); p != "" {
			return "", respond.Field("properties.code", "invalid_value", "code "+p)
		}
	}
	return code, nil
}

// checkText applies the shared rules of mapped objects' text to a property.
func checkText(field, name, s string) error {
	p := textcheck.Column(name, s)
	switch {
	case p == "":
		return nil
	case textcheck.TooLong(p):
		return respond.Field(field, "too_long", name+" "+p)
	}
	return respond.Field(field, "invalid", name+" "+p)
}

// requireColumns checks required properties and fills defaults for the rest,
// so that a PUT without an optional property clears it.
func requireColumns(collection string, cols map[string]any) error {
	for _, ps := range writeSpecs[collection].props {
		v, ok := cols[ps.name]
		if ps.required && (!ok || v == "" || (!ps.integer && strings.TrimSpace(v.(string)) == "")) {
			return respond.Field("properties."+ps.name, "required", ps.name+" is required")
		}
		if !ok {
			if ps.integer {
				cols[ps.name] = int64(0)
			} else {
				cols[ps.name] = ""
			}
		}
	}
	return nil
}

func findProp(props []propSpec, name string) (propSpec, bool) {
	for _, p := range props {
		if p.name == name {
			return p, true
		}
	}
	return propSpec{}, false
}
