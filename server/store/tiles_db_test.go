package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"citymap/server/dbtest"
	"citymap/server/store"
)

// TestAppendUpsertsMoved checks that a change records the geometry an object
// had before only when the write moved it, and that the feed reads both boxes
// and the grids of the old place.
func TestAppendUpsertsMoved(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := dbtest.New(t)
	var code, oldGrid, newGrid string
	err := st.Pool.QueryRow(ctx, `SELECT p.code, p.grid_code, g.code FROM points p, areas g
		WHERE GeometryType(p.geom) = 'POINT' AND p.grid_code IS NOT NULL AND g.level = 'grid'
		  AND NOT ST_Intersects(g.geom, p.geom)
		ORDER BY p.code, g.code LIMIT 1`).Scan(&code, &oldGrid, &newGrid)
	if err != nil {
		t.Fatal(err)
	}
	write := func(set string) int64 {
		var seq int64
		err := st.InTx(ctx, func(tx pgx.Tx) error {
			before, err := store.PreviousGeoms(ctx, tx, "points", []string{code})
			if err != nil {
				return err
			}
			var id int64
			if err := tx.QueryRow(ctx, `UPDATE points SET `+set+` WHERE code = $1 RETURNING id`, code).Scan(&id); err != nil {
				return err
			}
			seq, err = store.AppendUpsertsMoved(ctx, tx, "points", []int64{id}, before)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return seq
	}
	renamed := write(`name = 'renamed'`)
	moved := write(`geom = (SELECT ST_PointOnSurface(geom) FROM areas WHERE code = '` + newGrid + `'),
		grid_code = '` + newGrid + `'`)
	changes, err := st.ChangesSince(ctx, renamed-1, moved, 10)
	if err != nil || len(changes) != 2 {
		t.Fatalf("changes: %v %v", changes, err)
	}
	if len(changes[0].Boxes) != 1 {
		t.Errorf("a rename has %d boxes, want the one geometry", len(changes[0].Boxes))
	}
	m := changes[1]
	if len(m.Boxes) != 2 || m.Boxes[0] == m.Boxes[1] || !m.Bound.Contains(m.Boxes[0].Min) || !m.Bound.Contains(m.Boxes[1].Min) {
		t.Errorf("a move: boxes %v within %v, want the new and the old place", m.Boxes, m.Bound)
	}
	var hasOld, hasNew bool
	for _, c := range m.Codes {
		hasOld = hasOld || c == oldGrid
		hasNew = hasNew || c == newGrid
	}
	if !hasOld || !hasNew {
		t.Errorf("a move's codes %v lack the old grid %s or the new %s", m.Codes, oldGrid, newGrid)
	}
}

// TestParkingNextChange checks the expiry of parking tiles against the rule
// itself: for the tidal zones of the demo city, at instants over two weeks,
// whether the zone is open does not change before parking_next_change, and
// the boundary is never further than eight days.
func TestParkingNextChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := dbtest.New(t)
	var checked, changedBefore, late, flips int64
	// one zone of each weekly schedule: the rest repeat what they test
	err := st.Pool.QueryRow(ctx, `WITH zones AS (
			SELECT DISTINCT ON (s.windows) s.id FROM (
				SELECT w.zone_id AS id, string_agg(w.weekday || ' ' || w.opens || '-' || w.closes, ','
				                                   ORDER BY w.weekday, w.opens) AS windows
				FROM parking_windows w GROUP BY w.zone_id) s),
		probe AS (
			SELECT z.id, t.at, parking_next_change(z.id, t.at) AS next
			FROM zones z
			CROSS JOIN generate_series(now(), now() + interval '14 days', interval '47 minutes') AS t(at))
		SELECT count(*),
		       count(*) FILTER (WHERE next <= at OR parking_open_at(id, at) <> parking_open_at(id, next - interval '1 microsecond')
		                        OR parking_open_at(id, at) <> parking_open_at(id, at + (next - at) / 2)),
		       count(*) FILTER (WHERE next > at + interval '8 days'),
		       count(*) FILTER (WHERE parking_open_at(id, at) <> parking_open_at(id, next))
		FROM probe`).Scan(&checked, &changedBefore, &late, &flips)
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 || changedBefore != 0 || late != 0 {
		t.Errorf("%d probes: %d change before the boundary, %d boundaries beyond eight days", checked, changedBefore, late)
	}
	if flips == 0 {
		t.Error("no boundary opens or closes a zone")
	}
	var smart *string
	if err := st.Pool.QueryRow(ctx, `SELECT parking_next_change(id, now())::text FROM parking_zones
		WHERE kind = 'smart' LIMIT 1`).Scan(&smart); err != nil || smart != nil {
		t.Errorf("a smart lot changes at %v (%v), want never", smart, err)
	}
}

// TestRenderTileExpires checks a tile's expiry: the next deadline of the open
// issues it draws. The test sets the deadlines itself, whatever instant the demo
// city was seeded at: no other open issue is due within a day, and at a place of
// the city it adds two open issues due in one and two hours and a closed one due
// sooner, which does not count.
func TestRenderTileExpires(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := dbtest.New(t)
	dbtest.QuietDeadlines(t, st, 24*time.Hour)
	var p orb.Point
	var want time.Time
	err := st.Pool.QueryRow(ctx, `WITH p AS (SELECT geom FROM issues WHERE issue_is_open(status) ORDER BY id LIMIT 1),
		added AS (INSERT INTO issues (source, category, geom, status, deadline, closed_at)
			SELECT 'sensor', 'manhole_cover', p.geom, d.status, now() + d.due,
			       CASE WHEN d.status = 'closed' THEN now() END
			FROM p, (VALUES ('dispatched', interval '1 hour'), ('dispatched', interval '2 hours'),
			                ('closed', interval '30 minutes')) AS d(status, due)
			RETURNING status, geom, deadline)
		SELECT ST_X(geom), ST_Y(geom), deadline FROM added WHERE status = 'dispatched' ORDER BY deadline LIMIT 1`).
		Scan(&p[0], &p[1], &want)
	if err != nil {
		t.Fatal(err)
	}
	renderer, err := st.NewTileRenderer()
	if err != nil {
		t.Fatal(err)
	}
	defer renderer.Close()
	for _, zoom := range []maptile.Zoom{11, 15} {
		tl := maptile.At(p, zoom)
		got, err := renderer.Render(ctx, store.TileRequest{Layer: "issues", Z: uint32(tl.Z), X: tl.X, Y: tl.Y})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.MVT) == 0 || !got.Expires.Equal(want) {
			t.Errorf("z%d: %d bytes expiring %v, want the first deadline %v", zoom, len(got.MVT), got.Expires, want)
		}
	}
}

// TestImportRecordsOldGeometry re-imports two grids, one with a new boundary:
// its change records the boundary it had, the unchanged one's does not.
func TestImportRecordsOldGeometry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := dbtest.New(t)
	rows, err := st.Pool.Query(ctx, `SELECT code, name,
			CASE WHEN row_number() OVER (ORDER BY code) = 1
			     THEN ST_AsEWKB(ST_Multi(ST_Buffer(geom, -0.0005))) ELSE ST_AsEWKB(geom) END
		FROM areas WHERE level = 'grid' ORDER BY code LIMIT 2`)
	if err != nil {
		t.Fatal(err)
	}
	var grids []store.AreaRow
	for rows.Next() {
		r := store.AreaRow{Level: "grid"}
		if err := rows.Scan(&r.Code, &r.Name, &r.Geom); err != nil {
			t.Fatal(err)
		}
		grids = append(grids, r)
	}
	if err := rows.Err(); err != nil || len(grids) != 2 {
		t.Fatalf("%d grids: %v", len(grids), err)
	}
	head, err := store.FeedHead(ctx, st.Pool)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ImportAreas(ctx, grids, false); err != nil {
		t.Fatal(err)
	}
	changes, err := st.ChangesSince(ctx, head, 0, 10)
	if err != nil || len(changes) != 2 {
		t.Fatalf("changes %+v: %v", changes, err)
	}
	for _, c := range changes {
		moved := c.ObjectID == grids[0].Code
		if c.Layer != "grids" || moved != (len(c.Boxes) == 2) {
			t.Errorf("%s %s: %d boxes (moved: %v)", c.Layer, c.ObjectID, len(c.Boxes), moved)
		}
	}
}
