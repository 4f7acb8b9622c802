package liveload

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"citymap/server"
	"citymap/server/access"
	"citymap/server/auth"
	"citymap/server/dbtest"
)

func TestCompare(t *testing.T) {
	committed := map[int64]int64{10: 1000, 11: 1000, 12: 2000, 13: 2000, 14: 3000}
	got := []receipt{
		{10, 1500}, {12, 2100}, {12, 2200}, // 12 twice
		{11, 2300}, // out of order, and 11 is not for this subscriber
		{14, 3400}, // 13 is missing
		{99, 5000}, // not written by this run: ignored
	}
	var r Report
	lat := r.compare(got, []int64{10, 12, 13, 14}, committed, nil)
	got4 := [5]int64{r.Delivered, r.Missing, r.Duplicated, r.OutOfOrder, r.Unexpected}
	if want := [5]int64{3, 1, 1, 1, 1}; got4 != want {
		t.Errorf("delivered, missing, duplicated, out of order, unexpected = %v, want %v", got4, want)
	}
	if len(lat) != 3 || lat[0] != 500 || lat[1] != 100 || lat[2] != 400 {
		t.Errorf("latencies %v", lat)
	}
}

func TestExpectations(t *testing.T) {
	box := func(w, s, e, n float64) orb.Bound { return orb.Bound{Min: orb.Point{w, s}, Max: orb.Point{e, n}} }
	subs := []*subscriber{
		{bound: box(0, 0, 1, 1), start: 0},
		{bound: box(0.5, 0.5, 2, 2), start: 2}, // subscribed after change 2
	}
	e := expectations(subs, []written{
		{seq: 1, x: 0.7, y: 0.7}, {seq: 2, x: 0.7, y: 0.7}, {seq: 3, x: 0.7, y: 0.7},
		{seq: 4, x: 1.5, y: 1.5}, {seq: 5, x: 3, y: 3}, {seq: 6, x: 1, y: 1},
	})
	if e.total != 7 || len(e.seqs[0]) != 4 || len(e.seqs[1]) != 3 {
		t.Errorf("expected %v (total %d)", e.seqs, e.total)
	}
}

// TestRun runs a small load end to end against a real server.
func TestRun(t *testing.T) {
	ctx := context.Background()
	st := dbtest.New(t)
	// a district of its own and issues in it, whatever the template holds
	_, err := st.Pool.Exec(ctx, `
		INSERT INTO areas (code, name, level, geom) VALUES ('999998', 'Load district', 'district',
			ST_Multi(ST_MakeEnvelope(119.6, 31.1, 119.7, 31.2, 4326)));
		INSERT INTO issues (source, category, geom, deadline)
		SELECT 'sensor', 'noise', ST_SetSRID(ST_MakePoint(119.6 + random() / 10, 31.1 + random() / 10), 4326),
		       now() + interval '1 day'
		FROM generate_series(1, 300)`)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(context.Background(), server.Config{DataDir: t.TempDir()}, st)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { srv.Close(); ts.Close() })
	tok, hash, _ := auth.NewToken()
	if _, err := st.CreateToken(ctx, "load", access.Viewer, nil, hash, nil); err != nil {
		t.Fatal(err)
	}
	r, err := Run(ctx, st, Config{
		URL: "ws" + strings.TrimPrefix(ts.URL, "http") + "/live", Token: tok,
		Subscribers: 40, Rate: 200, Duration: time.Second, BBoxKm: 4, Drain: 10 * time.Second,
		Extent: orb.Bound{Min: orb.Point{119.6, 31.1}, Max: orb.Point{119.7, 31.2}},
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if r.Written < 150 || r.Expected == 0 || r.Delivered != r.Expected || r.Missing+r.Duplicated+r.OutOfOrder+r.Unexpected != 0 {
		var b strings.Builder
		r.Print(&b)
		t.Errorf("report:\n%s", b.String())
	}
	if r.Server["citymap_live_subscribers"] != "40" {
		t.Errorf("server figures %v", r.Server)
	}
}
