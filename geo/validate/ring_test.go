package validate

import (
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// TestSweepMatchesBruteForce checks the sorted sweep in checkSimple against
// testing every pair of edges, on random rings that often cross themselves.
func TestSweepMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	crossing := 0
	for range 2000 {
		n := 3 + rng.IntN(10)
		r := make(orb.Ring, 0, n+1)
		for range n {
			// A coarse grid makes touching and collinear edges common.
			r = append(r, orb.Point{float64(rng.IntN(6)), float64(rng.IntN(6))})
		}
		r = append(r, r[0])
		segs := segments(r)
		if len(segs) < 3 {
			continue
		}
		got := checkSimple(segs) != nil
		want := bruteForceCrossing(segs)
		if got != want {
			t.Fatalf("ring %v: sweep says crossing=%v, brute force %v", r, got, want)
		}
		if want {
			crossing++
		}
	}
	if crossing == 0 || crossing == 2000 {
		t.Fatalf("degenerate sample: %d crossing rings", crossing)
	}
}

func bruteForceCrossing(segs []segment) bool {
	n := len(segs)
	for k := range segs {
		if checkTurn(segs[(k+n-1)%n], segs[k]) != nil {
			return true
		}
		for m := k + 1; m < n; m++ {
			if !adjacent(k, m, n) && intersects(segs[k], segs[m]) {
				return true
			}
		}
	}
	return false
}
