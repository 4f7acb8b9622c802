package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// CalendarDay is a date off the weekly rhythm: a holiday or a make-up workday
// (调休). Tidal parking and working-time deadlines read the same table.
type CalendarDay struct {
	Day  time.Time `json:"-"`    // the date at midnight UTC
	Kind string    `json:"kind"` // holiday or workday
	Name string    `json:"name"`
}

// CalendarDays returns the calendar's days from one date to another, both
// included (dates at midnight UTC, as pgx reads date values).
func (s *Store) CalendarDays(ctx context.Context, from, to time.Time) ([]CalendarDay, error) {
	rows, err := s.Pool.Query(ctx, `SELECT day, kind, name FROM calendar_days
		WHERE day BETWEEN $1::date AND $2::date ORDER BY day`,
		from.Format(time.DateOnly), to.Format(time.DateOnly))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[CalendarDay])
}

// CalendarYears lists the years the calendar holds any day of, in order.
func (s *Store) CalendarYears(ctx context.Context) ([]int, error) {
	rows, err := s.Pool.Query(ctx, `SELECT DISTINCT extract(year FROM day)::int AS y FROM calendar_days ORDER BY y`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int])
}

// ReplaceCalendarYears makes days the whole calendar of the given years, in
// one transaction: a year's schedule is published whole (国务院办公厅's notice),
// so the days of those years not in days go. It answers how many days it
// replaced. A dry run writes and rolls back.
func (s *Store) ReplaceCalendarYears(ctx context.Context, years []int, days []CalendarDay, dryRun bool) (replaced int, err error) {
	_, err = s.importTx(ctx, dryRun, func(tx pgx.Tx) ([]ImportCount, error) {
		tag, err := tx.Exec(ctx, `DELETE FROM calendar_days WHERE extract(year FROM day)::int = ANY($1)`, years)
		if err != nil {
			return nil, err
		}
		dates, kinds, names := make([]string, len(days)), make([]string, len(days)), make([]string, len(days))
		for i, d := range days {
			dates[i], kinds[i], names[i] = d.Day.Format(time.DateOnly), d.Kind, d.Name
		}
		if _, err := tx.Exec(ctx, `INSERT INTO calendar_days (day, kind, name)
			SELECT d::date, k, n FROM unnest($1::text[], $2::text[], $3::text[]) AS u(d, k, n)`,
			dates, kinds, names); err != nil {
			return nil, err
		}
		replaced = int(tag.RowsAffected())
		return nil, nil
	})
	return replaced, err
}
