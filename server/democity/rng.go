package democity

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
)

// newRand returns the random stream called name under the city seed. Each part of
// the city draws from its own stream, so changing how one part is generated leaves
// the others as they were.
func newRand(seed uint64, name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// weighted picks indices with probability proportional to their weights.
type weighted struct{ cum []float64 }

func newWeighted(w []float64) weighted {
	cum := make([]float64, len(w))
	total := 0.0
	for i, x := range w {
		total += math.Max(x, 0)
		cum[i] = total
	}
	return weighted{cum}
}

func (w weighted) total() float64 {
	if len(w.cum) == 0 {
		return 0
	}
	return w.cum[len(w.cum)-1]
}

// pick returns an index; it must not be called on an empty or all-zero table.
func (w weighted) pick(r *rand.Rand) int {
	x := r.Float64() * w.total()
	i := sort.Search(len(w.cum), func(i int) bool { return w.cum[i] > x })
	if i == len(w.cum) {
		i--
	}
	return i
}

func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + r.Float64()*(hi-lo) }

func between(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

func oneOf[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func clamp(x, lo, hi float64) float64 { return math.Min(math.Max(x, lo), hi) }

// apportion splits total into integer parts proportional to w (largest remainder,
// ties to the lower index), so the parts always add up to total.
func apportion(total int, w []float64) []int {
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	out := make([]int, len(w))
	rem := make([]float64, len(w))
	given := 0
	for i, x := range w {
		exact := float64(total) * x / sum
		out[i] = int(math.Floor(exact))
		rem[i] = exact - float64(out[i])
		given += out[i]
	}
	order := make([]int, len(w))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rem[order[a]] > rem[order[b]] })
	for k := 0; given < total; k++ {
		out[order[k%len(order)]]++
		given++
	}
	return out
}
