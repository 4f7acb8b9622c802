package live_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"citymap/server/access"
	"citymap/server/store"
)

// TestMovedObject moves an inspection point from one demo-city grid to another
// far away: the clients watching where it was learn that it left (the change
// carries its old geometry and grids), those watching where it went see it
// come, and one watching only the land in between hears nothing.
func TestMovedObject(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	in := startInstance(t, st, testConfig())
	var from, to struct {
		grid string
		x, y float64
	}
	err := st.Pool.QueryRow(ctx, `WITH g AS (
			SELECT code, ST_PointOnSurface(geom) AS p FROM areas WHERE level = 'grid')
		SELECT a.code, ST_X(a.p), ST_Y(a.p), b.code, ST_X(b.p), ST_Y(b.p)
		FROM g a, g b ORDER BY ST_Distance(a.p, b.p) DESC LIMIT 1`).
		Scan(&from.grid, &from.x, &from.y, &to.grid, &to.x, &to.y)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool.Exec(ctx, `INSERT INTO points (code, name, category, unit, grid_code, geom)
		VALUES ('MOVE-1', 'moving point', 'bus_stop', 'cgj', $1, ST_SetSRID(ST_MakePoint($2, $3), 4326))`,
		from.grid, from.x, from.y); err != nil {
		t.Fatal(err)
	}
	box := func(x, y float64) []float64 { return []float64{x - 0.001, y - 0.001, x + 0.001, y + 0.001} }
	viewer := token(t, st, access.Viewer)
	clients := map[string]*wsClient{}
	subs := map[string]struct {
		tok string
		sub map[string]any
	}{
		"where it was":      {viewer, map[string]any{"bbox": box(from.x, from.y)}},
		"where it went":     {viewer, map[string]any{"bbox": box(to.x, to.y)}},
		"in between":        {viewer, map[string]any{"bbox": box((from.x+to.x)/2, (from.y+to.y)/2)}},
		"old grid manager":  {token(t, st, access.GridManager, from.grid), map[string]any{}},
		"other grid's only": {token(t, st, access.GridManager, "999999"), map[string]any{}},
	}
	for name, s := range subs {
		clients[name] = dial(t, in.wsURL(), s.tok)
		clients[name].subscribe(s.sub)
	}

	var last int64
	err = st.InTx(ctx, func(tx pgx.Tx) error {
		before, err := store.PreviousGeoms(ctx, tx, "points", []string{"MOVE-1"})
		if err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRow(ctx, `UPDATE points SET geom = ST_SetSRID(ST_MakePoint($1, $2), 4326), grid_code = $3
			WHERE code = 'MOVE-1' RETURNING id`, to.x, to.y, to.grid).Scan(&id); err != nil {
			return err
		}
		last, err = store.AppendUpsertsMoved(ctx, tx, "points", []int64{id}, before)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"where it was": 1, "where it went": 1, "in between": 0,
		"old grid manager": 1, "other grid's only": 0}
	for name, c := range clients {
		if got := c.changesThrough(last); len(got) != want[name] {
			t.Errorf("%s: %d changes, want %d", name, len(got), want[name])
		}
	}
	var moved bool
	if err := st.Pool.QueryRow(ctx, `SELECT old_geom IS NOT NULL FROM changes WHERE seq = $1`, last).Scan(&moved); err != nil || !moved {
		t.Errorf("the change does not record the old geometry (%v)", err)
	}
}
