package store_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"citymap/server/dbtest"
	"citymap/server/store"
	"citymap/server/table"
)

// hexagonReferenceSQL is the hotspot report as one statement, counting and
// shaping every hexagon in PostGIS: what HexagonReport answered before it
// kept the shapes. $1 the edge in metres, $2 and $3 the range, $4 a category
// or NULL.
const hexagonReferenceSQL = `WITH k AS (SELECT $1::float8 / cos(radians(coalesce(
		(SELECT ST_Y(ST_Centroid(ST_Extent(geom)::geometry)) FROM areas WHERE level = 'district'), 0))) AS size),
	c AS (SELECT h.i, h.j, count(*) AS issues
		FROM issues i CROSS JOIN k
		CROSS JOIN LATERAL (SELECT ST_Transform(i.geom, 3857) AS m) p
		CROSS JOIN LATERAL (SELECT g.i, g.j FROM ST_HexagonGrid(k.size, p.m) g
			WHERE ST_Intersects(g.geom, p.m) LIMIT 1) h
		WHERE i.created_at >= $2 AND i.created_at < $3 AND ($4::text IS NULL OR i.category = $4)
		GROUP BY h.i, h.j)
	SELECT c.i || ',' || c.j AS cell, c.issues,
		round(ST_X(ST_Centroid(x.hex))::numeric, 6)::float8 AS lon,
		round(ST_Y(ST_Centroid(x.hex))::numeric, 6)::float8 AS lat,
		ST_AsGeoJSON(x.hex, 6) AS geometry
	FROM c CROSS JOIN k
	CROSS JOIN LATERAL (SELECT ST_Transform(ST_SetSRID(ST_Hexagon(k.size, c.i, c.j), 3857), 4326) AS hex) x
	ORDER BY c.issues DESC, c.i, c.j`

// TestHexagonShapes checks that the hotspot report with its kept shapes
// answers byte for byte what PostGIS answers shaping every hexagon afresh:
// on the first report of an edge (nothing kept), on the next (everything
// kept), and when a CSV answer kept the centres before a GeoJSON one needs
// the polygons too.
func TestHexagonShapes(t *testing.T) {
	t.Parallel()
	s := dbtest.New(t)
	ctx := context.Background()
	var from, to time.Time
	var category string
	if err := s.Pool.QueryRow(ctx, `SELECT min(created_at), max(created_at) + interval '1 second',
		(SELECT category FROM issues GROUP BY 1 ORDER BY count(*) DESC LIMIT 1) FROM issues`).Scan(&from, &to, &category); err != nil {
		t.Fatal(err)
	}
	mid := from.Add(to.Sub(from) / 2)
	cases := []struct {
		name     string
		size     float64
		from, to time.Time
		category string
	}{
		{"50 m, everything", 50, from, to, ""},
		{"100 m, the second half", 100, mid, to, ""},
		{"100 m, one category", 100, from, to, category},
		{"733.7 m, the first half", 733.7, from, mid, ""},
		{"20 km, everything", 20000, from, to, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := referenceHexagons(t, s, c.size, c.from, c.to, c.category)
			if len(want.Rows) == 0 {
				t.Fatal("the reference found no hexagons: the test's range is wrong")
			}
			f := store.ReportFilter{From: c.from, To: c.to, Zone: "Asia/Shanghai"}
			if c.category != "" {
				f.Categories = []string{c.category}
			}
			for _, pass := range []struct {
				name     string
				geometry bool
			}{{"centres first", false}, {"polygons then", true}, {"polygons kept", true}, {"centres kept", false}} {
				f.Geometry = pass.geometry
				got, err := s.HexagonReport(ctx, c.size, f)
				if err != nil {
					t.Fatalf("%s: %v", pass.name, err)
				}
				w := *want
				if !pass.geometry {
					w.Geometry = nil
				}
				if !reflect.DeepEqual(got.Columns, w.Columns) || !reflect.DeepEqual(got.Rows, w.Rows) {
					t.Fatalf("%s: the rows differ from PostGIS's:\ngot  %v %.3v\nwant %v %.3v", pass.name, got.Columns, got.Rows, w.Columns, w.Rows)
				}
				if !reflect.DeepEqual(got.Geometry, w.Geometry) {
					t.Fatalf("%s: the polygons differ from PostGIS's", pass.name)
				}
			}
		})
	}
}

// referenceHexagons runs hexagonReferenceSQL into a table as the report's
// rows: cell, issues, lon, lat, and the polygons.
func referenceHexagons(t *testing.T, s *store.Store, size float64, from, to time.Time, category string) *table.Table {
	t.Helper()
	var cat *string
	if category != "" {
		cat = &category
	}
	rows, err := s.Pool.Query(context.Background(), hexagonReferenceSQL, size, from, to, cat)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := &table.Table{Columns: []string{"cell", "issues", "lon", "lat"}, Rows: [][]any{}, Geometry: []json.RawMessage{}}
	for rows.Next() {
		var cell, geom string
		var issues int64
		var lon, lat float64
		if err := rows.Scan(&cell, &issues, &lon, &lat, &geom); err != nil {
			t.Fatal(err)
		}
		out.Rows = append(out.Rows, []any{cell, issues, lon, lat})
		out.Geometry = append(out.Geometry, json.RawMessage(geom))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
