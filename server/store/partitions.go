package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// The month partitions of issues, issue_events, changes and parking_readings
// (migration 0028): keeping months ahead of the clock, and what there is.

// MaintainPartitions creates the months of the time-partitioned tables that
// are missing up to ahead months past the current one, moves the rows waiting
// in a DEFAULT partition into their months, and returns how many partitions it
// created. Instances calling it at once take turns.
func (s *Store) MaintainPartitions(ctx context.Context, ahead int) (int, error) {
	var made int
	err := s.Pool.QueryRow(ctx, `SELECT partitions_maintain($1)`, ahead).Scan(&made)
	return made, err
}

// PartitionedTable is what one time-partitioned table holds.
type PartitionedTable struct {
	Table string
	// Months is the number of its month partitions; the DEFAULT one is not
	// counted.
	Months int
	// Oldest is the first instant of its oldest month, Newest the end of its
	// newest; zero without months.
	Oldest, Newest time.Time
}

// PartitionedTables describes every time-partitioned table, by name.
func (s *Store) PartitionedTables(ctx context.Context) ([]PartitionedTable, error) {
	rows, err := s.Pool.Query(ctx, `SELECT p.parent, count(pm.starts)::int,
		coalesce(min(pm.starts), 'epoch'), coalesce(max(pm.ends), 'epoch')
		FROM partition_parents() p LEFT JOIN partition_months pm ON pm.parent = p.parent
		GROUP BY p.parent ORDER BY p.parent`)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[PartitionedTable])
	for i := range out {
		if out[i].Months == 0 {
			out[i].Oldest, out[i].Newest = time.Time{}, time.Time{}
		}
	}
	return out, err
}
