package reportcube_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"citymap/server/dbtest"
	"citymap/server/period"
	"citymap/server/reportcube"
	"citymap/server/store"
	"citymap/server/table"
)

// testConfig waits long for the cube: a loaded test machine must not turn a
// comparison into a fallback (which would compare SQL with itself).
var testConfig = reportcube.Config{MaxWait: 30 * time.Second, PollEvery: 50 * time.Millisecond}

// startCube starts a cube over st and waits until it has loaded.
func startCube(t *testing.T, st *store.Store) *reportcube.Cube {
	t.Helper()
	c := reportcube.New(st, testConfig)
	c.Start()
	t.Cleanup(c.Close)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if ok, _ := c.Loaded(); ok {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatal("the cube did not load")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// report is one report call of the store.
type report struct {
	name string
	run  func(context.Context, *store.Store, store.ReportFilter) (*table.Table, error)
}

func reports(r *rand.Rand) []report {
	level := func() string { return []string{"district", "street", "community", "grid"}[r.IntN(4)] }
	out := []report{
		{"categories", func(ctx context.Context, st *store.Store, f store.ReportFilter) (*table.Table, error) {
			return st.CategoryReport(ctx, f)
		}},
		{"hotspots by grid", func(ctx context.Context, st *store.Store, f store.ReportFilter) (*table.Table, error) {
			return st.GridHotspotReport(ctx, f)
		}},
		{"units", func(ctx context.Context, st *store.Store, f store.ReportFilter) (*table.Table, error) {
			return st.UnitLossReport(ctx, store.LossFilter{ReportFilter: f, PrevFrom: f.From.Add(-f.To.Sub(f.From)),
				PrevTo: f.From, Now: f.At})
		}},
	}
	for _, lv := range []string{level(), level()} {
		out = append(out, report{"areas " + lv, func(ctx context.Context, st *store.Store, f store.ReportFilter) (*table.Table, error) {
			return st.AreaReport(ctx, lv, f)
		}})
	}
	for _, iv := range store.TrendIntervals {
		out = append(out, report{"trends " + iv, func(ctx context.Context, st *store.Store, f store.ReportFilter) (*table.Table, error) {
			return st.TrendReport(ctx, iv, f)
		}})
	}
	size := []float64{store.MinHexagon, store.DefaultHexagon, store.DefaultHexagon, store.MaxHexagon, 50 + r.Float64()*19950}[r.IntN(5)]
	out = append(out, report{fmt.Sprintf("hexagons %g", size), func(ctx context.Context, st *store.Store, f store.ReportFilter) (*table.Table, error) {
		return st.HexagonReport(ctx, size, f)
	}})
	entity := []string{store.RankUnits, store.RankAreas}[r.IntN(2)]
	metric := []string{store.MetricClosure, store.MetricOnTime, store.MetricRework}[r.IntN(3)]
	lv := []string{"street", "community", "grid"}[r.IntN(3)]
	n := 1 + r.IntN(12)
	out = append(out, report{"redblack " + entity + " " + metric, func(ctx context.Context, st *store.Store, f store.ReportFilter) (*table.Table, error) {
		return st.RankingReport(ctx, store.Ranking{Entity: entity, Level: lv, Metric: metric, N: n,
			PrevFrom: f.From.Add(-f.To.Sub(f.From)), PrevTo: f.From}, f)
	}})
	return out
}

// randomFilter draws a range (over the cases' window or the demo city's
// year: sub-second instants, local midnights, an event's own microsecond),
// a judging clock (before the range's end, at it or after it), and filters
// and scopes of every level.
func randomFilter(r *rand.Rand, w *world) store.ReportFilter {
	f := store.ReportFilter{Zone: period.ZoneName}
	start, span := caseWindow, time.Duration(caseDays)*24*time.Hour
	if r.IntN(3) == 0 {
		start, span = w.demoFrom, w.demoTo.Sub(w.demoFrom)
	}
	lengths := []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 31 * 24 * time.Hour,
		92 * 24 * time.Hour, 366 * 24 * time.Hour, time.Duration(r.Int64N(int64(60 * 24 * time.Hour)))}
	switch r.IntN(3) {
	case 0:
		f.From = start.Add(time.Duration(r.Int64N(int64(span)))).Truncate(time.Microsecond)
	case 1:
		f.From = w.instants[r.IntN(len(w.instants))]
	default:
		d := start.Add(time.Duration(r.Int64N(int64(span)))).In(period.Zone)
		f.From = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, period.Zone)
	}
	f.To = f.From.Add(lengths[r.IntN(len(lengths))])
	if r.IntN(3) == 0 {
		f.To = w.instants[r.IntN(len(w.instants))]
		if !f.To.After(f.From) {
			f.To = f.From.Add(time.Hour)
		}
	}
	switch r.IntN(4) {
	case 0: // a range that has not ended: judged now
		f.At = f.From.Add(time.Duration(r.Int64N(int64(f.To.Sub(f.From))))).Truncate(time.Microsecond)
	case 1:
		f.At = w.instants[r.IntN(len(w.instants))]
	default:
		f.At = f.To.Add(time.Duration(r.Int64N(int64(30 * 24 * time.Hour))))
	}
	if r.IntN(3) == 0 {
		for range 1 + r.IntN(3) {
			f.Categories = append(f.Categories, w.categories[r.IntN(len(w.categories))])
		}
		if r.IntN(5) == 0 {
			f.Categories = append(f.Categories, "no_such_category")
		}
	}
	if r.IntN(4) == 0 {
		for range 1 + r.IntN(2) {
			f.Sources = append(f.Sources, store.IssueSources[r.IntN(len(store.IssueSources))])
		}
	}
	code := func() string {
		g := w.grids[r.IntN(len(w.grids))]
		return g[:[]int{6, 9, 12, 14}[r.IntN(4)]]
	}
	if r.IntN(3) == 0 {
		f.Area = code()
	}
	if r.IntN(3) == 0 { // a grid manager of one or several areas
		for range 1 + r.IntN(2) {
			f.Scope = append(f.Scope, code())
		}
	}
	f.Geometry = r.IntN(4) == 0
	return f
}

// TestFiguresEquivalence compares every report of evaluation figures as the
// cube computes them with the direct SQL, over random ranges, cuts, filters
// and scopes, on the demo city plus cases built for the clock rules.
func TestFiguresEquivalence(t *testing.T) {
	// chunks of a few thousand facts: the scans run split as a big city's do
	defer func(n int) { *reportcube.MinChunk = n }(*reportcube.MinChunk)
	*reportcube.MinChunk = 2000
	st := dbtest.New(t)
	c := startCube(t, st)
	// written after the load: the cube takes them from the feed
	w := addCases(t, st, 20260601, 4000)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 7))
	runs := 0
	for i := range 40 {
		f := randomFilter(r, w)
		for _, rep := range reports(r) {
			name := fmt.Sprintf("%d %s %+v", i, rep.name, f)
			st.Figures = nil
			want, err := rep.run(ctx, st, f)
			if err != nil {
				t.Fatalf("%s: sql: %v", name, err)
			}
			st.Figures = c
			got, err := rep.run(ctx, st, f)
			st.Figures = nil
			if err != nil {
				t.Fatalf("%s: cube: %v", name, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s:\n cube %v\n sql  %v", name, got.Rows, want.Rows)
			}
			runs++
		}
	}
	// a loaded machine may leave the odd report to SQL; most must be the cube's
	answered, declined := c.Answers()
	if answered < int64(runs)-declined || 10*declined > int64(runs) {
		t.Errorf("the cube answered %d and declined %d of %d reports", answered, declined, runs)
	}
}
