package ogc

import (
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"

	"citymap/geo/tile"
	"citymap/server/store"
)

// crs is a coordinate reference system the API reads and writes (Part 2).
type crs struct {
	uri    string
	code   string // short name for messages: CRS84, EPSG:4326, ...
	srid   int    // the PostGIS SRID the coordinates are computed in
	latLon bool   // EPSG axis order: latitude first
}

// Storage is WGS 84 in longitude, latitude order, which is CRS84. EPSG:4326
// is the same datum with latitude first. CGCS2000 (EPSG:4490), China's
// national datum, differs from WGS 84 by centimetres, below the accuracy of
// anything this city maps, so it is served numerically as EPSG:4326 (with its
// latitude-first axis order) rather than through a datum transformation that
// PostGIS's spatial_ref_sys does not define for it anyway.
var (
	crs84    = crs{uri: "http://www.opengis.net/def/crs/OGC/1.3/CRS84", code: "CRS84", srid: 4326}
	epsg4326 = crs{uri: "http://www.opengis.net/def/crs/EPSG/0/4326", code: "EPSG:4326", srid: 4326, latLon: true}
	epsg4490 = crs{uri: "http://www.opengis.net/def/crs/EPSG/0/4490", code: "EPSG:4490", srid: 4326, latLon: true}
	epsg3857 = crs{uri: "http://www.opengis.net/def/crs/EPSG/0/3857", code: "EPSG:3857", srid: 3857}
)

// supportedCRS is the crs list of every collection, the default first.
var supportedCRS = []crs{crs84, epsg4326, epsg4490, epsg3857}

func crsURIs() []string {
	out := make([]string, len(supportedCRS))
	for i, c := range supportedCRS {
		out[i] = c.uri
	}
	return out
}

// parseCRS accepts the OGC URIs the spec prescribes and, for people typing
// URLs by hand, the short forms EPSG:4326, [EPSG:4326] and CRS84.
func parseCRS(s string) (crs, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	s = strings.Replace(s, "https://", "http://", 1)
	for _, c := range supportedCRS {
		if strings.EqualFold(s, c.uri) || strings.EqualFold(s, c.code) {
			return c, true
		}
	}
	if strings.EqualFold(s, "OGC:CRS84") {
		return crs84, true
	}
	return crs{}, false
}

// toStorage converts a geometry from c to WGS 84 lon/lat.
func (c crs) toStorage(g orb.Geometry) orb.Geometry {
	switch {
	case c.srid == 3857:
		return project.Geometry(g, tile.FromMercator)
	case c.latLon:
		return project.Geometry(g, flip)
	}
	return g
}

func flip(p orb.Point) orb.Point { return orb.Point{p[1], p[0]} }

// output tells the store how to write geometries in c.
func (c crs) output() store.OGCOutput {
	return store.OGCOutput{SRID: c.srid, LatLon: c.latLon}
}

// header is the Content-Crs header value.
func (c crs) header() string { return "<" + c.uri + ">" }
