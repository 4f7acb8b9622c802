package democity

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/paulmach/orb"
)

// Point is an inspection point (测评点位).
type Point struct {
	ID       int64
	Code     string
	Name     string
	Category string
	Address  string
	Unit     string // responsible unit (a name, as the points table keeps it)
	Person   string
	Phone    string
	Grid     int   // index in City.Areas
	Cell     int32 // lattice cell it lies in (a polygon lies inside it)
	Geom     orb.Geometry
	At       orb.Point // where issues about it cluster
	Heat     float64   // how much trouble it draws (heavy-tailed: hotspots)
}

// pointKind describes one point category of the schema.
type pointKind struct {
	code, prefix string
	count        int
	spread       float64   // cells are drawn with weight density^spread
	size         []float64 // polygon width and height ranges (cell fractions); nil: a point
	unit         string    // responsible unit; "" is the street's office
	names        []string  // name templates (see fill)
}

var pointKinds = []pointKind{
	{"farmers_market", "NM", 60, 1.5, []float64{0.35, 0.6, 0.35, 0.6}, "", []string{"{c}农贸市场", "{w}农贸市场", "{s}菜市场"}},
	{"residential", "XQ", 800, 1.2, []float64{0.5, 0.9, 0.5, 0.9}, "", []string{"{w}{x}", "{c}{x}", "{w}{x}"}},
	{"back_alley", "BJ", 420, 1.5, nil, "", []string{"{c}巷", "{r}{n}弄", "{w}里"}},
	{"main_road", "ZD", 300, 0.8, nil, "市城市管理局", []string{"{r}（{c}段）", "{r}"}},
	{"intersection", "LK", 280, 0.9, nil, "市公安局交警大队", []string{"{r}与{r2}交叉口"}},
	{"square", "GC", 40, 1.6, []float64{0.3, 0.6, 0.3, 0.6}, "市城市管理局", []string{"{w}广场", "{c}文化广场"}},
	{"park", "GY", 45, 1.3, []float64{0.5, 0.9, 0.5, 0.9}, "市园林绿化管理处", []string{"{w}公园", "{c}游园", "{r}街头绿地"}},
	{"station", "CZ", 30, 1.2, nil, "市交通运输局", []string{"{s}汽车客运站", "{r}公交首末站"}},
	{"school_surroundings", "XX", 150, 1.3, nil, "市教育局", []string{"{c}小学周边", "{w}中学周边", "{c}幼儿园周边", "{s}实验小学周边"}},
	{"hospital", "YY", 45, 1.6, nil, "市卫生健康委员会", []string{"{s}卫生院", "{c}社区卫生服务站", "宜兴市{w}医院"}},
	{"public_toilet", "GS", 320, 1.3, nil, "市城市管理局", []string{"{r}公厕", "{c}公厕", "{w}公厕"}},
	{"construction_site", "GD", 110, 0.7, []float64{0.4, 0.8, 0.4, 0.8}, "市住房和城乡建设局", []string{"{w}{x}项目工地", "{r}改造工程工地"}},
	{"bus_stop", "ZT", 420, 0.8, nil, "市交通运输局", []string{"{r}站", "{c}站", "{w}站"}},
	{"commercial_street", "SY", 60, 1.8, []float64{0.7, 0.9, 0.12, 0.2}, "", []string{"{r}商业街", "{w}步行街", "{s}老街"}},
	{"government_service", "ZW", 0, 0, []float64{0.3, 0.5, 0.3, 0.5}, "", []string{"{S}便民服务中心"}},
	{"cultural_venue", "WH", 35, 1.6, nil, "市文体广电和旅游局", []string{"{s}文化站", "{c}新时代文明实践站", "宜兴市{w}文化馆"}},
}

func (c *City) buildPoints(r *rand.Rand) {
	for _, k := range pointKinds {
		used := map[string]bool{} // names taken in this category (lookups only)
		for n, cell := range c.pointCells(r, k) {
			p := c.newPoint(r, k, cell, n+1)
			p.Name = c.uniqueName(r, k, p, used)
			c.Points = append(c.Points, p)
		}
		if k.code == "government_service" { // the last one is the city's hall
			hall := &c.Points[len(c.Points)-1]
			hall.Name, hall.Unit = "宜兴市政务服务中心", "市政务服务管理办公室"
		}
	}
	for i := range c.Points {
		c.Points[i].ID = int64(i + 1)
	}
}

// uniqueName redraws a name already taken in the category a few times, then
// numbers it.
func (c *City) uniqueName(r *rand.Rand, k pointKind, p Point, used map[string]bool) string {
	name := p.Name
	for try := 0; used[name] && try < 8; try++ {
		name = c.fill(r, oneOf(r, k.names), p.Grid)
	}
	for n := 2; used[name]; n++ {
		name = fmt.Sprintf("%s（%d）", strings.TrimSuffix(p.Name, "周边"), n)
		if strings.HasSuffix(p.Name, "周边") {
			name = fmt.Sprintf("%s（%d）周边", strings.TrimSuffix(p.Name, "周边"), n)
		}
	}
	used[name] = true
	return name
}

// pointCells picks the cells of a category's points: one service centre per
// street plus the city hall for government_service, weighted draws otherwise.
func (c *City) pointCells(r *rand.Rand, k pointKind) []int32 {
	if k.code == "government_service" {
		var cells []int32
		for _, d := range streetDefs {
			cells = append(cells, c.Lattice.CellOf(d.at))
		}
		return append(cells, c.Lattice.CellOf(cityCentre))
	}
	table := c.cellWeights(func(d float64) float64 { return math.Pow(d, k.spread) })
	cells := make([]int32, k.count)
	for i := range cells {
		cells[i] = c.cells[table.pick(r)]
	}
	return cells
}

func (c *City) newPoint(r *rand.Rand, k pointKind, cell int32, n int) Point {
	g := int(c.gridOf[cell])
	p := Point{Code: fmt.Sprintf("%s%04d", k.prefix, n), Category: k.code, Grid: g, Cell: cell,
		Person: personName(r), Heat: 1 / math.Pow(uniform(r, 0.03, 1), 0.8)}
	p.Name = c.fill(r, oneOf(r, k.names), g)
	p.Address = c.address(r, g)
	p.Unit = k.unit
	if p.Unit == "" {
		p.Unit = c.officeName(g)
	}
	p.Phone = mobile(r)
	if k.unit != "" && chance(r, 0.3) {
		p.Phone = landline(r)
	}
	p.Geom, p.At = c.shape(r, cell, k.size)
	return p
}

// shape is a point inside cell, or a rectangle inside it with sizes from size.
func (c *City) shape(r *rand.Rand, cell int32, size []float64) (orb.Geometry, orb.Point) {
	if size == nil {
		at := c.Lattice.At(cell, uniform(r, 0.1, 0.9), uniform(r, 0.1, 0.9))
		return at, at
	}
	w, h := uniform(r, size[0], size[1]), uniform(r, size[2], size[3])
	if size[3] < 0.3 && chance(r, 0.5) { // a street runs north–south as often as east–west
		w, h = h, w
	}
	x, y := uniform(r, 0.05, 0.95-w), uniform(r, 0.05, 0.95-h)
	return c.Lattice.Rect(cell, x, y, x+w, y+h), c.Lattice.At(cell, x+w/2, y+h/2)
}

// fill expands a name template: {r} and {r2} roads of the grid, {w} a place word,
// {x} a compound suffix, {c} the community's name root, {s} the street's short
// name, {S} its full name, {n} a number.
func (c *City) fill(r *rand.Rand, tpl string, g int) string {
	grid := c.Areas[g]
	comm := c.Areas[grid.Parent]
	street := c.Areas[comm.Parent]
	r1 := oneOf(r, grid.Roads)
	r2 := oneOf(r, street.Roads)
	if r2 == r1 {
		r2 = street.Roads[(indexOf(street.Roads, r1)+1)%len(street.Roads)]
	}
	return strings.NewReplacer(
		"{r2}", r2, "{r}", r1, "{w}", oneOf(r, placeWords), "{x}", oneOf(r, compoundSuffixes),
		"{c}", shortName(comm.Name), "{s}", shortName(street.Name), "{S}", street.Name,
		"{n}", fmt.Sprint(between(r, 1, 99)),
	).Replace(tpl)
}

func indexOf(xs []string, x string) int {
	for i, y := range xs {
		if y == x {
			return i
		}
	}
	return -1
}

// shortName drops the 街道/镇/社区/村 suffix.
func shortName(name string) string {
	for _, suf := range []string{"街道", "镇", "社区", "村"} {
		if s, ok := strings.CutSuffix(name, suf); ok {
			return s
		}
	}
	return name
}

// address is a street address in grid g.
func (c *City) address(r *rand.Rand, g int) string {
	street := c.Areas[c.street(g)]
	return fmt.Sprintf("宜兴市%s%s%d号", street.Name, oneOf(r, c.Areas[g].Roads), between(r, 1, 688))
}

// officeName is the name of the street office responsible for area i.
func (c *City) officeName(i int) string {
	code := c.Areas[c.street(i)].Office
	for _, u := range c.Units {
		if u.Code == code {
			return u.Name
		}
	}
	return code
}
