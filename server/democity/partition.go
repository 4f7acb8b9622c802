package democity

import (
	"math"
	"math/rand/v2"
)

// A partition splits a set of cells (one parent area) among seeds: each cell goes
// to its nearest seed, then pieces cut off from their seed move to a neighbour, so
// every child area is one 4-connected set of cells that contains its seed.
type partition struct {
	l      Lattice
	x, y   []float64 // km position of each cell's centre
	label  []int32   // per cell: the child it belongs to (written by assign)
	member func(c int32) bool
}

// assign labels cells with ids[k] of the seed k minimising squared distance minus
// reach[k]² (a power diagram: a larger reach claims more land).
func (p *partition) assign(cells, seeds, ids []int32, reach []float64) {
	for _, c := range cells {
		best, bestCost := 0, math.Inf(1)
		for k, s := range seeds {
			dx, dy := p.x[c]-p.x[s], p.y[c]-p.y[s]
			cost := dx*dx + dy*dy
			if reach != nil {
				cost -= reach[k] * reach[k]
			}
			if cost < bestCost {
				best, bestCost = k, cost
			}
		}
		p.label[c] = ids[best]
	}
	for k, s := range seeds {
		p.label[s] = ids[k]
	}
	p.makeContiguous(cells, seeds)
}

// makeContiguous moves every piece of a child that is not connected to the child's
// seed to the settled neighbour it shares most edges with, until none is left.
func (p *partition) makeContiguous(cells, seeds []int32) {
	settled := make([]bool, p.l.Len())
	for _, s := range seeds {
		for _, c := range p.flood(s, settled) {
			settled[c] = true
		}
	}
	for {
		seen := make([]bool, p.l.Len())
		left, moved := false, false
		for _, c := range cells {
			if settled[c] || seen[c] {
				continue
			}
			piece := p.flood(c, settled)
			for _, x := range piece {
				seen[x] = true
			}
			if to, ok := p.adopter(piece, settled); ok {
				for _, x := range piece {
					p.label[x], settled[x] = to, true
				}
				moved = true
			} else {
				left = true
			}
		}
		if !left {
			return
		}
		if !moved {
			panic("democity: parent area is not connected")
		}
	}
}

// flood returns the 4-connected cells of the parent that share start's label and
// are not settled.
func (p *partition) flood(start int32, settled []bool) []int32 {
	lab := p.label[start]
	piece := []int32{start}
	mark := map[int32]bool{start: true} // membership only, never iterated
	var nb []int32
	for k := 0; k < len(piece); k++ {
		for _, n := range p.l.neighbours(piece[k], nb[:0]) {
			if !mark[n] && !settled[n] && p.member(n) && p.label[n] == lab {
				mark[n] = true
				piece = append(piece, n)
			}
		}
	}
	return piece
}

// adopter is the label of the settled neighbour sharing most edges with piece
// (ties to the lower label).
func (p *partition) adopter(piece []int32, settled []bool) (int32, bool) {
	var labels []int32
	var counts []int
	var nb []int32
	for _, c := range piece {
		for _, n := range p.l.neighbours(c, nb[:0]) {
			if !settled[n] || !p.member(n) {
				continue
			}
			labels, counts = tally(labels, counts, p.label[n])
		}
	}
	best := -1
	for i := range labels {
		if best < 0 || counts[i] > counts[best] || counts[i] == counts[best] && labels[i] < labels[best] {
			best = i
		}
	}
	if best < 0 {
		return 0, false
	}
	return labels[best], true
}

func tally(labels []int32, counts []int, l int32) ([]int32, []int) {
	for i, x := range labels {
		if x == l {
			counts[i]++
			return labels, counts
		}
	}
	return append(labels, l), append(counts, 1)
}

// spreadSeeds picks k distinct cells among cells, more of them where weight is
// high, kept apart by best-candidate sampling (closer together where it is dense).
func (p *partition) spreadSeeds(r *rand.Rand, cells []int32, weight []float64, k int) []int32 {
	w := make([]float64, len(cells))
	for i, c := range cells {
		w[i] = weight[c]
	}
	table := newWeighted(w)
	var seeds []int32
	for len(seeds) < k {
		best, bestScore := int32(-1), -1.0
		for range 12 {
			c := cells[table.pick(r)]
			if score := p.spacing(c, seeds) * math.Sqrt(weight[c]); score > bestScore {
				best, bestScore = c, score
			}
		}
		if bestScore <= 0 {
			best = firstUnused(cells, seeds)
		}
		seeds = append(seeds, best)
	}
	return seeds
}

// spacing is the distance from c to the nearest seed (large when there is none).
func (p *partition) spacing(c int32, seeds []int32) float64 {
	d := 1e9
	for _, s := range seeds {
		d = math.Min(d, math.Hypot(p.x[c]-p.x[s], p.y[c]-p.y[s]))
	}
	return d
}

func firstUnused(cells, used []int32) int32 {
	for _, c := range cells {
		if !contains(used, c) {
			return c
		}
	}
	panic("democity: more seeds than cells")
}
