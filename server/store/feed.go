package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"
)

// Reading the changes feed: the live stream tails it, replays it to clients that
// reconnect, and prunes it. Writing it is changes.go.

// Change is one row of the feed with what the live stream matches subscriptions
// against, computed by the database so that the stream decodes no GeoJSON.
type Change struct {
	Seq      int64
	Layer    string
	Op       string // upsert or delete
	ObjectID string
	// Feature is the GeoJSON Feature as stored; nil for a delete.
	Feature []byte
	// Bound covers the geometry before and after the change; Bounded is false when
	// the change has neither.
	Bound   orb.Bound
	Bounded bool
	// Boxes are the bounds of the geometry after and before the change, each
	// that exists: two apart for an object that moved, where Bound spans the
	// way between them too.
	Boxes []orb.Bound
	// Codes are the area codes the object lies in: its grid, community and street,
	// the area's own code for areas and grids, and for a delete or a move the grids
	// its last geometry touches.
	Codes []string
	// Category is the object's category, "" for layers without one and deletes.
	Category string
	// Unit is the object's responsible unit (issues, tasks), "" for others.
	Unit        string
	CommittedAt time.Time
}

// Querier runs queries: the pool, or the dedicated connection of a listener.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

const changesSQL = `
SELECT c.seq, c.layer, c.op, c.object_id, c.feature,
       ST_XMin(b.box), ST_YMin(b.box), ST_XMax(b.box), ST_YMax(b.box),
       CASE WHEN c.layer IN ('areas', 'grids') THEN ARRAY[c.object_id]
            WHEN c.feature IS NOT NULL THEN array_remove(ARRAY[
                c.feature->'properties'->>'grid', c.feature->'properties'->>'community',
                c.feature->'properties'->>'street'], NULL) || CASE WHEN c.old_geom IS NOT NULL THEN ARRAY(
                SELECT a.code FROM areas a WHERE a.level = 'grid' AND ST_Intersects(a.geom, c.old_geom))
                ELSE '{}'::text[] END
            WHEN c.old_geom IS NOT NULL THEN ARRAY(
                SELECT a.code FROM areas a WHERE a.level = 'grid' AND ST_Intersects(a.geom, c.old_geom))
            ELSE '{}'::text[] END,
       coalesce(c.feature->'properties'->>'category', ''),
       coalesce(c.feature->'properties'->>'unit', ''),
       c.committed_at,
       CASE WHEN c.geom IS NOT NULL THEN ARRAY[ST_XMin(c.geom), ST_YMin(c.geom), ST_XMax(c.geom), ST_YMax(c.geom)] END,
       CASE WHEN c.old_geom IS NOT NULL THEN ARRAY[ST_XMin(c.old_geom), ST_YMin(c.old_geom),
                                                  ST_XMax(c.old_geom), ST_YMax(c.old_geom)] END
FROM changes c
CROSS JOIN LATERAL (SELECT CASE WHEN c.old_geom IS NULL THEN box2d(c.geom)
                                WHEN c.geom IS NULL THEN box2d(c.old_geom)
                                ELSE box2d(ST_Collect(c.geom, c.old_geom)) END AS box) b
WHERE c.seq > $1 AND ($2::bigint = 0 OR c.seq <= $2::bigint)
ORDER BY c.seq
LIMIT $3`

// ChangesSince returns up to limit changes with seq > after, in order; when upto is
// not 0, only those with seq <= upto.
func ChangesSince(ctx context.Context, q Querier, after, upto int64, limit int) ([]Change, error) {
	rows, err := q.Query(ctx, changesSQL, after, upto, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Change, 0, min(limit, 256))
	for rows.Next() {
		var c Change
		var x0, y0, x1, y1 *float64
		var box, oldBox []float64
		if err := rows.Scan(&c.Seq, &c.Layer, &c.Op, &c.ObjectID, &c.Feature,
			&x0, &y0, &x1, &y1, &c.Codes, &c.Category, &c.Unit, &c.CommittedAt, &box, &oldBox); err != nil {
			rows.Close()
			return nil, err
		}
		if x0 != nil && y0 != nil && x1 != nil && y1 != nil {
			c.Bound, c.Bounded = orb.Bound{Min: orb.Point{*x0, *y0}, Max: orb.Point{*x1, *y1}}, true
		}
		for _, b := range [][]float64{box, oldBox} {
			if len(b) == 4 {
				c.Boxes = append(c.Boxes, orb.Bound{Min: orb.Point{b[0], b[1]}, Max: orb.Point{b[2], b[3]}})
			}
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ChangesSince reads the feed through the pool; see the function of that name.
func (s *Store) ChangesSince(ctx context.Context, after, upto int64, limit int) ([]Change, error) {
	return ChangesSince(ctx, s.Pool, after, upto, limit)
}

// FeedHead is the last committed sequence number.
func FeedHead(ctx context.Context, q Querier) (int64, error) {
	var head int64
	err := q.QueryRow(ctx, `SELECT seq FROM change_counter`).Scan(&head)
	return head, err
}

// FeedBounds returns the oldest change still kept and the head. With nothing kept,
// oldest is head+1: every change up to the head is gone.
func (s *Store) FeedBounds(ctx context.Context) (oldest, head int64, err error) {
	err = s.Pool.QueryRow(ctx, `SELECT coalesce((SELECT min(seq) FROM changes), c.seq + 1), c.seq
		FROM change_counter c`).Scan(&oldest, &head)
	return oldest, head, err
}

// PruneChanges drops the months of the feed (its partitions, see migration
// 0028) that ended before the cutoff, and returns how many changes went: a
// month goes whole once the retention has passed its last day, by DROP, not
// by DELETE, so pruning costs no vacuum and no index churn. What is kept is
// always a contiguous run up to the head (changes_drop_months says how), so a
// replay can tell where it starts. The changes a webhook has not done with yet
// are kept, whatever their age: a subscription that is paused holds the feed
// from its cursor until it resumes or goes. Several instances pruning at once
// take turns on the feed's lock.
func (s *Store) PruneChanges(ctx context.Context, before time.Time) (int64, error) {
	var gone int64
	err := s.Pool.QueryRow(ctx, `SELECT changes_drop_months($1)`, before).Scan(&gone)
	return gone, err
}

// Listen subscribes conn to the feed's notifications (see NotifyChannel).
func Listen(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{NotifyChannel}.Sanitize())
	return err
}

// Connect opens a connection outside the pool, configured like the pool's: for
// listeners, which hold their connection for good.
func (s *Store) Connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, s.Pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	return conn, nil
}
