package layerimport

import (
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"

	"citymap/geo/coordsys"
	"citymap/invalid"
	"citymap/server/store"
)

// Geometries in Yixing, Jiangsu.
const (
	square  = `{"type":"Polygon","coordinates":[[[119.80,31.36],[119.81,31.36],[119.81,31.37],[119.80,31.37],[119.80,31.36]]]}`
	multi   = `{"type":"MultiPolygon","coordinates":[[[[119.80,31.36],[119.81,31.36],[119.81,31.37],[119.80,31.36]]]]}`
	point   = `{"type":"Point","coordinates":[119.805,31.365]}`
	bowTie  = `{"type":"Polygon","coordinates":[[[119.80,31.36],[119.81,31.37],[119.81,31.36],[119.80,31.37],[119.80,31.36]]]}`
	farLon  = `{"type":"Point","coordinates":[190.0,31.365]}`
	line    = `{"type":"LineString","coordinates":[[119.80,31.36],[119.81,31.37]]}`
	latOnly = `{"type":"Point","coordinates":[119.80]}`
)

// feature builds a Feature's JSON from a geometry and properties.
func feature(geom string, props map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"type": "Feature", "geometry": json.RawMessage(geom), "properties": props})
	if err != nil {
		panic(err)
	}
	return b
}

// with returns a copy of base with changes applied; a nil value deletes.
func with(base map[string]any, changes map[string]any) map[string]any {
	out := maps.Clone(base)
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

var (
	gridProps    = map[string]any{"code": "32028200100203", "name": "东虹第3网格", "manager": "王芳"}
	pointProps   = map[string]any{"code": "P-0001", "name": "东虹农贸市场", "category": "farmers_market", "unit": "scjgj"}
	parkingProps = map[string]any{"code": "PK-01", "name": "解放东路停车场", "kind": "smart", "capacity": 120}
	tidalWindows = []any{map[string]any{"weekday": 1, "opens": "18:00", "closes": "08:00"}}
)

// featureCase is a feature and the field and reason its check should reject
// it with; an empty field means it passes.
type featureCase struct {
	name   string
	layer  Layer
	raw    []byte
	field  string
	reason string
}

func TestCheckFeatureGrids(t *testing.T) {
	runFeatureCases(t, []featureCase{
		{"polygon", Grids, feature(square, gridProps), "", ""},
		{"multipolygon", Grids, feature(multi, gridProps), "", ""},
		{"numeric code", Grids, feature(square, with(gridProps, map[string]any{"code": 32028200100203})), "", ""},
		{"level grid is fine", Grids, feature(square, with(gridProps, map[string]any{"level": "grid"})), "", ""},

		{"point", Grids, feature(point, gridProps), "geometry.type", "Point not allowed"},
		{"self-intersecting", Grids, feature(bowTie, gridProps), "geometry.coordinates[0]", "self-intersects"},
		{"no geometry", Grids, feature(`null`, gridProps), "geometry", "missing"},
		{"no code", Grids, feature(square, with(gridProps, map[string]any{"code": nil})), "properties.code", "required"},
		{"short code", Grids, feature(square, with(gridProps, map[string]any{"code": "320282001002"})), "properties.code", "must be 14 digits for a grid"},
		{"letters in code", Grids, feature(square, with(gridProps, map[string]any{"code": "3202820010020X"})), "properties.code", "14 digits"},
		{"blank name", Grids, feature(square, with(gridProps, map[string]any{"name": "  "})), "properties.name", "must not be empty"},
		{"name is an object", Grids, feature(square, with(gridProps, map[string]any{"name": map[string]any{"zh": "x"}})), "properties.name", "must be a string, got an object"},
		{"other level", Grids, feature(square, with(gridProps, map[string]any{"level": "community"})), "properties.level", "--layer areas"},
		{"properties not an object", Grids, []byte(`{"type":"Feature","geometry":` + square + `,"properties":[1]}`), "properties", "must be an object"},
		{"not a feature", Grids, []byte(`{"type":"Polygon","coordinates":[]}`), "type", `must be "Feature"`},
		{"feature is an array", Grids, []byte(`[1,2]`), "", "must be a GeoJSON Feature object"},
	})
}

func TestCheckFeatureAreas(t *testing.T) {
	district := map[string]any{"code": "320282", "name": "宜兴市", "level": "district"}
	runFeatureCases(t, []featureCase{
		{"district", Areas, feature(square, district), "", ""},
		{"street", Areas, feature(square, with(district, map[string]any{"code": "320282001", "level": "street"})), "", ""},
		{"grid", Areas, feature(square, with(gridProps, map[string]any{"level": "grid"})), "", ""},

		{"no level", Areas, feature(square, gridProps), "properties.level", "required"},
		{"unknown level", Areas, feature(square, with(district, map[string]any{"level": "county"})), "properties.level", `unknown level "county"`},
		{"code of another level", Areas, feature(square, with(district, map[string]any{"code": "320282001"})), "properties.code", "must be 6 digits for a district"},
		{"name of 201 characters", Areas, feature(square, with(district, map[string]any{"name": strings.Repeat("区", 201)})), "properties.name", "at most 200"},
		{"manager phone of 51 digits", Areas, feature(square, with(district, map[string]any{"manager_phone": strings.Repeat("1", 51)})), "properties.manager_phone", "at most 50"},
	})
}

func TestCheckFeaturePoints(t *testing.T) {
	runFeatureCases(t, []featureCase{
		{"point", Points, feature(point, pointProps), "", ""},
		{"polygon", Points, feature(square, pointProps), "", ""},
		{"with grid", Points, feature(point, with(pointProps, map[string]any{"grid_code": "32028200100203"})), "", ""},

		{"line", Points, feature(line, pointProps), "geometry.type", "LineString not allowed"},
		{"longitude out of range", Points, feature(farLon, pointProps), "geometry.coordinates", "longitude 190 out of range"},
		{"position without latitude", Points, feature(latOnly, pointProps), "geometry.coordinates", "2 or 3 numbers"},
		{"no category", Points, feature(point, with(pointProps, map[string]any{"category": nil})), "properties.category", "required"},
		{"empty unit", Points, feature(point, with(pointProps, map[string]any{"unit": ""})), "properties.unit", "must not be empty"},
		{"address is a boolean", Points, feature(point, with(pointProps, map[string]any{"address": true})), "properties.address", "got a boolean"},
		{"bad grid code", Points, feature(point, with(pointProps, map[string]any{"grid_code": "3202"})), "properties.grid_code", "14-digit"},
		{"bad grid alias", Points, feature(point, with(pointProps, map[string]any{"grid": "x"})), "properties.grid", "14-digit"},
		{"code climbing a path", Points, feature(point, with(pointProps, map[string]any{"code": "../x"})), "properties.code", "only letters"},
		{"code of LIKE wildcards", Points, feature(point, with(pointProps, map[string]any{"code": "%_"})), "properties.code", "only letters"},
		{"code of 10 kB", Points, feature(point, with(pointProps, map[string]any{"code": strings.Repeat("x", 10<<10)})), "properties.code", "at most 64"},
		{"name of 1 MB", Points, feature(point, with(pointProps, map[string]any{"name": strings.Repeat("x", 1<<20)})), "properties.name", "at most 200"},
		{"address of 501 characters", Points, feature(point, with(pointProps, map[string]any{"address": strings.Repeat("路", 501)})), "properties.address", "at most 500"},
		{"NUL in a unit", Points, feature(point, with(pointProps, map[string]any{"unit": "a\x00b"})), "properties.unit", "NUL"},
	})
}

func TestCheckFeatureParking(t *testing.T) {
	tidal := with(parkingProps, map[string]any{"kind": "tidal", "windows": tidalWindows})
	runFeatureCases(t, []featureCase{
		{"smart", Parking, feature(square, parkingProps), "", ""},
		{"tidal", Parking, feature(point, tidal), "", ""},
		{"capacity as text", Parking, feature(point, with(parkingProps, map[string]any{"capacity": "80"})), "", ""},
		{"windows as a JSON string", Parking, feature(point, with(tidal, map[string]any{"windows": `[{"weekday":6,"opens":"00:00","closes":"24:00"}]`})), "", ""},

		{"unknown kind", Parking, feature(point, with(parkingProps, map[string]any{"kind": "valet"})), "properties.kind", `unknown kind "valet"`},
		{"code with a space", Parking, feature(point, with(parkingProps, map[string]any{"code": "PK 01"})), "properties.code", "only letters"},
		{"operator of 201 characters", Parking, feature(point, with(parkingProps, map[string]any{"operator": strings.Repeat("公", 201)})), "properties.operator", "at most 200"},
		{"no capacity", Parking, feature(point, with(parkingProps, map[string]any{"capacity": nil})), "properties.capacity", "required"},
		{"zero capacity", Parking, feature(point, with(parkingProps, map[string]any{"capacity": 0})), "properties.capacity", "positive"},
		{"fractional capacity", Parking, feature(point, with(parkingProps, map[string]any{"capacity": 1.5})), "properties.capacity", "integer"},
		{"occupied over capacity", Parking, feature(point, with(parkingProps, map[string]any{"occupied": 121})), "properties.occupied", "between 0 and the capacity 120"},
		{"tidal without windows", Parking, feature(point, with(tidal, map[string]any{"windows": []any{}})), "properties.windows", "required for a tidal zone"},
		{"smart with windows", Parking, feature(point, with(parkingProps, map[string]any{"windows": tidalWindows})), "properties.windows", "only tidal zones"},
		{"weekday 8", Parking, feature(point, with(tidal, map[string]any{"windows": []any{map[string]any{"weekday": 8, "opens": "08:00", "closes": "09:00"}}})),
			"properties.windows[0]", "weekday: must be 1 (Monday) to 7"},
		{"bad time", Parking, feature(point, with(tidal, map[string]any{"windows": []any{map[string]any{"weekday": 1, "opens": "8:00", "closes": "09:00"}}})),
			"properties.windows[0]", `opens: must be a time "HH:MM"`},
		{"opens at 24:00", Parking, feature(point, with(tidal, map[string]any{"windows": []any{map[string]any{"weekday": 1, "opens": "24:00", "closes": "09:00"}}})),
			"properties.windows[0]", "opens"},
		{"empty window", Parking, feature(point, with(tidal, map[string]any{"windows": []any{map[string]any{"weekday": 1, "opens": "09:00", "closes": "09:00"}}})),
			"properties.windows[0]", "both 09:00"},
		{"windows not an array", Parking, feature(point, with(tidal, map[string]any{"windows": map[string]any{"weekday": 1}})),
			"properties.windows", "must be an array"},
	})
}

func runFeatureCases(t *testing.T, cases []featureCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, row, err := checkFeature(tc.layer, tc.raw, coordsys.WGS84)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if row == nil {
					t.Fatal("no row")
				}
				return
			}
			var ve *invalid.Error
			if !errors.As(err, &ve) {
				t.Fatalf("got %v, want a invalid.Error on %s", err, tc.field)
			}
			if ve.Field != tc.field || !strings.Contains(ve.Message, tc.reason) {
				t.Errorf("got %q: %q, want %q: …%s…", ve.Field, ve.Message, tc.field, tc.reason)
			}
		})
	}
}

func TestCheckFeatureRows(t *testing.T) {
	_, row, err := checkFeature(Grids, feature(square, gridProps), coordsys.WGS84)
	if err != nil {
		t.Fatal(err)
	}
	area := row.(store.AreaRow)
	if area.Level != "grid" || area.Code != "32028200100203" || *area.Manager != "王芳" || area.ManagerPhone != nil {
		t.Errorf("area row %+v: optional fields absent from the file must stay nil", area)
	}
	_, row, err = checkFeature(Points, feature(point, with(pointProps, map[string]any{"grid": "32028200100203", "person": ""})), coordsys.WGS84)
	if err != nil {
		t.Fatal(err)
	}
	p := row.(store.PointRow)
	if p.GridCode == nil || *p.GridCode != "32028200100203" || p.Person == nil || *p.Person != "" || p.Phone != nil {
		t.Errorf("point row %+v", p)
	}
}

func TestCheckFeatureConvertsCoordinates(t *testing.T) {
	for _, sys := range []coordsys.System{coordsys.WGS84, coordsys.GCJ02, coordsys.BD09} {
		_, row, err := checkFeature(Points, feature(point, pointProps), sys)
		if err != nil {
			t.Fatal(err)
		}
		g, srid, err := ewkb.Unmarshal(row.(store.PointRow).Geom)
		if err != nil || srid != 4326 {
			t.Fatalf("%s: ewkb %v, srid %d", sys, err, srid)
		}
		want := coordsys.ToWGS84(sys, orb.Point{119.805, 31.365})
		if got := g.(orb.Point); got != want {
			t.Errorf("%s: stored %v, want %v", sys, got, want)
		}
		if sys != coordsys.WGS84 && g.(orb.Point).Equal(orb.Point{119.805, 31.365}) {
			t.Errorf("%s: coordinates were not converted", sys)
		}
	}
}
