package democity

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// Zone is a parking zone: a smart lot with live occupancy, or a tidal zone open
// to the public in weekly windows.
type Zone struct {
	ID          int64
	Code        string
	Name        string
	Kind        string // smart or tidal
	Capacity    int
	Occupied    int
	OccupancyAt time.Time
	Address     string
	Operator    string
	Grid        int
	Geom        orb.Geometry
	Windows     []Window
	Readings    []Reading // hourly, oldest first, the last at OccupancyAt
	profile     int
}

// Window is one row of parking_windows: minutes since local midnight, opens <
// closes, closes up to 1440 (24:00).
type Window struct {
	Weekday       int // ISO: 1 = Monday
	Opens, Closes int
}

// Reading is an hourly occupancy sample.
type Reading struct {
	At       time.Time
	Occupied int
}

// ReadingDays is how many days of hourly readings each zone gets.
const ReadingDays = 30

// Occupancy profiles: the share of spaces taken by local hour on working days and
// on rest days.
const (
	profMall = iota
	profStreet
	profHome
	profHospital
	profStation
	profPark
	profOffice
	profTidal
)

var profiles = [...][2]string{
	profMall:     {"151010101010152535455055555560656880857560453020", "201515101010152035557080909090909090909085756040"},
	profStreet:   {"302525252525304575858585807585858580706560504035", "353030252525304055657580808080808080757065554540"},
	profHome:     {"929393939393908060504545454545505565758588909192", "939494949494939288807570707070707580858890919293"},
	profHospital: {"202020202020305590959590858585858075605040302520", "202020202020304560707070656565656055504030252020"},
	profStation:  {"201515151515254560606060606060606565605545353025", "252020202020305070808585858585858585807060504030"},
	profPark:     {"050505050505101520252525252525303540454035201008", "080505050505102050708590909090908580706050302010"},
	profOffice:   {"101010101010153570909090858590909080553020151010", "151010101010101520202020202020202020201510101010"},
	profTidal:    {"606060606060606590909090858590909080555555606060", "606060606060605045454545454545454550556060606060"},
}

// profileShare returns the share of spaces taken (0..1) for a profile.
func profileShare(p int, rest bool, hour int) float64 {
	s := profiles[p][0]
	if rest {
		s = profiles[p][1]
	}
	v := (int(s[2*hour]-'0'))*10 + int(s[2*hour+1]-'0')
	return float64(v) / 100
}

// smartKind is a family of smart lots: where they stand and how they fill.
type smartKind struct {
	count    int
	anchor   string // point category whose cell they share ("" any urban cell)
	profile  int
	capacity [2]int
	names    []string // {p} is the anchor point's name, other keys as in fill
}

var smartKinds = []smartKind{
	{35, "commercial_street", profMall, [2]int{200, 800}, []string{"{w}广场地下停车库", "{p}停车场"}},
	{45, "main_road", profStreet, [2]int{20, 80}, []string{"{p}路内停车泊位"}},
	{40, "residential", profHome, [2]int{60, 300}, []string{"{p}公共停车场"}},
	{15, "hospital", profHospital, [2]int{150, 500}, []string{"{p}停车场"}},
	{12, "station", profStation, [2]int{100, 400}, []string{"{p}停车场"}},
	{25, "park", profPark, [2]int{50, 200}, []string{"{p}停车场"}},
	{18, "", profOffice, [2]int{80, 300}, []string{"{w}大厦停车场", "{w}商务中心停车场"}},
}

var smartOperators = []string{"宜兴市城投智慧停车管理有限公司", "宜兴市公共停车管理中心", "宜兴交通停车服务有限公司"}

// Departments that open their staff lots at night (tidal zones beyond schools and
// street offices).
var tidalDepartments = []string{"市城市管理局", "市住房和城乡建设局", "市交通运输局", "市生态环境局",
	"市市场监督管理局", "市水利局", "市教育局", "市卫生健康委员会", "市文体广电和旅游局", "市财政局",
	"市人力资源和社会保障局", "市自然资源和规划局", "市税务局", "市公安局交警大队"}

func (c *City) buildParking(r *rand.Rand) {
	for _, k := range smartKinds {
		for range k.count {
			c.addZone(r, c.smartZone(r, k))
		}
	}
	c.addTidalZones(r)
	for i := range c.Zones {
		c.Zones[i].ID = int64(i + 1)
		c.fillReadings(r, &c.Zones[i])
	}
}

func (c *City) addZone(r *rand.Rand, z Zone) {
	n := 1
	for _, o := range c.Zones {
		if o.Kind == z.Kind {
			n++
		}
	}
	prefix := map[string]string{"smart": "ZH", "tidal": "CX"}[z.Kind]
	z.Code = fmt.Sprintf("%s%04d", prefix, n)
	c.Zones = append(c.Zones, z)
}

// anchorCell returns the cell of a random point of category cat (a dense random
// cell when cat is "") and that point's name.
func (c *City) anchorCell(r *rand.Rand, cat string) (int32, string) {
	if cat == "" {
		return c.cells[c.cellW.pick(r)], ""
	}
	var idx []int
	for i, p := range c.Points {
		if p.Category == cat {
			idx = append(idx, i)
		}
	}
	p := c.Points[oneOf(r, idx)]
	return p.Cell, p.Name
}

func (c *City) smartZone(r *rand.Rand, k smartKind) Zone {
	cell, near := c.anchorCell(r, k.anchor)
	g := int(c.gridOf[cell])
	if i := strings.Index(near, "（"); i >= 0 {
		near = near[:i] // "人民中路（篁里段）" → "人民中路"
	}
	name := strings.ReplaceAll(oneOf(r, k.names), "{p}", near)
	z := Zone{Name: c.fill(r, name, g), Kind: "smart", Capacity: between(r, k.capacity[0], k.capacity[1]),
		Address: c.address(r, g), Operator: oneOf(r, smartOperators), Grid: g, profile: k.profile}
	if k.profile == profStreet {
		z.Geom, _ = c.shape(r, cell, []float64{0.6, 0.9, 0.04, 0.08})
	} else {
		z.Geom, _ = c.shape(r, cell, []float64{0.2, 0.45, 0.2, 0.45})
	}
	return z
}

// addTidalZones opens school, street-office and department lots to the public.
func (c *City) addTidalZones(r *rand.Rand) {
	schools := 0
	for _, p := range c.Points {
		switch {
		case p.Category == "school_surroundings":
			if schools++; schools%4 == 0 { // one school in four opens its lot
				c.addZone(r, c.tidalZone(r, p.Cell, strings.TrimSuffix(p.Name, "周边"), schoolWeek))
			}
		case p.Category == "government_service":
			c.addZone(r, c.tidalZone(r, p.Cell, p.Name, officeWeek))
		}
	}
	for _, d := range tidalDepartments {
		cell := c.cells[c.cellW.pick(r)]
		c.addZone(r, c.tidalZone(r, cell, d+"机关", oneOf(r, []func() []Window{officeWeek, lateOfficeWeek})))
	}
}

func (c *City) tidalZone(r *rand.Rand, cell int32, owner string, week func() []Window) Zone {
	g := int(c.gridOf[cell])
	geom, _ := c.shape(r, cell, []float64{0.2, 0.4, 0.2, 0.4})
	return Zone{Name: owner + "潮汐停车场", Kind: "tidal", Capacity: between(r, 30, 200), Address: c.address(r, g),
		Operator: owner, Grid: g, Geom: geom, Windows: week(), profile: profTidal}
}

// Weekly opening patterns. An interval is [from, to) in minutes since Monday 00:00.
func schoolWeek() []Window     { return eveningsAndWeekend(17*60+30, 7*60) }
func officeWeek() []Window     { return eveningsAndWeekend(18*60, 8*60) }
func lateOfficeWeek() []Window { return eveningsAndWeekend(19*60, 7*60+30) }

// eveningsAndWeekend opens from opens each working evening to closes the next
// morning, and from Friday evening to Monday morning.
func eveningsAndWeekend(opens, closes int) []Window {
	const day = 1440
	var iv [][2]int
	for d := range 4 { // Monday to Thursday nights
		iv = append(iv, [2]int{d*day + opens, (d+1)*day + closes})
	}
	iv = append(iv, [2]int{4*day + opens, 7 * day}, [2]int{0, closes}) // Friday night to Sunday, Monday morning
	return weekWindows(iv)
}

// weekWindows merges intervals of the week and splits them at midnights into rows
// with opens < closes.
func weekWindows(iv [][2]int) []Window {
	const day = 1440
	sort.Slice(iv, func(i, j int) bool { return iv[i][0] < iv[j][0] })
	var merged [][2]int
	for _, x := range iv {
		if n := len(merged); n > 0 && x[0] <= merged[n-1][1] {
			merged[n-1][1] = max(merged[n-1][1], x[1])
			continue
		}
		merged = append(merged, x)
	}
	var out []Window
	for _, x := range merged {
		for from := x[0]; from < x[1]; {
			to := min(x[1], (from/day+1)*day)
			out = append(out, Window{Weekday: from/day%7 + 1, Opens: from % day, Closes: to - from/day*day})
			from = to
		}
	}
	return out
}

// fillReadings samples the zone's occupancy hourly for ReadingDays up to now.
func (c *City) fillReadings(r *rand.Rand, z *Zone) {
	end := c.Opt.Now.Truncate(time.Hour)
	amp, noise := uniform(r, 0.75, 1.08), 0.0
	for h := ReadingDays*24 - 1; h >= 0; h-- {
		at := end.Add(-time.Duration(h) * time.Hour)
		noise = 0.7*noise + r.NormFloat64()*0.05
		share := clamp(profileShare(z.profile, c.restDay(at), at.In(local).Hour())*amp+noise, 0, 1)
		z.Readings = append(z.Readings, Reading{At: at, Occupied: int(math.Round(share * float64(z.Capacity)))})
	}
	last := z.Readings[len(z.Readings)-1]
	z.Occupied, z.OccupancyAt = last.Occupied, last.At
}
