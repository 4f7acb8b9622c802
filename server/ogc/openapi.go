package ogc

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"slices"
	"strings"

	"citymap/server/ogc/cql2"
	"citymap/server/store"
)

// obj keeps the OpenAPI document readable.
type obj = map[string]any

func ref(kind, name string) obj { return obj{"$ref": "#/components/" + kind + "/" + name} }

// openAPI serves the API definition. Clients read more than documentation
// from it: GDAL takes the property filters it may send from each collection's
// items parameters, so those are spelled out per collection.
func (h *Handler) openAPI(w http.ResponseWriter, r *http.Request) {
	if err := checkParams(r.URL.Query(), plainParams); err != nil {
		fail(w, r, err)
		return
	}
	send(w, r, http.StatusOK, mediaOpenAPI, openAPIDocument(linksFor(r).base))
}

func openAPIDocument(base string) obj {
	paths := obj{
		"/":                                      obj{"get": op("getLandingPage", "Landing page", nil, jsonOK())},
		"/conformance":                           obj{"get": op("getConformance", "Conformance classes", nil, jsonOK())},
		"/api":                                   obj{"get": op("getAPI", "This API definition", nil, obj{"200": content(mediaOpenAPI)})},
		"/collections":                           obj{"get": op("getCollections", "The collections", nil, jsonOK())},
		"/collections/{collectionId}":            obj{"get": op("describeCollection", "A collection's metadata", []any{ref("parameters", "collectionId")}, jsonOK())},
		"/collections/{collectionId}/queryables": obj{"get": op("getQueryables", "Properties filters may use (JSON Schema)", []any{ref("parameters", "collectionId")}, obj{"200": content(mediaSchema)})},
	}
	for _, id := range store.OGCCollectionIDs {
		paths["/collections/"+id+"/items"] = itemsPath(id)
		paths["/collections/"+id+"/items/{featureId}"] = itemPath(id)
	}
	return obj{
		"openapi": "3.0.3",
		"info": obj{
			"title":       "citymap OGC API – Features",
			"version":     "1.0.0",
			"description": "Map data of unified city management (一网统管). Tokens go in an Authorization: Bearer header or ?access_token=.",
		},
		"servers":    []obj{{"url": base}},
		"security":   []obj{{"bearer": []string{}}, {"accessToken": []string{}}},
		"paths":      paths,
		"components": components(),
	}
}

func op(id, summary string, params []any, responses obj) obj {
	o := obj{"operationId": id, "summary": summary, "responses": withErrors(responses)}
	if len(params) > 0 {
		o["parameters"] = params
	}
	return o
}

func jsonOK() obj { return obj{"200": content(mediaJSON)} }

func content(mediaType string) obj {
	return obj{"description": "OK", "content": obj{mediaType: obj{"schema": obj{"type": "object"}}}}
}

func withErrors(responses obj) obj {
	for _, code := range []string{"400", "401", "403", "404"} {
		if _, ok := responses[code]; !ok {
			responses[code] = ref("responses", "Error")
		}
	}
	return responses
}

func itemsPath(id string) obj {
	params := []any{}
	for _, name := range []string{"limit", "offset", "after", "bbox", "bbox-crs", "datetime", "crs", "filter", "filter-lang", "filter-crs", "f"} {
		params = append(params, ref("parameters", name))
	}
	var names, signed []string
	for _, q := range store.OGCQueryables(id) {
		if q.Type != cql2.TypeGeometry {
			names = append(names, q.Name)
			signed = append(signed, q.Name, "+"+q.Name, "-"+q.Name)
		}
	}
	list := func(name, desc string, enum []string) obj {
		return obj{"name": name, "in": "query", "required": false, "description": desc, "style": "form", "explode": false,
			"schema": obj{"type": "array", "uniqueItems": true, "items": obj{"type": "string", "enum": enum}}}
	}
	params = append(params,
		list("sortby", "queryables to sort by, + (or none) ascending, - descending; the id is the last key. "+
			"Sorted pages continue by offset", signed),
		list("properties", "the properties each feature keeps (all when not given)", names))
	for _, q := range store.OGCQueryables(id) {
		if q.Type != cql2.TypeGeometry {
			params = append(params, obj{"name": q.Name, "in": "query", "required": false,
				"description": q.Description + " (equals; time properties take an instant or an interval)",
				"schema":      propertySchema(q, false), "style": "form", "explode": false})
		}
	}
	p := obj{"get": op("getFeatures_"+id, collectionInfos[id].title+": features", params,
		obj{"200": content(mediaGeoJSON)})}
	if collectionInfos[id].writable {
		p["post"] = writeOp("createFeature_"+id, "Create a feature", mediaGeoJSON, "201", nil)
	}
	return p
}

func itemPath(id string) obj {
	params := []any{ref("parameters", "featureId"), ref("parameters", "crs"), ref("parameters", "f")}
	p := obj{"get": op("getFeature_"+id, collectionInfos[id].title+": one feature", params,
		obj{"200": content(mediaGeoJSON)})}
	if collectionInfos[id].writable {
		fid := []any{ref("parameters", "featureId")}
		p["put"] = writeOp("replaceFeature_"+id, "Replace a feature", mediaGeoJSON, "200", fid)
		p["patch"] = writeOp("updateFeature_"+id, "Update a feature (JSON merge patch)", "application/merge-patch+json", "200", fid)
		p["delete"] = op("deleteFeature_"+id, "Delete a feature", fid,
			obj{"204": obj{"description": "deleted"}, "409": ref("responses", "Error"), "412": ref("responses", "Error")})
	}
	return p
}

func writeOp(id, summary, mediaType, status string, params []any) obj {
	o := op(id, summary+" (admin and dispatcher tokens)", params, obj{
		status: content(mediaGeoJSON),
		"409":  ref("responses", "Error"),
		"412":  ref("responses", "Error"),
	})
	o["requestBody"] = obj{"required": true, "content": obj{mediaType: obj{"schema": obj{"type": "object"}}}}
	return o
}

func queryParam(name, desc string, schema obj) obj {
	return obj{"name": name, "in": "query", "required": false, "description": desc, "schema": schema}
}

func components() obj {
	crsSchema := obj{"type": "string", "format": "uri", "enum": crsURIs(), "default": crs84.uri}
	return obj{
		"parameters": obj{
			"collectionId": obj{"name": "collectionId", "in": "path", "required": true,
				"schema": obj{"type": "string", "enum": store.OGCCollectionIDs}},
			"featureId": obj{"name": "featureId", "in": "path", "required": true,
				"description": "the issue or inspection number, else the code", "schema": obj{"type": "string"}},
			"limit": queryParam("limit", "page size; larger values are served as the maximum",
				obj{"type": "integer", "minimum": 1, "maximum": MaxLimit, "default": DefaultLimit}),
			"offset": queryParam("offset", "features to skip", obj{"type": "integer", "minimum": 0, "default": 0}),
			"after": queryParam("after", "where next links continue (the last row of the page before); when given, the page starts there and offset only numbers it",
				obj{"type": "integer", "minimum": 0}),
			"bbox": queryParam("bbox", "minx,miny,maxx,maxy in bbox-crs axis order",
				obj{"type": "array", "minItems": 4, "maxItems": 6, "items": obj{"type": "number"}}),
			"bbox-crs": queryParam("bbox-crs", "CRS of bbox", crsSchema),
			"datetime": queryParam("datetime", "instant, date, or interval start/end with .. for an open end",
				obj{"type": "string"}),
			"crs":         queryParam("crs", "CRS of the response", crsSchema),
			"filter":      queryParam("filter", "CQL2 text filter", obj{"type": "string"}),
			"filter-lang": queryParam("filter-lang", "filter language", obj{"type": "string", "enum": []string{"cql2-text"}, "default": "cql2-text"}),
			"filter-crs":  queryParam("filter-crs", "CRS of geometry literals in filter", crsSchema),
			"f":           queryParam("f", "encoding", obj{"type": "string", "enum": []string{"json", "geojson"}}),
		},
		"responses": obj{"Error": obj{"description": "an error", "content": obj{mediaJSON: obj{"schema": ref("schemas", "Error")}}}},
		"schemas": obj{"Error": obj{"type": "object", "properties": obj{"error": obj{"type": "object", "properties": obj{
			"code": obj{"type": "string"}, "message": obj{"type": "string"}, "fields": obj{"type": "object"}}}}}},
		"securitySchemes": obj{
			"bearer":      obj{"type": "http", "scheme": "bearer"},
			"accessToken": obj{"type": "apiKey", "in": "query", "name": "access_token"},
		},
	}
}

// apiPageStyle is the page's style sheet, allowed by its hash in apiPagePolicy.
const apiPageStyle = `body{font-family:sans-serif;margin:2em}td,th{padding:.2em .8em;text-align:left}code{font-size:1.05em}`

// apiPagePolicy lets the page have its own style sheet and nothing else: no
// script, no framing.
var apiPagePolicy = func() string {
	sum := sha256.Sum256([]byte(apiPageStyle))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
}()

// apiPage is the human-readable service description: the operations of the
// OpenAPI document, listed.
var apiPage = template.Must(template.New("api").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>citymap OGC API – Features</title>
<style>` + apiPageStyle + `</style></head>
<body><h1>citymap OGC API – Features</h1>
<p>Send a token as <code>Authorization: Bearer TOKEN</code> or <code>?access_token=TOKEN</code>.
The machine-readable definition is <a href="{{.Base}}/api">{{.Base}}/api</a> (OpenAPI 3.0).</p>
<table><tr><th>Method</th><th>Path</th><th>What</th></tr>
{{range .Ops}}<tr><td>{{.Method}}</td><td><code>{{.Path}}</code></td><td>{{.Summary}}</td></tr>
{{end}}</table></body></html>
`))

type apiOp struct{ Method, Path, Summary string }

func (h *Handler) apiHTML(w http.ResponseWriter, r *http.Request) {
	if err := checkParams(r.URL.Query(), plainParams); err != nil {
		fail(w, r, err)
		return
	}
	base := linksFor(r).base
	doc := openAPIDocument(base)
	var ops []apiOp
	for path, item := range doc["paths"].(obj) {
		for method, o := range item.(obj) {
			ops = append(ops, apiOp{strings.ToUpper(method), path, o.(obj)["summary"].(string)})
		}
	}
	slices.SortFunc(ops, func(a, b apiOp) int {
		return strings.Compare(a.Path+" "+a.Method, b.Path+" "+b.Method)
	})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", apiPagePolicy)
	if err := apiPage.Execute(w, obj{"Base": base, "Ops": ops}); err != nil {
		fail(w, r, err)
	}
}
