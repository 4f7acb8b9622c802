package validate

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

func TestFeature(t *testing.T) {
	feature := func(g orb.Geometry, props geojson.Properties) *geojson.Feature {
		f := geojson.NewFeature(g)
		f.Properties = props
		return f
	}
	areaTypes := []string{"Polygon", "MultiPolygon"}
	required := []string{"code", "name"}
	good := geojson.Properties{"code": "32028100100100", "name": "宜城街道", "level": "grid"}
	tests := []struct {
		name  string
		f     *geojson.Feature
		field string
	}{
		{"grid", feature(orb.Polygon{grid}, good), ""},
		{"numeric code", feature(orb.MultiPolygon{{grid}}, geojson.Properties{"code": 320281, "name": "x"}), ""},
		{"zero is a value", feature(orb.Polygon{grid}, geojson.Properties{"code": 0, "name": false}), ""},

		{"nil feature", nil, "*"},
		{"no geometry", feature(nil, good), "geometry"},
		{"wrong type", feature(orb.Point{119.82, 31.36}, good), "geometry.type"},
		{"bow-tie", feature(orb.Polygon{bowTie}, good), "geometry.coordinates[0]"},
		{"bad position", feature(orb.MultiPolygon{{grid}, {{{0, 0}, {1, 0}, {1, 91}, {0, 0}}}}, good),
			"geometry.coordinates[1][0][2]"},
		{"missing property", feature(orb.Polygon{grid}, geojson.Properties{"name": "x"}), "properties.code"},
		{"null property", feature(orb.Polygon{grid}, geojson.Properties{"code": nil, "name": "x"}), "properties.code"},
		{"blank property", feature(orb.Polygon{grid}, geojson.Properties{"code": "1", "name": "  "}), "properties.name"},
		{"empty list", feature(orb.Polygon{grid}, geojson.Properties{"code": []any{}, "name": "x"}), "properties.code"},
		{"empty object", feature(orb.Polygon{grid}, geojson.Properties{"code": "1", "name": map[string]any{}}), "properties.name"},
		{"no properties", feature(orb.Polygon{grid}, nil), "properties.code"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, Feature(tc.f, areaTypes, required), tc.field)
		})
	}
}
