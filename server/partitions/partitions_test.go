package partitions_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"citymap/server/dbtest"
	"citymap/server/metrics"
	"citymap/server/partitions"
	"citymap/server/store"
)

var tables = []string{"changes", "issue_events", "issues", "parking_readings"}

// TestMaintainMakesMonthsAhead: maintenance leaves every table a partition for
// each month up to Ahead past the current one, gives the rows that waited in a
// DEFAULT partition (dated long before any month) a month of their own, and
// says in /metrics how many months each table has.
func TestMaintainMakesMonthsAhead(t *testing.T) {
	st := dbtest.New(t)
	ctx := t.Context()
	// an issue with its events and its contact, and a reading, from five years ago
	id := scalar[int64](t, st, `SELECT min(id) FROM issues WHERE id IN (SELECT issue_id FROM issue_events)`)
	exec(t, st, `INSERT INTO issue_contacts (issue_id, contact) VALUES ($1, '{"phone": "13800000000"}')`, id)
	exec(t, st, `UPDATE issues SET created_at = created_at - interval '5 years' WHERE id = $1`, id)
	exec(t, st, `UPDATE issue_events SET at = at - interval '5 years' WHERE issue_id = $1`, id)
	exec(t, st, `INSERT INTO parking_readings (zone_id, at, occupied)
		SELECT min(id), now() - interval '5 years', 1 FROM parking_zones`)
	for _, table := range []string{"issues", "issue_events", "parking_readings"} {
		if n := scalar[int64](t, st, `SELECT count(*) FROM `+table+`_default`); n == 0 {
			t.Fatalf("%s: the rows of five years ago are not in the DEFAULT partition", table)
		}
	}
	events := scalar[int64](t, st, `SELECT count(*) FROM issue_events WHERE issue_id = $1`, id)

	reg := metrics.NewRegistry()
	partitions.New(partitions.Config{}, st, reg).Maintain(ctx)

	for _, table := range tables {
		if n := scalar[int64](t, st, `SELECT count(*) FROM `+table+`_default`); n != 0 {
			t.Errorf("%s: %d rows still in the DEFAULT partition", table, n)
		}
		ahead := scalar[bool](t, st, `SELECT EXISTS (SELECT 1 FROM partition_months WHERE parent = $1
			AND starts <= now() + make_interval(months => $2) AND ends > now() + make_interval(months => $2))`,
			table, partitions.Ahead)
		if !ahead {
			t.Errorf("%s: no partition for the month %d months ahead", table, partitions.Ahead)
		}
	}
	// the moved issue is whole: its key, its contact, its events
	kept := scalar[bool](t, st, `SELECT EXISTS (SELECT 1 FROM issue_keys WHERE id = $1)
		AND EXISTS (SELECT 1 FROM issue_contacts WHERE issue_id = $1)
		AND (SELECT count(*) FROM issue_events WHERE issue_id = $1) = $2
		AND (SELECT created_at < now() - interval '4 years' FROM issues WHERE id = $1)`, id, events)
	if !kept {
		t.Error("the issue moved out of the DEFAULT partition lost its key, its contact or its events")
	}

	rec := httptest.NewRecorder()
	reg.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, table := range tables {
		want := fmt.Sprintf(`citymap_partitions{table=%q} %d`, table,
			scalar[int64](t, st, `SELECT count(*) FROM partition_months WHERE parent = $1 AND starts IS NOT NULL`, table))
		if !strings.Contains(rec.Body.String(), want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
		if !strings.Contains(rec.Body.String(), fmt.Sprintf(`citymap_partitions_oldest_month_seconds{table=%q}`, table)) {
			t.Errorf("/metrics lacks the oldest month of %s", table)
		}
	}
	// twice is once
	if n, err := st.MaintainPartitions(ctx, partitions.Ahead); err != nil || n != 0 {
		t.Errorf("maintaining again created %d partitions (%v)", n, err)
	}
}

// TestIssueKeys: with issues partitioned by month, issue_keys keeps what
// issues (id) did: an id names one issue, what references it is checked, a
// delete refuses or cascades as the foreign keys say, and moving an issue to
// another month (its created_at changed) keeps everything that references it.
func TestIssueKeys(t *testing.T) {
	st := dbtest.New(t)
	withEvents := scalar[int64](t, st, `SELECT min(issue_id) FROM issue_events`)
	exec(t, st, `INSERT INTO issue_contacts (issue_id, contact) VALUES ($1, '{"phone": "13800000000"}')`, withEvents)

	t.Run("an id is taken once", func(t *testing.T) {
		// the same row again, and the same id in another month
		for _, shift := range []string{"0", "1 month"} {
			err := execErr(st, `INSERT INTO issues (id, source, category, geom, deadline, created_at)
				SELECT id, source, category, geom, deadline, created_at - $2::interval FROM issues WHERE id = $1`,
				withEvents, shift)
			if code(err) != "23505" {
				t.Errorf("shifted %s: a second issue %d: %v, want unique_violation", shift, withEvents, err)
			}
		}
	})
	t.Run("a taken (source, external_id) is skipped", func(t *testing.T) {
		exec(t, st, `UPDATE issues SET external_id = 'keys-test-1' WHERE id = $1`, withEvents)
		n := scalar[int64](t, st, `WITH x AS (INSERT INTO issues (source, external_id, category, geom, deadline)
			SELECT source, external_id, category, geom, deadline FROM issues WHERE id = $1 RETURNING 1)
			SELECT count(*) FROM x`, withEvents)
		if n != 0 {
			t.Errorf("%d issues inserted with a taken (source, external_id)", n)
		}
		if got := scalar[string](t, st, `SELECT external_id FROM issue_keys WHERE id = $1`, withEvents); got != "keys-test-1" {
			t.Errorf("issue_keys holds external id %q after the update", got)
		}
	})
	t.Run("an id does not change", func(t *testing.T) {
		if err := execErr(st, `UPDATE issues SET id = -id WHERE id = $1`, withEvents); code(err) != "23000" {
			t.Errorf("changing the id: %v, want integrity_constraint_violation", err)
		}
	})
	t.Run("a move to another month keeps what references it", func(t *testing.T) {
		exec(t, st, `UPDATE issues SET created_at = created_at - interval '2 months' WHERE id = $1`, withEvents)
		ok := scalar[bool](t, st, `SELECT EXISTS (SELECT 1 FROM issue_contacts WHERE issue_id = $1)
			AND EXISTS (SELECT 1 FROM issue_keys WHERE id = $1)`, withEvents)
		if !ok {
			t.Error("moving the issue lost its key or its contact")
		}
	})
	t.Run("a delete refuses while events reference it", func(t *testing.T) {
		if err := execErr(st, `DELETE FROM issues WHERE id = $1`, withEvents); code(err) != "23503" {
			t.Errorf("deleting an issue with events: %v, want foreign_key_violation", err)
		}
	})
	t.Run("a delete cascades to the contact", func(t *testing.T) {
		exec(t, st, `DELETE FROM issue_events WHERE issue_id = $1`, withEvents)
		exec(t, st, `UPDATE tasks SET issue_id = NULL WHERE issue_id = $1`, withEvents)
		exec(t, st, `DELETE FROM issues WHERE id = $1`, withEvents)
		left := scalar[int64](t, st, `SELECT (SELECT count(*) FROM issue_keys WHERE id = $1)
			+ (SELECT count(*) FROM issue_contacts WHERE issue_id = $1)`, withEvents)
		if left != 0 {
			t.Errorf("%d keys and contacts left of the deleted issue", left)
		}
		if err := execErr(st, `INSERT INTO issue_events (issue_id, action, to_status, actor) VALUES ($1, 'update', 'closed', 'x')`,
			withEvents); code(err) != "23503" {
			t.Errorf("an event of the deleted issue: %v, want foreign_key_violation", err)
		}
	})
}

func scalar[T any](t *testing.T, st *store.Store, sql string, args ...any) T {
	t.Helper()
	var v T
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := st.Pool.QueryRow(ctx, sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func exec(t *testing.T, st *store.Store, sql string, args ...any) {
	t.Helper()
	if err := execErr(st, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func execErr(st *store.Store, sql string, args ...any) error {
	_, err := st.Pool.Exec(context.Background(), sql, args...)
	return err
}

func code(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
