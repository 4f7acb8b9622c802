package reportcube

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"time"

	"citymap/server/access"
	"citymap/server/store"
)

// pgEpoch is 2000-01-01 UTC in Unix microseconds: PostgreSQL counts from there.
const pgEpoch = 946_684_800_000_000

// micros is t as PostgreSQL stores a timestamptz parameter: microseconds,
// the nanoseconds cut off as pgx sends them.
func micros(t time.Time) int64 { return t.UnixMicro() - pgEpoch }

// Figures computes store.figuresSQL's rows for f grouped by key, once the
// cube holds every change committed before the call. It needs the filter's
// judging clock (At): "now" must be the instant the answer states.
func (c *Cube) Figures(ctx context.Context, f store.ReportFilter, key store.FigureKey) ([]store.FigureRow, bool) {
	if f.At.IsZero() || !c.fresh(ctx) {
		c.declined.Add(1)
		return nil, false
	}
	c.answered.Add(1)
	c.mu.RLock()
	defer c.mu.RUnlock()
	sel := c.selection(f, key)
	cut := min(micros(f.To), micros(f.At))
	lo, hi := c.rangeOf(f)
	groups := c.scan(lo, hi, func(lo, hi int) []group {
		groups := make([]group, len(sel.keys))
		bucket := 0
		for i := lo; i < hi; i++ {
			x := &c.facts[i]
			g := sel.group(x, &bucket)
			if g < 0 {
				continue
			}
			var evs []event
			if x.flags&(fExtensions|fSuspensions) != 0 {
				evs = c.events[x.id]
			}
			groups[g].add(x, judge(x, evs, cut))
		}
		return groups
	})
	var rows []store.FigureRow
	for g := range groups {
		if groups[g].new > 0 {
			rows = append(rows, groups[g].row(sel.keys[g], g))
		}
	}
	return rows, true
}

// minChunk is the fewest facts worth a goroutine of their own.
var minChunk = 64 << 10

// scan runs fn over [lo, hi) in a chunk per CPU and adds up the chunks'
// groups (the handling times in any order: the median selects).
func (c *Cube) scan(lo, hi int, fn func(lo, hi int) []group) []group {
	n := max(1, min(runtime.GOMAXPROCS(0), (hi-lo)/minChunk))
	parts := make([][]group, n)
	var wg sync.WaitGroup
	for k := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[k] = fn(lo+(hi-lo)*k/n, lo+(hi-lo)*(k+1)/n)
		}()
	}
	wg.Wait()
	out := parts[0]
	for _, p := range parts[1:] {
		for g := range p {
			out[g].merge(&p[g])
		}
	}
	return out
}

// rangeOf is the span of facts created in [f.From, f.To).
func (c *Cube) rangeOf(f store.ReportFilter) (lo, hi int) {
	at := func(x fact, t int64) int { return cmpInt(x.created, t) }
	lo, _ = slices.BinarySearchFunc(c.facts, micros(f.From), at)
	hi, _ = slices.BinarySearchFunc(c.facts, micros(f.To), at)
	return lo, hi
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// group adds up one row of figures.
type group struct {
	new, due, closed, onTime, reworked, extended, suspended int64
	handling                                                []int64
}

func (g *group) add(x *fact, v verdict) {
	g.new++
	g.due += b2i(v.due)
	g.closed += b2i(v.closed)
	g.onTime += b2i(v.onTime)
	g.reworked += b2i(v.reworked)
	g.extended += b2i(v.extended)
	g.suspended += b2i(v.suspended)
	if v.closed && x.flags&fResolved != 0 && x.flags&fDispatched != 0 {
		g.handling = append(g.handling, x.resolved-x.dispatched)
	}
}

func (g *group) merge(o *group) {
	g.new += o.new
	g.due += o.due
	g.closed += o.closed
	g.onTime += o.onTime
	g.reworked += o.reworked
	g.extended += o.extended
	g.suspended += o.suspended
	g.handling = append(g.handling, o.handling...)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func (g *group) row(key string, bucket int) store.FigureRow {
	return store.FigureRow{Key: key, Bucket: bucket, New: g.new, Due: g.due, Closed: g.closed,
		ClosedOnTime: g.onTime, Reworked: g.reworked, Extended: g.extended, Suspended: g.suspended,
		MedianHandlingS: medianSeconds(g.handling)}
}

// selection is a report's filter and grouping decided per dictionary value.
type selection struct {
	by string
	// gridGroup, unitGroup, catGroup: the group of each grid, unit, category
	// (ByGrid, ByUnit, ByCategory), -1 for none; gridOK, catOK, srcOK: what
	// passes the filter
	gridGroup, unitGroup, catGroup []int32
	gridOK, catOK, srcOK           []bool
	noGridOK                       bool // whether an issue without a grid passes
	buckets                        []int64
	keys                           []string
}

// selection decides f's filters (addIssueFilters: category and source lists,
// the area as a code range, the scope by code prefix, no grid passing
// neither) and key's groups for every value the cube has numbered.
func (c *Cube) selection(f store.ReportFilter, key store.FigureKey) *selection {
	grids, units, cats, srcs := c.grids.snapshot(), c.units.snapshot(), c.categories.snapshot(), c.sources.snapshot()
	s := &selection{by: key.By, noGridOK: f.Area == "" && len(f.Scope) == 0}
	s.gridOK = decide(grids, func(g string) bool { return inArea(g, f.Area) && access.Scope(f.Scope).Covers(g) })
	s.catOK = decide(cats, func(v string) bool { return len(f.Categories) == 0 || slices.Contains(f.Categories, v) })
	s.srcOK = decide(srcs, func(v string) bool { return len(f.Sources) == 0 || slices.Contains(f.Sources, v) })
	switch key.By {
	case store.ByGrid:
		s.gridGroup, s.keys = groupBy(grids, func(g string) string {
			if key.Digits > 0 && len(g) > key.Digits {
				return g[:key.Digits]
			}
			return g
		})
	case store.ByUnit:
		s.unitGroup, s.keys = groupBy(units, func(u string) string { return u })
	case store.ByCategory:
		s.catGroup, s.keys = groupBy(cats, func(v string) string { return v })
	case store.ByBucket:
		s.buckets = make([]int64, len(key.Buckets))
		for i, t := range key.Buckets {
			s.buckets[i] = micros(t)
		}
		s.keys = make([]string, len(key.Buckets))
	}
	return s
}

// inArea is addIssueFilters' area condition: grid_code ~>=~ area AND
// grid_code ~<~ area || ':' (byte order, as Go compares strings).
func inArea(grid, area string) bool {
	return area == "" || (grid >= area && grid < area+":")
}

func decide(names []string, ok func(string) bool) []bool {
	out := make([]bool, len(names))
	for i, n := range names {
		out[i] = ok(n)
	}
	return out
}

// groupBy numbers the distinct keys of names: the group of each name and the
// groups' keys.
func groupBy(names []string, key func(string) string) ([]int32, []string) {
	groups := make([]int32, len(names))
	index := map[string]int32{}
	var keys []string
	for i, n := range names {
		k := key(n)
		g, ok := index[k]
		if !ok {
			g = int32(len(keys))
			index[k] = g
			keys = append(keys, k)
		}
		groups[i] = g
	}
	return groups, keys
}

// passes reports whether x passes the filter.
func (s *selection) passes(x *fact) bool {
	if !s.catOK[x.category] || !s.srcOK[x.source] {
		return false
	}
	if x.grid < 0 {
		return s.noGridOK
	}
	return s.gridOK[x.grid]
}

// group is x's group, -1 when x does not pass the filter or has no key.
// bucket walks forward with the facts, which come in created order.
func (s *selection) group(x *fact, bucket *int) int {
	if !s.passes(x) || x.grid < 0 && s.by == store.ByGrid {
		return -1
	}
	switch s.by {
	case store.ByGrid:
		return int(s.gridGroup[x.grid])
	case store.ByUnit:
		if x.unit < 0 {
			return -1
		}
		return int(s.unitGroup[x.unit])
	case store.ByCategory:
		return int(s.catGroup[x.category])
	}
	for *bucket+1 < len(s.buckets) && x.created >= s.buckets[*bucket+1] {
		*bucket++
	}
	if len(s.buckets) == 0 || x.created < s.buckets[*bucket] {
		return -1
	}
	return *bucket
}
