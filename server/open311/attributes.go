package open311

import (
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The datatypes of GeoReport v2 service attributes.
const (
	typeString = "string"
	typeNumber = "number"
	typeDate   = "datetime"
	typeText   = "text"
	typeSingle = "singlevaluelist"
	typeMulti  = "multivaluelist"
)

// Length limits of attribute values, in characters.
const (
	maxStringValue = 200
	maxTextValue   = 2000
)

// attrDef defines one attribute of a service, in both languages.
type attrDef struct {
	code     string
	datatype string
	required bool
	zh, en   string // the question
	// hintZH and hintEN become datatype_description: what a valid answer is.
	hintZH, hintEN string
	choices        []choice // for the list types
	min, max       float64  // the range of a number; min == max means any
	whole          bool     // a number must be an integer
}

// choice is one value of a list attribute.
type choice struct{ key, zh, en string }

// serviceExtra is what Open311 says of a category beyond the database's
// catalogue: the questions a reporter answers and search keywords. Categories
// are data and may be added without a release; one without an entry here simply
// has no attributes.
type serviceExtra struct {
	keywords string
	attrs    []attrDef
}

var extras = map[string]serviceExtra{
	"manhole_cover": {keywords: "井盖,窨井,manhole,cover", attrs: []attrDef{
		{code: "condition", datatype: typeSingle, required: true, zh: "井盖状况", en: "State of the cover",
			choices: []choice{{"missing", "缺失", "missing"}, {"broken", "破损", "broken"},
				{"displaced", "移位", "displaced"}, {"sunken", "下沉或凸起", "sunken or raised"}}},
		{code: "cover_kind", datatype: typeSingle, zh: "井盖类别（看井盖上的字）", en: "Kind of cover (as marked on it)",
			choices: []choice{{"sewage", "污水", "sewage"}, {"storm", "雨水", "storm water"},
				{"power", "电力", "power"}, {"telecom", "通信", "telecom"}, {"gas", "燃气", "gas"},
				{"unknown", "不清楚", "not known"}}},
	}},
	"street_light": {keywords: "路灯,灯杆,street light,lamp", attrs: []attrDef{
		{code: "fault", datatype: typeSingle, zh: "故障现象", en: "What is wrong",
			choices: []choice{{"dark", "不亮", "does not light"}, {"day", "白天常亮", "on during the day"},
				{"flicker", "闪烁", "flickers"}, {"pole", "灯杆倾斜或损坏", "pole leaning or damaged"}}},
		{code: "pole_number", datatype: typeString, zh: "灯杆编号", en: "Number on the pole",
			hintZH: "灯杆上喷涂的编号", hintEN: "the number painted on the pole"},
	}},
	"road_damage": {keywords: "道路,坑洼,路面,road,pothole", attrs: []attrDef{
		{code: "area_m2", datatype: typeNumber, zh: "破损面积（平方米）", en: "Damaged area (m²)",
			hintZH: "0.1 至 10000", hintEN: "0.1 to 10000", min: 0.1, max: 10000},
	}},
	"exposed_garbage": {keywords: "垃圾,garbage,litter", attrs: []attrDef{
		{code: "amount", datatype: typeSingle, zh: "垃圾量", en: "Amount",
			choices: []choice{{"small", "少量（小于1立方米）", "small (under 1 m³)"},
				{"medium", "较多（1至5立方米）", "medium (1 to 5 m³)"}, {"large", "大量（超过5立方米）", "large (over 5 m³)"}}},
	}},
	"street_vending": {keywords: "占道经营,摊贩,vendor,stall", attrs: []attrDef{
		{code: "stalls", datatype: typeNumber, zh: "摊位数", en: "Number of stalls",
			hintZH: "1 至 500 的整数", hintEN: "a whole number from 1 to 500", min: 1, max: 500, whole: true},
	}},
	"illegal_construction": {keywords: "违建,违章搭建,illegal building", attrs: []attrDef{
		{code: "started", datatype: typeDate, zh: "发现施工的时间", en: "When the building work was seen",
			hintZH: "W3C 日期时间，如 2026-05-01T09:00:00+08:00", hintEN: "a W3C datetime, e.g. 2026-05-01T09:00:00+08:00"},
	}},
	"car_parking": {keywords: "乱停车,违停,parking,car", attrs: []attrDef{
		{code: "plate_number", datatype: typeString, zh: "车牌号", en: "Plate number",
			hintZH: "如 苏B12345", hintEN: "e.g. 苏B12345"},
		{code: "blocking", datatype: typeMulti, zh: "占用或堵塞", en: "What the car blocks",
			choices: []choice{{"fire_lane", "消防通道", "fire lane"}, {"sidewalk", "人行道", "sidewalk"},
				{"tactile", "盲道", "tactile paving"}, {"entrance", "出入口", "an entrance"}}},
	}},
	"cooking_fumes": {keywords: "油烟,餐饮,fumes,restaurant", attrs: []attrDef{
		{code: "business_name", datatype: typeString, zh: "店铺名称", en: "Name of the restaurant"},
	}},
	"noise": {keywords: "噪声,噪音,扰民,noise", attrs: []attrDef{
		{code: "time_of_day", datatype: typeSingle, required: true, zh: "发生时段", en: "When it happens",
			choices: []choice{{"day", "昼间（6时至22时）", "daytime (06:00 to 22:00)"},
				{"night", "夜间（22时至次日6时）", "night (22:00 to 06:00)"}}},
		{code: "noise_source", datatype: typeSingle, zh: "噪声来源", en: "Source of the noise",
			choices: []choice{{"construction", "建筑施工", "construction"}, {"commercial", "商业经营", "shops"},
				{"entertainment", "娱乐场所", "entertainment venue"}, {"traffic", "交通", "traffic"},
				{"neighbour", "社会生活", "neighbours"}}},
		{code: "details", datatype: typeText, zh: "补充说明", en: "More details"},
	}},
	"waterlogging": {keywords: "积水,内涝,flood,waterlogging", attrs: []attrDef{
		{code: "depth_cm", datatype: typeNumber, zh: "积水深度（厘米）", en: "Depth of the water (cm)",
			hintZH: "1 至 300", hintEN: "1 to 300", min: 1, max: 300},
	}},
}

// attributes returns the attribute definitions of a category (nil for none).
func attributes(code string) []attrDef { return extras[code].attrs }

// keys lists the valid keys of a list attribute.
func (a attrDef) keys() []string {
	out := make([]string, len(a.choices))
	for i, c := range a.choices {
		out[i] = c.key
	}
	return out
}

// postedAttributes collects the attribute[CODE] and attribute[CODE][] values of
// a form by code (both spellings occur in clients), and the names of fields that
// start like attributes but are neither.
func postedAttributes(form url.Values) (byCode map[string][]string, malformed []string) {
	byCode = map[string][]string{}
	for name, vals := range form {
		rest, ok := strings.CutPrefix(name, "attribute[")
		if !ok {
			continue
		}
		code, ok := strings.CutSuffix(strings.TrimSuffix(rest, "[]"), "]")
		if !ok || code == "" || strings.ContainsAny(code, "[]") {
			malformed = append(malformed, name)
			continue
		}
		byCode[code] = append(byCode[code], nonBlank(vals)...)
	}
	slices.Sort(malformed)
	return byCode, malformed
}

func nonBlank(vals []string) []string {
	out := []string{}
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// checkAttributes validates the attributes a form posts for service code against
// the service's definition and returns them as the report event keeps them; it
// reports every problem at once, so that a client can fix its form in one round.
func checkAttributes(code string, form url.Values) (map[string]any, failure) {
	defs := attributes(code)
	posted, malformed := postedAttributes(form)
	var errs failure
	for _, name := range malformed {
		errs = append(errs, badRequest("%s is not of the form attribute[CODE]", name)...)
	}
	for _, name := range slices.Sorted(maps.Keys(posted)) {
		if !slices.ContainsFunc(defs, func(d attrDef) bool { return d.code == name }) {
			errs = append(errs, badRequest("attribute[%s] is not an attribute of service %s", name, code)...)
		}
	}
	out := map[string]any{}
	for _, d := range defs {
		v, err := d.check(posted[d.code])
		switch {
		case err != "":
			errs = append(errs, badRequest("attribute[%s] %s", d.code, err)...)
		case v != nil:
			out[d.code] = v
		}
	}
	return out, errs
}

// check validates the values given for one attribute: nil and "" when none
// were given, else the value to keep or what is wrong with them.
func (a attrDef) check(vals []string) (any, string) {
	switch {
	case len(vals) == 0 && a.required:
		return nil, "is required"
	case len(vals) == 0:
		return nil, ""
	case len(vals) > 1 && a.datatype != typeMulti:
		return nil, "takes one value"
	}
	v := vals[0]
	switch a.datatype {
	case typeNumber:
		return a.checkNumber(v)
	case typeDate:
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return nil, "is a W3C datetime such as 2026-05-01T09:00:00+08:00"
		}
		return t.Format(time.RFC3339), ""
	case typeSingle:
		if !slices.Contains(a.keys(), v) {
			return nil, "is one of " + strings.Join(a.keys(), ", ")
		}
		return v, ""
	case typeMulti:
		return a.checkKeys(vals)
	case typeText:
		return checkText(v, maxTextValue)
	}
	return checkText(v, maxStringValue)
}

func (a attrDef) checkNumber(v string) (any, string) {
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
		return nil, "is a number"
	}
	if a.whole && n != math.Trunc(n) {
		return nil, "is a whole number"
	}
	if a.min != a.max && (n < a.min || n > a.max) {
		return nil, "is a number from " + strconv.FormatFloat(a.min, 'f', -1, 64) +
			" to " + strconv.FormatFloat(a.max, 'f', -1, 64)
	}
	return n, ""
}

// checkKeys validates the keys of a multivaluelist, keeping each once.
func (a attrDef) checkKeys(vals []string) (any, string) {
	var keys []string
	for _, v := range vals {
		if !slices.Contains(a.keys(), v) {
			return nil, "takes values from " + strings.Join(a.keys(), ", ")
		}
		if !slices.Contains(keys, v) {
			keys = append(keys, v)
		}
	}
	return keys, ""
}

// checkText accepts text PostgreSQL can store within a length limit.
func checkText(v string, limit int) (any, string) {
	if strings.ContainsRune(v, 0) {
		return nil, "contains a NUL character"
	}
	if utf8.RuneCountInString(v) > limit {
		return nil, "has more than " + strconv.Itoa(limit) + " characters"
	}
	return v, ""
}
