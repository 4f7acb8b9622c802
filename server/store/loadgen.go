package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

// What the load generator (citymap load) reads and writes.

// ErrNoCity says the database has no district to take an extent from.
var ErrNoCity = errors.New("no district in areas (seed the demo city, or give an extent)")

// CityExtent is the bounding box of the districts.
func (s *Store) CityExtent(ctx context.Context) (orb.Bound, error) {
	var x0, y0, x1, y1 *float64
	err := s.Pool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
		FROM (SELECT ST_Extent(geom) AS e FROM areas WHERE level = 'district') d`).Scan(&x0, &y0, &x1, &y1)
	if err != nil {
		return orb.Bound{}, err
	}
	if x0 == nil {
		return orb.Bound{}, ErrNoCity
	}
	return orb.Bound{Min: orb.Point{*x0, *y0}, Max: orb.Point{*x1, *y1}}, nil
}

// IssuePoint is an issue's id and location.
type IssuePoint struct {
	ID   int64
	X, Y float64
}

// IssuePoints samples up to limit issues inside the box.
func (s *Store) IssuePoints(ctx context.Context, within orb.Bound, limit int) ([]IssuePoint, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, ST_X(geom), ST_Y(geom) FROM issues
		WHERE geom && ST_MakeEnvelope($1, $2, $3, $4, 4326)
		ORDER BY random() LIMIT $5`, within.Min[0], within.Min[1], within.Max[0], within.Max[1], limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (IssuePoint, error) {
		var p IssuePoint
		err := r.Scan(&p.ID, &p.X, &p.Y)
		return p, err
	})
}

// TouchIssues records that the issues changed (their version goes up), the way a
// workflow step would, and returns the sequence number of the last; the change of
// ids[i] has the sequence number last-len(ids)+1+i.
func (s *Store) TouchIssues(ctx context.Context, ids []int64) (last int64, err error) {
	err = s.InTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE issues SET version = version + 1, updated_at = clock_timestamp()
			WHERE id = ANY($1)`, ids)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != int64(len(ids)) {
			return fmt.Errorf("touch issues: %d of %d found", tag.RowsAffected(), len(ids))
		}
		last, err = AppendUpserts(ctx, tx, "issues", ids)
		return err
	})
	return last, err
}
