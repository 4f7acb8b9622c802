package bulletins

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"citymap/server/period"
	"citymap/server/store"
)

//go:embed bulletin.html
var pageFS embed.FS

var pageTemplate = template.Must(template.ParseFS(pageFS, "bulletin.html"))

// htmlPolicy lets the printable page have its own style and nothing else:
// no script, no request anywhere; only the review desk (same origin) may
// frame it, to show and print it.
const htmlPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"

// maxPrintRows bounds a printed table; the JSON holds every row.
const maxPrintRows = 30

// column is a printed column: the report's column and its heading.
type column struct{ name, label string }

// printed is what each section prints, and which of its rows.
var printed = map[string]struct {
	cols []column
	keep func(s Section, r []any) bool
}{
	"points": {cols: []column{{"list", "榜单"}, {"rank", "名次"}, {"code", "点位编码"}, {"name", "点位"}, {"category", "类型"},
		{"unit", "责任单位"}, {"value", "得分"}, {"inspections", "测评次数"}, {"previous_rank", "上期名次"}}},
	"units": {cols: []column{{"list", "榜单"}, {"rank", "名次"}, {"unit", "责任单位"}, {"value", "平均得分"}, {"points", "点位数"},
		{"previous_rank", "上期名次"}, {"rank_change", "名次变化"}}},
	"areas": {cols: []column{{"list", "榜单"}, {"rank", "名次"}, {"name", "街道"}, {"value", "平均得分"}, {"points", "点位数"},
		{"leader", "挂钩领导"}, {"previous_rank", "上期名次"}}},
	"unit_losses": {cols: []column{{"rank", "丢分排名"}, {"name", "责任单位"}, {"points_lost", "丢分"}, {"deductions", "扣分次数"},
		{"top_indicators", "主要丢分指标"}, {"closure_rate", "结案率"}, {"on_time_rate", "按期结案率"}, {"rank_change", "名次变化"}},
		keep: func(s Section, r []any) bool { return cell(s, r, "rank") != nil }},
	"overdue": {cols: []column{{"name", "责任单位"}, {"cases_due", "应结案"}, {"cases_closed", "已结案"}, {"overdue_cases", "逾期未结"},
		{"on_time_rate", "按期结案率"}, {"tasks", "到期任务"}, {"tasks_overdue", "逾期任务"}}},
	"indicator_losses": {cols: []column{{"unit_name", "责任单位"}, {"indicator", "指标编码"}, {"indicator_name", "指标"},
		{"points_lost", "丢分"}, {"deductions", "扣分次数"}, {"points", "点位数"}}},
	"declarations": {cols: []column{{"unit_name", "责任单位"}, {"owed", "应申报"}, {"submitted", "已提交"}, {"accepted", "已通过"},
		{"returned", "退回"}, {"late", "逾期"}, {"completion_rate", "完成率"}},
		keep: func(s Section, r []any) bool {
			return number(cell(s, r, "late")) > 0 || number(cell(s, r, "accepted")) < number(cell(s, r, "owed"))
		}},
}

var listNames = map[string]string{"red": "红榜", "black": "黑榜"}

type page struct {
	Title, Issue, Label, Notes, Status, EvaluatedAt, Thresholds string
	Sections                                                    []pageSection
	Interview, Reward                                           []Proposal
	Map                                                         *pageMap
}

type pageSection struct {
	Title   string
	Headers []string
	Rows    [][]string
	More    int
}

type pageMap struct {
	ViewBox  string
	Areas    []pageArea
	Legend   []pageArea
	FontSize float64 // of the names, in the map's units (metres)
}

type pageArea struct {
	Path, Fill, Label, Name string
	X, Y                    float64
}

// Render writes the printable HTML of a bulletin from its stored figures.
func Render(b store.Bulletin) ([]byte, error) {
	var f Figures
	if err := json.Unmarshal(b.Figures, &f); err != nil {
		return nil, fmt.Errorf("bulletin %d: figures: %w", b.ID, err)
	}
	p := page{Title: b.Title, Issue: Issue(b), Label: f.Label, Notes: b.Notes, Status: b.Status,
		EvaluatedAt: f.EvaluatedAt.In(period.Zone).Format("2006年1月2日 15:04"), Thresholds: thresholdText(f.Thresholds),
		Interview: f.Accountable.Interview, Reward: f.Accountable.Reward, Map: mapOf(f.Map)}
	for _, s := range f.Sections {
		p.Sections = append(p.Sections, sectionOf(s, f.Names))
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func sectionOf(s Section, names map[string]string) pageSection {
	spec, ok := printed[s.Key]
	ps := pageSection{Title: s.Title}
	cols := spec.cols
	if !ok {
		// a section this printer does not know yet (a later provider's): all
		// of its columns as they are named
		for _, c := range s.Columns {
			cols = append(cols, column{c, c})
		}
	}
	for _, c := range cols {
		ps.Headers = append(ps.Headers, c.label)
	}
	for _, r := range s.Rows {
		if spec.keep != nil && !spec.keep(s, r) {
			continue
		}
		if len(ps.Rows) == maxPrintRows {
			ps.More++
			continue
		}
		line := make([]string, len(cols))
		for i, c := range cols {
			v := cell(s, r, c.name)
			if n, ok := names[fmt.Sprint(v)]; ok && c.name == "category" {
				v = n
			}
			line[i] = format(c.name, v)
		}
		ps.Rows = append(ps.Rows, line)
	}
	return ps
}

func cell(s Section, r []any, name string) any {
	for i, c := range s.Columns {
		if c == name && i < len(r) {
			return r[i]
		}
	}
	return nil
}

func number(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	}
	return 0
}

// format prints a cell: rates as percentages, lists by their Chinese names.
func format(name string, v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case string:
		if name == "list" {
			return listNames[x]
		}
		return x
	case bool:
		if x {
			return "是"
		}
		return "否"
	case float64, int64:
		f := number(x)
		if strings.HasSuffix(name, "_rate") {
			return percent(f)
		}
		if name == "rank_change" && f > 0 {
			return "↑" + trim(f)
		}
		if name == "rank_change" && f < 0 {
			return "↓" + trim(-f)
		}
		return trim(f)
	}
	return fmt.Sprint(v)
}

func thresholdText(th Thresholds) string {
	parts := []string{}
	if th.BlackTwice {
		parts = append(parts, fmt.Sprintf("连续两期列入黑榜后%d名", th.BlackN))
	}
	if th.PointsLost > 0 {
		parts = append(parts, "丢分超过"+trim(th.PointsLost)+"分")
	}
	parts = append(parts, fmt.Sprintf("按期结案率低于%s（应结案不少于%d件）", percent(th.OnTimeRate), th.MinCases),
		"申报有逾期且完成率低于"+percent(th.CompletionRate))
	return strings.Join(parts, "；") + "。奖补：红榜前列、未列入约谈且不在黑榜后" + strconv.Itoa(th.BlackN) + "名的" + strconv.Itoa(th.Reward) + "个单位。"
}

// The map's colours, worst to best (the black list's end to the red's).
var mapColours = []string{"#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac"}

const noScore = "#e5e5e5"

// mapOf draws the streets by score in len(mapColours) equal classes from the
// lowest to the highest score.
func mapOf(m *AreaMap) *pageMap {
	if m == nil || len(m.Areas) == 0 {
		return nil
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, a := range m.Areas {
		if a.Value != nil {
			lo, hi = math.Min(lo, *a.Value), math.Max(hi, *a.Value)
		}
	}
	class := func(v float64) int {
		if hi <= lo {
			return len(mapColours) - 1
		}
		return min(int((v-lo)/(hi-lo)*float64(len(mapColours))), len(mapColours)-1)
	}
	pm := &pageMap{ViewBox: m.ViewBox, FontSize: fontSize(m.ViewBox)}
	for _, a := range m.Areas {
		pa := pageArea{Path: a.Path, Fill: noScore, Label: a.Name + "：未测评", Name: a.Name, X: a.X, Y: a.Y}
		if a.Value != nil {
			pa.Fill = mapColours[class(*a.Value)]
			pa.Label = fmt.Sprintf("%s：%s分", a.Name, trim(*a.Value))
			if a.Rank != nil {
				pa.Label += fmt.Sprintf("，第%d名", *a.Rank)
			}
		}
		pm.Areas = append(pm.Areas, pa)
	}
	if !math.IsInf(lo, 0) {
		step := (hi - lo) / float64(len(mapColours))
		for i, c := range mapColours {
			pm.Legend = append(pm.Legend, pageArea{Fill: c, Label: fmt.Sprintf("%s–%s", trim(lo+step*float64(i)), trim(lo+step*float64(i+1)))})
		}
	}
	pm.Legend = append(pm.Legend, pageArea{Fill: noScore, Label: "未测评"})
	return pm
}

// fontSize is the names' size on the map: 1/45 of its width, so about 8pt
// on the page whatever the city's extent.
func fontSize(viewBox string) float64 {
	var x, y, w, h float64
	if _, err := fmt.Sscan(viewBox, &x, &y, &w, &h); err != nil || w <= 0 {
		return 1
	}
	return math.Round(w / 45)
}

// html is GET /api/v1/bulletins/{id}.html.
func (a *API) html(w http.ResponseWriter, r *http.Request, b store.Bulletin) {
	body, err := Render(b)
	if err != nil {
		http.Error(w, "", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Security-Policy", htmlPolicy)
	w.Header().Set("X-Frame-Options", "SAMEORIGIN")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "private, no-cache")
	_, _ = w.Write(body)
}

// Stored is the stored form of a period's figures.
func Stored(rng period.Range, f *Figures, title, notes string, now time.Time, by string) (store.Bulletin, error) {
	raw, err := json.Marshal(f)
	if err != nil {
		return store.Bulletin{}, err
	}
	if title == "" {
		title = DefaultTitle(rng)
	}
	return store.Bulletin{Kind: rng.Kind, From: rng.From, To: rng.To, Year: rng.From.In(period.Zone).Year(),
		Title: title, Notes: notes, Figures: raw, CreatedAt: now, CreatedBy: by}, nil
}
