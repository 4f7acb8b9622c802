package migrations_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"citymap/server/dbtest"
)

// schemaFingerprint summarises tables, columns, constraints and indexes.
func schemaFingerprint(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var fp string
	err := pool.QueryRow(context.Background(), `SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (
		SELECT table_name || '.' || column_name || ':' || data_type AS x
		  FROM information_schema.columns WHERE table_schema = 'public'
		UNION ALL SELECT conname || ':' || pg_get_constraintdef(oid) FROM pg_constraint
		 WHERE connamespace = 'public'::regnamespace
		UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public') s`).Scan(&fp)
	if err != nil {
		t.Fatal(err)
	}
	return fp
}

// The schema itself refuses what must never be stored.
func TestConstraintsReject(t *testing.T) {
	ctx := context.Background()
	st := dbtest.Empty(t)
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const square = `'SRID=4326;MULTIPOLYGON(((119.8 31.3,119.9 31.3,119.9 31.4,119.8 31.4,119.8 31.3)))'`
	setup := []string{
		`INSERT INTO areas (code, name, level, geom) VALUES ('320282', '宜兴市', 'district', ` + square + `)`,
		`INSERT INTO points (code, name, category, unit, geom)
		 VALUES ('P1', '菜场', 'farmers_market', '市场监管局', 'SRID=4326;POINT(119.85 31.35)')`,
		`INSERT INTO parking_zones (code, name, kind, capacity, geom)
		 VALUES ('Z1', '停车场', 'smart', 10, 'SRID=4326;POINT(119.85 31.35)')`,
	}
	for _, sql := range setup {
		if _, err := st.Pool.Exec(ctx, sql); err != nil {
			t.Fatalf("setup %q: %v", sql, err)
		}
	}
	bowtie := `'SRID=4326;MULTIPOLYGON(((119.8 31.3,119.9 31.4,119.9 31.3,119.8 31.4,119.8 31.3)))'`
	cases := []struct{ name, sql string }{
		{"invalid geometry", `INSERT INTO areas (code, name, level, parent_id, geom)
			SELECT '320282001', '街道', 'street', id, ` + bowtie + ` FROM areas WHERE code = '320282'`},
		{"wrong SRID", `INSERT INTO areas (code, name, level, parent_id, geom)
			SELECT '320282001', '街道', 'street', id,
			'SRID=3857;MULTIPOLYGON(((0 0,1 0,1 1,0 1,0 0)))' FROM areas WHERE code = '320282'`},
		{"wrong geometry type", `INSERT INTO areas (code, name, level, parent_id, geom)
			SELECT '320282001', '街道', 'street', id, 'SRID=4326;POINT(119.8 31.3)' FROM areas WHERE code = '320282'`},
		{"unknown level", `INSERT INTO areas (code, name, level, parent_id, geom)
			SELECT '320282001', '街道', 'block', id, ` + square + ` FROM areas WHERE code = '320282'`},
		{"grid code not 14 digits", `INSERT INTO areas (code, name, level, parent_id, geom)
			SELECT '3202820010010', '网格', 'grid', id, ` + square + ` FROM areas WHERE code = '320282'`},
		{"duplicate area code", `INSERT INTO areas (code, name, level, geom) VALUES ('320282', '重复', 'district', ` + square + `)`},
		{"street without parent", `INSERT INTO areas (code, name, level, geom) VALUES ('320282009', '街道', 'street', ` + square + `)`},
		{"duplicate point code", `INSERT INTO points (code, name, category, unit, geom)
			VALUES ('P1', '又一个', 'park', '园林处', 'SRID=4326;POINT(119.85 31.35)')`},
		{"unknown point category", `INSERT INTO points (code, name, category, unit, geom)
			VALUES ('P2', '点位', 'volcano', '园林处', 'SRID=4326;POINT(119.85 31.35)')`},
		{"line as point geometry", `INSERT INTO points (code, name, category, unit, geom)
			VALUES ('P3', '点位', 'park', '园林处', 'SRID=4326;LINESTRING(119.85 31.35,119.86 31.36)')`},
		{"unknown parking kind", `INSERT INTO parking_zones (code, name, kind, capacity, geom)
			VALUES ('Z2', '停车场', 'valet', 10, 'SRID=4326;POINT(119.85 31.35)')`},
		{"occupancy over capacity", `UPDATE parking_zones SET occupied = 11 WHERE code = 'Z1'`},
		{"negative occupancy", `UPDATE parking_zones SET occupied = -1 WHERE code = 'Z1'`},
		{"window closing before opening", `INSERT INTO parking_windows (zone_id, weekday, opens, closes)
			SELECT id, 1, '18:00', '08:00' FROM parking_zones WHERE code = 'Z1'`},
		{"unknown issue status", `INSERT INTO issues (source, category, geom, deadline, status)
			VALUES ('hotline_12345', 'noise', 'SRID=4326;POINT(119.85 31.35)', now(), 'lost')`},
		{"unknown issue source", `INSERT INTO issues (source, category, geom, deadline)
			VALUES ('pigeon', 'noise', 'SRID=4326;POINT(119.85 31.35)', now())`},
		{"unknown issue category", `INSERT INTO issues (source, category, geom, deadline)
			VALUES ('hotline_12345', 'volcano', 'SRID=4326;POINT(119.85 31.35)', now())`},
		{"issue geometry not a point", `INSERT INTO issues (source, category, geom, deadline)
			VALUES ('hotline_12345', 'noise', 'SRID=4326;LINESTRING(119.85 31.35,119.86 31.36)', now())`},
		{"merged without duplicate_of", `INSERT INTO issues (source, category, geom, deadline, status)
			VALUES ('hotline_12345', 'noise', 'SRID=4326;POINT(119.85 31.35)', now(), 'merged')`},
		{"unknown token role", `INSERT INTO api_tokens (name, role, token_hash) VALUES ('x', 'god', sha256('x'))`},
		{"grid manager without areas", `INSERT INTO api_tokens (name, role, token_hash) VALUES ('x', 'grid_manager', sha256('y'))`},
		{"unhashed token", `INSERT INTO api_tokens (name, role, token_hash) VALUES ('x', 'viewer', 'secret')`},
		{"unknown change layer", `INSERT INTO changes (seq, layer, op, object_id) VALUES (1, 'weather', 'upsert', '1')`},
		{"point code climbing a path", `INSERT INTO points (code, name, category, unit, geom)
			VALUES ('../x', '点位', 'park', '园林处', 'SRID=4326;POINT(119.85 31.35)')`},
		{"point code of LIKE wildcards", `INSERT INTO points (code, name, category, unit, geom)
			VALUES ('%_', '点位', 'park', '园林处', 'SRID=4326;POINT(119.85 31.35)')`},
		{"point code of 65 characters", `INSERT INTO points (code, name, category, unit, geom)
			VALUES (repeat('x', 65), '点位', 'park', '园林处', 'SRID=4326;POINT(119.85 31.35)')`},
		{"point name of 201 characters", `UPDATE points SET name = repeat('名', 201) WHERE code = 'P1'`},
		{"point address of 501 characters", `UPDATE points SET address = repeat('路', 501) WHERE code = 'P1'`},
		{"parking code with a space", `UPDATE parking_zones SET code = 'Z 1' WHERE code = 'Z1'`},
		{"parking name of a megabyte", `UPDATE parking_zones SET name = repeat('x', 1 << 20) WHERE code = 'Z1'`},
		{"area name of 201 characters", `UPDATE areas SET name = repeat('区', 201) WHERE code = '320282'`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := st.Pool.Exec(ctx, c.sql); err == nil {
				t.Errorf("accepted: %s", c.sql)
			}
		})
	}
	// the rows the cases bend are fine as they are, so each rejection is the case's own
	valid := []string{
		`INSERT INTO areas (code, name, level, parent_id, geom)
			SELECT '320282001', '街道', 'street', id, ` + square + ` FROM areas WHERE code = '320282'`,
		`INSERT INTO parking_windows (zone_id, weekday, opens, closes)
			SELECT id, 1, '18:00', '24:00' FROM parking_zones WHERE code = 'Z1'`,
		`INSERT INTO issues (source, category, geom, deadline)
			VALUES ('hotline_12345', 'noise', 'SRID=4326;POINT(119.85 31.35)', now())`,
		`INSERT INTO api_tokens (name, role, token_hash) VALUES ('x', 'viewer', sha256('x'))`,
	}
	for _, sql := range valid {
		if _, err := st.Pool.Exec(ctx, sql); err != nil {
			t.Errorf("valid row refused: %v\n%s", err, sql)
		}
	}
}

// The demo city passes every constraint, those of text (migration 0016, added
// NOT VALID and validated where the stored rows allow) included.
func TestDemoCityPassesEveryConstraint(t *testing.T) {
	st := dbtest.New(t)
	var invalid []string
	err := st.Pool.QueryRow(context.Background(), `SELECT coalesce(array_agg(conname::text), '{}') FROM pg_constraint
		WHERE connamespace = 'public'::regnamespace AND NOT convalidated`).Scan(&invalid)
	if err != nil {
		t.Fatal(err)
	}
	if len(invalid) > 0 {
		t.Errorf("constraints left unvalidated on the demo city: %v", invalid)
	}
}
