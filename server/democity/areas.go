package democity

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/paulmach/orb"
)

// streetDef is one street (街道) or town (镇) of the demo city.
type streetDef struct {
	name        string
	at          orb.Point // its centre
	reach       float64   // km: power-diagram weight, larger for rural towns
	communities int
	boom        float64 // extra density at a town centre
	office      string  // name of its office (the street_office unit)
}

// streetDefs are ten of Yixing's streets and towns, placed roughly where they are.
var streetDefs = []streetDef{
	{"宜城街道", orb.Point{119.815, 31.362}, 1.2, 12, 0, "宜城街道办事处"},
	{"屺亭街道", orb.Point{119.848, 31.398}, 2.0, 8, 0, "屺亭街道办事处"},
	{"新街街道", orb.Point{119.852, 31.330}, 2.0, 8, 0, "新街街道办事处"},
	{"新庄街道", orb.Point{119.892, 31.428}, 2.5, 6, 0.15, "新庄街道办事处"},
	{"环科园", orb.Point{119.882, 31.368}, 2.0, 5, 0.15, "宜兴环科园管理委员会"},
	{"丁蜀镇", orb.Point{119.868, 31.268}, 6.0, 10, 0.6, "丁蜀镇人民政府"},
	{"和桥镇", orb.Point{119.830, 31.482}, 6.0, 7, 0.35, "和桥镇人民政府"},
	{"官林镇", orb.Point{119.712, 31.478}, 7.0, 6, 0.3, "官林镇人民政府"},
	{"徐舍镇", orb.Point{119.650, 31.385}, 9.0, 6, 0.3, "徐舍镇人民政府"},
	{"张渚镇", orb.Point{119.712, 31.225}, 9.0, 6, 0.35, "张渚镇人民政府"},
}

// MinGrids is the least number of unit grids the city gets.
const MinGrids = 440

// densityAt is how urban a place is: the core of 宜城 near 1, town centres a
// bump, countryside 0.04.
func densityAt(p orb.Point) float64 {
	d := distKM(p, cityCentre)
	v := 0.04 + math.Exp(-(d/3.6)*(d/3.6))
	for _, s := range streetDefs {
		if s.boom > 0 {
			radius := 1.2 + 1.5*s.boom
			dt := distKM(p, s.at) / radius
			v += s.boom * math.Exp(-dt*dt)
		}
	}
	return v
}

// levelBuilder holds what building the area levels shares.
type levelBuilder struct {
	c     *City
	r     *rand.Rand
	x, y  []float64
	in    []bool
	roots []string // community names, shuffled
}

func (c *City) buildAreas(r *rand.Rand) {
	in := insideCells(c.Lattice, yixingOutline)
	b := &levelBuilder{c: c, r: r, in: in}
	b.initCells()
	roots := append([]string(nil), communityRoots...)
	r.Shuffle(len(roots), func(i, j int) { roots[i], roots[j] = roots[j], roots[i] })
	b.roots = roots
	c.Areas = append(c.Areas, Area{Code: CountyCode, Name: "宜兴市", Level: "district", Parent: -1,
		Manager: personName(r), Phone: landline(r), Cells: len(c.cells), Urban: true})
	streetOf := b.streets()
	commOf := b.communities(streetOf)
	b.grids(commOf)
	for i := range c.Areas {
		c.Areas[i].ID = int64(i + 1)
	}
	c.cellW = c.cellWeights(func(d float64) float64 { return math.Pow(d, 1.7) })
}

func (b *levelBuilder) initCells() {
	c := b.c
	n := c.Lattice.Len()
	b.x, b.y = make([]float64, n), make([]float64, n)
	c.density, c.gridOf = make([]float64, n), make([]int32, n)
	for cell := range n {
		p := c.Lattice.Centre(int32(cell))
		b.x[cell], b.y[cell] = toKM(p)
		c.density[cell] = densityAt(p)
		c.gridOf[cell] = -1
		if b.in[cell] {
			c.cells = append(c.cells, int32(cell))
		}
	}
}

func (b *levelBuilder) partition(label []int32, member func(int32) bool) *partition {
	return &partition{l: b.c.Lattice, x: b.x, y: b.y, label: label, member: member}
}

// streets splits the city among streetDefs and returns the street of each cell.
func (b *levelBuilder) streets() []int32 {
	c := b.c
	label := make([]int32, c.Lattice.Len())
	var seeds, ids []int32
	var reach []float64
	for k, d := range streetDefs {
		code := fmt.Sprintf("%s%03d", CountyCode, k+1)
		ids = append(ids, int32(len(c.Areas)))
		c.streets = append(c.streets, len(c.Areas))
		c.Areas = append(c.Areas, Area{Code: code, Name: d.name, Level: "street", Parent: 0,
			Manager: personName(b.r), Phone: landline(b.r), Office: "jd" + code,
			Roads: b.streetRoads(k), Urban: d.boom == 0})
		c.Units = append(c.Units, Unit{Code: "jd" + code, Name: d.office, Kind: "street_office", AreaCode: code})
		seed := c.Lattice.CellOf(d.at)
		if seed < 0 || !b.in[seed] {
			panic("democity: street centre outside the city: " + d.name)
		}
		seeds, reach = append(seeds, seed), append(reach, d.reach)
	}
	b.partition(label, func(x int32) bool { return b.in[x] }).assign(c.cells, seeds, ids, reach)
	for _, cell := range c.cells {
		c.Areas[label[cell]].Cells++
	}
	return label
}

func (b *levelBuilder) streetRoads(k int) []string {
	pool := townRoads
	if streetDefs[k].boom == 0 {
		pool = urbanRoads
	}
	perm := b.r.Perm(len(pool))
	roads := make([]string, 8)
	for i := range roads {
		roads[i] = pool[perm[i]]
	}
	return roads
}

// groupCells lists the cells of each label value, in lattice order.
func (b *levelBuilder) groupCells(label []int32) [][]int32 {
	out := make([][]int32, len(b.c.Areas))
	for _, cell := range b.c.cells {
		out[label[cell]] = append(out[label[cell]], cell)
	}
	return out
}

// communities splits each street among its communities.
func (b *levelBuilder) communities(streetOf []int32) []int32 {
	c := b.c
	label := make([]int32, c.Lattice.Len())
	byStreet := b.groupCells(streetOf)
	weight := powDensity(c.density, 1.3)
	for k, s := range c.streets {
		cells := byStreet[s]
		p := b.partition(label, func(x int32) bool { return streetOf[x] == int32(s) })
		seeds := p.spreadSeeds(b.r, cells, weight, streetDefs[k].communities)
		centre := c.Lattice.CellOf(streetDefs[k].at)
		sort.SliceStable(seeds, func(i, j int) bool { return b.dist(seeds[i], centre) < b.dist(seeds[j], centre) })
		ids := make([]int32, len(seeds))
		for i := range seeds {
			ids[i] = int32(len(c.Areas) + i)
			c.comms = append(c.comms, len(c.Areas)+i)
		}
		c.Areas = append(c.Areas, make([]Area, len(seeds))...)
		p.assign(cells, seeds, ids, nil)
		b.nameCommunities(s, ids, label, label[centre])
	}
	return label
}

func (b *levelBuilder) dist(a, z int32) float64 { return math.Hypot(b.x[a]-b.x[z], b.y[a]-b.y[z]) }

func powDensity(d []float64, e float64) []float64 {
	out := make([]float64, len(d))
	for i, x := range d {
		out[i] = math.Pow(x, e)
	}
	return out
}

// nameCommunities fills in the new communities of street s: urban ones (and the
// one at a town's centre) are 社区 numbered from 001, rural ones 村 from 201, as in
// the statistical division codes.
func (b *levelBuilder) nameCommunities(s int, ids, label []int32, central int32) {
	c := b.c
	cells, mass := make([]int, len(c.Areas)), make([]float64, len(c.Areas))
	for _, cell := range c.cells {
		cells[label[cell]]++
		mass[label[cell]] += c.density[cell]
	}
	street := c.Areas[s]
	nextUrban, nextRural := 1, 201
	for _, id := range ids {
		a := &c.Areas[id]
		a.Level, a.Parent, a.Cells, a.Office = "community", s, cells[id], street.Office
		a.Urban = mass[id]/float64(cells[id]) >= 0.25 || id == central
		root := b.roots[0]
		b.roots = b.roots[1:]
		if a.Urban {
			a.Code, a.Name = fmt.Sprintf("%s%03d", street.Code, nextUrban), root+"社区"
			nextUrban++
		} else {
			a.Code, a.Name = fmt.Sprintf("%s%03d", street.Code, nextRural), root+"村"
			nextRural++
		}
		a.Manager, a.Phone = personName(b.r), mobile(b.r)
	}
}

// gridCounts decides how many unit grids each community gets: small grids where
// it is dense, large ones in the countryside, at least MinGrids in all.
func (b *levelBuilder) gridCounts(byComm [][]int32) []int {
	c := b.c
	counts := make([]int, len(c.comms))
	total := 0
	for k, a := range c.comms {
		cells := byComm[a]
		mean := 0.0
		for _, cell := range cells {
			mean += c.density[cell]
		}
		mean /= float64(len(cells))
		per := clamp(5/math.Pow(mean, 1.1), 5, 160)
		counts[k] = int(clamp(math.Round(float64(len(cells))/per), 3, 16))
		counts[k] = min(counts[k], len(cells))
		total += counts[k]
	}
	for total < MinGrids {
		best := -1
		for k, a := range c.comms {
			if counts[k] < len(byComm[a]) && (best < 0 || len(byComm[a])*counts[best] > len(byComm[c.comms[best]])*counts[k]) {
				best = k
			}
		}
		counts[best]++
		total++
	}
	return counts
}

// grids splits each community among its unit grids.
func (b *levelBuilder) grids(commOf []int32) {
	c := b.c
	label := make([]int32, c.Lattice.Len())
	byComm := b.groupCells(commOf)
	counts := b.gridCounts(byComm)
	for k, a := range c.comms {
		cells := byComm[a]
		p := b.partition(label, func(x int32) bool { return commOf[x] == int32(a) })
		seeds := p.spreadSeeds(b.r, cells, c.density, counts[k])
		sort.SliceStable(seeds, func(i, j int) bool { return northWestFirst(c.Lattice, seeds[i], seeds[j]) })
		ids := make([]int32, len(seeds))
		for i := range seeds {
			ids[i] = int32(len(c.Areas))
			c.grids = append(c.grids, len(c.Areas))
			c.Areas = append(c.Areas, b.grid(a, i+1))
		}
		p.assign(cells, seeds, ids, nil)
	}
	for _, cell := range c.cells {
		c.gridOf[cell] = label[cell]
		c.Areas[label[cell]].Cells++
	}
}

func northWestFirst(l Lattice, a, z int32) bool {
	ai, aj := l.IJ(a)
	zi, zj := l.IJ(z)
	if aj != zj {
		return aj > zj
	}
	return ai < zi
}

// grid makes the n-th unit grid of community a.
func (b *levelBuilder) grid(a, n int) Area {
	comm := b.c.Areas[a]
	street := b.c.Areas[comm.Parent]
	roads := []string{oneOf(b.r, street.Roads), oneOf(b.r, street.Roads)}
	return Area{Code: fmt.Sprintf("%s%02d", comm.Code, n), Name: fmt.Sprintf("%s%s第%02d网格", street.Name, comm.Name, n),
		Level: "grid", Parent: a, Manager: personName(b.r), Phone: mobile(b.r), Office: street.Office,
		Roads: roads, Urban: comm.Urban}
}

// cellWeights is a table over c.cells weighted by f(density).
func (c *City) cellWeights(f func(float64) float64) weighted {
	w := make([]float64, len(c.cells))
	for i, cell := range c.cells {
		w[i] = f(c.density[cell])
	}
	return newWeighted(w)
}
