package store

import (
	"context"
	"fmt"
	"time"
)

// The evaluation figures can come from elsewhere than figuresSQL: a
// FigureSource (the in-memory report cube of server/reportcube) computes the
// same rows, and the report's statement then reads them from arrays instead
// of aggregating the issues. Everything around the rows — names, polygons,
// rates rounded by round(numeric, 4), the median's hours, the order — stays
// the statement's, so both paths shape the answer alike.

// FigureSource computes figuresSQL's rows. ok is false when it cannot answer
// exactly (not loaded, or behind the changes feed): the report then runs
// figuresSQL.
type FigureSource interface {
	Figures(ctx context.Context, f ReportFilter, by FigureKey) (rows []FigureRow, ok bool)
	// Hexagons counts the filter's issues per ST_HexagonGrid cell of edge
	// size (in EPSG:3857 units, as HexagonReport scales it), each issue in
	// the cell HexagonReport's SQL gives it.
	Hexagons(ctx context.Context, f ReportFilter, size float64) (cells []HexagonCount, ok bool)
}

// HexagonCount is one hexagon's issues.
type HexagonCount struct {
	I, J   int
	Issues int64
}

// What a FigureKey groups by.
const (
	ByGrid     = "grid"     // left(grid_code, Digits); issues without a grid are in no row
	ByCategory = "category" // category
	ByUnit     = "unit"     // unit; issues without one are in no row
	ByBucket   = "bucket"   // the bucket of created_at among Buckets
)

// FigureKey is what figures are grouped by.
type FigureKey struct {
	By     string
	Digits int // of ByGrid: the code's length; 0 is the whole grid code
	// Buckets are the instants the buckets of ByBucket begin at, ascending:
	// bucket k holds created_at in [Buckets[k], Buckets[k+1]), the last one
	// everything after its start.
	Buckets []time.Time
	sql     string // the key as figuresSQL groups by it
}

// FigureRow is one group's figures, as figuresSQL counts them.
type FigureRow struct {
	Key                                                           string // ByGrid, ByCategory, ByUnit
	Bucket                                                        int    // ByBucket: the index in Buckets
	New, Due, Closed, ClosedOnTime, Reworked, Extended, Suspended int64
	// MedianHandlingS is percentile_cont(0.5) of the closed cases' handling
	// seconds; nil without any.
	MedianHandlingS *float64
}

func gridKey(digits int) FigureKey {
	return FigureKey{By: ByGrid, Digits: digits, sql: fmt.Sprintf("left(i.grid_code, %d)", digits)}
}

var (
	categoryKey = FigureKey{By: ByCategory, sql: "i.category"}
	unitKey     = FigureKey{By: ByUnit, sql: "i.unit"}
)

// figures is the SQL of the filter's figures grouped by key: the source's
// rows when it has them, else figuresSQL.
func (s *Store) figures(ctx context.Context, q *issueQuery, f ReportFilter, key FigureKey) string {
	if s.Figures != nil {
		if rows, ok := s.Figures.Figures(ctx, f, key); ok {
			return figureRowsSQL(q, f, key, rows)
		}
	}
	return figuresSQL(q, f, key.sql)
}

// figureRowsSQL is the SQL of rows as figuresSQL's columns. A bucket's key is
// its start as local time, as date_trunc gives it.
func figureRowsSQL(q *issueQuery, f ReportFilter, key FigureKey, rows []FigureRow) string {
	n := len(rows)
	keys := make([]string, n)
	starts := make([]time.Time, n)
	cols := make([][]int64, 7)
	for c := range cols {
		cols[c] = make([]int64, n)
	}
	medians := make([]*float64, n)
	for i, r := range rows {
		keys[i] = r.Key
		if key.By == ByBucket {
			starts[i] = key.Buckets[r.Bucket]
		}
		for c, v := range []int64{r.New, r.Due, r.Closed, r.ClosedOnTime, r.Reworked, r.Extended, r.Suspended} {
			cols[c][i] = v
		}
		medians[i] = r.MedianHandlingS
	}
	keyCol, keyType := "u.k", "text[]"
	var keyArg any = keys
	if key.By == ByBucket {
		keyCol, keyType, keyArg = "u.k AT TIME ZONE "+q.arg(f.Zone), "timestamptz[]", starts
	}
	return fmt.Sprintf(`SELECT %s AS key, u.new, u.due, u.closed, u.closed_on_time, u.reworked, u.extended,
			u.suspended, u.median_handling_s
		FROM unnest(%s::%s, %s::int8[], %s::int8[], %s::int8[], %s::int8[], %s::int8[], %s::int8[], %s::int8[],
			%s::float8[]) AS u(k, new, due, closed, closed_on_time, reworked, extended, suspended, median_handling_s)`,
		keyCol, q.arg(keyArg), keyType, q.arg(cols[0]), q.arg(cols[1]), q.arg(cols[2]), q.arg(cols[3]),
		q.arg(cols[4]), q.arg(cols[5]), q.arg(cols[6]), q.arg(medians))
}

// trendBuckets are the instants the local days or weeks of the range begin
// at, as TrendReport's series has them.
func (s *Store) trendBuckets(ctx context.Context, interval string, f ReportFilter) ([]time.Time, error) {
	rows, err := s.reads(ctx).Query(ctx, `SELECT g AT TIME ZONE $3 FROM generate_series(
			date_trunc($4, $1::timestamptz AT TIME ZONE $3),
			$2::timestamptz AT TIME ZONE $3 - interval '1 microsecond', ('1 ' || $4)::interval) g
		ORDER BY 1`, f.From, f.To, f.Zone, interval)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var t time.Time
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
