package bulletins

import (
	"context"
	"fmt"
	"time"

	"citymap/server/period"
	"citymap/server/store"
	"citymap/server/table"
)

// Figures are a bulletin's content: every section as the report it comes
// from answered it for the period (columns and rows), the accountability
// list and the map of the area ranking. Frozen, they are stored as JSON and
// rendered from there, never recomputed.
type Figures struct {
	Period      string         `json:"period"`
	From        time.Time      `json:"from"`
	To          time.Time      `json:"to"`
	Label       string         `json:"label"`
	EvaluatedAt time.Time      `json:"evaluated_at"`
	Thresholds  Thresholds     `json:"thresholds"`
	Sections    []Section      `json:"sections"`
	Accountable Accountability `json:"accountability"`
	Map         *AreaMap       `json:"map"`
	// Names are the Chinese names of the codes the sections hold (point
	// categories), for printing.
	Names map[string]string `json:"names"`
}

// Section is one table of the bulletin: Source names the report (and its
// parameters) whose rows it holds.
type Section struct {
	Key     string   `json:"key"`
	Title   string   `json:"title"`
	Source  string   `json:"source"`
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
}

// builder assembles one period's figures; the providers add the sections in
// order and the later ones may read what the earlier ones found.
type builder struct {
	st  *store.Store
	rng period.Range
	now time.Time
	th  Thresholds
	// tables are the reports read so far, by section key
	tables map[string]*table.Table
	f      *Figures
}

// provider adds one section (or nothing) to the figures.
type provider func(ctx context.Context, b *builder) error

// providers are the bulletin's sections in order. A later merge adds the
// questionnaire results where questionnaires stands.
var providers = []provider{
	pointList, unitList, areaList, unitLosses, overdueWork, indicatorLosses, declarationsDone,
	questionnaires, accountability, areaMap, names,
}

// names keeps the point categories' Chinese names.
func names(ctx context.Context, b *builder) error {
	var err error
	b.f.Names, err = b.st.PointCategoryNames(ctx)
	return err
}

// Assemble reads the figures of the period rng at now, city-wide.
func Assemble(ctx context.Context, st *store.Store, rng period.Range, now time.Time, th Thresholds) (*Figures, error) {
	at := rng.To
	if now.Before(at) {
		at = now.Truncate(time.Second)
	}
	b := &builder{st: st, rng: rng, now: now, th: th, tables: map[string]*table.Table{},
		f: &Figures{Period: rng.Kind, From: rng.From.In(period.Zone), To: rng.To.In(period.Zone),
			Label: Label(rng), EvaluatedAt: at.In(period.Zone), Thresholds: th, Sections: []Section{}}}
	for _, p := range providers {
		if err := p(ctx, b); err != nil {
			return nil, err
		}
	}
	return b.f, nil
}

// filter is the reports' filter of the period, city-wide, judged at the
// instant the reports' handlers judge it (min(to, now) to the second).
func (b *builder) filter() store.ReportFilter {
	at := b.rng.To
	if b.now.Before(at) {
		at = b.now.Truncate(time.Second)
	}
	return store.ReportFilter{From: b.rng.From, To: b.rng.To, Zone: period.ZoneName, At: at}
}

func (b *builder) lossFilter() store.LossFilter {
	prev := b.rng.Previous()
	return store.LossFilter{ReportFilter: b.filter(), PrevFrom: prev.From, PrevTo: prev.To, Now: b.now}
}

// add keeps t as a section (and for the later providers).
func (b *builder) add(key, title, source string, t *table.Table) {
	b.tables[key] = t
	rows := t.Rows
	if rows == nil {
		rows = [][]any{}
	}
	for _, r := range rows {
		for i, v := range r {
			if tv, ok := v.(time.Time); ok {
				r[i] = tv.In(period.Zone)
			}
		}
	}
	b.f.Sections = append(b.f.Sections, Section{Key: key, Title: title, Source: source, Columns: t.Columns, Rows: rows})
}

// query is the reports' parameters of the period (a year, which the
// reports do not name, by its from and to).
func (b *builder) query() string {
	from := b.rng.From.In(period.Zone)
	if b.rng.Kind == period.Year {
		return fmt.Sprintf("from=%s&to=%s", from.Format(time.DateOnly), b.rng.To.In(period.Zone).AddDate(0, 0, -1).Format(time.DateOnly))
	}
	return fmt.Sprintf("period=%s&date=%s", b.rng.Kind, from.Format(time.DateOnly))
}

func (b *builder) ranking(entity, level string, rng period.Range) (store.Ranking, store.ReportFilter) {
	prev := rng.Previous()
	f := b.filter()
	f.From, f.To = rng.From, rng.To
	return store.Ranking{Entity: entity, Level: level, Metric: store.MetricScore, N: b.th.ListLength,
		PrevFrom: prev.From, PrevTo: prev.To}, f
}

func rankSection(entity, level, key, title string) provider {
	return func(ctx context.Context, b *builder) error {
		rk, f := b.ranking(entity, level, b.rng)
		t, err := b.st.RankingReport(ctx, rk, f)
		if err != nil {
			return err
		}
		src := fmt.Sprintf("/api/v1/reports/redblack?entity=%s&metric=score&n=%d&", entity, rk.N)
		if level != "" {
			src += "level=" + level + "&"
		}
		b.add(key, title, src+b.query(), t)
		return nil
	}
}

var (
	pointList = rankSection(store.RankPoints, "", "points", "点位红黑榜")
	unitList  = rankSection(store.RankUnits, "", "units", "责任单位红黑榜")
	areaList  = rankSection(store.RankAreas, "street", "areas", "街道红黑榜")
)

// unitLosses is 谁丢分谁负责: the units report.
func unitLosses(ctx context.Context, b *builder) error {
	t, err := b.st.UnitLossReport(ctx, b.lossFilter())
	if err != nil {
		return err
	}
	b.add("unit_losses", "责任单位丢分", "/api/v1/reports/units?"+b.query(), t)
	return nil
}

// overdueWork is the units report's rows of units with overdue cases or
// tasks: overdue_cases = cases_due − cases_closed (due by the end of the
// period and not closed by then).
func overdueWork(_ context.Context, b *builder) error {
	src := b.tables["unit_losses"]
	cols := []string{"unit", "name", "cases_due", "cases_closed", "overdue_cases", "closure_rate", "on_time_rate",
		"tasks", "tasks_done", "tasks_overdue"}
	out := &table.Table{Columns: cols, Rows: [][]any{}}
	for _, r := range src.Rows {
		due, closed := num(src, r, "cases_due"), num(src, r, "cases_closed")
		if due-closed <= 0 && num(src, r, "tasks_overdue") <= 0 {
			continue
		}
		out.Rows = append(out.Rows, []any{val(src, r, "unit"), val(src, r, "name"), val(src, r, "cases_due"),
			val(src, r, "cases_closed"), int64(due - closed), val(src, r, "closure_rate"), val(src, r, "on_time_rate"),
			val(src, r, "tasks"), val(src, r, "tasks_done"), val(src, r, "tasks_overdue")})
	}
	b.add("overdue", "逾期案件与任务", "/api/v1/reports/units?"+b.query(), out)
	return nil
}

// indicatorLosses is the units report by indicator.
func indicatorLosses(ctx context.Context, b *builder) error {
	t, err := b.st.UnitIndicatorLossReport(ctx, b.lossFilter())
	if err != nil {
		return err
	}
	b.add("indicator_losses", "按单位和指标丢分", "/api/v1/reports/units?by=indicator&"+b.query(), t)
	return nil
}

// declarationsDone is the declarations' completeness of the declarations
// whose period ends in the bulletin's, judged at now.
func declarationsDone(ctx context.Context, b *builder) error {
	prev := b.rng.Previous()
	t, err := b.st.DeclarationReport(ctx, store.DeclarationReportFilter{From: b.rng.From, To: b.rng.To,
		PrevFrom: prev.From, PrevTo: prev.To, By: "unit", Now: b.now})
	if err != nil {
		return err
	}
	b.add("declarations", "网上申报完成情况", "/api/v1/reports/declarations?by=unit&"+b.query(), t)
	return nil
}

// questionnaires is the hook of the questionnaire results (问卷调查): the
// questionnaire indicators lose no points at inspections, so no report has
// their figures yet. The surveys' report (/api/v1/reports/surveys) fills
// this section in when it exists.
func questionnaires(context.Context, *builder) error { return nil }

// AreaMap is the map figure: the streets' outlines with their score rank.
type AreaMap struct {
	Level   string    `json:"level"`
	ViewBox string    `json:"viewbox"`
	Areas   []MapArea `json:"areas"`
}

// MapArea is one street of the map, with its score (null: not inspected).
type MapArea struct {
	store.MapArea
	Value *float64 `json:"value"`
	Rank  *int64   `json:"rank"`
}

// mapTolerance is how far (metres) the map's outlines may stray from the
// streets': far below what an A4 page shows, and it keeps the figures small.
const mapTolerance = 25

// areaMap is the choropleth of the streets by score: every ranked street's
// value (the red/black list with room for all).
func areaMap(ctx context.Context, b *builder) error {
	rk, f := b.ranking(store.RankAreas, "street", b.rng)
	rk.N = 10000
	t, err := b.st.RankingReport(ctx, rk, f)
	if err != nil {
		return err
	}
	score := map[string][2]any{}
	for _, r := range t.Rows {
		if val(t, r, "list") == "red" {
			score[fmt.Sprint(val(t, r, "code"))] = [2]any{val(t, r, "value"), val(t, r, "rank")}
		}
	}
	areas, box, err := b.st.AreaMap(ctx, "street", mapTolerance)
	if err != nil {
		return err
	}
	m := &AreaMap{Level: "street", ViewBox: box, Areas: []MapArea{}}
	for _, a := range areas {
		ma := MapArea{MapArea: a}
		if s, ok := score[a.Code]; ok {
			if v, ok := s[0].(float64); ok {
				ma.Value = &v
			}
			if k, ok := s[1].(int64); ok {
				ma.Rank = &k
			}
		}
		m.Areas = append(m.Areas, ma)
	}
	b.f.Map = m
	return nil
}

// col is the index of a table's column, -1 when it has none.
func col(t *table.Table, name string) int {
	for i, c := range t.Columns {
		if c == name {
			return i
		}
	}
	return -1
}

func val(t *table.Table, r []any, name string) any {
	if i := col(t, name); i >= 0 && i < len(r) {
		return r[i]
	}
	return nil
}

// num is a numeric cell as float64 (0 when null).
func num(t *table.Table, r []any, name string) float64 {
	switch v := val(t, r, name).(type) {
	case int64:
		return float64(v)
	case float64:
		return v
	case int:
		return float64(v)
	}
	return 0
}
