package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"citymap/server/table"
)

// What the red/black list (红黑榜) ranks and by what.
const (
	RankPoints = "points"
	RankUnits  = "units"
	RankAreas  = "areas"

	MetricScore   = "score"        // average inspection score, higher is better
	MetricClosure = "closure_rate" // higher is better
	MetricOnTime  = "on_time_rate" // higher is better
	MetricRework  = "rework_rate"  // lower is better
)

// RankMetrics lists the metrics each kind of entity is ranked by. Points are
// ranked by score only: only inspection findings are linked to a point.
var RankMetrics = map[string][]string{
	RankPoints: {MetricScore},
	RankUnits:  {MetricScore, MetricClosure, MetricOnTime, MetricRework},
	RankAreas:  {MetricScore, MetricClosure, MetricOnTime, MetricRework},
}

// Ranking asks for a red/black list.
type Ranking struct {
	Entity string // RankPoints, RankUnits or RankAreas
	Level  string // of areas: street, community or grid
	Metric string
	// N is the length of each list: the red list holds the best N, the black
	// list the worst N (an entity may be on both when fewer than 2N are ranked).
	N int
	// PrevFrom, PrevTo is the period compared against; the filter's range is
	// the current one.
	PrevFrom, PrevTo time.Time
}

// rankSource is what the rows of one kind of entity show: the label columns
// that name it and the name of the basis column (what its value rests on).
type rankSource struct {
	labels []string
	basis  string
}

// RankingReport is the red/black list: the entities ranked by the metric over
// the filter's range, the best N (red, best first) and the worst N (black,
// worst first), each with its value and rank in the previous period and the
// change: delta = value − previous value; rank_change = previous rank − rank,
// so a positive change is a climb. Ranks go over the entities with a value (one
// without inspections or without due cases is not ranked); ties share a rank,
// the next rank skips (1, 1, 3).
//
// A point's score is the average of its inspections in the period; a unit's
// and an area's score is the average of the scores of their points (each point
// weighs the same however often it was inspected). Units are the responsible
// units: of points by the unit's name, of issues by its code. Case metrics are
// the evaluation figures of the issues of the unit or area (see the
// definitions at the top of reports.go).
func (s *Store) RankingReport(ctx context.Context, r Ranking, f ReportFilter) (*table.Table, error) {
	src, err := rankingSource(r)
	if err != nil {
		return nil, err
	}
	q := &issueQuery{}
	cur := s.rankStats(ctx, q, r, f)
	prev := f
	prev.From, prev.To = r.PrevFrom, r.PrevTo
	before := s.rankStats(ctx, q, r, prev)
	order := "DESC"
	if r.Metric == MetricRework {
		order = "ASC"
	}
	labels := make([]string, len(src.labels))
	for i, l := range src.labels {
		labels[i] = "l." + l
	}
	n := q.arg(r.N)
	sql := fmt.Sprintf(`WITH cur AS (%[1]s), prev AS (%[2]s),
		rc AS (SELECT cur.*, rank() OVER (ORDER BY value %[3]s) AS rank FROM cur WHERE value IS NOT NULL%[7]s),
		rp AS (SELECT prev.key, prev.value, rank() OVER (ORDER BY value %[3]s) AS rank
			FROM prev WHERE value IS NOT NULL%[8]s),
		l AS ((SELECT 'red' AS list, rc.* FROM rc ORDER BY rank, key LIMIT %[4]s)
			UNION ALL (SELECT 'black', rc.* FROM rc ORDER BY rank DESC, key DESC LIMIT %[4]s))
		SELECT l.list, l.rank, %[5]s, l.value, l.basis AS %[6]s, rp.value AS previous_value,
			round((l.value - rp.value)::numeric, 4)::float8 AS delta, rp.rank AS previous_rank,
			rp.rank - l.rank AS rank_change%[11]s%[9]s
		FROM l LEFT JOIN rp ON rp.key = l.key%[10]s
		ORDER BY l.list = 'black', CASE WHEN l.list = 'red' THEN l.rank ELSE -l.rank END,
			CASE WHEN l.list = 'red' THEN l.key END, l.key DESC`,
		cur, before, order, n, strings.Join(labels, ", "), src.basis,
		rankWithin(q, r, f, "cur.key"), rankWithin(q, r, f, "prev.key"), rankGeometry(r, f), rankGeometryJoin(r, f),
		rankLeader(r))
	return s.queryTable(ctx, sql, q.args...)
}

func rankingSource(r Ranking) (rankSource, error) {
	if !slices.Contains(RankMetrics[r.Entity], r.Metric) {
		return rankSource{}, fmt.Errorf("ranking: %s cannot be ranked by %q", r.Entity, r.Metric)
	}
	if r.Entity == RankAreas && !slices.Contains([]string{"street", "community", "grid"}, r.Level) {
		return rankSource{}, fmt.Errorf("ranking: unknown area level %q", r.Level)
	}
	basis := map[string]string{MetricScore: "points", MetricClosure: "due", MetricOnTime: "due", MetricRework: "closed"}[r.Metric]
	switch r.Entity {
	case RankPoints:
		return rankSource{labels: []string{"code", "name", "category", "unit", "grid"}, basis: "inspections"}, nil
	case RankUnits:
		return rankSource{labels: []string{"unit", "code"}, basis: basis}, nil
	}
	return rankSource{labels: []string{"code", "name"}, basis: basis}, nil
}

// rankStats is the SQL of one period's rows (key, labels…, value, basis).
func (s *Store) rankStats(ctx context.Context, q *issueQuery, r Ranking, f ReportFilter) string {
	if r.Metric == MetricScore {
		return scoreStats(q, r, f)
	}
	return s.caseStats(ctx, q, r, f)
}

// pointScores is the SQL of the average score of each point inspected in the
// filter's range, within its area and scope (by the point's grid).
func pointScores(q *issueQuery, f ReportFilter) string {
	where := fmt.Sprintf("n.inspected_at >= %s AND n.inspected_at < %s", q.arg(f.From), q.arg(f.To))
	if f.Area != "" {
		where += fmt.Sprintf(" AND starts_with(p.grid_code, %s)", q.arg(f.Area))
	}
	if len(f.Scope) > 0 {
		where += " AND " + inScope("p.grid_code", f.Scope, q.arg)
	}
	return `SELECT p.code, p.name, p.category, p.unit, p.grid_code, avg(n.score) AS score, count(*) AS inspections
		FROM inspections n JOIN points p ON p.id = n.point_id
		WHERE ` + where + ` GROUP BY p.id`
}

func scoreStats(q *issueQuery, r Ranking, f ReportFilter) string {
	ps := pointScores(q, f)
	switch r.Entity {
	case RankPoints:
		return `SELECT ps.code AS key, ps.code, ps.name, ps.category, ps.unit, ps.grid_code AS grid,
			round(ps.score, 2)::float8 AS value, ps.inspections AS basis FROM (` + ps + `) ps`
	case RankUnits:
		return `SELECT ps.unit AS key, ps.unit, min(u.code) AS code, round(avg(ps.score), 2)::float8 AS value,
			count(*) AS basis FROM (` + ps + `) ps LEFT JOIN units u ON u.name = ps.unit GROUP BY ps.unit`
	}
	return fmt.Sprintf(`SELECT left(ps.grid_code, %[1]d) AS key, left(ps.grid_code, %[1]d) AS code,
		min(a.name) AS name, round(avg(ps.score), 2)::float8 AS value, count(*) AS basis
		FROM (%[2]s) ps JOIN areas a ON a.code = left(ps.grid_code, %[1]d) GROUP BY 1`, AreaLevels[r.Level], ps)
}

// caseStats is the SQL of one period's evaluation figures per unit or area,
// valued by the ranking's metric.
func (s *Store) caseStats(ctx context.Context, q *issueQuery, r Ranking, f ReportFilter) string {
	value := map[string]string{
		MetricClosure: "round(s.closed::numeric / nullif(s.due, 0), 4)::float8",
		MetricOnTime:  "round(s.closed_on_time::numeric / nullif(s.due, 0), 4)::float8",
		MetricRework:  "round(s.reworked::numeric / nullif(s.closed, 0), 4)::float8",
	}[r.Metric]
	basis := "s.due"
	if r.Metric == MetricRework {
		basis = "s.closed"
	}
	if r.Entity == RankUnits {
		return `SELECT u.code AS key, u.name AS unit, u.code, ` + value + ` AS value, ` + basis + ` AS basis
			FROM (` + s.figures(ctx, q, f, unitKey) + `) s JOIN units u ON u.code = s.key`
	}
	return `SELECT a.code AS key, a.code, a.name, ` + value + ` AS value, ` + basis + ` AS basis
		FROM (` + s.figures(ctx, q, f, gridKey(AreaLevels[r.Level])) + `) s
		JOIN areas a ON a.code = s.key`
}

// rankWithin keeps areas (their code column col) inside the filter's area and
// scope, as the area report does; units and points are already limited by
// what is counted for them.
func rankWithin(q *issueQuery, r Ranking, f ReportFilter, col string) string {
	if r.Entity != RankAreas {
		return ""
	}
	return areasWithin(q, col, f)
}

// rankLeader is the column of the leaders linked to a ranked area (挂钩定片).
func rankLeader(r Ranking) string {
	if r.Entity != RankAreas {
		return ""
	}
	return ", " + leaderColumn("l.key")
}

func rankGeometry(r Ranking, f ReportFilter) string {
	if r.Entity != RankAreas {
		return ""
	}
	return geometryColumn(f, "a.geom")
}

func rankGeometryJoin(r Ranking, f ReportFilter) string {
	if r.Entity != RankAreas || !f.Geometry {
		return ""
	}
	return " JOIN areas a ON a.code = l.key"
}

// HasRankGeometry reports whether a ranking's rows have geometry (areas).
func HasRankGeometry(entity string) bool { return entity == RankAreas }
