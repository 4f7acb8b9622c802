package validate

import (
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestDecodeGeometry(t *testing.T) {
	polygon := []string{"Polygon", "MultiPolygon"}
	tests := []struct {
		name    string
		raw     string
		allowed []string
		field   string // "" valid, "*" whole geometry
		reason  string // substring of the reason, when worth pinning
	}{
		{"point", `{"type":"Point","coordinates":[119.82,31.36]}`, []string{"Point"}, "", ""},
		{"point with altitude", `{"type":"Point","coordinates":[119.82,31.36,5]}`, nil, "", ""},
		{"polygon", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`, polygon, "", ""},
		{"multipolygon", `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}`, polygon, "", ""},
		{"collection", `{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]}]}`, nil, "", ""},
		{"extra members", `{"type":"Point","coordinates":[1,2],"bbox":[1,2,1,2]}`, nil, "", ""},

		{"null", `null`, nil, "*", "missing"},
		{"empty", ``, nil, "*", "missing"},
		{"array", `[1,2]`, nil, "*", "object"},
		{"bad JSON", `{"type":"Point",`, nil, "*", "invalid JSON"},
		{"missing type", `{"coordinates":[1,2]}`, nil, "type", "missing"},
		{"type not a string", `{"type":7,"coordinates":[1,2]}`, nil, "type", "string"},
		{"unknown type", `{"type":"Circle","coordinates":[1,2]}`, nil, "type", "unknown"},
		{"wrong case", `{"type":"point","coordinates":[1,2]}`, nil, "type", `did you mean "Point"`},
		{"type not allowed", `{"type":"Point","coordinates":[1,2]}`, polygon, "type", "not allowed"},
		{"missing coordinates", `{"type":"Point"}`, nil, "coordinates", "missing"},
		{"null coordinates", `{"type":"Polygon","coordinates":null}`, nil, "coordinates", "missing"},
		{"one number", `{"type":"Point","coordinates":[119.82]}`, nil, "coordinates", "2 or 3"},
		{"four numbers", `{"type":"Point","coordinates":[1,2,3,4]}`, nil, "coordinates", "2 or 3"},
		{"null latitude", `{"type":"Point","coordinates":[119.82,null]}`, nil, "coordinates[1]", "number"},
		{"string latitude", `{"type":"Point","coordinates":[119.82,"31.36"]}`, nil, "coordinates[1]", "string"},
		{"huge number", `{"type":"Point","coordinates":[1e400,1]}`, nil, "coordinates[0]", "number"},
		{"point nested too deep", `{"type":"Point","coordinates":[[1,2]]}`, nil, "coordinates[0]", "got array"},
		{"polygon missing a level", `{"type":"Polygon","coordinates":[[0,0],[1,0],[1,1],[0,0]]}`, polygon, "coordinates[0][0]", "position"},
		{"polygon a level too deep", `{"type":"Polygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}`, polygon, "coordinates[0][0][0]", "number"},
		{"coordinates an object", `{"type":"LineString","coordinates":{"x":1}}`, nil, "coordinates", "array"},
		{"out of range", `{"type":"Point","coordinates":[31.36,119.82]}`, nil, "coordinates", "latitude"},
		{"unclosed ring", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}`, nil, "coordinates[0]", "not closed"},
		{"bow-tie", `{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}`, nil, "coordinates[0]", "self-intersects"},
		{"empty polygon", `{"type":"Polygon","coordinates":[]}`, nil, "coordinates", "empty"},
		{"collection without members", `{"type":"GeometryCollection"}`, nil, "geometries", "missing"},
		{"collection empty", `{"type":"GeometryCollection","geometries":[]}`, nil, "geometries", "empty"},
		{"bad member", `{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1]}]}`, nil, "geometries[0].coordinates", "2 or 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := DecodeGeometry([]byte(tc.raw), tc.allowed...)
			wantErr(t, err, tc.field)
			if err == nil && g == nil {
				t.Fatal("nil geometry without error")
			}
			if err != nil && g != nil {
				t.Fatal("geometry returned with error")
			}
			if tc.reason != "" && !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error %q does not mention %q", err, tc.reason)
			}
		})
	}
}

func TestDecodeGeometryValue(t *testing.T) {
	g, err := DecodeGeometry([]byte(`{"type":"Point","coordinates":[119.82,31.36,12.5]}`), "Point")
	if err != nil {
		t.Fatal(err)
	}
	if g != (orb.Point{119.82, 31.36}) {
		t.Errorf("got %v", g)
	}
}
