package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// The statements of the report cube (server/reportcube), which keeps the
// columns figuresSQL reads in memory and follows the changes feed.

// CubeSnapshot runs fn in a read-only repeatable-read transaction with the
// feed's head as of its snapshot: sequence numbers are taken under a row lock
// held to commit, so every change up to head is in what fn reads.
func (s *Store) CubeSnapshot(ctx context.Context, fn func(tx pgx.Tx, head int64) error) error {
	tx, err := s.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	head, err := FeedHead(ctx, tx)
	if err != nil {
		return err
	}
	if err := fn(tx, head); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// The cube's rows, in binary (timestamptz as int64 microseconds since 2000,
// text as its bytes, float8 as its bits), which it decodes itself.
const (
	// of each issue: id, created_at, deadline, closed_at, resolved_at,
	// dispatched_at, grid_code, unit, category, source, status, rework_count > 0,
	// extensions > 0, suspensions > 0, and the point in EPSG:3857 (x, y)
	cubeFactsSQL = `SELECT i.id, i.created_at, i.deadline, i.closed_at, i.resolved_at, i.dispatched_at,
		i.grid_code, i.unit, i.category, i.source, i.status, i.rework_count > 0, i.extensions > 0,
		i.suspensions > 0, ST_X(m.p), ST_Y(m.p)
		FROM issues i CROSS JOIN LATERAL (SELECT ST_Transform(i.geom, 3857) AS p) m`
	// issue_id, id, at, action, deadline_from of the clock events; only of the
	// cases with a counter set, since figuresSQL reads no others
	cubeEventsSQL = `SELECT e.issue_id, e.id, e.at, e.action, (e.data->>'deadline_from')::timestamptz
		FROM issue_events e JOIN issues i ON i.id = e.issue_id
		WHERE e.action IN ('extend_grant', 'suspend', 'resume') AND (i.extensions > 0 OR i.suspensions > 0)`
)

// CubeRows hands the raw binary rows of the issues of ids (every issue when
// ids is nil) to fact, and of their clock events, ordered by issue, at and id,
// to event.
func CubeRows(ctx context.Context, tx pgx.Tx, ids []int64, fact, event func([][]byte) error) error {
	facts, events, args := cubeFactsSQL, cubeEventsSQL, []any{pgx.QueryResultFormats{pgx.BinaryFormatCode}}
	if ids != nil {
		facts += ` WHERE i.id = ANY($1)`
		events += ` AND e.issue_id = ANY($1)`
		args = append(args, ids)
	}
	if err := rawRows(ctx, tx, facts, args, fact); err != nil {
		return err
	}
	return rawRows(ctx, tx, events+` ORDER BY e.issue_id, e.at, e.id`, args, event)
}

func rawRows(ctx context.Context, tx pgx.Tx, sql string, args []any, fn func([][]byte) error) error {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.RawValues()); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ChangedIssues counts the feed's changes in (after, upto] and lists the
// issues they name.
func ChangedIssues(ctx context.Context, tx pgx.Tx, after, upto int64) (changes int64, ids []int64, err error) {
	err = tx.QueryRow(ctx, `SELECT count(*),
			coalesce(array_agg(DISTINCT object_id::bigint) FILTER (WHERE layer = 'issues'), '{}')
		FROM changes WHERE seq > $1 AND seq <= $2`, after, upto).Scan(&changes, &ids)
	return changes, ids, err
}

// HexagonCells counts the points (xs, ys) of EPSG:3857 per hexagon of edge
// size as HexagonReport places an issue: the first of ST_HexagonGrid's cells
// around the point that intersects it.
func (s *Store) HexagonCells(ctx context.Context, size float64, xs, ys []float64) ([]HexagonCount, error) {
	rows, err := s.reads(ctx).Query(ctx, `SELECT h.i, h.j, count(*)
		FROM unnest($2::float8[], $3::float8[]) AS u(x, y)
		CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint(u.x, u.y), 3857) AS m) p
		CROSS JOIN LATERAL (SELECT g.i, g.j FROM ST_HexagonGrid($1::float8, p.m) g
			WHERE ST_Intersects(g.geom, p.m) LIMIT 1) h
		GROUP BY h.i, h.j`, size, xs, ys)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanHexagonCount)
}

func scanHexagonCount(r pgx.CollectableRow) (HexagonCount, error) {
	var c HexagonCount
	err := r.Scan(&c.I, &c.J, &c.Issues)
	return c, err
}
