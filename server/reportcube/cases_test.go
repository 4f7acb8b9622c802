package reportcube_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"citymap/server/store"
)

// The cases the equivalence tests add to the demo city: issues of every
// status created in a window of their own (June to August 2020), many with
// extensions, suspensions and resumptions at fixed times (some after any cut
// a test takes, some on the very microsecond of one), failed verifications,
// missing dispatch, resolve or close times, and counters that disagree with
// the events (figuresSQL reads the events only when a counter is set).

var caseWindow = time.Date(2020, 6, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))

const caseDays = 92

// world is what the random queries pick from.
type world struct {
	grids, categories, units []string
	// instants are moments worth cutting at: the cases' events, deadlines
	// and closing times
	instants []time.Time
	// demoFrom, demoTo span the demo city's own issues
	demoFrom, demoTo time.Time
}

type clockEvent struct {
	action string
	at     time.Time
	from   *time.Time
}

// addCases writes n random cases (seeded by seed) and their clock events in
// one transaction that records them in the changes feed, as the server's
// writes do.
func addCases(t *testing.T, st *store.Store, seed uint64, n int) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{}
	read := func(sql string, dest *[]string) {
		rows, err := st.Pool.Query(ctx, sql)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			*dest = append(*dest, s)
		}
	}
	read(`SELECT code FROM areas WHERE level = 'grid' ORDER BY code`, &w.grids)
	read(`SELECT code FROM issue_categories ORDER BY code`, &w.categories)
	read(`SELECT code FROM units ORDER BY code`, &w.units)
	var anyIssue int64
	if err := st.Pool.QueryRow(ctx, `SELECT min(id), min(created_at), max(created_at) FROM issues`).
		Scan(&anyIssue, &w.demoFrom, &w.demoTo); err != nil {
		t.Fatal(err)
	}

	r := rand.New(rand.NewPCG(seed, 1))
	var c issueColumns
	var events [][]clockEvent
	for range n {
		evs := c.add(r, w, anyIssue)
		events = append(events, evs)
		for _, e := range evs {
			w.instants = append(w.instants, e.at)
		}
	}

	tx, err := st.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	rows, err := tx.Query(ctx, `INSERT INTO issues (source, category, description, geom, grid_code, status, unit,
			deadline, created_at, dispatched_at, resolved_at, closed_at, rework_count, extensions, suspensions,
			duplicate_of)
		SELECT u.source, u.category, 'cube case', ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326), u.grid, u.status,
			u.unit, u.deadline, u.created, u.dispatched, u.resolved, u.closed, u.rework, u.extensions,
			u.suspensions, u.duplicate_of
		FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::text[], $6::text[], $7::text[],
			$8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[],
			$13::int[], $14::int[], $15::int[], $16::int8[]) WITH ORDINALITY
			AS u(source, category, lon, lat, grid, status, unit, deadline, created, dispatched, resolved, closed,
				rework, extensions, suspensions, duplicate_of, ord)
		ORDER BY u.ord
		RETURNING id`,
		c.source, c.category, c.lon, c.lat, c.grid, c.status, c.unit, c.deadline, c.created, c.dispatched,
		c.resolved, c.closed, c.rework, c.extensions, c.suspensions, c.duplicateOf)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if rows.Err() != nil || len(ids) != n {
		t.Fatalf("inserted %d of %d cases: %v", len(ids), n, rows.Err())
	}
	var evIssue []int64
	var evAction, evData []string
	var evAt []time.Time
	for i, evs := range events {
		for _, e := range evs {
			data := map[string]any{}
			if e.from != nil {
				data["deadline_from"] = e.from.Format(time.RFC3339Nano)
			}
			b, _ := json.Marshal(data)
			evIssue, evAction, evData, evAt = append(evIssue, ids[i]), append(evAction, e.action),
				append(evData, string(b)), append(evAt, e.at)
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO issue_events (issue_id, action, from_status, to_status, actor, data, at)
		SELECT u.issue, u.action, 'in_progress', 'in_progress', 'test:cube', u.data::jsonb, u.at
		FROM unnest($1::int8[], $2::text[], $3::text[], $4::timestamptz[]) AS u(issue, action, data, at)`,
		evIssue, evAction, evData, evAt); err != nil {
		t.Fatal(err)
	}
	edge, err := edgeCases(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.AppendUpserts(ctx, tx, "issues", append(ids, edge...)); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return w
}

// issueColumns are the cases' columns, one array each.
type issueColumns struct {
	source, category, grid, status, unit            []*string
	lon, lat                                        []float64
	deadline, created, dispatched, resolved, closed []*time.Time
	rework, extensions, suspensions                 []int
	duplicateOf                                     []*int64
}

var statuses = []string{"closed", "closed", "closed", "closed", "rejected", "merged", "reported", "registered",
	"dispatched", "in_progress", "resolved", "resolved"}

// add draws one case and returns its clock events.
func (c *issueColumns) add(r *rand.Rand, w *world, anyIssue int64) []clockEvent {
	pick := func(xs []string) *string { return &xs[r.IntN(len(xs))] }
	maybe := func(p float64, s *string) *string {
		if r.Float64() < p {
			return nil
		}
		return s
	}
	at := func(base time.Time, maxHours float64) time.Time {
		// whole hours now and then, so that instants coincide
		if r.IntN(4) == 0 {
			return base.Add(time.Duration(r.IntN(int(maxHours)+1)) * time.Hour)
		}
		return base.Add(time.Duration(r.Float64() * maxHours * float64(time.Hour))).Truncate(time.Microsecond)
	}
	opt := func(p float64, t time.Time) *time.Time {
		if r.Float64() < p {
			return nil
		}
		return &t
	}
	created := at(caseWindow, caseDays*24)
	status := statuses[r.IntN(len(statuses))]
	dispatched := at(created, 5)
	deadline := at(created.Add(time.Hour), 240)
	resolved := at(dispatched, 300)
	closed := at(resolved, 48)
	c.source = append(c.source, pick(store.IssueSources))
	c.category = append(c.category, pick(w.categories))
	c.grid = append(c.grid, maybe(0.1, pick(w.grids)))
	c.unit = append(c.unit, maybe(0.15, pick(w.units)))
	c.status = append(c.status, &status)
	c.lon, c.lat = append(c.lon, 120.1+r.Float64()*0.2), append(c.lat, 30.2+r.Float64()*0.1)
	c.created, c.deadline = append(c.created, &created), append(c.deadline, &deadline)
	c.dispatched = append(c.dispatched, opt(0.05, dispatched))
	c.resolved, c.closed = append(c.resolved, nil), append(c.closed, nil)
	if status == "closed" || status == "resolved" {
		c.resolved[len(c.resolved)-1] = opt(0.03, resolved)
	}
	if status == "closed" {
		c.closed[len(c.closed)-1] = opt(0.03, closed)
	}
	var dup *int64
	if status == "merged" {
		dup = &anyIssue
	}
	c.duplicateOf = append(c.duplicateOf, dup)
	rework := 0
	if r.IntN(6) == 0 {
		rework = 1 + r.IntN(2)
	}
	c.rework = append(c.rework, rework)

	var evs []clockEvent
	ext, susp := 0, 0
	if r.IntN(3) == 0 {
		t, suspended := created, false
		for range 1 + r.IntN(4) {
			t = at(t, 72)
			if r.IntN(8) == 0 && len(evs) > 0 {
				t = evs[len(evs)-1].at // two events at one instant
			}
			e := clockEvent{at: t, from: opt(0.1, at(created, 200))}
			switch {
			case suspended:
				e.action, suspended = "resume", false
			case r.IntN(2) == 0:
				e.action, suspended = "suspend", true
				e.from = opt(0.5, at(created, 200))
				susp++
			default:
				e.action = "extend_grant"
				ext++
			}
			evs = append(evs, e)
		}
	}
	if r.IntN(20) == 0 { // counters that disagree with the events
		ext, susp = r.IntN(2), r.IntN(2)
	}
	c.extensions, c.suspensions = append(c.extensions, ext), append(c.suspensions, susp)
	return evs
}

// edgeCases adds issues on the vertices of 500 m hexagons (as the hotspot
// report scales them) around the cases' points: hexgrid.Cell cannot decide
// them, so the cube asks PostGIS.
func edgeCases(ctx context.Context, tx pgx.Tx) ([]int64, error) {
	rows, err := tx.Query(ctx, `WITH k AS (SELECT 500::float8 / cos(radians(coalesce(
			(SELECT ST_Y(ST_Centroid(ST_Extent(geom)::geometry)) FROM areas WHERE level = 'district'), 0))) AS size),
		v AS (SELECT DISTINCT (ST_DumpPoints(h.geom)).geom AS p
			FROM k, ST_HexagonGrid(k.size, ST_Transform(ST_MakeEnvelope(120.15, 30.2, 120.16, 30.21, 4326), 3857)) h)
		INSERT INTO issues (source, category, description, geom, status, deadline, created_at)
		SELECT 'grid_patrol', (SELECT min(code) FROM issue_categories), 'cube edge', ST_Transform(ST_SetSRID(v.p, 3857), 4326),
			'reported', timestamptz '2020-07-01 12:00+08', timestamptz '2020-07-01 10:00+08' + row_number() OVER () * interval '1 second'
		FROM v RETURNING id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}
