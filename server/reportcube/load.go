package reportcube

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/jackc/pgx/v5"
)

// The cube reads the issues with the columns figuresSQL reads, in binary
// (timestamptz as int64 microseconds since 2000, text as its bytes), which it
// decodes without allocating per row.
const (
	factsSQL = `SELECT i.id, i.created_at, i.deadline, i.closed_at, i.resolved_at, i.dispatched_at,
		i.grid_code, i.unit, i.category, i.source, i.status, i.rework_count > 0, i.extensions > 0,
		i.suspensions > 0, ST_X(m.p), ST_Y(m.p)
		FROM issues i CROSS JOIN LATERAL (SELECT ST_Transform(i.geom, 3857) AS p) m`
	// only the events of cases with a counter set: figuresSQL reads no others
	eventsSQL = `SELECT e.issue_id, e.id, e.at, e.action, (e.data->>'deadline_from')::timestamptz
		FROM issue_events e JOIN issues i ON i.id = e.issue_id
		WHERE e.action IN ('extend_grant', 'suspend', 'resume') AND (i.extensions > 0 OR i.suspensions > 0)`
)

// snapshot is what one read of the database gives: facts (sorted by created,
// id) and events (by issue, each ordered by at, id).
type snapshot struct {
	facts  []fact
	events map[int64][]event
}

// read reads the issues of ids (all when ids is nil) and their events,
// numbering their values in c's dictionaries.
func (c *Cube) read(ctx context.Context, tx pgx.Tx, ids []int64) (*snapshot, error) {
	fsql, esql, args := factsSQL, eventsSQL, []any{}
	if ids != nil {
		fsql += ` WHERE i.id = ANY($1)`
		esql += ` AND e.issue_id = ANY($1)`
		args = append(args, ids)
	}
	snap := &snapshot{events: map[int64][]event{}}
	if err := scanBinary(ctx, tx, fsql, args, func(v [][]byte) error {
		x, err := c.decodeFact(v)
		snap.facts = append(snap.facts, x)
		return err
	}); err != nil {
		return nil, fmt.Errorf("read issues: %w", err)
	}
	if err := scanBinary(ctx, tx, esql+` ORDER BY e.issue_id, e.at, e.id`, args, func(v [][]byte) error {
		e := event{id: be64(v[1]), at: be64(v[2]), action: eventActions[string(v[3])]}
		if v[4] != nil {
			e.from, e.hasFrom = be64(v[4]), true
		}
		issue := be64(v[0])
		snap.events[issue] = append(snap.events[issue], e)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	slices.SortFunc(snap.facts, compareFacts)
	return snap, nil
}

func compareFacts(a, b fact) int {
	if a.created != b.created {
		if a.created < b.created {
			return -1
		}
		return 1
	}
	switch {
	case a.id < b.id:
		return -1
	case a.id > b.id:
		return 1
	}
	return 0
}

// scanBinary runs sql and hands each row's raw binary values to fn.
func scanBinary(ctx context.Context, tx pgx.Tx, sql string, args []any, fn func([][]byte) error) error {
	rows, err := tx.Query(ctx, sql, append([]any{pgx.QueryResultFormats{pgx.BinaryFormatCode}}, args...)...)
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

func be64(b []byte) int64 { return int64(binary.BigEndian.Uint64(b)) }

// decodeFact decodes a row of factsSQL.
func (c *Cube) decodeFact(v [][]byte) (fact, error) {
	x := fact{id: be64(v[0]), created: be64(v[1]), deadline: be64(v[2]), grid: -1, unit: -1}
	for i, flag := range []uint8{fClosedAt, fResolved, fDispatched} {
		if b := v[3+i]; b != nil {
			x.flags |= flag
			*[]*int64{&x.closedAt, &x.resolved, &x.dispatched}[i] = be64(b)
		}
	}
	if v[6] != nil {
		x.grid = c.grids.id(v[6])
	}
	if v[7] != nil {
		x.unit = c.units.id(v[7])
	}
	x.category, x.source = uint16(c.categories.id(v[8])), uint8(c.sources.id(v[9]))
	switch string(v[10]) {
	case "closed":
		x.flags |= fClosed
	case "rejected", "merged":
		x.flags |= fVoid
	}
	for i, flag := range []uint8{fReworked, fExtensions, fSuspensions} {
		if v[11+i][0] != 0 {
			x.flags |= flag
		}
	}
	x.x, x.y = math.Float64frombits(uint64(be64(v[14]))), math.Float64frombits(uint64(be64(v[15])))
	if x.category == 0 && len(c.categories.snapshot()) > 1<<16 || x.source == 0 && len(c.sources.snapshot()) > 1<<8 {
		return x, fmt.Errorf("more categories or sources than the cube numbers")
	}
	return x, nil
}
