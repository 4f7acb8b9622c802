package democity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"citymap/server/store"
)

// SeedOptions say what Seed generates and what it does with a database that
// already holds a city.
type SeedOptions struct {
	Options
	// Replace empties the seeded tables first (in the same transaction).
	Replace bool
	// IfEmpty makes Seed do nothing, without error, when areas exist.
	IfEmpty bool
	// ChunkSize is how many issues are generated and copied at a time (default 20,000).
	ChunkSize int
	// Progress, when set, is told about each table as it is written.
	Progress func(TableCount)
	// DataDir is where the generated documents of the declarations are
	// stored (as `citymap serve --data-dir` keeps uploads); empty writes
	// their rows but not their files.
	DataDir string
}

// TableCount is how many rows Seed wrote to a table and how long that took.
type TableCount struct {
	Table string
	Rows  int64
	Took  time.Duration
}

// Result is what Seed did.
type Result struct {
	Skipped bool // IfEmpty found a city
	Tables  []TableCount
	Took    time.Duration
}

// ErrNotEmpty is returned when the database already has a city and neither
// Replace nor IfEmpty was asked for.
var ErrNotEmpty = errors.New("database already has data")

// seededTables are emptied by Replace and analysed after seeding.
var seededTables = []string{"areas", "points", "inspections", "parking_zones", "parking_windows",
	"parking_readings", "calendar_days", "issue_keys", "issues", "issue_events", "changes",
	"task_events", "tasks", "campaigns", "leaders", "declaration_events", "declaration_materials", "declarations",
	"survey_responses", "surveys", "bulletins", "activity_signups", "activities"}

// lockKey serialises seeders of one database.
const lockKey = 0x7365_6564_6369_7479 // "seedcity"

// Seed generates the city for opt and writes it in one transaction, with COPY for
// the bulk tables, then analyses the tables. The schema must be migrated.
func Seed(ctx context.Context, pool *pgxpool.Pool, opt SeedOptions) (Result, error) {
	start := time.Now()
	if opt.ChunkSize <= 0 {
		opt.ChunkSize = 20000
	}
	var res Result
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(lockKey)); err != nil {
			return err
		}
		if err := checkReferenceData(ctx, tx); err != nil {
			return err
		}
		skip, err := prepare(ctx, tx, opt)
		if err != nil || skip {
			res.Skipped = skip
			return err
		}
		city := Generate(opt.Options)
		if err := ensurePartitions(ctx, tx, city.Opt.Now); err != nil {
			return err
		}
		res.Tables, err = write(ctx, tx, city, opt)
		return err
	})
	if err != nil || res.Skipped {
		return res, err
	}
	if _, err := pool.Exec(ctx, "ANALYZE "+strings.Join(seededTables, ", ")+", units"); err != nil {
		return res, fmt.Errorf("analyze: %w", err)
	}
	// the bulletins are assembled from the reports of the committed city
	t0 := time.Now()
	n, err := seedBulletins(ctx, &store.Store{Pool: pool}, opt.Now)
	if err != nil {
		return res, fmt.Errorf("bulletins: %w", err)
	}
	bt := TableCount{"bulletins", n, time.Since(t0)}
	res.Tables = append(res.Tables, bt)
	if opt.Progress != nil {
		opt.Progress(bt)
	}
	res.Took = time.Since(start)
	return res, nil
}

// prepare checks the database is empty, or empties it for Replace. It reports
// whether IfEmpty says to skip.
func prepare(ctx context.Context, tx pgx.Tx, opt SeedOptions) (bool, error) {
	var areas, other int64
	err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM areas),
		(SELECT count(*) FROM points) + (SELECT count(*) FROM parking_zones) + (SELECT count(*) FROM issues)`).Scan(&areas, &other)
	if err != nil {
		return false, err
	}
	switch {
	case opt.Replace:
		return false, truncate(ctx, tx)
	case areas > 0 && opt.IfEmpty:
		return true, nil
	case areas > 0:
		return false, fmt.Errorf("%w: %d areas (seed --replace to start over, --if-empty to leave it)", ErrNotEmpty, areas)
	case other > 0:
		return false, fmt.Errorf("%w: no areas but %d points, parking zones and issues (seed --replace to start over)", ErrNotEmpty, other)
	}
	return false, nil
}

// ensurePartitions creates the months of the time-partitioned tables that the
// city covers (IssueDays before now, and the deadlines and readings after it),
// so that its rows land in their months, not in the DEFAULT partitions that
// catch what no month holds.
func ensurePartitions(ctx context.Context, tx pgx.Tx, now time.Time) error {
	_, err := tx.Exec(ctx, `SELECT partitions_ensure($1, $2)`,
		now.AddDate(0, 0, -IssueDays-1), now.AddDate(0, 3, 0))
	return err
}

// truncate empties the seeded tables (and whatever references them), removes the
// street offices and restarts the changes feed.
func truncate(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `TRUNCATE `+strings.Join(seededTables, ", ")+` RESTART IDENTITY CASCADE`)
	if err == nil {
		_, err = tx.Exec(ctx, `DELETE FROM units WHERE kind = 'street_office'`)
	}
	if err == nil {
		_, err = tx.Exec(ctx, `UPDATE change_counter SET seq = 0`)
	}
	if err != nil {
		return fmt.Errorf("replace: %w", err)
	}
	return nil
}

// checkReferenceData makes sure the categories the generator mirrors still agree
// with the schema's: an issue sent to a unit the category does not name would
// be wrong. (Deadlines are the database's: see issueDeadlines.)
func checkReferenceData(ctx context.Context, tx pgx.Tx) error {
	for _, cat := range issueCats {
		var unit *string
		err := tx.QueryRow(ctx, `SELECT unit FROM issue_categories WHERE code = $1`, cat.code).Scan(&unit)
		if err != nil {
			return fmt.Errorf("issue category %s: %w", cat.code, err)
		}
		if u := deref(unit); u != cat.unit {
			return fmt.Errorf("issue category %s goes to %q in the database but to %q in democity: update issuecats.go",
				cat.code, u, cat.unit)
		}
	}
	var known int
	codes := make([]string, len(pointKinds))
	for i, k := range pointKinds {
		codes[i] = k.code
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM point_categories WHERE code = ANY($1)`, codes).Scan(&known); err != nil {
		return err
	}
	if known != len(codes) {
		return fmt.Errorf("point_categories lacks %d of democity's %d categories", len(codes)-known, len(codes))
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// write writes the city table by table, then resets the id sequences.
func write(ctx context.Context, tx pgx.Tx, c *City, opt SeedOptions) ([]TableCount, error) {
	steps := []struct {
		table string
		run   func(context.Context, pgx.Tx) (int64, error)
	}{
		{"areas", c.writeAreas}, {"units", c.writeUnits}, {"indicators", writeIndicators}, {"points", c.writePoints},
		{"inspections", c.writeInspections}, {"parking_zones", c.writeZones},
		{"parking_windows", c.writeWindows}, {"parking_readings", c.writeReadings},
		{"calendar_days", c.writeCalendar}, {"tasks", c.writeCampaigns},
		{"declarations", func(ctx context.Context, tx pgx.Tx) (int64, error) { return c.writeDeclarations(ctx, tx, opt.DataDir) }},
		{"survey_responses", c.writeSurveys},
		{"activities", c.writeActivities},
	}
	var out []TableCount
	report := func(t TableCount) {
		out = append(out, t)
		if opt.Progress != nil {
			opt.Progress(t)
		}
	}
	for _, s := range steps {
		t0 := time.Now()
		n, err := s.run(ctx, tx)
		if err != nil {
			return out, err
		}
		report(TableCount{s.table, n, time.Since(t0)})
	}
	issues, events, err := c.streamIssues(ctx, tx, opt.ChunkSize)
	if err != nil {
		return out, err
	}
	report(issues)
	report(events)
	if err := issueDeadlines(ctx, tx); err != nil {
		return out, err
	}
	if err := clockSteps(ctx, tx); err != nil {
		return out, err
	}
	if err := setSequences(ctx, tx); err != nil {
		return out, err
	}
	return out, markDemoCity(ctx, tx, c.Opt)
}

// DemoCityKey is the settings row the seeder leaves: what only a demo city
// holds, which citymap simulate checks before it writes anything.
const DemoCityKey = "demo_city"

// markDemoCity records that the database holds the demo city, and which one.
func markDemoCity(ctx context.Context, tx pgx.Tx, opt Options) error {
	_, err := tx.Exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, jsonb_build_object('seed', $2::bigint,
			'scale', $3::float8, 'now', $4::timestamptz))
		ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
		DemoCityKey, int64(opt.Seed), opt.Scale, opt.Now)
	if err != nil {
		return fmt.Errorf("mark the demo city: %w", err)
	}
	return nil
}

// issueDeadlines gives every issue the deadline intake gives it, from its
// category's time limit by the rule of migration 0023 (worktime_due, on the
// calendar just written). The generator plans each case's course at the pace
// of issueCat.hours, about the wall-clock time the limit allows.
func issueDeadlines(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `UPDATE issues i SET deadline = worktime_due(i.created_at, c.deadline_amount, c.deadline_unit)
		FROM issue_categories c WHERE c.code = i.category`)
	if err != nil {
		return fmt.Errorf("issue deadlines: %w", err)
	}
	return nil
}

// clockStepsSQL completes the extensions and suspensions the generator
// planned, as the API's steps record them (store.clockUpdateSQL): the amount
// asked for and granted (4 in the category's unit, 2 for workdays), the
// deadline each grant and each resumption moved and the issue's counts. A
// case has at most one of each, its grant before its suspension.
var clockStepsSQL = []string{
	`UPDATE issue_events e SET data = e.data || jsonb_build_object('deadline_unit', c.deadline_unit,
		CASE WHEN e.action = 'extend_request' THEN 'amount' ELSE 'requested' END,
		CASE c.deadline_unit WHEN 'workdays' THEN 2 ELSE 4 END)
	FROM issues i JOIN issue_categories c ON c.code = i.category
	WHERE e.issue_id = i.id AND e.action IN ('extend_request', 'extend_grant', 'extend_refuse')`,
	`UPDATE issue_events e SET data = e.data || jsonb_build_object('amount', (e.data->>'requested')::int,
		'deadline_from', i.deadline, 'deadline_to', worktime_due(i.deadline, (e.data->>'requested')::int, c.deadline_unit))
	FROM issues i JOIN issue_categories c ON c.code = i.category
	WHERE e.issue_id = i.id AND e.action = 'extend_grant'`,
	`UPDATE issues i SET deadline = (e.data->>'deadline_to')::timestamptz, extensions = 1
	FROM issue_events e WHERE e.issue_id = i.id AND e.action = 'extend_grant'`,
	`UPDATE issues i SET extension_requested = (e.data->>'amount')::int
	FROM issue_events e WHERE e.issue_id = i.id AND e.action = 'extend_request' AND issue_is_open(i.status)
		AND NOT EXISTS (SELECT 1 FROM issue_events a WHERE a.issue_id = i.id AND a.action IN ('extend_grant', 'extend_refuse'))`,
	`UPDATE issue_events e SET data = jsonb_build_object('deadline_unit', c.deadline_unit, 'suspended_at', s.at,
		'suspended_minutes', round(extract(epoch FROM CASE WHEN c.deadline_unit = 'urgent' THEN e.at - s.at
			ELSE worktime_between(s.at, e.at) END) / 60),
		'deadline_from', i.deadline, 'deadline_to', worktime_resume(i.deadline, s.at, e.at, c.deadline_unit))
	FROM issues i JOIN issue_categories c ON c.code = i.category, issue_events s
	WHERE e.issue_id = i.id AND e.action = 'resume' AND s.issue_id = i.id AND s.action = 'suspend'`,
	`UPDATE issues i SET deadline = (e.data->>'deadline_to')::timestamptz
	FROM issue_events e WHERE e.issue_id = i.id AND e.action = 'resume'`,
	`UPDATE issues i SET suspensions = 1, suspended_at = CASE WHEN NOT EXISTS (SELECT 1 FROM issue_events r
		WHERE r.issue_id = i.id AND r.action = 'resume') THEN s.at END
	FROM issue_events s WHERE s.issue_id = i.id AND s.action = 'suspend'`,
}

func clockSteps(ctx context.Context, tx pgx.Tx) error {
	for _, q := range clockStepsSQL {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("clock steps: %w", err)
		}
	}
	return nil
}

// streamIssues generates issues in chunks in the background while the previous
// chunk is being copied.
func (c *City) streamIssues(ctx context.Context, tx pgx.Tx, size int) (TableCount, TableCount, error) {
	issues, events := TableCount{Table: "issues"}, TableCount{Table: "issue_events"}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan []Issue, 2)
	go func() {
		defer close(chunks)
		for chunk := range c.Issues(size) {
			select {
			case chunks <- chunk:
			case <-ctx.Done():
				return
			}
		}
	}()
	for chunk := range chunks {
		if err := c.writeIssues(ctx, tx, chunk, &issues, &events); err != nil {
			return issues, events, err
		}
	}
	return issues, events, ctx.Err()
}

// setSequences moves each id sequence past the ids written explicitly.
func setSequences(ctx context.Context, tx pgx.Tx) error {
	for _, table := range []string{"areas", "points", "inspections", "parking_zones", "issues", "issue_events", "activities"} {
		_, err := tx.Exec(ctx, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', 'id'), COALESCE(max(id), 0) + 1, false) FROM %s`,
			table, table))
		if err != nil {
			return fmt.Errorf("sequence of %s: %w", table, err)
		}
	}
	return nil
}
