package subindex

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
)

func box(w, s, e, n float64) orb.Bound {
	return orb.Bound{Min: orb.Point{w, s}, Max: orb.Point{e, n}}
}

func pt(x, y float64) orb.Bound { return box(x, y, x, y) }

// query collects the candidates of b, failing on a duplicate.
func query(t testing.TB, ix *Index, b orb.Bound) []int {
	t.Helper()
	var out []int
	ix.Query(b, func(id int) { out = append(out, id) })
	slices.Sort(out)
	if c := slices.Compact(slices.Clone(out)); len(c) != len(out) {
		t.Fatalf("query %v named a subscription twice: %v", b, out)
	}
	return out
}

func TestQuery(t *testing.T) {
	ix := New(0)
	ix.Insert(1, box(119.80, 31.30, 119.83, 31.33))     // about 3 km
	ix.Insert(2, box(119.90, 31.40, 119.91, 31.41))     // about 1 km, elsewhere
	ix.Insert(3, box(119.50, 31.10, 120.10, 31.70))     // the whole city
	ix.Insert(4, box(119.815, 31.315, 119.815, 31.315)) // a point
	ix.InsertUnbounded(5)
	ix.Insert(6, box(-180, -90, 180, 90))           // the world, as a box
	ix.Insert(7, box(119.83, 31.33, 119.84, 31.34)) // touches 1 at its corner

	tests := []struct {
		name string
		q    orb.Bound
		must []int // overlapping: must be candidates
		not  []int // far away: must not be
	}{
		{"inside 1", pt(119.81, 31.31), []int{1, 3, 5, 6}, []int{2, 7}},
		{"on 4", pt(119.815, 31.315), []int{1, 3, 4, 5, 6}, []int{2, 7}},
		{"shared corner", pt(119.83, 31.33), []int{1, 3, 5, 6, 7}, []int{2}},
		{"inside 2", pt(119.905, 31.405), []int{2, 3, 5, 6}, []int{1, 4, 7}},
		{"outside the city", pt(118.0, 32.0), []int{5, 6}, []int{1, 2, 3, 4, 7}},
		{"box over 1 and 2", box(119.81, 31.31, 119.905, 31.405), []int{1, 2, 3, 4, 5, 6, 7}, nil},
		{"the world", box(-180, -90, 180, 90), []int{1, 2, 3, 4, 5, 6, 7}, nil},
		{"across the antimeridian clamps", box(170, -10, 190, 10), []int{5, 6}, []int{1, 2, 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := query(t, ix, tc.q)
			for _, id := range tc.must {
				if !slices.Contains(got, id) {
					t.Errorf("candidates %v lack %d", got, id)
				}
			}
			for _, id := range tc.not {
				if slices.Contains(got, id) {
					t.Errorf("candidates %v include far-away %d", got, id)
				}
			}
		})
	}
}

func TestRemoveAndUpdate(t *testing.T) {
	ix := New(0)
	ix.Insert(1, box(119.80, 31.30, 119.83, 31.33))
	ix.Insert(2, box(119.80, 31.30, 119.83, 31.33))
	ix.InsertUnbounded(3)
	if ix.Len() != 3 {
		t.Fatalf("Len = %d, want 3", ix.Len())
	}
	in := pt(119.81, 31.31)
	if got := query(t, ix, in); !slices.Equal(got, []int{1, 2, 3}) {
		t.Fatalf("candidates %v, want [1 2 3]", got)
	}
	ix.Update(1, box(120.0, 31.5, 120.01, 31.51)) // moved away
	ix.Remove(3)
	ix.Remove(42) // absent: no effect
	if got := query(t, ix, in); !slices.Equal(got, []int{2}) {
		t.Fatalf("after update and remove: candidates %v, want [2]", got)
	}
	if got := query(t, ix, pt(120.005, 31.505)); !slices.Equal(got, []int{1}) {
		t.Fatalf("at the new place: candidates %v, want [1]", got)
	}
	ix.InsertUnbounded(2) // a box becomes unbounded
	if got := query(t, ix, pt(0, 0)); !slices.Equal(got, []int{2}) {
		t.Fatalf("unbounded 2: candidates %v, want [2]", got)
	}
	ix.Remove(1)
	ix.Remove(2)
	if ix.Len() != 0 {
		t.Fatalf("Len = %d after removing all", ix.Len())
	}
	for l := range ix.grid {
		if n := len(ix.grid[l].cells); n != 0 || ix.grid[l].count != 0 {
			t.Fatalf("level %d keeps %d cells, count %d", l, n, ix.grid[l].count)
		}
	}
}

// TestAgainstBruteForce checks on random boxes of many sizes that every
// overlapping box is a candidate, each once, and that candidates stay close.
func TestAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ix := New(0)
	boxes := map[int]orb.Bound{}
	for id := range 3000 {
		b := randomBox(rng, 119.5, 31.1, 0.6, []float64{0.0005, 0.01, 0.03, 0.2, 0.7}[id%5])
		boxes[id] = b
		ix.Insert(id, b)
	}
	var candidates, overlapping int
	for range 2000 {
		q := randomBox(rng, 119.5, 31.1, 0.6, []float64{0, 0, 0, 0.01, 0.1}[rng.IntN(5)])
		got := query(t, ix, q)
		for id, b := range boxes {
			if b.Intersects(q) {
				overlapping++
				if _, ok := slices.BinarySearch(got, id); !ok {
					t.Fatalf("query %v misses overlapping box %d %v", q, id, b)
				}
			}
		}
		candidates += len(got)
	}
	if ratio := float64(candidates) / float64(overlapping); ratio > 4 {
		t.Errorf("%d candidates for %d overlaps: ratio %.1f is too loose", candidates, overlapping, ratio)
	}
}

// TestCostFlat shows what BenchmarkQuery times: adding subscriptions elsewhere in
// the city does not add candidates for a change that their boxes miss.
func TestCostFlat(t *testing.T) {
	near := func(far int) int {
		ix := cityIndex(far)
		return len(query(t, ix, pt(119.80, 31.30)))
	}
	if a, b := near(100), near(10000); a != b {
		t.Errorf("candidates with 100 subscriptions elsewhere: %d, with 10000: %d", a, b)
	}
}

// cityIndex holds 50 subscriptions of about 3 km around (119.80, 31.30) and far
// more of the same size elsewhere in a 50 km city whose corner is 5 km away.
func cityIndex(far int) *Index {
	rng := rand.New(rand.NewPCG(3, 4))
	ix := New(0)
	for id := range 50 {
		x, y := 119.80-0.03*rng.Float64(), 31.30-0.03*rng.Float64()
		ix.Insert(id, box(x, y, x+0.03, y+0.03))
	}
	for id := 50; id < 50+far; id++ {
		ix.Insert(id, randomBox(rng, 119.85, 31.35, 0.45, 0.03))
	}
	return ix
}

func randomBox(rng *rand.Rand, x0, y0, extent, size float64) orb.Bound {
	x, y := x0+rng.Float64()*extent, y0+rng.Float64()*extent
	w, h := size*(0.5+rng.Float64()), size*(0.5+rng.Float64())
	return box(x, y, x+w, y+h)
}

// BenchmarkQuery times matching one change against 50 nearby subscriptions with
// 100 and with 10000 subscriptions elsewhere; the two should take about as long.
func BenchmarkQuery(b *testing.B) {
	for _, far := range []int{100, 10000} {
		b.Run(fmt.Sprintf("far=%d", far), func(b *testing.B) {
			ix := cityIndex(far)
			q := pt(119.80, 31.30)
			n := 0
			for b.Loop() {
				ix.Query(q, func(int) { n++ })
			}
			b.ReportMetric(float64(n)/float64(b.N), "candidates/op")
		})
	}
}

func BenchmarkInsertRemove(b *testing.B) {
	ix := cityIndex(10000)
	rng := rand.New(rand.NewPCG(5, 6))
	for b.Loop() {
		ix.Insert(-1, randomBox(rng, 119.5, 31.1, 0.5, 0.03))
		ix.Remove(-1)
	}
}
