package store

import (
	"context"
	"fmt"
	"time"

	"citymap/server/table"
)

// 谁丢分、谁负责: the points the city loses, traced to the responsible units
// and to the indicators.
//
// Points lost are the deductions of the inspections in the range that name a
// catalogue indicator (deductions.indicator_code; older free-text ones are not
// counted against an indicator). A unit loses the points deducted at the
// points it is responsible for (points.unit holds the unit's name). Its cases
// are the issues dispatched to it (issues.unit), judged by the evaluation
// figures of reports.go. Its tasks are those due in the range: done when
// accepted before the cut (min(To, now)), overdue when not done and past due at
// the cut. Ranks go over the units that lost points, the one that lost most
// first; ties share a rank.

// LossFilter selects what a loss report counts.
type LossFilter struct {
	ReportFilter
	// PrevFrom, PrevTo is the period compared against.
	PrevFrom, PrevTo time.Time
	// Unit limits the report to one unit (a unit token's own).
	Unit string
	// Now is when an unfinished range is judged.
	Now time.Time
}

// deductionsSQL is the SQL of the deductions with an indicator in [from, to)
// (columns unit_name, indicator_code, points, point_id), within the filter's
// area and scope by the point's grid.
func deductionsSQL(q *issueQuery, f LossFilter, from, to time.Time) string {
	where := fmt.Sprintf("n.inspected_at >= %s AND n.inspected_at < %s", q.arg(from), q.arg(to))
	if f.Area != "" {
		where += fmt.Sprintf(" AND starts_with(p.grid_code, %s)", q.arg(f.Area))
	}
	if len(f.Scope) > 0 {
		where += " AND " + inScope("p.grid_code", f.Scope, q.arg)
	}
	return `SELECT p.unit AS unit_name, d->>'indicator_code' AS indicator_code, (d->>'points')::numeric AS points,
			p.id AS point_id, n.id AS inspection_id
		FROM inspections n JOIN points p ON p.id = n.point_id
		CROSS JOIN LATERAL jsonb_array_elements(n.deductions) d
		WHERE d ? 'indicator_code' AND ` + where
}

// unitLossSQL is one period's points lost per unit code.
func unitLossSQL(q *issueQuery, f LossFilter, from, to time.Time) string {
	return `SELECT u.code, sum(x.points) AS lost, count(*) AS deductions
		FROM (` + deductionsSQL(q, f, from, to) + `) x JOIN units u ON u.name = x.unit_name OR u.code = x.unit_name
		GROUP BY u.code`
}

// UnitLossReport is GET /api/v1/reports/units: per responsible unit, the
// points lost in the range (and its three costliest indicators), its cases'
// closure and on-time rates, its tasks done and overdue, its rank by points
// lost and the change against the previous period.
func (s *Store) UnitLossReport(ctx context.Context, f LossFilter) (*table.Table, error) {
	q := &issueQuery{}
	cut := q.arg(minTime(f.To, f.Now))
	cur := unitLossSQL(q, f, f.From, f.To)
	prev := unitLossSQL(q, f, f.PrevFrom, f.PrevTo)
	top := deductionsSQL(q, f, f.From, f.To)
	cases := s.figures(ctx, q, f.ReportFilter, unitKey)
	from, to := q.arg(f.From), q.arg(f.To)
	// tasks lie where they are placed: the area asked for narrows them as it
	// narrows the cases and the deductions
	taskScope := ""
	if f.Area != "" {
		taskScope = " AND starts_with(t.area_code, " + q.arg(f.Area) + ")"
	}
	if len(f.Scope) > 0 {
		taskScope += " AND " + inScope("t.area_code", f.Scope, q.arg)
	}
	unitCond := ""
	if f.Unit != "" {
		unitCond = " AND u.code = " + q.arg(f.Unit)
	}
	sql := `WITH cur AS (` + cur + `), prev AS (` + prev + `),
		rc AS (SELECT code, rank() OVER (ORDER BY lost DESC) AS rank FROM cur),
		rp AS (SELECT code, rank() OVER (ORDER BY lost DESC) AS rank FROM prev),
		top AS (SELECT code, string_agg(indicator_code || ' ' || name || ' ' || lost::text, '；' ORDER BY lost DESC, indicator_code) AS top
			FROM (SELECT u.code, x.indicator_code, min(i.name) AS name, sum(x.points) AS lost,
					row_number() OVER (PARTITION BY u.code ORDER BY sum(x.points) DESC, x.indicator_code) AS k
				FROM (` + top + `) x JOIN units u ON u.name = x.unit_name OR u.code = x.unit_name
				LEFT JOIN indicators i ON i.code = x.indicator_code
				GROUP BY u.code, x.indicator_code) t WHERE k <= 3 GROUP BY code),
		s AS (` + cases + `),
		tk AS (SELECT t.unit, count(*) AS tasks,
				count(*) FILTER (WHERE t.status = 'done' AND t.done_at < ` + cut + `) AS tasks_done,
				count(*) FILTER (WHERE NOT (t.status = 'done' AND t.done_at < ` + cut + `) AND t.due_at < ` + cut + `) AS tasks_overdue
			FROM tasks t WHERE t.due_at >= ` + from + ` AND t.due_at < ` + to + taskScope + ` GROUP BY t.unit)
		SELECT rc.rank, u.code AS unit, u.name, u.kind,
			coalesce(cur.lost, 0)::float8 AS points_lost, coalesce(cur.deductions, 0) AS deductions,
			coalesce(top.top, '') AS top_indicators,
			coalesce(s.due, 0) AS cases_due, coalesce(s.closed, 0) AS cases_closed,
			round(s.closed::numeric / nullif(s.due, 0), 4)::float8 AS closure_rate,
			round(s.closed_on_time::numeric / nullif(s.due, 0), 4)::float8 AS on_time_rate,
			coalesce(s.extended, 0) AS cases_extended, coalesce(s.suspended, 0) AS cases_suspended,
			coalesce(tk.tasks, 0) AS tasks, coalesce(tk.tasks_done, 0) AS tasks_done,
			coalesce(tk.tasks_overdue, 0) AS tasks_overdue,
			prev.lost::float8 AS previous_points_lost,
			round(coalesce(cur.lost, 0) - prev.lost, 1)::float8 AS delta,
			rp.rank AS previous_rank, rp.rank - rc.rank AS rank_change` + geometryColumn(f.ReportFilter, "a.geom") + `
		FROM units u
		LEFT JOIN cur ON cur.code = u.code LEFT JOIN prev ON prev.code = u.code
		LEFT JOIN rc ON rc.code = u.code LEFT JOIN rp ON rp.code = u.code
		LEFT JOIN top ON top.code = u.code LEFT JOIN s ON s.key = u.code LEFT JOIN tk ON tk.unit = u.code
		LEFT JOIN areas a ON a.code = u.area_code
		WHERE (cur.code IS NOT NULL OR prev.code IS NOT NULL OR s.key IS NOT NULL OR tk.unit IS NOT NULL)` + unitCond + `
		ORDER BY rc.rank NULLS LAST, u.code`
	return s.queryTable(ctx, sql, q.args...)
}

// UnitIndicatorLossReport is the units report by indicator: one row per unit
// and indicator it lost points on, the costliest first.
func (s *Store) UnitIndicatorLossReport(ctx context.Context, f LossFilter) (*table.Table, error) {
	q := &issueQuery{}
	cur := deductionsSQL(q, f, f.From, f.To)
	unitCond := ""
	if f.Unit != "" {
		unitCond = " WHERE u.code = " + q.arg(f.Unit)
	}
	sql := `SELECT u.code AS unit, u.name AS unit_name, x.indicator_code AS indicator, min(i.name) AS indicator_name,
			sum(x.points)::float8 AS points_lost, count(*) AS deductions, count(DISTINCT x.point_id) AS points
		FROM (` + cur + `) x JOIN units u ON u.name = x.unit_name OR u.code = x.unit_name
		LEFT JOIN indicators i ON i.code = x.indicator_code` + unitCond + `
		GROUP BY u.code, u.name, x.indicator_code
		ORDER BY sum(x.points) DESC, u.code, x.indicator_code`
	return s.queryTable(ctx, sql, q.args...)
}

// IndicatorLossReport is GET /api/v1/reports/indicators: per indicator, the
// points lost in the range, at how many points and in how many inspections,
// its lead unit, its rank (the costliest first) and the change against the
// previous period.
func (s *Store) IndicatorLossReport(ctx context.Context, f LossFilter) (*table.Table, error) {
	q := &issueQuery{}
	unitCond := ""
	if f.Unit != "" {
		u := q.arg(f.Unit)
		unitCond = " AND x.unit_name IN (SELECT name FROM units WHERE code = " + u + " UNION SELECT " + u + "::text)"
	}
	cur := `SELECT x.indicator_code AS code, sum(x.points) AS lost, count(*) AS deductions,
			count(DISTINCT x.point_id) AS points, count(DISTINCT x.inspection_id) AS inspections
		FROM (` + deductionsSQL(q, f, f.From, f.To) + `) x WHERE true` + unitCond + ` GROUP BY 1`
	prev := `SELECT x.indicator_code AS code, sum(x.points) AS lost
		FROM (` + deductionsSQL(q, f, f.PrevFrom, f.PrevTo) + `) x WHERE true` + unitCond + ` GROUP BY 1`
	sql := `WITH cur AS (` + cur + `), prev AS (` + prev + `),
		rc AS (SELECT code, rank() OVER (ORDER BY lost DESC) AS rank FROM cur),
		rp AS (SELECT code, rank() OVER (ORDER BY lost DESC) AS rank FROM prev)
		SELECT rc.rank, i.code AS indicator, i.name, pa.name AS parent_name, i.kind, i.max_points::float8,
			i.lead_unit, lu.name AS lead_unit_name,
			coalesce(cur.lost, 0)::float8 AS points_lost, coalesce(cur.deductions, 0) AS deductions,
			coalesce(cur.points, 0) AS points, coalesce(cur.inspections, 0) AS inspections,
			prev.lost::float8 AS previous_points_lost, round(coalesce(cur.lost, 0) - prev.lost, 1)::float8 AS delta,
			rp.rank AS previous_rank, rp.rank - rc.rank AS rank_change
		FROM indicators i
		LEFT JOIN indicators pa ON pa.code = i.parent_code
		LEFT JOIN units lu ON lu.code = i.lead_unit
		LEFT JOIN cur ON cur.code = i.code LEFT JOIN prev ON prev.code = i.code
		LEFT JOIN rc ON rc.code = i.code LEFT JOIN rp ON rp.code = i.code
		WHERE cur.code IS NOT NULL OR prev.code IS NOT NULL
		ORDER BY rc.rank NULLS LAST, i.position, i.code`
	return s.queryTable(ctx, sql, q.args...)
}

func minTime(a, b time.Time) time.Time {
	if b.IsZero() || a.Before(b) {
		return a
	}
	return b
}
