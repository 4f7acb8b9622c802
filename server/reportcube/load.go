package reportcube

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/jackc/pgx/v5"

	"citymap/server/store"
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
	snap := &snapshot{events: map[int64][]event{}}
	err := store.CubeRows(ctx, tx, ids, func(v [][]byte) error {
		x, err := c.decodeFact(v)
		snap.facts = append(snap.facts, x)
		return err
	}, func(v [][]byte) error {
		e := event{id: be64(v[1]), at: be64(v[2]), action: eventActions[string(v[3])]}
		if v[4] != nil {
			e.from, e.hasFrom = be64(v[4]), true
		}
		issue := be64(v[0])
		snap.events[issue] = append(snap.events[issue], e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("report cube: read the issues: %w", err)
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

func be64(b []byte) int64 { return int64(binary.BigEndian.Uint64(b)) }

// decodeFact decodes a row of the issues (store.CubeRows).
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
