package store

import (
	"context"
	"fmt"
	"time"

	"citymap/server/table"
)

// The completeness of the declarations (网上申报) for the 创建办's meeting.
//
// A report's period holds the declarations whose period ends in it: a month
// holds that month's monthly declarations and the quarterly ones of the
// quarter ending with it; a quarter its three months' and its own. Per unit
// (or indicator): owed, submitted (reached submitted at least once), accepted,
// returned (now) and times_returned (ever), late (declaration_is_late at Now),
// completion_rate (accepted / owed). Rank 1 has the highest completion rate;
// fewer late declarations break ties; equal on both share a rank. The
// previous period is ranked the same way, rank_change = previous_rank - rank
// (positive: moved up).

// DeclarationReportFilter selects what the report counts.
type DeclarationReportFilter struct {
	From, To         time.Time // the period, [From, To)
	PrevFrom, PrevTo time.Time
	By               string // unit (default) or indicator
	Now              time.Time
	Viewer           Viewer
}

// DeclarationReport is GET /api/v1/reports/declarations.
func (s *Store) DeclarationReport(ctx context.Context, f DeclarationReportFilter) (*table.Table, error) {
	q := &issueQuery{}
	now := q.arg(f.Now)
	key, rows := "d.unit", ""
	if f.By == "indicator" {
		key = "d.indicator_code"
	}
	// the ranks go over every unit; a unit's own staff get their rows only
	visible := "true"
	if f.Viewer.Reporter || len(f.Viewer.Scope) > 0 {
		visible = "false"
	} else if f.Viewer.Unit != "" {
		u := q.arg(f.Viewer.Unit)
		visible = "c.key = " + u
		if f.By == "indicator" {
			visible = "c.key IN (SELECT indicator_code FROM declarations WHERE unit = " + u + ")"
		}
	}
	agg := func(from, to time.Time) string {
		return fmt.Sprintf(`SELECT %[1]s AS key, count(*) AS owed,
				count(*) FILTER (WHERE d.submitted_at IS NOT NULL) AS submitted,
				count(*) FILTER (WHERE d.status = 'accepted') AS accepted,
				count(*) FILTER (WHERE d.status = 'returned') AS returned,
				coalesce(sum(d.times_returned), 0) AS times_returned,
				count(*) FILTER (WHERE declaration_is_late(d, %[2]s)) AS late
			FROM declarations d
			WHERE d.period_end >= (%[3]s::timestamptz AT TIME ZONE 'Asia/Shanghai')::date
				AND d.period_end < (%[4]s::timestamptz AT TIME ZONE 'Asia/Shanghai')::date
			GROUP BY 1`, key, now, q.arg(from), q.arg(to))
	}
	cur, prev := agg(f.From, f.To), agg(f.PrevFrom, f.PrevTo)
	rank := `rank() OVER (ORDER BY accepted::numeric / owed DESC, late)`
	if f.By == "indicator" {
		rows = `c.key AS indicator, i.name AS indicator_name, i.declare_every, i.lead_unit AS unit, u.name AS unit_name`
	} else {
		rows = `c.key AS unit, u.name AS unit_name`
	}
	join := `LEFT JOIN units u ON u.code = c.key`
	if f.By == "indicator" {
		join = `LEFT JOIN indicators i ON i.code = c.key LEFT JOIN units u ON u.code = i.lead_unit`
	}
	sql := `WITH c AS (SELECT x.*, ` + rank + ` AS rank FROM (` + cur + `) x),
		p AS (SELECT x.*, ` + rank + ` AS rank FROM (` + prev + `) x)
		SELECT c.rank, ` + rows + `, c.owed, c.submitted, c.accepted, c.returned, c.times_returned, c.late,
			round(c.accepted::numeric / c.owed, 4)::float8 AS completion_rate,
			round(p.accepted::numeric / p.owed, 4)::float8 AS previous_completion_rate,
			p.rank AS previous_rank, p.rank - c.rank AS rank_change
		FROM c LEFT JOIN p ON p.key = c.key ` + join + `
		WHERE ` + visible + `
		ORDER BY c.rank, c.key`
	return s.queryTable(ctx, sql, q.args...)
}
