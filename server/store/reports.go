package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"citymap/server/table"
)

// The evaluation figures every report uses, after the digital city-management
// evaluation standard. A report covers the issues created in its range [From,
// To) and judges them at its evaluation time, cut = min(To, now):
//
//   - new: every issue created in the range (every report received);
//   - closed: of those, the ones closed before cut;
//   - due (应结案): the ones that are neither rejected nor merged (void reports
//     are not cases) and whose deadline passed before cut, or that were closed
//     before cut although their deadline had not come — so closed ⊆ due;
//   - closed_on_time (按期结案): closed, and resolved no later than the deadline
//     as extended (and moved by the time it was suspended);
//   - extended, suspended: of the new issues, those granted an extension
//     before cut, and those suspended (挂起) before cut; a case suspended at
//     cut is not due (see figuresSQL);
//   - reworked: closed after at least one failed verification (返工);
//   - closure_rate = closed / due, on_time_rate = closed_on_time / due,
//     rework_rate = reworked / closed (the share of closed cases that were
//     reworked, so a rate stays within [0, 1]);
//   - median_handling_hours: the median of resolved_at − dispatched_at over the
//     closed issues.
//
// Rates are NULL when their denominator is 0. Judging at min(To, now) makes the
// figures of a past range final: they do not change as late cases close. "now"
// is the filter's At when it has one (the instant the answer says it judged at),
// else the statement's now().

// ReportFilter selects the issues a report counts.
type ReportFilter struct {
	From, To   time.Time // created_at in [From, To)
	Categories []string
	Sources    []string
	// Area is an area code of any level: the issues and rows within it.
	Area string
	// Scope limits the report to the caller's areas (empty: the whole city).
	Scope []string
	// Geometry asks for each row's geometry (GeoJSON answers); without it the
	// query skips the encoding.
	Geometry bool
	// Zone is the PostgreSQL name of the city's time zone, for local days.
	Zone string
	// At is the clock cases are judged by: at min(To, At). Zero is the
	// statement's now().
	At time.Time
}

// cut is the SQL of the instant the filter's cases are judged at.
func (f ReportFilter) cut(q *issueQuery) string {
	var at *time.Time
	if !f.At.IsZero() {
		at = &f.At
	}
	return fmt.Sprintf("least(%s::timestamptz, coalesce(%s::timestamptz, now()))", q.arg(f.To), q.arg(at))
}

// where adds the filter's conditions on issues i to q's arguments and returns
// them as one condition; each period of a comparison gets its own.
func (f ReportFilter) where(q *issueQuery) string {
	sub := &issueQuery{args: q.args}
	addIssueFilters(sub, IssueFilter{Categories: f.Categories, Sources: f.Sources, Area: f.Area,
		From: &f.From, To: &f.To, Viewer: Viewer{Scope: f.Scope}})
	q.args = sub.args
	return strings.Join(sub.where, " AND ")
}

// figuresSQL groups the filter's issues by the SQL expression key and counts the
// evaluation figures of each group (columns key, new, due, closed,
// closed_on_time, reworked, extended, suspended, median_handling_s).
//
// A case is judged by its deadline as it stood at cut (d.deadline): a
// deadline moves only by a granted extension or a resumption, whose events
// record the deadline before the move, so the deadline at cut is the one
// before the first move after cut. A case suspended at cut (its last suspend
// or resume before cut is a suspend) is not due; its deadline moves by the
// suspended time when it resumes, so suspended time never counts against it.
// The subqueries run only for the few cases ever extended or suspended.
func figuresSQL(q *issueQuery, f ReportFilter, key string) string {
	where := f.where(q)
	return fmt.Sprintf(`SELECT %[1]s AS key, count(*) AS new,
		count(*) FILTER (WHERE m.due) AS due,
		count(*) FILTER (WHERE k.closed) AS closed,
		count(*) FILTER (WHERE k.closed AND i.resolved_at <= d.deadline) AS closed_on_time,
		count(*) FILTER (WHERE k.closed AND i.rework_count > 0) AS reworked,
		count(*) FILTER (WHERE x.extended) AS extended,
		count(*) FILTER (WHERE x.suspended) AS suspended,
		percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM i.resolved_at - i.dispatched_at))
			FILTER (WHERE k.closed) AS median_handling_s
	FROM issues i
	CROSS JOIN LATERAL (SELECT %[2]s AS at) c
	CROSS JOIN LATERAL (SELECT i.status = 'closed' AND i.closed_at < c.at AS closed) k
	CROSS JOIN LATERAL (SELECT
		i.extensions > 0 AND EXISTS (SELECT 1 FROM issue_events e WHERE e.issue_id = i.id
			AND e.action = 'extend_grant' AND e.at < c.at) AS extended,
		i.suspensions > 0 AND EXISTS (SELECT 1 FROM issue_events e WHERE e.issue_id = i.id
			AND e.action = 'suspend' AND e.at < c.at) AS suspended,
		i.suspensions > 0 AND (SELECT e.action FROM issue_events e WHERE e.issue_id = i.id
			AND e.action IN ('suspend', 'resume') AND e.at < c.at
			ORDER BY e.at DESC, e.id DESC LIMIT 1) IS NOT DISTINCT FROM 'suspend' AS suspended_at_cut) x
	CROSS JOIN LATERAL (SELECT CASE WHEN i.extensions + i.suspensions = 0 THEN i.deadline
		ELSE coalesce((SELECT (e.data->>'deadline_from')::timestamptz FROM issue_events e
			WHERE e.issue_id = i.id AND e.action IN ('extend_grant', 'resume') AND e.at >= c.at
			ORDER BY e.at, e.id LIMIT 1), i.deadline) END AS deadline) d
	CROSS JOIN LATERAL (SELECT k.closed OR (i.status NOT IN ('rejected', 'merged')
		AND d.deadline < c.at AND NOT x.suspended_at_cut) AS due) m
	WHERE %[3]s
	GROUP BY 1`, key, f.cut(q), where)
}

// figureColumns turns the counts of figuresSQL (as s) into a report's columns.
const figureColumns = `coalesce(s.new, 0) AS new, coalesce(s.due, 0) AS due,
	coalesce(s.closed, 0) AS closed, coalesce(s.closed_on_time, 0) AS closed_on_time,
	coalesce(s.reworked, 0) AS reworked,
	round(s.closed::numeric / nullif(s.due, 0), 4)::float8 AS closure_rate,
	round(s.closed_on_time::numeric / nullif(s.due, 0), 4)::float8 AS on_time_rate,
	round(s.reworked::numeric / nullif(s.closed, 0), 4)::float8 AS rework_rate,
	round((s.median_handling_s / 3600)::numeric, 2)::float8 AS median_handling_hours,
	coalesce(s.extended, 0) AS extended, coalesce(s.suspended, 0) AS suspended`

// AreaLevels are the levels of the area hierarchy with the length of their codes.
var AreaLevels = map[string]int{"district": 6, "street": 9, "community": 12, "grid": 14}

// AreaReport is the evaluation of every area of a level within the filter's
// area and scope: one row per area, also those without issues.
func (s *Store) AreaReport(ctx context.Context, level string, f ReportFilter) (*table.Table, error) {
	digits, ok := AreaLevels[level]
	if !ok {
		return nil, fmt.Errorf("area report: unknown level %q", level)
	}
	q := &issueQuery{}
	figures := s.figures(ctx, q, f, gridKey(digits))
	sql := `WITH s AS (` + figures + `)
		SELECT a.code, a.name, ` + figureColumns + `, ` + leaderColumn("a.code") + geometryColumn(f, "a.geom") + `
		FROM areas a LEFT JOIN s ON s.key = a.code
		WHERE a.level = ` + q.arg(level) + areasWithin(q, "a.code", f) + `
		ORDER BY a.code`
	return s.queryTable(ctx, sql, q.args...)
}

// areasWithin limits areas (their code column col) to those inside the filter's
// area and scope: a row for an area that reaches beyond them would mix in
// issues the caller did not ask for or may not see.
func areasWithin(q *issueQuery, col string, f ReportFilter) string {
	var out string
	if f.Area != "" {
		out += fmt.Sprintf(" AND starts_with(%s, %s)", col, q.arg(f.Area))
	}
	if len(f.Scope) > 0 {
		out += " AND " + inScope(col, f.Scope, q.arg)
	}
	return out
}

// geometryColumn is the select-list entry of a row's geometry when the filter
// asks for it. Six decimals of a degree are about 10 cm.
func geometryColumn(f ReportFilter, geom string) string {
	if !f.Geometry {
		return ""
	}
	return fmt.Sprintf(", ST_AsGeoJSON(%s, 6) AS geometry", geom)
}

// CategoryReport is the evaluation per issue category: every category (or those
// of the filter), the most reported first.
func (s *Store) CategoryReport(ctx context.Context, f ReportFilter) (*table.Table, error) {
	q := &issueQuery{}
	figures := s.figures(ctx, q, f, categoryKey)
	where := "true"
	if len(f.Categories) > 0 {
		where = "c.code = ANY(" + q.arg(f.Categories) + ")"
	}
	sql := `WITH s AS (` + figures + `)
		SELECT c.code AS category, c.name_zh AS name, c.class, ` + figureColumns + `
		FROM issue_categories c LEFT JOIN s ON s.key = c.code
		WHERE ` + where + `
		ORDER BY coalesce(s.new, 0) DESC, c.code`
	return s.queryTable(ctx, sql, q.args...)
}

// Trend intervals.
var TrendIntervals = []string{"day", "week"}

// TrendReport splits the range's evaluation by the local day or week (from
// Monday) the issues were created in: one row per day or week of the range, also
// those without issues, each judged at the range's evaluation time, so the rows
// add up to the figures of the whole range. The first and last rows may cover
// part of their day or week (start and end say which).
func (s *Store) TrendReport(ctx context.Context, interval string, f ReportFilter) (*table.Table, error) {
	if interval != "day" && interval != "week" {
		return nil, fmt.Errorf("trend report: unknown interval %q", interval)
	}
	q := &issueQuery{}
	zone := q.arg(f.Zone)
	iv := q.arg(interval)
	key := FigureKey{By: ByBucket, sql: fmt.Sprintf("date_trunc(%s, i.created_at AT TIME ZONE %s)", iv, zone)}
	if s.Figures != nil {
		var err error
		if key.Buckets, err = s.trendBuckets(ctx, interval, f); err != nil {
			return nil, err
		}
	}
	figures := s.figures(ctx, q, f, key)
	from, to := q.arg(f.From), q.arg(f.To)
	step := fmt.Sprintf("('1 ' || %s)::interval", iv)
	sql := fmt.Sprintf(`WITH s AS (%[1]s),
		b AS (SELECT g AS bucket FROM generate_series(
			date_trunc(%[2]s, %[3]s::timestamptz AT TIME ZONE %[5]s),
			%[4]s::timestamptz AT TIME ZONE %[5]s - interval '1 microsecond', %[6]s) g)
		SELECT to_char(b.bucket, 'YYYY-MM-DD') AS period,
			greatest(b.bucket AT TIME ZONE %[5]s, %[3]s::timestamptz) AS start,
			least((b.bucket + %[6]s) AT TIME ZONE %[5]s, %[4]s::timestamptz) AS "end", `+figureColumns+`
		FROM b LEFT JOIN s ON s.key = b.bucket
		ORDER BY b.bucket`, figures, iv, from, to, zone, step)
	return s.queryTable(ctx, sql, q.args...)
}

// Hexagon edges, in metres.
const (
	DefaultHexagon = 500
	MinHexagon     = 50
	MaxHexagon     = 20000
)

// hexagonEdgeSQL scales the edge (%s, in metres) to EPSG:3857 at the
// latitude of the districts' centre.
const hexagonEdgeSQL = `%s::float8 / cos(radians(coalesce(
	(SELECT ST_Y(ST_Centroid(ST_Extent(geom)::geometry)) FROM areas WHERE level = 'district'), 0)))`

// HexagonReport counts the filter's issues per hexagon of the ST_HexagonGrid
// tiling of EPSG:3857 with edges of size metres on the ground at the city's
// latitude (Web Mercator stretches distances by 1/cos(latitude)). Only hexagons
// with issues are rows, the busiest first. Each issue goes to exactly one
// hexagon: ST_HexagonGrid over the issue's point yields the cells whose boxes
// hold it, and the first that really contains it is taken (a point on an edge
// touches two), so the counts add up to the number of issues. The report cube
// counts when it can; the hexagons' shapes are kept (hexshapes.go).
func (s *Store) HexagonReport(ctx context.Context, size float64, f ReportFilter) (*table.Table, error) {
	var edge float64
	if err := s.reads(ctx).QueryRow(ctx, `SELECT `+fmt.Sprintf(hexagonEdgeSQL, "$1"), size).Scan(&edge); err != nil {
		return nil, err
	}
	cells, err := s.hexagonCounts(ctx, f, edge)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(cells, func(a, b HexagonCount) int {
		return cmp.Or(cmp.Compare(b.Issues, a.Issues), cmp.Compare(a.I, b.I), cmp.Compare(a.J, b.J))
	})
	shapes, err := s.hexagonShapes(ctx, edge, cells, f.Geometry)
	if err != nil {
		return nil, err
	}
	t := &table.Table{Columns: []string{"cell", "issues", "lon", "lat"}, Rows: make([][]any, len(cells))}
	if f.Geometry {
		t.Geometry = make([]json.RawMessage, len(cells))
	}
	for n, c := range cells {
		t.Rows[n] = []any{strconv.Itoa(c.I) + "," + strconv.Itoa(c.J), c.Issues, shapes[n].lon, shapes[n].lat}
		if f.Geometry {
			t.Geometry[n] = shapes[n].geometry
		}
	}
	return t, nil
}

// hexagonCounts counts the filter's issues per hexagon of edge (EPSG:3857
// units): in the report cube when it answers, else in SQL.
func (s *Store) hexagonCounts(ctx context.Context, f ReportFilter, edge float64) ([]HexagonCount, error) {
	if s.Figures != nil {
		if cells, ok := s.Figures.Hexagons(ctx, f, edge); ok {
			return cells, nil
		}
	}
	q := &issueQuery{}
	sql := `SELECT h.i, h.j, count(*) AS issues
		FROM issues i
		CROSS JOIN LATERAL (SELECT ST_Transform(i.geom, 3857) AS m) p
		CROSS JOIN LATERAL (SELECT g.i, g.j FROM ST_HexagonGrid(` + q.arg(edge) + `::float8, p.m) g
			WHERE ST_Intersects(g.geom, p.m) LIMIT 1) h
		WHERE ` + f.where(q) + `
		GROUP BY h.i, h.j`
	rows, err := s.reads(ctx).Query(ctx, sql, q.args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanHexagonCount)
}

// GridHotspotReport counts the filter's issues per unit grid: only grids with
// issues, the busiest first. Issues outside every grid are in no row.
func (s *Store) GridHotspotReport(ctx context.Context, f ReportFilter) (*table.Table, error) {
	q := &issueQuery{}
	counts := ""
	if s.Figures != nil {
		if rows, ok := s.Figures.Figures(ctx, f, FigureKey{By: ByGrid}); ok {
			counts = `SELECT key AS code, new AS issues FROM (` + figureRowsSQL(q, f, FigureKey{By: ByGrid}, rows) + `) g`
		}
	}
	if counts == "" {
		counts = `SELECT i.grid_code AS code, count(*) AS issues FROM issues i
			WHERE i.grid_code IS NOT NULL AND ` + f.where(q) + ` GROUP BY 1`
	}
	sql := `WITH s AS (` + counts + `)
		SELECT a.code, a.name, s.issues` + geometryColumn(f, "a.geom") + `
		FROM s JOIN areas a ON a.code = s.code
		ORDER BY s.issues DESC, a.code`
	return s.queryTable(ctx, sql, q.args...)
}

// queryTable runs a report query into a table: its columns are the query's, but
// for a column named geometry (GeoJSON text), which becomes the rows' geometry.
func (s *Store) queryTable(ctx context.Context, sql string, args ...any) (*table.Table, error) {
	rows, err := s.reads(ctx).Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	t := &table.Table{}
	geom := -1
	for i, fd := range rows.FieldDescriptions() {
		if fd.Name == "geometry" {
			geom, t.Geometry = i, []json.RawMessage{}
			continue
		}
		t.Columns = append(t.Columns, fd.Name)
	}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		row := make([]any, 0, len(t.Columns))
		for i, v := range vals {
			if i == geom {
				g, _ := v.(string)
				t.Geometry = append(t.Geometry, json.RawMessage(g))
				continue
			}
			row = append(row, plainValue(v))
		}
		t.Rows = append(t.Rows, row)
	}
	return t, rows.Err()
}

// plainValue turns what pgx decodes into the plain Go values a table holds.
func plainValue(v any) any {
	switch x := v.(type) {
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case float32:
		return float64(x)
	case pgtype.Numeric:
		f, err := x.Float64Value()
		if err != nil || !f.Valid {
			return nil
		}
		return f.Float64
	}
	return v
}
