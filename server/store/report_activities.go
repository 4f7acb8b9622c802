package store

import (
	"context"
	"fmt"
	"time"

	"citymap/server/access"
	"citymap/server/table"
)

// The monthly count of volunteer activities per street (or community).
//
// One row per month of the range and per street (community) in the caller's
// areas, zeros included, so that a choropleth colours every street:
// activities (on the menu, starting in the month, not cancelled), held
// (status done), signups (to the activities on the menu), attended (of the
// held ones), attendance_rate (attended / the sign-ups of the held ones; null
// without any).

// ActivityReportFilter selects what the report counts.
type ActivityReportFilter struct {
	From, To time.Time // [From, To), whole months in the city's time
	By       string    // street (default) or community
	Area     string    // an area code: its streets (communities) only
	Scope    []string
	Geometry bool
}

// ActivityReport is GET /api/v1/reports/activities.
func (s *Store) ActivityReport(ctx context.Context, f ActivityReportFilter) (*table.Table, error) {
	q := &issueQuery{}
	level, width := "street", 9
	if f.By == "community" {
		level, width = "community", 12
	}
	areaCond := "true"
	if f.Area != "" {
		areaCond = fmt.Sprintf("(starts_with(ar.code, %[1]s) OR starts_with(%[1]s, ar.code))", q.arg(f.Area))
	}
	// the streets in the caller's areas and those around them (a community's
	// planner sees its street's row, counting its own community only)
	scopeCond := "true"
	if len(f.Scope) > 0 {
		scopeCond = "(" + inScope("ar.code", f.Scope, q.arg) + " OR " + access.ContainsSQL("ar.code", q.arg(f.Scope)) + ")"
	}
	// a caller of a community sees its community's figures, never its street's
	// whole: activities are counted within the caller's areas only
	actScope := "true"
	if len(f.Scope) > 0 {
		actScope = inScope("a.community_code", f.Scope, q.arg)
	}
	actArea := "true"
	if f.Area != "" {
		actArea = "starts_with(a.community_code, " + q.arg(f.Area) + ")"
	}
	from, to := q.arg(f.From), q.arg(f.To)
	geom := ""
	if f.Geometry {
		geom = ", ST_AsGeoJSON(ar.geom, 6) AS geometry"
	}
	sql := fmt.Sprintf(`WITH months AS (
			SELECT to_char(m, 'YYYY-MM') AS month
			FROM generate_series(date_trunc('month', %[1]s::timestamptz AT TIME ZONE 'Asia/Shanghai'),
				(%[2]s::timestamptz AT TIME ZONE 'Asia/Shanghai') - interval '1 microsecond', interval '1 month') m),
		ar AS (SELECT ar.code, ar.name, ar.geom FROM areas ar
			WHERE ar.level = '%[3]s' AND %[4]s AND %[5]s),
		fig AS (SELECT a.month, left(a.community_code, %[6]d) AS code,
				count(*) FILTER (WHERE a.status <> 'cancelled') AS activities,
				count(*) FILTER (WHERE a.status = 'done') AS held,
				coalesce(sum(a.signups) FILTER (WHERE a.status <> 'cancelled'), 0) AS signups,
				coalesce(sum(a.signups) FILTER (WHERE a.status = 'done'), 0) AS held_signups,
				coalesce(sum(a.attended) FILTER (WHERE a.status = 'done'), 0) AS attended
			FROM activities a
			WHERE a.starts_at >= %[1]s AND a.starts_at < %[2]s AND %[7]s AND %[8]s
			GROUP BY 1, 2)
		SELECT m.month, ar.code AS %[3]s, ar.name AS %[3]s_name,
			coalesce(f.activities, 0) AS activities, coalesce(f.held, 0) AS held,
			coalesce(f.signups, 0)::bigint AS signups, coalesce(f.held_signups, 0)::bigint AS held_signups,
			coalesce(f.attended, 0)::bigint AS attended,
			round(f.attended::numeric / nullif(f.held_signups, 0), 4)::float8 AS attendance_rate%[9]s
		FROM months m CROSS JOIN ar LEFT JOIN fig f ON f.month = m.month AND f.code = ar.code
		ORDER BY m.month, ar.code`,
		from, to, level, areaCond, scopeCond, width, actScope, actArea, geom)
	return s.queryTable(ctx, sql, q.args...)
}
