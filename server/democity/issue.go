package democity

import (
	"fmt"
	"time"

	"github.com/paulmach/orb"
)

// How an issue's report ends up.
type outcome int

const (
	handled outcome = iota // registered, dispatched, handled, verified
	rejected
	merged
)

// issue makes the issue of slot s with the next id.
func (g *issueGen) issue(s slot) Issue {
	is := Issue{ID: g.nextIssue, Created: s.at, Source: issueSources[s.source].code, Photos: []string{}}
	g.nextIssue++
	var cat int
	out := handled
	if s.finding >= 0 {
		cat = g.fromFinding(&is, g.findings[s.finding])
	} else {
		cat, out = g.fromSource(&is, s.source)
	}
	ic := issueCats[cat]
	is.Category = ic.code
	is.Deadline = is.Created.Add(time.Duration(ic.hours) * time.Hour)
	is.Unit = ic.unit
	if is.Unit == "" {
		is.Unit = g.c.Areas[g.c.street(is.Grid)].Office
	}
	g.tag(&is)
	g.apply(&is, g.plan(&is, ic, out))
	if out == handled {
		g.remember(dupCandidate{is.ID, cat, g.c.Lattice.CellOf(is.At), is.Created})
	}
	return is
}

// fromSource fills in an issue reported through a source: its category, place,
// text, and whether it will be rejected or merged into an earlier one.
func (g *issueGen) fromSource(is *Issue, s int) (int, outcome) {
	src := issueSources[s]
	out, x := handled, g.r.Float64()
	switch {
	case x < src.merge:
		out = merged
	case x < src.merge+src.reject:
		out = rejected
	}
	cat := g.catW[s][is.Created.In(local).Month()-1].pick(g.r)
	cell, anchor := g.locate(cat)
	if out == merged {
		if d, ok := g.duplicateOf(is.Created); ok {
			cat, cell, anchor, is.DuplicateOf = d.cat, d.cell, -1, d.id
		} else {
			out = handled
		}
	}
	near, hasNear := orb.Point{}, anchor >= 0 && g.c.Points[anchor].Cell == cell
	if hasNear {
		near = g.c.Points[anchor].At
	}
	is.At, is.Grid = g.spot(cell, near, hasNear), g.c.GridCell(cell)
	g.describe(is, issueCats[cat], anchor)
	return cat, out
}

// fromFinding fills in the issue an inspection deduction opens.
func (g *issueGen) fromFinding(is *Issue, f finding) int {
	in := g.c.Inspections[f.inspection]
	d := in.Deductions[f.deduction]
	p := g.c.Points[in.Point]
	is.At, is.Grid = g.spot(p.Cell, p.At, true), p.Grid
	is.Inspection, is.Point = in.ID, p.ID
	is.Reporter = in.Inspector
	is.Description = fmt.Sprintf("测评督查发现：%s扣%g分，%s（%s）", d.Indicator, d.Points, d.Note, p.Name)
	is.Address = "宜兴市" + g.c.Areas[g.c.street(p.Grid)].Name + p.Name
	return issueCatIndex(d.Category)
}

// locate picks the cell of an issue of category cat: around an anchor point (of
// which it returns the index) or anywhere, weighted towards the urban core.
func (g *issueGen) locate(cat int) (int32, int) {
	c := g.c
	if w := g.anchorW[cat]; w.total() > 0 && chance(g.r, issueCats[cat].anchorP) {
		p := g.anchorPts[cat][w.pick(g.r)]
		cell := c.Points[p].Cell
		if chance(g.r, 0.4) {
			var near []int32
			for _, n := range c.Lattice.around(cell, nil) {
				if c.gridOf[n] >= 0 {
					near = append(near, n)
				}
			}
			cell = oneOf(g.r, near)
		}
		return cell, p
	}
	return c.cells[c.cellW.pick(g.r)], -1
}

// spot is a point strictly inside cell, close to near when hasNear.
func (g *issueGen) spot(cell int32, near orb.Point, hasNear bool) orb.Point {
	fx, fy := uniform(g.r, 0.03, 0.97), uniform(g.r, 0.03, 0.97)
	if hasNear {
		nx, ny := g.c.Lattice.Frac(cell, near)
		fx, fy = clamp(nx+g.r.NormFloat64()*0.12, 0.03, 0.97), clamp(ny+g.r.NormFloat64()*0.12, 0.03, 0.97)
	}
	return g.c.Lattice.At(cell, fx, fy)
}

// duplicateOf picks a handled issue of the last three days that a report at t
// repeats.
func (g *issueGen) duplicateOf(t time.Time) (dupCandidate, bool) {
	k := 0
	for k < len(g.recent) && t.Sub(g.recent[k].created) > dupWindow {
		k++
	}
	g.recent = g.recent[k:]
	if len(g.recent) == 0 {
		return dupCandidate{}, false
	}
	return oneOf(g.r, g.recent), true
}

// dupWindow is how far back a duplicate report looks for its original.
const dupWindow = 72 * time.Hour

// remember keeps a handled issue as a candidate original, in creation order.
func (g *issueGen) remember(d dupCandidate) { g.recent = append(g.recent, d) }
