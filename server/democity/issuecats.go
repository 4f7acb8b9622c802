package democity

// issueCat mirrors a row of issue_categories (its unit; Seed checks it still
// agrees with the database) and says where such issues happen and how fast
// they are handled.
type issueCat struct {
	code string
	// hours is the pace the generator plans a case at: about the wall-clock
	// time its limit gives (the stored deadline is the database's rule).
	hours   int
	unit    string // "" goes to the street office
	anchors []string
	anchorP float64  // share of issues that cluster around an anchor point
	texts   []string // description templates; {p} is the place
}

var issueCats = []issueCat{
	{"manhole_cover", 4, "swgs", []string{"main_road", "back_alley", "residential"}, 0.4,
		[]string{"{p}井盖缺失，存在安全隐患", "{p}井盖破损下沉", "{p}雨水井盖移位，车辆经过有异响"}},
	{"street_light", 48, "gdgs", []string{"main_road", "back_alley", "residential"}, 0.4,
		[]string{"{p}路灯夜间不亮", "{p}多盏路灯损坏", "{p}路灯白天常亮"}},
	{"trash_bin", 24, "cgj", []string{"back_alley", "residential", "square", "park"}, 0.5,
		[]string{"{p}垃圾箱破损", "{p}果壳箱缺失", "{p}分类垃圾桶损坏"}},
	{"road_damage", 72, "zjj", []string{"main_road", "intersection"}, 0.5,
		[]string{"{p}路面出现坑洼", "{p}人行道板松动破损", "{p}道路局部塌陷"}},
	{"guardrail", 48, "jtj", []string{"main_road", "intersection"}, 0.7,
		[]string{"{p}隔离护栏被撞倒", "{p}护栏倾斜缺失"}},
	{"bus_shelter", 72, "jtj", []string{"bus_stop"}, 0.95,
		[]string{"{p}公交站亭玻璃破碎", "{p}站牌损坏"}},
	{"green_space", 72, "yllhj", []string{"park", "main_road", "residential"}, 0.5,
		[]string{"{p}绿化带被踩踏损毁", "{p}绿地被占用种菜", "{p}行道树倒伏"}},
	{"traffic_sign", 48, "gaj", []string{"intersection", "main_road"}, 0.7,
		[]string{"{p}交通标志牌倾斜", "{p}标志被树枝遮挡", "{p}信号灯故障"}},
	{"exposed_garbage", 4, "", []string{"back_alley", "residential", "farmers_market"}, 0.55,
		[]string{"{p}有暴露垃圾未清理", "{p}垃圾堆积散发异味", "{p}绿化带内有生活垃圾"}},
	{"stacked_materials", 24, "", []string{"back_alley", "residential", "construction_site"}, 0.5,
		[]string{"{p}乱堆建筑材料", "{p}占道堆放杂物", "{p}楼道堆物"}},
	{"street_vending", 2, "", []string{"farmers_market", "commercial_street", "school_surroundings", "station"}, 0.75,
		[]string{"{p}流动摊贩占道经营", "{p}店外经营占用人行道", "{p}夜市摊点占道"}},
	{"illegal_posting", 24, "", []string{"residential", "back_alley", "bus_stop"}, 0.5,
		[]string{"{p}墙面有小广告", "{p}乱张贴办证广告", "{p}电线杆上小广告多"}},
	{"illegal_construction", 168, "cgj", []string{"residential", "back_alley"}, 0.6,
		[]string{"{p}有居民私自搭建彩钢棚", "{p}违章搭建阳光房", "{p}一楼住户私自扩建"}},
	{"car_parking", 2, "gaj", []string{"commercial_street", "hospital", "school_surroundings", "station", "residential"}, 0.6,
		[]string{"{p}机动车乱停放占用人行道", "{p}车辆违停堵塞消防通道", "{p}车辆乱停影响通行"}},
	{"bike_parking", 4, "", []string{"commercial_street", "station", "bus_stop", "residential"}, 0.6,
		[]string{"{p}共享单车乱停放", "{p}电动车停放无序", "{p}非机动车占用盲道"}},
	{"muck_spill", 4, "cgj", []string{"construction_site", "main_road"}, 0.7,
		[]string{"{p}渣土车撒漏", "{p}路面有泥浆", "{p}工地车辆带泥上路"}},
	{"cooking_fumes", 72, "sthjj", []string{"commercial_street", "residential"}, 0.6,
		[]string{"{p}餐饮店油烟直排扰民", "{p}烧烤油烟大", "{p}饭店油烟净化器未开"}},
	{"noise", 24, "sthjj", []string{"residential", "construction_site", "commercial_street", "square"}, 0.6,
		[]string{"{p}夜间施工噪声扰民", "{p}广场舞音响声音过大", "{p}商铺高音喇叭揽客", "{p}空调外机噪声大"}},
	{"waterlogging", 6, "slj", []string{"main_road", "intersection", "back_alley"}, 0.6,
		[]string{"{p}道路积水严重", "{p}下雨后积水难排", "{p}雨水管堵塞积水"}},
	{"outdoor_ads", 72, "cgj", []string{"commercial_street", "main_road"}, 0.5,
		[]string{"{p}户外广告牌破损存在隐患", "{p}违规设置广告牌", "{p}店招店牌破损"}},
	{"market_order", 24, "scjgj", []string{"farmers_market"}, 0.9,
		[]string{"{p}摊位外溢", "{p}市场内秩序混乱", "{p}周边占道卖菜"}},
	{"public_toilet", 6, "cgj", []string{"public_toilet"}, 0.95,
		[]string{"{p}卫生差有异味", "{p}设施损坏", "{p}未按时开放"}},
}

// departmentNames mirrors the units that come with the schema.
var departmentNames = map[string]string{
	"cgj": "市城市管理局", "zjj": "市住房和城乡建设局", "jtj": "市交通运输局", "sthjj": "市生态环境局",
	"scjgj": "市市场监督管理局", "slj": "市水利局", "yllhj": "市园林绿化管理处", "gaj": "市公安局交警大队",
	"gdgs": "国网宜兴市供电公司", "swgs": "宜兴市水务集团",
}

// seasonal scales a category's frequency by month (1..12): rain in the plum
// season, noise and fumes in summer.
func seasonal(code string, month int) float64 {
	switch code {
	case "waterlogging":
		return [...]float64{0.3, 0.3, 0.6, 1, 1.5, 3.5, 3.5, 2, 1.5, 0.8, 0.5, 0.3}[month-1]
	case "noise", "cooking_fumes", "street_vending":
		return [...]float64{0.85, 0.8, 0.9, 1, 1.1, 1.2, 1.3, 1.3, 1.1, 1, 0.9, 0.85}[month-1]
	case "muck_spill", "illegal_construction":
		return [...]float64{0.8, 0.6, 1, 1.1, 1.1, 1, 0.9, 1, 1.1, 1.1, 1.1, 1}[month-1]
	}
	return 1
}

// issueSource is a channel issues come in by.
type issueSource struct {
	code    string
	share   float64
	reject  float64 // share of its reports rejected (作废)
	merge   float64 // share merged as duplicates
	hours   string  // relative intake by local hour, one digit each
	weights []float64
}

// Category weights in issueCats order:
//
//	manhole light bin road guard shelter green sign | garbage stacked vending posting construct car bike muck fumes noise water ads market toilet
var issueSources = []issueSource{
	{"hotline_12345", 40, 0.06, 0.035, "111112468999889998886532",
		[]float64{3, 6, 2, 5, 1, 1, 2, 1, 8, 4, 10, 2, 8, 12, 3, 2, 10, 16, 4, 1, 3, 2}},
	{"grid_patrol", 30, 0.015, 0.005, "000000269999689997520000",
		[]float64{2, 2, 5, 2, 1, 1, 3, 1, 20, 12, 14, 12, 3, 6, 10, 2, 1, 1, 1, 4, 2, 1}},
	{"hotline_12319", 10, 0.05, 0.03, "111112468999889998886532",
		[]float64{12, 15, 4, 15, 4, 3, 6, 2, 6, 2, 2, 1, 10, 2, 1, 6, 2, 3, 8, 4, 1, 4}},
	{"citizen_app", 10, 0.04, 0.02, "111112357888788889987543",
		[]float64{4, 6, 4, 6, 1, 1, 2, 2, 12, 4, 8, 5, 3, 12, 8, 2, 3, 5, 3, 2, 2, 2}},
	{"inspection", 4, 0, 0, "000000000000000000000000", nil},
	{"sensor", 3, 0.08, 0, "555555555555555555555555",
		[]float64{35, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 10, 15, 40, 0, 0, 0}},
	{"open311", 3, 0.05, 0.02, "111112357888788889987543",
		[]float64{4, 6, 4, 6, 1, 1, 2, 2, 12, 4, 8, 5, 3, 12, 8, 2, 3, 5, 3, 2, 2, 2}},
}

// sensorDevices names the device that raises a sensor issue, by category.
var sensorDevices = map[string]string{
	"manhole_cover": "智能井盖传感器", "muck_spill": "渣土车智能监控", "cooking_fumes": "油烟在线监测仪",
	"noise": "噪声监测仪", "waterlogging": "积水监测仪",
}

func issueCatIndex(code string) int {
	for i, c := range issueCats {
		if c.code == code {
			return i
		}
	}
	return -1
}
