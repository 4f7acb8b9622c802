package ogc

import (
	"net/http"
)

// conformanceClasses are the requirement classes the API implements.
var conformanceClasses = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
	"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
	"http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
	"http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/property-property",
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
}

func (h *Handler) landing(w http.ResponseWriter, r *http.Request) {
	if err := checkParams(r.URL.Query(), plainParams); err != nil {
		fail(w, r, err)
		return
	}
	l := linksFor(r)
	send(w, r, http.StatusOK, mediaJSON, map[string]any{
		"title": "citymap 一网统管 — OGC API – Features",
		"description": "Administrative areas, unit grids, inspection points, parking zones, " +
			"issues and inspections of the city, as GeoJSON.",
		"links": []Link{
			l.link("", "self", mediaJSON, "this document"),
			l.link("/api", "service-desc", mediaOpenAPI, "the API definition (OpenAPI 3.0)"),
			l.link("/api.html", "service-doc", mediaHTML, "the API documentation"),
			l.link("/conformance", "conformance", mediaJSON, "conformance classes implemented"),
			l.link("/collections", "data", mediaJSON, "the collections"),
		},
	})
}

func (h *Handler) conformance(w http.ResponseWriter, r *http.Request) {
	if err := checkParams(r.URL.Query(), plainParams); err != nil {
		fail(w, r, err)
		return
	}
	send(w, r, http.StatusOK, mediaJSON, map[string]any{"conformsTo": conformanceClasses})
}
