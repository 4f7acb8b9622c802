package democity

import (
	"math/rand/v2"
	"sort"
	"time"
)

// Inspection is a visit to a point (督查) with its deductions.
type Inspection struct {
	ID         int64
	Point      int // index in City.Points
	At         time.Time
	Inspector  string
	Deductions []Deduction
	Score      float64
	Photos     []string
	Note       string
}

// Deduction is one indicator that lost points; Category is the issue category a
// finding of it opens ("" for none).
type Deduction struct {
	// IndicatorCode is the catalogue's code; Indicator its name.
	IndicatorCode string  `json:"indicator_code"`
	Indicator     string  `json:"indicator"`
	Points        float64 `json:"points"`
	Note          string  `json:"note"`
	Category      string  `json:"-"`
}

// indicator is an evaluation indicator, the issue category it maps to, and notes
// an inspector writes when it fails.
type indicator struct {
	name, category string
	notes          []string
}

var indicators = []indicator{
	{"地面保洁", "exposed_garbage", []string{"地面有烟头、纸屑", "绿化带内有白色垃圾", "垃圾桶周边有散落垃圾"}},
	{"垃圾分类", "trash_bin", []string{"垃圾桶满溢未及时清运", "分类投放点桶身破损"}},
	{"乱堆乱放", "stacked_materials", []string{"楼道内堆放杂物", "路边堆放建材", "公共区域堆放废旧家具"}},
	{"占道经营", "street_vending", []string{"门店跨门经营", "流动摊贩占道经营"}},
	{"乱张贴", "illegal_posting", []string{"墙面有小广告", "电线杆张贴小广告"}},
	{"非机动车停放", "bike_parking", []string{"非机动车停放无序", "共享单车堆积占用盲道"}},
	{"机动车停放", "car_parking", []string{"机动车占用人行道停放", "车辆违停堵塞消防通道"}},
	{"市政设施", "manhole_cover", []string{"井盖松动有异响", "雨水篦子缺失"}},
	{"照明设施", "street_light", []string{"路灯不亮", "灯杆倾斜"}},
	{"绿化养护", "green_space", []string{"绿地黄土裸露", "绿化带缺株死株"}},
	{"公厕保洁", "public_toilet", []string{"厕位不洁有异味", "洗手液、厕纸缺失"}},
	{"市场秩序", "market_order", []string{"摊位外溢", "活禽区卫生差", "公平秤缺失"}},
	{"工地扬尘", "muck_spill", []string{"出入口车辆未冲洗带泥上路", "裸土未覆盖"}},
	{"围挡设置", "", []string{"围挡破损未修复", "围挡公益广告破损"}},
	{"户外广告", "outdoor_ads", []string{"店招破损", "广告牌未经审批设置"}},
	{"油烟排放", "cooking_fumes", []string{"油烟净化器未开启", "油烟直排"}},
	{"道路设施", "road_damage", []string{"人行道板松动破损", "路面坑洼"}},
	{"交通设施", "traffic_sign", []string{"标志牌被树木遮挡", "交通标线模糊"}},
	{"护栏设施", "guardrail", []string{"隔离护栏倾斜", "护栏缺失一段"}},
	{"站台设施", "bus_shelter", []string{"站亭玻璃破损", "站牌信息模糊"}},
	{"公益宣传", "", []string{"公益广告数量不足", "宣传栏内容过期"}},
	{"文明劝导", "", []string{"未设置志愿服务岗", "文明劝导员不在岗"}},
	{"秩序管理", "", []string{"排队秩序混乱", "导视标识缺失"}},
}

// pointIndicators lists, per point category, the indicators it is scored on.
var pointIndicators = map[string][]string{
	"farmers_market":      {"地面保洁", "市场秩序", "占道经营", "非机动车停放", "公益宣传", "垃圾分类"},
	"residential":         {"地面保洁", "乱堆乱放", "乱张贴", "非机动车停放", "机动车停放", "绿化养护", "垃圾分类", "公益宣传"},
	"back_alley":          {"地面保洁", "乱堆乱放", "乱张贴", "占道经营", "市政设施", "照明设施"},
	"main_road":           {"地面保洁", "道路设施", "市政设施", "照明设施", "户外广告", "占道经营", "绿化养护", "护栏设施"},
	"intersection":        {"交通设施", "文明劝导", "非机动车停放", "护栏设施", "地面保洁"},
	"square":              {"地面保洁", "公益宣传", "绿化养护", "占道经营", "照明设施"},
	"park":                {"地面保洁", "绿化养护", "公益宣传", "照明设施"},
	"station":             {"地面保洁", "秩序管理", "机动车停放", "非机动车停放", "公益宣传", "占道经营"},
	"school_surroundings": {"占道经营", "机动车停放", "文明劝导", "乱张贴", "地面保洁"},
	"hospital":            {"机动车停放", "秩序管理", "地面保洁", "非机动车停放", "公益宣传"},
	"public_toilet":       {"公厕保洁", "地面保洁", "公益宣传"},
	"construction_site":   {"工地扬尘", "围挡设置", "乱堆乱放", "地面保洁"},
	"bus_stop":            {"站台设施", "地面保洁", "乱张贴", "公益宣传"},
	"commercial_street":   {"占道经营", "户外广告", "油烟排放", "地面保洁", "非机动车停放", "机动车停放"},
	"government_service":  {"秩序管理", "公益宣传", "地面保洁"},
	"cultural_venue":      {"公益宣传", "秩序管理", "地面保洁"},
}

// pointCycle is each category's inspection cycle in days (as point_categories says).
var pointCycle = map[string]int{
	"farmers_market": 7, "residential": 30, "back_alley": 7, "main_road": 7, "intersection": 7,
	"square": 30, "park": 30, "station": 7, "school_surroundings": 7, "hospital": 30,
	"public_toilet": 7, "construction_site": 30, "bus_stop": 30, "commercial_street": 7,
	"government_service": 91, "cultural_venue": 91,
}

// InspectionDays is how far back inspections go.
const InspectionDays = 91

func (c *City) buildInspections(r *rand.Rand) {
	inspectors := make([]string, 12)
	for i := range inspectors {
		inspectors[i] = personName(r)
	}
	end := c.Opt.Now.Add(-3 * time.Hour)
	start := end.AddDate(0, 0, -InspectionDays)
	for i := range c.Points {
		for _, at := range c.visitTimes(r, i, start, end) {
			c.Inspections = append(c.Inspections, c.inspect(r, i, at, oneOf(r, inspectors)))
		}
	}
	sort.SliceStable(c.Inspections, func(a, b int) bool { return c.Inspections[a].At.Before(c.Inspections[b].At) })
	for i := range c.Inspections {
		c.Inspections[i].ID = int64(i + 1)
	}
}

// visitTimes spaces a point's visits by its category's cycle, in working hours and
// mostly on working days.
func (c *City) visitTimes(r *rand.Rand, p int, start, end time.Time) []time.Time {
	period := pointCycle[c.Points[p].Category]
	var out []time.Time
	first := r.Float64() * float64(period)
	for day := first; ; day += float64(period) {
		t := start.Add(time.Duration((day + uniform(r, -1.5, 1.5)) * 24 * float64(time.Hour)))
		t = dayAt(t, uniform(r, 8.5, 17))
		for c.restDay(t) && chance(r, 0.8) {
			t = t.AddDate(0, 0, 1)
		}
		if t.After(end) {
			return out
		}
		if t.After(start) {
			out = append(out, t)
		}
	}
}

// dayAt returns the local time on t's local date at the given hour (fractional),
// truncated to the minute.
func dayAt(t time.Time, hour float64) time.Time {
	t = t.In(local)
	midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, local)
	return midnight.Add(time.Duration(hour * float64(time.Hour))).Truncate(time.Minute)
}

func (c *City) inspect(r *rand.Rand, p int, at time.Time, inspector string) Inspection {
	pt := c.Points[p]
	in := Inspection{Point: p, At: at, Inspector: inspector, Score: 100, Deductions: []Deduction{}, Photos: []string{}, Note: "常态化测评督查"}
	if chance(r, 0.15) {
		in.Note = oneOf(r, []string{"夜间督查", "专项督查", "回头看复查"})
	}
	names := pointIndicators[pt.Category]
	n := deductionCount(r, pt.Heat)
	for _, k := range r.Perm(len(names))[:min(n, len(names))] {
		ind := indicatorNamed(names[k])
		entry := fieldIndicator(pt.Category, ind.name)
		d := Deduction{IndicatorCode: entry.code, Indicator: ind.name,
			Points: min(oneOf(r, []float64{0.5, 1, 1, 1.5, 2, 2, 3, 5}), entry.maxPoints),
			Note:   oneOf(r, ind.notes), Category: ind.category}
		in.Deductions = append(in.Deductions, d)
		in.Score -= d.Points
	}
	return in
}

// deductionCount: most visits find nothing; hotspots find more.
func deductionCount(r *rand.Rand, heat float64) int {
	x := r.Float64() * (1 + 0.08*min(heat, 10))
	switch {
	case x < 0.5:
		return 0
	case x < 0.82:
		return 1
	case x < 0.96:
		return 2
	default:
		return 3
	}
}

func indicatorNamed(name string) indicator {
	for _, ind := range indicators {
		if ind.name == name {
			return ind
		}
	}
	panic("democity: unknown indicator " + name)
}
