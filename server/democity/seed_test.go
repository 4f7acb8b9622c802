package democity_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"citymap/server/dbtest"
	"citymap/server/democity"
	"citymap/server/documents"
)

var seedNow = time.Date(2026, 11, 26, 20, 0, 0, 0, time.FixedZone("CST", 8*3600))

func TestSeed(t *testing.T) {
	ctx := context.Background()
	st := dbtest.Empty(t)
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	opt := democity.SeedOptions{Options: democity.Options{Scale: 0.05, Seed: 7, Now: seedNow}, DataDir: t.TempDir()}
	res, err := democity.Seed(ctx, st.Pool, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tables) < 10 {
		t.Errorf("summary has %d tables", len(res.Tables))
	}
	for _, c := range seedChecks {
		t.Run(c.name, func(t *testing.T) { check(t, st.Pool, c) })
	}
	t.Run("declaration documents stored", func(t *testing.T) { storedDocuments(t, st.Pool, opt.DataDir) })
	t.Run("reseed", func(t *testing.T) { testReseed(t, st.Pool, opt) })
}

// seedCheck is a query whose single number must be at least min and at most max.
type seedCheck struct {
	name     string
	query    string
	min, max float64
}

const eps = 1e-12

var seedChecks = []seedCheck{
	{"district", `SELECT count(*) FROM areas WHERE level = 'district' AND code = '320282'`, 1, 1},
	{"streets", `SELECT count(*) FROM areas WHERE level = 'street'`, 6, 20},
	{"communities", `SELECT count(*) FROM areas WHERE level = 'community'`, 40, 200},
	{"grids", `SELECT count(*) FROM areas WHERE level = 'grid'`, 400, 2000},
	{"grids have managers", `SELECT count(*) FROM areas WHERE level = 'grid' AND (manager = '' OR manager_phone = '')`, 0, 0},
	{"invalid areas", `SELECT count(*) FROM areas WHERE NOT ST_IsValid(geom) OR ST_IsEmpty(geom)`, 0, 0},
	{"codes extend their parent's", `SELECT count(*) FROM areas a JOIN areas p ON p.id = a.parent_id
		WHERE left(a.code, length(p.code)) <> p.code`, 0, 0},
	{"grids cover communities", coverage("grid"), 0, eps},
	{"communities cover streets", coverage("community"), 0, eps},
	{"streets cover the district", coverage("street"), 0, eps},
	{"grids do not overlap", overlap("grid"), 0, eps},
	{"communities do not overlap", overlap("community"), 0, eps},
	{"streets do not overlap", overlap("street"), 0, eps},
	{"issues at scale 0.05", `SELECT count(*) FROM issues`, 2600, 2600},
	{"issues outside their grid", `SELECT count(*) FROM issues i LEFT JOIN areas a ON a.code = i.grid_code
		WHERE a.id IS NULL OR NOT ST_Covers(a.geom, i.geom)`, 0, 0},
	{"issue area codes", `SELECT count(*) FROM issues WHERE community_code <> left(grid_code, 12)
		OR street_code <> left(grid_code, 9)`, 0, 0},
	{"points outside their grid", `SELECT count(*) FROM points p LEFT JOIN areas a ON a.code = p.grid_code
		WHERE a.id IS NULL OR NOT ST_Covers(a.geom, p.geom)`, 0, 0},
	{"report first", `SELECT count(*) FROM issues i WHERE (SELECT e.action FROM issue_events e
		WHERE e.issue_id = i.id ORDER BY e.at, e.id LIMIT 1) IS DISTINCT FROM 'report'`, 0, 0},
	{"report at intake", `SELECT count(*) FROM issue_events e JOIN issues i ON i.id = e.issue_id
		WHERE e.action = 'report' AND e.at <> i.created_at`, 0, 0},
	{"events in order", `SELECT count(*) FROM (SELECT at < lag(at) OVER w AS back,
		from_status IS DISTINCT FROM lag(to_status) OVER w AS jump
		FROM issue_events WINDOW w AS (PARTITION BY issue_id ORDER BY id)) e WHERE back OR jump`, 0, 0},
	{"status is the last event's", `SELECT count(*) FROM issues i JOIN (SELECT DISTINCT ON (issue_id) issue_id, to_status
		FROM issue_events ORDER BY issue_id, id DESC) l ON l.issue_id = i.id WHERE l.to_status <> i.status`, 0, 0},
	{"closed issues verified", `SELECT count(*) FROM issues i WHERE status = 'closed' AND (closed_at IS NULL
		OR NOT EXISTS (SELECT 1 FROM issue_events e WHERE e.issue_id = i.id AND e.action = 'verify'
		AND (e.data->>'passed')::boolean AND e.at = i.closed_at))`, 0, 0},
	{"closed_at only when closed", `SELECT count(*) FROM issues WHERE (closed_at IS NOT NULL) <> (status = 'closed')`, 0, 0},
	{"rework counts failed verifications", `SELECT count(*) FROM issues i WHERE rework_count <> (SELECT count(*)
		FROM issue_events e WHERE e.issue_id = i.id AND e.action = 'verify' AND NOT (e.data->>'passed')::boolean)`, 0, 0},
	{"reworked closed issues (%)", `SELECT 100.0 * count(*) FILTER (WHERE rework_count > 0) / count(*) FROM issues
		WHERE status = 'closed'`, 4, 9},
	{"dispatched_at is the first dispatch", `SELECT count(*) FROM issues i WHERE dispatched_at IS DISTINCT FROM
		(SELECT min(at) FROM issue_events e WHERE e.issue_id = i.id AND e.action = 'dispatch')`, 0, 0},
	{"dispatch names a unit", `SELECT count(*) FROM issue_events e JOIN issues i ON i.id = e.issue_id
		WHERE e.action = 'dispatch' AND e.data->>'unit' IS DISTINCT FROM i.unit`, 0, 0},
	{"deadline from category", `SELECT count(*) FROM issues i JOIN issue_categories c ON c.code = i.category
		WHERE i.extensions + i.suspensions = 0 AND i.deadline <> worktime_due(i.created_at, c.deadline_amount, c.deadline_unit)`, 0, 0},
	{"extended issues", `SELECT count(*) FROM issues WHERE extensions > 0`, 20, 200},
	{"suspended issues", `SELECT count(*) FROM issues WHERE suspensions > 0`, 5, 100},
	{"deadline is the last move's", `SELECT count(*) FROM issues i WHERE i.extensions + i.suspensions > 0
		AND i.suspended_at IS NULL AND i.deadline IS DISTINCT FROM (SELECT (e.data->>'deadline_to')::timestamptz
			FROM issue_events e WHERE e.issue_id = i.id AND e.action IN ('extend_grant', 'resume') ORDER BY e.at DESC, e.id DESC LIMIT 1)`, 0, 0},
	{"counts follow the events", `SELECT count(*) FROM issues i WHERE i.extensions <> (SELECT count(*) FROM issue_events e
		WHERE e.issue_id = i.id AND e.action = 'extend_grant') OR i.suspensions <> (SELECT count(*) FROM issue_events e
		WHERE e.issue_id = i.id AND e.action = 'suspend')`, 0, 0},
	{"merged into an earlier issue", `SELECT count(*) FROM issues i JOIN issues d ON d.id = i.duplicate_of
		WHERE d.id >= i.id OR d.category <> i.category OR d.grid_code <> i.grid_code`, 0, 0},
	{"merged issues", `SELECT count(*) FROM issues WHERE status = 'merged'`, 1, 200},
	{"open overdue issues", `SELECT count(*) FROM issues WHERE issue_is_open(status) AND deadline < $1`, 1, 1000},
	{"hotline issues numbered", `SELECT count(*) FROM issues WHERE source LIKE 'hotline%' AND external_id IS NULL`, 0, 0},
	{"inspection issues", `SELECT count(*) FROM issues WHERE source = 'inspection' AND inspection_id IS NOT NULL
		AND point_id IS NOT NULL`, 100, 110},
	{"sources", `SELECT count(DISTINCT source) FROM issues`, 7, 7},
	{"issue categories", `SELECT count(DISTINCT category) FROM issues`, 20, 22},
	{"points", `SELECT count(*) FROM points`, 3000, 10000},
	{"point categories", `SELECT count(DISTINCT category) FROM points`, 12, 16},
	{"polygon points", `SELECT count(*) FROM points WHERE GeometryType(geom) = 'POLYGON'`, 100, 5000},
	{"inspection scores", `SELECT count(*) FROM inspections WHERE score <> 100 - (SELECT coalesce(sum((d->>'points')::numeric), 0)
		FROM jsonb_array_elements(deductions) d)`, 0, 0},
	{"inspections", `SELECT count(*) FROM inspections`, 5000, 100000},
	{"parking zones", `SELECT count(*) FROM parking_zones`, 200, 1000},
	{"tidal zones with windows", `SELECT count(*) FROM parking_zones z WHERE kind = 'tidal'
		AND EXISTS (SELECT 1 FROM parking_windows w WHERE w.zone_id = z.id)`, 40, 1000},
	{"tidal zones without windows", `SELECT count(*) FROM parking_zones z WHERE kind = 'tidal'
		AND NOT EXISTS (SELECT 1 FROM parking_windows w WHERE w.zone_id = z.id)`, 0, 0},
	{"readings per zone", `SELECT min(n) FROM (SELECT count(*) n FROM parking_readings GROUP BY zone_id) r`, 720, 720},
	{"holidays of 2026", `SELECT count(*) FROM calendar_days WHERE kind = 'holiday' AND extract(year FROM day) = 2026`, 33, 33},
	{"street offices", `SELECT count(*) FROM units u JOIN areas a ON a.code = u.area_code
		WHERE u.kind = 'street_office' AND a.level = 'street'`, 6, 20},
	{"indicators", `SELECT count(*) FROM indicators i WHERE NOT EXISTS (SELECT 1 FROM indicators c WHERE c.parent_code = i.code)`, 60, 500},
	{"deductions without an indicator", `SELECT count(*) FROM inspections n, jsonb_array_elements(n.deductions) d
		WHERE NOT EXISTS (SELECT 1 FROM indicators i JOIN points p ON p.id = n.point_id WHERE i.code = d->>'indicator_code'
			AND p.category = ANY(i.point_categories) AND (d->>'points')::numeric <= i.max_points)`, 0, 0},
	{"campaigns", `SELECT count(*) FROM campaigns`, 4, 20},
	{"task statuses", `SELECT count(DISTINCT status) FROM tasks`, 5, 5},
	{"tasks of the demo unit", `SELECT count(*) FROM tasks WHERE unit = 'cgj'`, 10, 1000},
	{"task histories", `SELECT count(*) FROM tasks t WHERE t.version <> (SELECT count(*) FROM task_events e WHERE e.task_id = t.id)
		OR t.status <> (SELECT e.to_status FROM task_events e WHERE e.task_id = t.id ORDER BY e.at DESC, e.id DESC LIMIT 1)`, 0, 0},
	{"placed tasks", `SELECT count(*) FROM tasks WHERE geom IS NULL OR area_code IS NULL`, 0, 0},
	{"leaders", `SELECT count(*) FROM leaders`, 6, 100},
	{"declaration statuses", `SELECT count(DISTINCT status) FROM declarations`, 5, 5},
	{"declarations returned by each step", `SELECT count(DISTINCT returned_by) FROM declarations WHERE status = 'returned'`, 2, 2},
	{"declarations of the demo unit", `SELECT count(*) FROM declarations WHERE unit = 'cgj'`, 12, 100},
	{"quarterly declarations", `SELECT count(*) FROM declarations WHERE period LIKE '%Q%'`, 4, 100},
	{"late declarations", `SELECT count(*) FROM declarations d WHERE declaration_is_late(d, $1)`, 1, 1000},
	{"declaration histories", `SELECT count(*) FROM declarations d WHERE d.version <> (SELECT count(*) FROM declaration_events e
		WHERE e.declaration_id = d.id) OR d.status <> (SELECT e.to_status FROM declaration_events e WHERE e.declaration_id = d.id
		ORDER BY e.at DESC, e.id DESC LIMIT 1)`, 0, 0},
	{"declaration events in order", `SELECT count(*) FROM (SELECT at < lag(at) OVER w AS back,
		from_status IS DISTINCT FROM lag(to_status) OVER w AS jump
		FROM declaration_events WINDOW w AS (PARTITION BY declaration_id ORDER BY id)) e WHERE back OR jump`, 0, 0},
	{"declarations handed in with documents", `SELECT count(*) FROM declarations d WHERE d.submitted_at IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM declaration_materials m WHERE m.declaration_id = d.id AND m.kind = 'document')`, 0, 0},
	{"declarations after the seed instant", `SELECT count(*) FROM declaration_events WHERE at > $1`, 0, 0},
	{"activities", `SELECT count(*) FROM activities`, 100, 2000},
	{"activity months", `SELECT count(DISTINCT month) FROM activities`, 5, 5},
	{"activity statuses", `SELECT count(DISTINCT status) FROM activities`, 3, 3},
	{"activities outside their community", `SELECT count(*) FROM activities a JOIN areas c ON c.code = a.community_code
		WHERE NOT ST_Intersects(c.geom, a.geom)`, 0, 0},
	{"activities held with attendance", `SELECT count(*) FROM activities WHERE status = 'done' AND attended > 0`, 50, 2000},
	{"activity counters", `SELECT count(*) FROM activities a WHERE a.signups <> (SELECT count(*) FROM activity_signups s
		WHERE s.activity_id = a.id) OR a.attended <> (SELECT count(*) FROM activity_signups s WHERE s.activity_id = a.id AND s.attended)`, 0, 0},
	{"sign-ups after the seed instant", `SELECT count(*) FROM activity_signups WHERE signed_at > $1`, 0, 0},
	{"issue sequence", `SELECT nextval(pg_get_serial_sequence('issues', 'id')) - max(id) FROM issues`, 1, 1},
	{"event sequence", `SELECT nextval(pg_get_serial_sequence('issue_events', 'id')) - max(id) FROM issue_events`, 1, 1},
	{"area sequence", `SELECT nextval(pg_get_serial_sequence('areas', 'id')) - max(id) FROM areas`, 1, 1},
}

// coverage: the largest difference between an area and the union of its children.
func coverage(child string) string {
	return `SELECT coalesce(max(ST_Area(ST_SymDifference(u.geom, p.geom))), 1) FROM
		(SELECT parent_id, ST_Union(geom) AS geom FROM areas WHERE level = '` + child + `' GROUP BY parent_id) u
		JOIN areas p ON p.id = u.parent_id`
}

// overlap: the area shared by siblings, summed over pairs.
func overlap(level string) string {
	return `SELECT coalesce(sum(ST_Area(ST_Intersection(a.geom, b.geom))), 0) FROM areas a JOIN areas b
		ON a.parent_id = b.parent_id AND a.id < b.id AND ST_Intersects(a.geom, b.geom)
		WHERE a.level = '` + level + `'`
}

func check(t *testing.T, pool *pgxpool.Pool, c seedCheck) {
	var got float64
	var args []any
	if c.name == "open overdue issues" || c.name == "late declarations" || c.name == "declarations after the seed instant" ||
		c.name == "sign-ups after the seed instant" {
		args = append(args, seedNow)
	}
	if err := pool.QueryRow(context.Background(), c.query, args...).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got < c.min || got > c.max {
		t.Errorf("%s: %g, want %g–%g", c.name, got, c.min, c.max)
	}
}

// testReseed: a second seed is refused, skipped with IfEmpty, and with Replace
// writes the very same data again.
func testReseed(t *testing.T, pool *pgxpool.Pool, opt democity.SeedOptions) {
	ctx := context.Background()
	before := fingerprint(t, pool)
	if _, err := democity.Seed(ctx, pool, opt); !errors.Is(err, democity.ErrNotEmpty) {
		t.Errorf("second seed: %v, want ErrNotEmpty", err)
	}
	skip := opt
	skip.IfEmpty = true
	if res, err := democity.Seed(ctx, pool, skip); err != nil || !res.Skipped {
		t.Errorf("if-empty seed: skipped %v, %v", res.Skipped, err)
	}
	if _, err := pool.Exec(ctx, `UPDATE change_counter SET seq = 42`); err != nil {
		t.Fatal(err)
	}
	again := opt
	again.Replace = true
	if _, err := democity.Seed(ctx, pool, again); err != nil {
		t.Fatal(err)
	}
	if after := fingerprint(t, pool); after != before {
		t.Errorf("reseeding changed the data:\n%s\n%s", before, after)
	}
	var seq int64
	if err := pool.QueryRow(ctx, `SELECT seq FROM change_counter`).Scan(&seq); err != nil || seq != 0 {
		t.Errorf("change counter %d after replace (%v)", seq, err)
	}
}

// fingerprint hashes the seeded tables.
func fingerprint(t *testing.T, pool *pgxpool.Pool) string {
	var s string
	err := pool.QueryRow(context.Background(), `SELECT concat_ws(' ',
		(SELECT md5(string_agg(a::text, '|' ORDER BY id)) FROM areas a),
		(SELECT md5(string_agg(p::text, '|' ORDER BY id)) FROM points p),
		(SELECT md5(string_agg(i::text, '|' ORDER BY id)) FROM inspections i),
		(SELECT md5(string_agg(z::text, '|' ORDER BY id)) FROM parking_zones z),
		(SELECT md5(string_agg(r::text, '|' ORDER BY zone_id, at)) FROM parking_readings r),
		(SELECT md5(string_agg(i::text, '|' ORDER BY id)) FROM issues i),
		(SELECT md5(string_agg(e::text, '|' ORDER BY id)) FROM issue_events e),
		(SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM tasks t),
		(SELECT md5(string_agg(e::text, '|' ORDER BY id)) FROM task_events e),
		(SELECT md5(string_agg(d::text, '|' ORDER BY id)) FROM declarations d),
		(SELECT md5(string_agg(e::text, '|' ORDER BY id)) FROM declaration_events e),
		(SELECT md5(string_agg(m::text, '|' ORDER BY id)) FROM declaration_materials m),
		(SELECT md5(string_agg(concat_ws(',', l.name, l.post, l.areas), '|' ORDER BY id)) FROM leaders l))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// storedDocuments: every document of a declaration is in the data directory,
// its bytes those its id names and of the type recorded.
func storedDocuments(t *testing.T, pool *pgxpool.Pool, dataDir string) {
	rows, err := pool.Query(context.Background(), `SELECT DISTINCT d.id, d.content_type FROM declaration_materials m
		JOIN documents d ON d.id = m.document_id`)
	if err != nil {
		t.Fatal(err)
	}
	var id, ct string
	n := 0
	dir := documents.NewDir(dataDir)
	_, err = pgx.ForEachRow(rows, []any{&id, &ct}, func() error {
		n++
		data, err := os.ReadFile(dir.Path(id, ct))
		if err != nil {
			return err
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != id || http.DetectContentType(data) != ct {
			t.Errorf("document %s: the file's hash or type (%s) differs", id, http.DetectContentType(data))
		}
		return nil
	})
	if err != nil || n < 10 {
		t.Errorf("%d declaration documents stored: %v", n, err)
	}
}
