// Package subindex is a spatial index of subscription bounding boxes: given the
// bound of a change, it names the subscriptions whose boxes may overlap it, so the
// cost of matching a change depends on the subscriptions near it and not on how
// many subscribe elsewhere.
//
// It is a loose multi-level grid over longitude/latitude. Level L has square cells
// of Base·2^L degrees; a box lives at the finest level where it spans at most
// maxSpan cells in each direction, in every cell it touches there. A query looks up
// the cells under the change at each level that holds anything. A box therefore
// sits in at most maxSpan² cells, and the cells it occupies exceed it by less than
// one cell on each side, which bounds how many candidates miss (callers still test
// each candidate exactly). Subscriptions without a box are kept in a plain list.
package subindex

import (
	"math"

	"github.com/paulmach/orb"
)

// DefaultBase is the cell size of the finest level in degrees (about 110 m of
// latitude): finer than any useful subscription box on a city map.
const DefaultBase = 0.001

// maxSpan is how many cells a box may span per axis at its level: 4 keeps a box in
// at most 16 cells while its cells cover at most about twice its area.
const maxSpan = 4

// levels is enough for a cell of DefaultBase·2^(levels-1) to exceed the world.
const levels = 20

// Index maps subscription ids to boxes. It is not safe for concurrent use.
type Index struct {
	base      float64
	grid      [levels]level
	unbounded map[int]struct{}
	entries   map[int]entry
}

// level holds the boxes placed at one cell size.
type level struct {
	size  float64
	cells map[cellKey][]slot
	count int // boxes at this level
}

type cellKey struct{ x, y int32 }

// slot is a box in one cell. min is the first cell of the box, which lets a query
// spanning several cells report each box once without a set.
type slot struct {
	id         int
	minX, minY int32
}

// entry remembers where a box lives, for removal.
type entry struct {
	level int
	r     cellRange
}

type cellRange struct{ x0, y0, x1, y1 int32 }

// New returns an empty index whose finest cells are base degrees wide
// (DefaultBase when base <= 0).
func New(base float64) *Index {
	if base <= 0 {
		base = DefaultBase
	}
	ix := &Index{base: base, unbounded: map[int]struct{}{}, entries: map[int]entry{}}
	for l := range ix.grid {
		ix.grid[l] = level{size: base * math.Pow(2, float64(l)), cells: map[cellKey][]slot{}}
	}
	return ix
}

// Len reports how many subscriptions the index holds.
func (ix *Index) Len() int { return len(ix.entries) + len(ix.unbounded) }

// Insert adds the subscription id with box b, replacing what id had before.
func (ix *Index) Insert(id int, b orb.Bound) {
	ix.Remove(id)
	b = clamp(b)
	l := ix.levelFor(b)
	lv := &ix.grid[l]
	r := lv.cellsOf(b)
	for x := r.x0; x <= r.x1; x++ {
		for y := r.y0; y <= r.y1; y++ {
			k := cellKey{x, y}
			lv.cells[k] = append(lv.cells[k], slot{id: id, minX: r.x0, minY: r.y0})
		}
	}
	lv.count++
	ix.entries[id] = entry{level: l, r: r}
}

// Update moves the subscription id to box b; it is Insert under the name that
// reads right at call sites that change a filter.
func (ix *Index) Update(id int, b orb.Bound) { ix.Insert(id, b) }

// InsertUnbounded adds the subscription id without a box: every query names it.
func (ix *Index) InsertUnbounded(id int) {
	ix.Remove(id)
	ix.unbounded[id] = struct{}{}
}

// Remove deletes the subscription id; removing an absent id does nothing.
func (ix *Index) Remove(id int) {
	delete(ix.unbounded, id)
	e, ok := ix.entries[id]
	if !ok {
		return
	}
	delete(ix.entries, id)
	lv := &ix.grid[e.level]
	lv.count--
	for x := e.r.x0; x <= e.r.x1; x++ {
		for y := e.r.y0; y <= e.r.y1; y++ {
			lv.removeSlot(cellKey{x, y}, id)
		}
	}
}

func (lv *level) removeSlot(k cellKey, id int) {
	s := lv.cells[k]
	for i := range s {
		if s[i].id == id {
			s[i] = s[len(s)-1]
			s = s[:len(s)-1]
			break
		}
	}
	if len(s) == 0 {
		delete(lv.cells, k) // keep the map the size of what is occupied
		return
	}
	lv.cells[k] = s
}

// Query calls fn once for every subscription whose box may overlap b, and for
// every subscription without a box. Candidates can miss b; none that overlaps b is
// left out. fn must not modify the index.
func (ix *Index) Query(b orb.Bound, fn func(id int)) {
	for id := range ix.unbounded {
		fn(id)
	}
	b = clamp(b)
	for l := range ix.grid {
		if lv := &ix.grid[l]; lv.count > 0 {
			lv.query(lv.cellsOf(b), fn)
		}
	}
}

// QueryAll calls fn for every subscription: the candidates of a change without a
// geometry, which no box can exclude.
func (ix *Index) QueryAll(fn func(id int)) {
	for id := range ix.unbounded {
		fn(id)
	}
	for id := range ix.entries {
		fn(id)
	}
}

// query reports the slots of the cells in q. A box spanning several of those cells
// is reported only from the first cell of its overlap with q.
func (lv *level) query(q cellRange, fn func(id int)) {
	visit := func(k cellKey, slots []slot) {
		for _, s := range slots {
			if k.x == max(s.minX, q.x0) && k.y == max(s.minY, q.y0) {
				fn(s.id)
			}
		}
	}
	// a large query against a sparse level walks what is occupied instead
	if n := int64(q.x1-q.x0+1) * int64(q.y1-q.y0+1); n > int64(len(lv.cells)) {
		for k, slots := range lv.cells {
			if k.x >= q.x0 && k.x <= q.x1 && k.y >= q.y0 && k.y <= q.y1 {
				visit(k, slots)
			}
		}
		return
	}
	for x := q.x0; x <= q.x1; x++ {
		for y := q.y0; y <= q.y1; y++ {
			k := cellKey{x, y}
			if slots, ok := lv.cells[k]; ok {
				visit(k, slots)
			}
		}
	}
}

// levelFor is the finest level at which b spans at most maxSpan cells per axis.
func (ix *Index) levelFor(b orb.Bound) int {
	for l := range levels - 1 {
		r := ix.grid[l].cellsOf(b)
		if r.x1-r.x0 < maxSpan && r.y1-r.y0 < maxSpan {
			return l
		}
	}
	return levels - 1
}

func (lv *level) cellsOf(b orb.Bound) cellRange {
	return cellRange{
		x0: cell(b.Min[0]+180, lv.size), y0: cell(b.Min[1]+90, lv.size),
		x1: cell(b.Max[0]+180, lv.size), y1: cell(b.Max[1]+90, lv.size),
	}
}

func cell(v, size float64) int32 { return int32(math.Floor(v / size)) }

// clamp keeps b on the globe and ordered, so cell numbers stay small and ranges
// are never inverted.
func clamp(b orb.Bound) orb.Bound {
	c := func(v, lo, hi float64) float64 {
		if math.IsNaN(v) {
			return lo
		}
		return math.Min(math.Max(v, lo), hi)
	}
	x0, x1 := c(b.Min[0], -180, 180), c(b.Max[0], -180, 180)
	y0, y1 := c(b.Min[1], -90, 90), c(b.Max[1], -90, 90)
	return orb.Bound{Min: orb.Point{min(x0, x1), min(y0, y1)}, Max: orb.Point{max(x0, x1), max(y0, y1)}}
}
