package migrations_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"citymap/migrations"
	"citymap/server/dbtest"
)

// beforePartitions is the last migration before the one that partitions the
// tables by month.
const beforePartitions = 27

// convertedTables are the tables 0028 partitions, and those whose foreign keys
// it moves to issue_keys: every row of each must come through unchanged.
var convertedTables = []string{"issues", "issue_events", "changes", "parking_readings", "tasks", "issue_contacts"}

// TestPartitionsConvertInPlace: migration 0028 turns the tables of a database
// at 0027 that holds the demo city into month-partitioned ones without losing
// or changing a row. The database at 0027 is built by migrating an empty one
// that far and copying the city of the test template into it.
func TestPartitionsConvertInPlace(t *testing.T) {
	src, dst := dbtest.New(t), dbtest.Empty(t)
	if _, err := migrations.ApplyThrough(t.Context(), dst.Pool, beforePartitions); err != nil {
		t.Fatal(err)
	}
	copyCity(t, src.Pool, dst.Pool)
	// the template's feed is empty and its city has no contacts: a feed over
	// three months, and a contact for some issues
	_, err := dst.Pool.Exec(t.Context(), `
		INSERT INTO changes (seq, layer, op, object_id, feature, geom, committed_at)
		SELECT n, 'issues', 'upsert', i.id::text, issue_feature(i), i.geom, now() - (3000 - n) * interval '45 minutes'
		FROM generate_series(1, 3000) n JOIN issues i ON i.id = n;
		UPDATE change_counter SET seq = 3000;
		INSERT INTO issue_contacts (issue_id, contact) SELECT id, jsonb_build_object('phone', '1380000' || id)
		FROM issues WHERE id % 100 = 0`)
	if err != nil {
		t.Fatal(err)
	}
	checkConversion(t, dst.Pool, true)
}

// TestPartitionsConvertLarge is the same conversion on a database at 0027
// named by CITYMAP_CONVERT_DATABASE_URL (the scale-20 city: see
// docs/PARTITIONS.md), which it converts for good. make test does not set it.
func TestPartitionsConvertLarge(t *testing.T) {
	url := os.Getenv("CITYMAP_CONVERT_DATABASE_URL")
	if url == "" {
		t.Skip("CITYMAP_CONVERT_DATABASE_URL names no database at 0027 to convert")
	}
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	checkConversion(t, pool, false)
}

// checkConversion applies the migrations after 0027 to pool and checks that
// every converted table holds the same rows as before, that the four are
// partitioned, and that every issue has its key. With full, every table but
// the contacts must have held rows (a seeded city's feed is empty).
func checkConversion(t *testing.T, pool *pgxpool.Pool, full bool) {
	ctx := t.Context()
	if v, err := migrations.Current(ctx, pool); err != nil || v != beforePartitions {
		t.Fatalf("the database is at migration %d (%v), want %d", v, err, beforePartitions)
	}
	before := fingerprints(t, pool)
	start := time.Now()
	if _, err := migrations.Apply(ctx, pool); err != nil {
		t.Fatal(err)
	}
	t.Logf("converted in %v", time.Since(start).Round(time.Millisecond))
	after := fingerprints(t, pool)
	for _, table := range convertedTables {
		t.Logf("%s: %s", table, before[table])
		if after[table] != before[table] {
			t.Errorf("%s: %s before, %s after", table, before[table], after[table])
		}
		if full && strings.HasPrefix(before[table], "0 rows") && table != "issue_contacts" {
			t.Errorf("%s was empty: the test converted nothing", table)
		}
	}
	var partitioned, keys, issues, months int64
	err := pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM pg_class WHERE relkind = 'p' AND relname IN ('issues', 'issue_events', 'changes', 'parking_readings')),
		(SELECT count(*) FROM issue_keys k JOIN issues i USING (id, source) WHERE i.external_id IS NOT DISTINCT FROM k.external_id),
		(SELECT count(*) FROM issues),
		(SELECT count(*) FROM partition_months WHERE parent = 'issues' AND starts IS NOT NULL)`).
		Scan(&partitioned, &keys, &issues, &months)
	if err != nil {
		t.Fatal(err)
	}
	if partitioned != 4 || keys != issues || months < 13 {
		t.Errorf("%d tables partitioned, want 4; %d of %d issues with their key; issues in %d months, want a year and more",
			partitioned, keys, issues, months)
	}
}

// fingerprints returns, for each converted table, its row count and an
// order-free checksum of its rows (the sum of a 64-bit hash of each row's text).
func fingerprints(t *testing.T, pool *pgxpool.Pool) map[string]string {
	out := map[string]string{}
	for _, table := range convertedTables {
		var n int64
		var sum string
		err := pool.QueryRow(t.Context(), fmt.Sprintf(`SELECT count(*),
			coalesce(sum(hashtextextended(t::text, 0)::numeric), 0)::text FROM %s t`, table)).Scan(&n, &sum)
		if err != nil {
			t.Fatal(err)
		}
		out[table] = fmt.Sprintf("%d rows, checksum %s", n, sum)
	}
	return out
}

// copyCity copies every row of dst's tables from src (and the sequences'
// positions), replacing what dst's migrations put in. Triggers and foreign
// keys wait: the tables are copied in no particular order.
func copyCity(t *testing.T, src, dst *pgxpool.Pool) {
	ctx := t.Context()
	from, err := src.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer from.Release()
	to, err := dst.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer to.Release()
	rows, err := to.Query(ctx, `SELECT c.relname, string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
		FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
		  AND c.relname NOT IN ('schema_migrations', 'spatial_ref_sys')
		GROUP BY c.relname`)
	if err != nil {
		t.Fatal(err)
	}
	type table struct{ Name, Columns string }
	tables, err := pgx.CollectRows(rows, pgx.RowToStructByPos[table])
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(tables))
	for i, tc := range tables {
		names[i] = pgx.Identifier{tc.Name}.Sanitize()
	}
	for _, sql := range []string{`SET session_replication_role = replica`, `TRUNCATE ` + strings.Join(names, ", ")} {
		if _, err := to.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	for i, tc := range tables {
		copyTable(ctx, t, from.Conn(), to.Conn(), names[i], tc.Columns)
	}
	if _, err := to.Exec(ctx, `RESET session_replication_role`); err != nil {
		t.Fatal(err)
	}
	rows, err = from.Query(ctx, `SELECT sequencename, last_value FROM pg_sequences
		WHERE schemaname = 'public' AND last_value IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	type position struct {
		Name string
		Last int64
	}
	seqs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[position])
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range seqs {
		if _, err := to.Exec(ctx, `SELECT setval($1::regclass, $2)`, s.Name, s.Last); err != nil {
			t.Fatal(err)
		}
	}
}

// copyTable streams one table's rows from src to dst in COPY's binary format.
func copyTable(ctx context.Context, t *testing.T, src, dst *pgx.Conn, table, columns string) {
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := src.PgConn().CopyTo(ctx, w, fmt.Sprintf(`COPY (SELECT %s FROM %s) TO STDOUT (FORMAT binary)`, columns, table))
		w.CloseWithError(err)
		done <- err
	}()
	_, err := dst.PgConn().CopyFrom(ctx, r, fmt.Sprintf(`COPY %s (%s) FROM STDIN (FORMAT binary)`, table, columns))
	r.Close()
	if srcErr := <-done; srcErr != nil && err == nil {
		err = srcErr
	}
	if err != nil {
		t.Fatalf("copy %s: %v", table, err)
	}
}
