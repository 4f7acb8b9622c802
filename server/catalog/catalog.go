// Package catalog reads the city's indicator catalogue (测评体系) from its
// spreadsheet, CSV or XLSX, checks every row and writes the whole file through
// the store in one transaction: one bad row rejects the file, named by its line
// and the reason.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"citymap/server/sheet"
	"citymap/server/store"
)

// MaxFile bounds a catalogue file: a real one is some tens of kilobytes.
const MaxFile = 16 << 20

// RowError rejects a file because of one row.
type RowError struct {
	Line   int    // 1-based line of the CSV file or row of the sheet
	Code   string // the row's code, when it has one
	Field  string // the column
	Reason string
}

func (e *RowError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Reason)
	}
	return fmt.Sprintf("line %d (code %s): %s: %s", e.Line, e.Code, e.Field, e.Reason)
}

// Batch is a checked file.
type Batch struct {
	Rows  []store.IndicatorRow
	lines []int // the line of each row
}

// columns maps the header names a sheet may use (English or Chinese) to the
// fields they fill.
var columns = map[string]string{
	"code": "code", "编码": "code", "指标编码": "code",
	"parent": "parent", "parent_code": "parent", "上级编码": "parent", "上级指标": "parent",
	"name": "name", "名称": "name", "指标名称": "name",
	"kind": "kind", "类型": "kind", "测评方式": "kind",
	"max_points": "max_points", "分值": "max_points",
	"standard": "standard", "测评标准": "standard", "标准": "standard",
	"point_categories": "point_categories", "点位类型": "point_categories", "测评点位": "point_categories",
	"lead_unit": "lead_unit", "牵头单位": "lead_unit",
	"co_units": "co_units", "配合单位": "co_units", "责任单位": "co_units",
	"task_days": "task_days", "逾期转任务天数": "task_days",
	"declare_every": "declare_every", "申报周期": "declare_every",
	"declare_due_days": "declare_due_days", "申报期限天数": "declare_due_days", "申报期限": "declare_due_days",
}

// cadences maps how a sheet says how often an indicator is declared.
var cadences = map[string]string{
	"month": "month", "monthly": "month", "月": "month", "按月": "month", "每月": "month", "月度": "month",
	"quarter": "quarter", "quarterly": "quarter", "季": "quarter", "季度": "quarter", "按季": "quarter",
	"按季度": "quarter", "每季度": "quarter",
}

var kinds = map[string]string{
	"field": store.KindField, "实地考察": store.KindField,
	"declaration": store.KindDeclaration, "网上申报": store.KindDeclaration, "材料审核": store.KindDeclaration,
	"questionnaire": store.KindQuestionnaire, "问卷调查": store.KindQuestionnaire,
}

// Read decodes a catalogue from r: an XLSX workbook (its first sheet) or CSV
// in UTF-8 (package sheet).
func Read(r io.Reader) (*Batch, error) {
	records, lines, err := sheet.Read(r, MaxFile)
	if err != nil {
		return nil, err
	}
	return check(records, lines)
}

// check maps the header to fields and checks every row.
func check(records [][]string, lines []int) (*Batch, error) {
	// blank rows (a sheet's trailing ones) are skipped
	for len(records) > 0 && sheet.Blank(records[0]) {
		records, lines = records[1:], lines[1:]
	}
	if len(records) == 0 {
		return nil, errors.New("the file is empty: nothing to import")
	}
	index, err := header(records[0], lines[0])
	if err != nil {
		return nil, err
	}
	b := &Batch{}
	seen := map[string]int{}
	for i, rec := range records[1:] {
		if sheet.Blank(rec) {
			continue
		}
		line := lines[i+1]
		row, err := parseRow(rec, index, line)
		if err != nil {
			return nil, err
		}
		if first, dup := seen[row.Code]; dup {
			return nil, &RowError{Line: line, Code: row.Code, Field: "code",
				Reason: fmt.Sprintf("the code is already on line %d", first)}
		}
		seen[row.Code] = line
		b.Rows, b.lines = append(b.Rows, row), append(b.lines, line)
	}
	if len(b.Rows) == 0 {
		return nil, errors.New("the file has a header but no indicators: nothing to import")
	}
	return b, b.checkTree()
}

func header(rec []string, line int) (map[string]int, error) {
	index := map[string]int{}
	for i, h := range rec {
		h = strings.TrimSpace(strings.ToLower(h))
		field, ok := columns[h]
		if !ok {
			return nil, &RowError{Line: line, Field: h, Reason: "unknown column (code, parent, name, kind, " +
				"max_points, standard, point_categories, lead_unit, co_units, task_days, declare_every, declare_due_days)"}
		}
		if _, dup := index[field]; dup {
			return nil, &RowError{Line: line, Field: h, Reason: "the column " + field + " appears twice"}
		}
		index[field] = i
	}
	for _, need := range []string{"code", "name", "kind"} {
		if _, ok := index[need]; !ok {
			return nil, &RowError{Line: line, Field: need, Reason: "the header lacks the column " + need}
		}
	}
	return index, nil
}

// Limits of a row's text.
const (
	maxName     = 200
	maxStandard = 4000
)

func parseRow(rec []string, index map[string]int, line int) (store.IndicatorRow, error) {
	get := func(field string) string {
		i, ok := index[field]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	r := store.IndicatorRow{Code: get("code"), Parent: get("parent"), Name: get("name"),
		Standard: get("standard"), LeadUnit: get("lead_unit"),
		PointCategories: split(get("point_categories")), CoUnits: split(get("co_units"))}
	fail := func(field, format string, args ...any) error {
		return &RowError{Line: line, Code: r.Code, Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case r.Code == "":
		return r, fail("code", "required")
	case !validCode(r.Code):
		return r, fail("code", "a code is 1 to 40 letters, digits, dots, dashes or underscores")
	case r.Parent != "" && !validCode(r.Parent):
		return r, fail("parent", "%q is not an indicator code", r.Parent)
	case r.Parent == r.Code:
		return r, fail("parent", "an indicator cannot be its own parent")
	case r.Name == "":
		return r, fail("name", "required")
	case utf8.RuneCountInString(r.Name) > maxName:
		return r, fail("name", "at most %d characters", maxName)
	case utf8.RuneCountInString(r.Standard) > maxStandard:
		return r, fail("standard", "at most %d characters", maxStandard)
	}
	kind, ok := kinds[strings.ToLower(get("kind"))]
	if !ok {
		return r, fail("kind", "%q is not field (实地考察), declaration (网上申报) or questionnaire (问卷调查)", get("kind"))
	}
	r.Kind = kind
	if s := get("max_points"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || !(v > 0 && v <= 1000) || math.Abs(v*10-math.Round(v*10)) > 1e-6 {
			return r, fail("max_points", "%q is not a number of points in (0, 1000] with at most one decimal", s)
		}
		r.MaxPoints = &v
	}
	if s := get("task_days"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > 365 {
			return r, fail("task_days", "%q is not a number of days from 1 to 365", s)
		}
		r.TaskDays = &v
	}
	if err := parseDeclaring(&r, get, fail); err != nil {
		return r, err
	}
	if len(r.PointCategories) > 0 && r.Kind != store.KindField {
		return r, fail("point_categories", "only field indicators (实地考察) are checked at points")
	}
	return r, nil
}

func validCode(c string) bool {
	if c == "" || len(c) > 40 {
		return false
	}
	for i, ch := range c {
		alnum := ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z'
		if !alnum && (i == 0 || !strings.ContainsRune("._-", ch)) {
			return false
		}
	}
	return true
}

// split reads a list cell: values separated by commas, semicolons or the
// Chinese enumeration comma, as sheets write them.
func split(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(",;，；、\n", r) })
	out := []string{}
	for _, v := range f {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// checkTree checks what needs the whole file: a leaf (no row of the file is
// its child) carries its points, and a field leaf the point categories it is
// checked at.
func (b *Batch) checkTree() error {
	parents := map[string]bool{}
	for _, r := range b.Rows {
		parents[r.Parent] = true
	}
	for i, r := range b.Rows {
		if parents[r.Code] {
			continue
		}
		fail := func(field, reason string) error {
			return &RowError{Line: b.lines[i], Code: r.Code, Field: field, Reason: reason}
		}
		if r.MaxPoints == nil {
			return fail("max_points", "required for an indicator without sub-indicators")
		}
		if r.Kind == store.KindField && len(r.PointCategories) == 0 {
			return fail("point_categories", "a field indicator names the point categories it is checked at")
		}
	}
	return nil
}

// Import reads, checks and writes a catalogue in one transaction; a rejected
// row is a *RowError and nothing is written.
func Import(ctx context.Context, st *store.Store, r io.Reader, dryRun bool) (store.ImportCount, error) {
	b, err := Read(r)
	if err != nil {
		return store.ImportCount{}, err
	}
	counts, err := st.ImportIndicators(ctx, b.Rows, dryRun)
	if err != nil {
		return store.ImportCount{}, b.rowError(err)
	}
	return counts[0], nil
}

// ImportTx writes a checked batch inside tx (the demo city's seeder).
func (b *Batch) ImportTx(ctx context.Context, tx pgx.Tx) (store.ImportCount, error) {
	c, err := store.ImportIndicatorsTx(ctx, tx, b.Rows)
	return c, b.rowError(err)
}

// rowError names the line behind a row the database refused.
func (b *Batch) rowError(err error) error {
	var ie *store.ImportError
	if !errors.As(err, &ie) || ie.Row < 0 || ie.Row >= len(b.Rows) {
		if err != nil {
			return fmt.Errorf("writing the catalogue: %w", err)
		}
		return nil
	}
	return &RowError{Line: b.lines[ie.Row], Code: b.Rows[ie.Row].Code, Field: ie.Field, Reason: ie.Reason}
}

// parseDeclaring reads how often a declaration indicator is declared and how
// many days after the period it is due; other kinds leave both empty.
func parseDeclaring(r *store.IndicatorRow, get func(string) string, fail func(string, string, ...any) error) error {
	every, days := get("declare_every"), get("declare_due_days")
	if r.Kind != store.KindDeclaration {
		if every != "" || days != "" {
			return fail("declare_every", "only declaration indicators (网上申报) have a declaration cadence")
		}
		return nil
	}
	if every != "" {
		c, ok := cadences[strings.ToLower(every)]
		if !ok {
			return fail("declare_every", "%q is not month (按月) or quarter (按季度)", every)
		}
		r.DeclareEvery = c
	}
	if days != "" {
		v, err := strconv.Atoi(days)
		if err != nil || v < 0 || v > 90 {
			return fail("declare_due_days", "%q is not a number of days from 0 to 90", days)
		}
		r.DeclareDueDays = &v
	}
	return nil
}
