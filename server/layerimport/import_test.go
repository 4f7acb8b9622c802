package layerimport

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"citymap/geo/coordsys"
	"citymap/server/dbtest"
	"citymap/server/store"
)

// The integration tests run on an empty, migrated database with a parent
// hierarchy made by SQL, so that they depend on nothing but the schema.

// Squares in Yixing: the community spans two grid squares side by side.
func box(w, s, e, n float64) string {
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%[1]v,%[2]v],[%[3]v,%[2]v],[%[3]v,%[4]v],[%[1]v,%[4]v],[%[1]v,%[2]v]]]}`, w, s, e, n)
}

var (
	gridWest = box(119.80, 31.36, 119.81, 31.37)
	gridEast = box(119.81, 31.36, 119.82, 31.37)
)

func migratedStore(t *testing.T) *store.Store {
	t.Helper()
	st := dbtest.Empty(t)
	ctx := context.Background()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	exec(t, st, `INSERT INTO areas (code, name, level, parent_id, geom) VALUES
		('320282', '宜兴市', 'district', NULL, ST_Multi(ST_MakeEnvelope(119.5, 31.0, 120.1, 31.7, 4326)))`)
	exec(t, st, `INSERT INTO areas (code, name, level, parent_id, geom)
		SELECT '320282001', '宜城街道', 'street', id, ST_Multi(ST_MakeEnvelope(119.79, 31.35, 119.83, 31.38, 4326))
		FROM areas WHERE code = '320282'`)
	exec(t, st, `INSERT INTO areas (code, name, level, parent_id, geom)
		SELECT '320282001002', '东虹社区', 'community', id, ST_Multi(ST_MakeEnvelope(119.80, 31.36, 119.82, 31.37, 4326))
		FROM areas WHERE code = '320282001'`)
	return st
}

func exec(t *testing.T, st *store.Store, sql string, args ...any) {
	t.Helper()
	if _, err := st.Pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func scalar[T any](t *testing.T, st *store.Store, sql string, args ...any) T {
	t.Helper()
	var v T
	if err := st.Pool.QueryRow(context.Background(), sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func importDoc(t *testing.T, st *store.Store, layer Layer, doc string, sys coordsys.System, dryRun bool) (Report, error) {
	t.Helper()
	return Import(context.Background(), st, strings.NewReader(doc), Options{Layer: layer, CoordSys: sys, DryRun: dryRun})
}

func mustImport(t *testing.T, st *store.Store, layer Layer, doc string) Report {
	t.Helper()
	r, err := importDoc(t, st, layer, doc, coordsys.WGS84, false)
	if err != nil {
		t.Fatalf("import %s: %v", layer, err)
	}
	return r
}

func wantCounts(t *testing.T, r Report, want string) {
	t.Helper()
	var got []string
	for _, c := range r.Counts {
		got = append(got, fmt.Sprintf("%s %d/%d", c.Kind, c.Created, c.Updated))
	}
	if strings.Join(got, ", ") != want {
		t.Errorf("counts %v, want %s (created/updated)", got, want)
	}
}

func gridsFile(name string) string {
	return collection(
		feature(gridWest, map[string]any{"code": "32028200100201", "name": name + " 1", "manager": "王芳", "manager_phone": "13800000001"}),
		feature(gridEast, map[string]any{"code": "32028200100202", "name": name + " 2"}))
}

// A good file of each layer imports, reports its counts and writes the changes
// feed; importing it again updates every object and bumps its version.
func TestImportGrids(t *testing.T) {
	st := migratedStore(t)
	wantCounts(t, mustImport(t, st, Grids, gridsFile("东虹网格")), "grids 2/0")
	if n := scalar[int](t, st, `SELECT count(*) FROM areas a JOIN areas c ON c.id = a.parent_id
		WHERE a.level = 'grid' AND c.code = '320282001002'`); n != 2 {
		t.Errorf("%d grids under their community, want 2", n)
	}
	if got := scalar[string](t, st, `SELECT string_agg(object_id || ':' || (feature->'properties'->>'version'), ',' ORDER BY seq)
		FROM changes WHERE layer = 'grids' AND op = 'upsert'`); got != "32028200100201:1,32028200100202:1" {
		t.Errorf("changes feed %q", got)
	}

	// the second file leaves out the managers, which the app may have assigned
	wantCounts(t, mustImport(t, st, Grids, collection(
		feature(gridWest, map[string]any{"code": "32028200100201", "name": "新名 1"}),
		feature(gridEast, map[string]any{"code": "32028200100202", "name": "新名 2", "manager": "李强"}))), "grids 0/2")
	got := scalar[string](t, st, `SELECT string_agg(concat_ws('|', code, name, manager, manager_phone, version), ',' ORDER BY code)
		FROM areas WHERE level = 'grid'`)
	if want := "32028200100201|新名 1|王芳|13800000001|2,32028200100202|新名 2|李强||2"; got != want {
		t.Errorf("after re-import:\n got %s\nwant %s", got, want)
	}
	if n := scalar[int](t, st, `SELECT count(*) FROM changes WHERE layer = 'grids'`); n != 4 {
		t.Errorf("%d grid changes, want 4", n)
	}
}

func TestImportPoints(t *testing.T) {
	st := migratedStore(t)
	mustImport(t, st, Grids, gridsFile("网格"))
	points := collection(
		feature(`{"type":"Point","coordinates":[119.815,31.365]}`, pointProps),
		feature(box(119.801, 31.361, 119.802, 31.362), map[string]any{"code": "P-0002", "name": "东虹小区",
			"category": "residential", "unit": "cgj", "person": "赵六", "grid_code": "32028200100202"}),
		feature(`{"type":"Point","coordinates":[119.9,31.5]}`, with(pointProps, map[string]any{"code": "P-0003"})))
	wantCounts(t, mustImport(t, st, Points, points), "points 3/0")
	got := scalar[string](t, st, `SELECT string_agg(concat_ws('|', code, coalesce(grid_code, '-'), person, version), ',' ORDER BY code) FROM points`)
	// P-0001 found its grid by position, P-0002 kept the one it gave, P-0003 lies outside every grid
	if want := "P-0001|32028200100202||1,P-0002|32028200100202|赵六|1,P-0003|-||1"; got != want {
		t.Errorf("points:\n got %s\nwant %s", got, want)
	}
	wantCounts(t, mustImport(t, st, Points, points), "points 0/3")
	if v := scalar[int](t, st, `SELECT min(version) FROM points`); v != 2 {
		t.Errorf("version %d after re-import, want 2", v)
	}
	if n := scalar[int](t, st, `SELECT count(*) FROM changes WHERE layer = 'points'`); n != 6 {
		t.Errorf("%d point changes, want 6", n)
	}
}

func TestImportParking(t *testing.T) {
	st := migratedStore(t)
	mustImport(t, st, Grids, gridsFile("网格"))
	zones := func(capacity int) string {
		return collection(
			feature(`{"type":"Point","coordinates":[119.805,31.365]}`, with(parkingProps, map[string]any{"capacity": capacity})),
			feature(gridEast, map[string]any{"code": "PK-02", "name": "东虹小学潮汐车位", "kind": "tidal", "capacity": 30,
				"windows": []any{
					map[string]any{"weekday": 5, "opens": "19:00", "closes": "07:00"},
					map[string]any{"weekday": 6, "opens": "09:00", "closes": "21:00"},
				}}))
	}
	wantCounts(t, mustImport(t, st, Parking, zones(120)), "parking 2/0")
	windows := scalar[string](t, st, `SELECT string_agg(format('%s %s-%s', weekday, opens, closes), ', ' ORDER BY weekday, opens)
		FROM parking_windows w JOIN parking_zones z ON z.id = w.zone_id WHERE z.code = 'PK-02'`)
	if want := "5 19:00:00-24:00:00, 6 00:00:00-07:00:00, 6 09:00:00-21:00:00"; windows != want {
		t.Errorf("windows %q, want %q", windows, want)
	}
	if g := scalar[string](t, st, `SELECT grid_code FROM parking_zones WHERE code = 'PK-01'`); g != "32028200100201" {
		t.Errorf("PK-01 in grid %q", g)
	}

	// live occupancy survives a re-import that does not state it, capped at the new capacity
	exec(t, st, `UPDATE parking_zones SET occupied = 100 WHERE code = 'PK-01'`)
	wantCounts(t, mustImport(t, st, Parking, zones(80)), "parking 0/2")
	if got := scalar[string](t, st, `SELECT concat_ws('|', capacity, occupied, version) FROM parking_zones WHERE code = 'PK-01'`); got != "80|80|2" {
		t.Errorf("PK-01 capacity|occupied|version = %s, want 80|80|2", got)
	}
	if n := scalar[int](t, st, `SELECT count(*) FROM parking_windows`); n != 3 {
		t.Errorf("%d windows after re-import, want the same 3", n)
	}
	if n := scalar[int](t, st, `SELECT count(*) FROM changes WHERE layer = 'parking'`); n != 4 {
		t.Errorf("%d parking changes, want 4", n)
	}
}

// One file brings a new district with its whole hierarchy, children first:
// the import writes parents first and feeds "areas" and "grids" changes.
func TestImportAreasHierarchy(t *testing.T) {
	st := migratedStore(t)
	area := func(level, code, geom string) []byte {
		return feature(geom, map[string]any{"level": level, "code": code, "name": "丁蜀 " + code})
	}
	doc := collection(
		area("grid", "32028300100101", box(119.80, 31.20, 119.81, 31.21)),
		area("grid", "32028300100102", box(119.81, 31.20, 119.82, 31.21)),
		area("community", "320283001001", box(119.80, 31.20, 119.82, 31.21)),
		area("street", "320283001", box(119.79, 31.19, 119.83, 31.22)),
		area("district", "320283", box(119.7, 31.1, 119.9, 31.3)))
	wantCounts(t, mustImport(t, st, Areas, doc), "districts 1/0, streets 1/0, communities 1/0, grids 2/0")
	got := scalar[string](t, st, `SELECT string_agg(a.code || '<' || coalesce(p.code, '-'), ',' ORDER BY a.code)
		FROM areas a LEFT JOIN areas p ON p.id = a.parent_id WHERE a.code LIKE '320283%'`)
	want := "320283<-,320283001<320283,320283001001<320283001,32028300100101<320283001001,32028300100102<320283001001"
	if got != want {
		t.Errorf("hierarchy:\n got %s\nwant %s", got, want)
	}
	if got := scalar[string](t, st, `SELECT string_agg(layer || ':' || object_id, ',' ORDER BY seq) FROM changes`); got !=
		"areas:320283,areas:320283001,areas:320283001001,grids:32028300100101,grids:32028300100102" {
		t.Errorf("changes %s", got)
	}
}

// Coordinates in GCJ-02 (AMap) land at their WGS-84 position.
func TestImportConvertsGCJ02(t *testing.T) {
	st := migratedStore(t)
	mustImport(t, st, Grids, gridsFile("网格"))
	gcj := orb.Point{119.815, 31.365}
	doc := collection(feature(fmt.Sprintf(`{"type":"Point","coordinates":[%v,%v]}`, gcj[0], gcj[1]), pointProps))
	if _, err := importDoc(t, st, Points, doc, coordsys.GCJ02, false); err != nil {
		t.Fatal(err)
	}
	var x, y float64
	if err := st.Pool.QueryRow(context.Background(), `SELECT ST_X(geom), ST_Y(geom) FROM points`).Scan(&x, &y); err != nil {
		t.Fatal(err)
	}
	want := coordsys.GCJ02ToWGS84(gcj)
	if math.Abs(x-want[0]) > 1e-9 || math.Abs(y-want[1]) > 1e-9 {
		t.Errorf("stored (%v, %v), want (%v, %v)", x, y, want[0], want[1])
	}
	if math.Abs(x-gcj[0]) < 1e-4 {
		t.Errorf("stored longitude %v is the GCJ-02 input: not converted", x)
	}
}

// A dry run runs every check and write, reports the counts, and leaves the
// database as it was.
func TestImportDryRun(t *testing.T) {
	st := migratedStore(t)
	before := rowCounts(t, st)
	r, err := importDoc(t, st, Grids, gridsFile("网格"), coordsys.WGS84, true)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, r, "grids 2/0")
	if !r.DryRun || !strings.Contains(r.String(), "nothing written") {
		t.Errorf("report %q does not say it was a dry run", r)
	}
	if after := rowCounts(t, st); after != before {
		t.Errorf("dry run changed row counts: %s → %s", before, after)
	}
}

// rowCounts sums up every table an import writes, and the feed's counter.
func rowCounts(t *testing.T, st *store.Store) string {
	return scalar[string](t, st, `SELECT concat_ws(' ',
		(SELECT count(*) FROM areas), (SELECT count(*) FROM points), (SELECT count(*) FROM parking_zones),
		(SELECT count(*) FROM parking_windows), (SELECT count(*) FROM changes), (SELECT seq FROM change_counter),
		(SELECT coalesce(sum(version), 0) FROM areas))`)
}

// Each bad file is rejected with the index of its first bad feature and the
// reason, and writes nothing: the good features before it included.
func TestImportRejectsBadFiles(t *testing.T) {
	st := migratedStore(t)
	mustImport(t, st, Grids, gridsFile("网格"))
	good := feature(gridWest, map[string]any{"code": "32028200100201", "name": "改名"})
	grid := func(code, geom string) []byte { return feature(geom, map[string]any{"code": code, "name": code}) }
	// valid for geo/validate, which leaves holes outside their shell to PostGIS
	holeOutside := `{"type":"Polygon","coordinates":[[[119.80,31.36],[119.81,31.36],[119.81,31.37],[119.80,31.37],[119.80,31.36]],
		[[119.90,31.36],[119.91,31.36],[119.91,31.37],[119.90,31.36]]]}`
	goodPoint := feature(`{"type":"Point","coordinates":[119.805,31.365]}`, pointProps)
	pointWith := func(changes map[string]any) []byte {
		return feature(`{"type":"Point","coordinates":[119.805,31.365]}`, with(pointProps, changes))
	}
	tests := []struct {
		name  string
		layer Layer
		doc   string
		err   string
	}{
		{"missing parent community", Grids, collection(good, grid("32028200100301", gridEast)),
			"feature 1 (code 32028200100301): parent: parent community 320282001003 does not exist: import it first"},
		{"invalid for PostGIS", Grids, collection(good, grid("32028200100203", holeOutside)),
			"feature 1 (code 32028200100203): geometry: Hole lies outside shell"},
		{"self-intersecting", Grids, collection(good, grid("32028200100203", bowTie)),
			"feature 1 (code 32028200100203): geometry.coordinates[0]: ring self-intersects"},
		{"wrong geometry type", Grids, collection(good, grid("32028200100203", point)),
			"feature 1 (code 32028200100203): geometry.type: Point not allowed here"},
		{"missing name", Grids, collection(good, feature(gridEast, map[string]any{"code": "32028200100203"})),
			"feature 1 (code 32028200100203): properties.name: required"},
		{"duplicate code", Grids, collection(good, good), "feature 1 (code 32028200100201): properties.code: duplicate"},
		{"broken JSON", Grids, collection(good)[:200], "invalid JSON at byte 200"},
		{"not a FeatureCollection", Grids, gridWest, `top-level type is "Polygon"`},
		{"empty collection", Grids, collection(), "has no features"},
		{"unknown category", Points, collection(goodPoint, pointWith(map[string]any{"code": "P-9", "category": "casino"})),
			`feature 1 (code P-9): properties.category: unknown category "casino" (known: back_alley, `},
		{"unknown grid", Points, collection(goodPoint, pointWith(map[string]any{"code": "P-9", "grid_code": "32028200100299"})),
			"feature 1 (code P-9): properties.grid_code: no grid has the code 32028200100299"},
		{"out of range", Points, collection(goodPoint, feature(`{"type":"Point","coordinates":[119.8,95]}`, with(pointProps, map[string]any{"code": "P-9"}))),
			"feature 1 (code P-9): geometry.coordinates: latitude 95 out of range"},
		{"unknown kind", Parking, collection(feature(point, parkingProps), feature(point, with(parkingProps, map[string]any{"code": "PK-9", "kind": "valet"}))),
			`feature 1 (code PK-9): properties.kind: unknown kind "valet"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := rowCounts(t, st)
			_, err := importDoc(t, st, tc.layer, tc.doc, coordsys.WGS84, false)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("got %v\nwant …%s…", err, tc.err)
			}
			if after := rowCounts(t, st); after != before {
				t.Errorf("rejected file changed row counts: %s → %s", before, after)
			}
		})
	}
}

// A rejection by the database still names the feature, not the row.
func TestImportErrorNamesSortedFeature(t *testing.T) {
	st := migratedStore(t)
	doc := collection(
		feature(gridEast, map[string]any{"level": "grid", "code": "32028200200101", "name": "x"}),
		feature(gridWest, map[string]any{"level": "community", "code": "320282001009", "name": "y"}))
	_, err := importDoc(t, st, Areas, doc, coordsys.WGS84, false)
	var fe *FeatureError
	if !errors.As(err, &fe) || fe.Index != 0 || !strings.Contains(err.Error(), "parent community 320282002001 does not exist") {
		t.Errorf("got %v, want feature 0 with its missing community", err)
	}
}
