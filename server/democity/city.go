// Package democity generates the deterministic demo city that `citymap seed`
// writes: Yixing (宜兴市, county code 320282) with its streets and towns,
// communities and unit grids, inspection points and their inspections, smart and
// tidal parking, the public-holiday calendar and a year of issues with their
// events. Generation is pure (Generate, City.Issues); Seed writes it with COPY.
package democity

import (
	"math"
	"time"

	"github.com/paulmach/orb"
)

// CountyCode is the district's code: 宜兴市.
const CountyCode = "320282"

// BaseIssues is the number of issues at scale 1.
const BaseIssues = 52000

// Options choose the city. The same options give the same city, row for row.
type Options struct {
	// Scale multiplies the number of issues (BaseIssues at 1); areas, points,
	// inspections and parking are the same at every scale. Fractions are allowed.
	Scale float64
	// Seed selects the city; every random choice derives from it.
	Seed uint64
	// Now is the moment the data leads up to: issues cover the year before it,
	// inspections its last quarter, parking readings its last 30 days.
	Now time.Time
}

// local is the city's time zone (China Standard Time, no daylight saving).
var local = time.FixedZone("CST", 8*3600)

// City is everything generated except the issues, which City.Issues streams.
type City struct {
	Opt     Options
	Lattice Lattice
	Areas   []Area // district, streets, communities, grids: ids 1, 2, … in this order
	Units   []Unit
	Points  []Point
	// Inspections are in time order; their ids follow that order.
	Inspections []Inspection
	Zones       []Zone
	Calendar    []CalendarDay

	cells   []int32   // lattice cells inside the city
	gridOf  []int32   // per lattice cell: index in Areas of its grid, -1 outside
	density []float64 // per lattice cell: how urban it is (about 0.04 rural to 1.3 core)
	streets []int     // indices in Areas by level
	comms   []int
	grids   []int
	cellW   weighted // picks a city cell in proportion to density (index into cells)
	holiday map[string]CalendarDay
}

// Area is a district, street, community or unit grid.
type Area struct {
	ID      int64
	Code    string
	Name    string
	Level   string
	Parent  int // index in City.Areas, -1 for the district
	Manager string
	Phone   string
	Office  string // street: its office's unit code; others: their street's
	Roads   []string
	Cells   int // how many lattice cells it covers
	Urban   bool
}

// Unit is a responsible unit written to the units table (street offices only:
// the departments come with the schema).
type Unit struct {
	Code, Name, Kind, AreaCode string
}

// Generate builds the city for opt (a zero Now is the current hour). It panics
// only on a bug.
func Generate(opt Options) *City {
	if opt.Scale < 0 || math.IsNaN(opt.Scale) {
		opt.Scale = 0
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now().Truncate(time.Hour)
	}
	c := &City{Opt: opt, Lattice: yixingLattice}
	c.buildAreas(newRand(opt.Seed, "areas"))
	c.buildPoints(newRand(opt.Seed, "points"))
	c.buildCalendar()
	c.buildInspections(newRand(opt.Seed, "inspections"))
	c.buildParking(newRand(opt.Seed, "parking"))
	return c
}

// GridCell returns the grid (index in Areas) of a lattice cell, or -1.
func (c *City) GridCell(cell int32) int { return int(c.gridOf[cell]) }

// CellGeometry returns the square of every city cell with the area indices
// (district, street, community, grid) it belongs to, in lattice order.
func (c *City) CellGeometry(yield func(sq orb.Polygon, levels [4]int) bool) {
	for _, cell := range c.cells {
		g := int(c.gridOf[cell])
		comm := c.Areas[g].Parent
		street := c.Areas[comm].Parent
		if !yield(c.Lattice.Square(cell), [4]int{0, street, comm, g}) {
			return
		}
	}
}

// street returns the street (index in Areas) that area i lies in.
func (c *City) street(i int) int {
	for c.Areas[i].Level != "street" {
		i = c.Areas[i].Parent
	}
	return i
}
