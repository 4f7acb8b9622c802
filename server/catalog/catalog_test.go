package catalog_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"citymap/server/catalog"
	"citymap/server/dbtest"
	"citymap/server/store"
)

// A small catalogue in the city's words: Chinese headers, kinds, unit names
// and categories by name, lists with the enumeration comma.
const sheet = `编码,上级编码,名称,类型,分值,测评标准,点位类型,牵头单位,配合单位,逾期转任务天数
X,,测试体系,实地考察,,,,,,
X.1,X,地面保洁,实地考察,5,无垃圾杂物,农贸市场、背街小巷,市城市管理局,sthjj；市市场监督管理局,3
X.2,X,公益宣传,field,3,公益广告充足,park,xcb,,
Y,,测试申报,网上申报,,,,,,
Y.1,Y,志愿服务,declaration,4,注册志愿者占比,,tw,,
`

func count(t *testing.T, st *store.Store, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := st.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportCSV(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	before := count(t, st, `SELECT count(*) FROM indicators`)
	c, err := catalog.Import(ctx, st, strings.NewReader("\xef\xbb\xbf"+sheet), false)
	if err != nil {
		t.Fatal(err)
	}
	if c.Created != 5 || c.Updated != 0 {
		t.Errorf("import: %+v, want 5 created", c)
	}
	if n := count(t, st, `SELECT count(*) FROM indicators WHERE code = 'X.1' AND parent_code = 'X' AND kind = 'field'
		AND max_points = 5 AND point_categories = '{farmers_market,back_alley}' AND lead_unit = 'cgj'
		AND co_units = '{sthjj,scjgj}' AND task_days = 3 AND standard = '无垃圾杂物'`); n != 1 {
		t.Errorf("X.1 not stored as written (names resolved to codes)")
	}
	// re-import updates by code and keeps the rest
	changed := strings.Replace(sheet, "X.2,X,公益宣传,field,3", "X.2,X,公益广告宣传,field,4", 1)
	if c, err = catalog.Import(ctx, st, strings.NewReader(changed), false); err != nil || c.Updated != 5 || c.Created != 0 {
		t.Fatalf("re-import: %+v %v", c, err)
	}
	if n := count(t, st, `SELECT count(*) FROM indicators WHERE code = 'X.2' AND name = '公益广告宣传' AND max_points = 4`); n != 1 {
		t.Error("re-import did not update X.2")
	}
	if n := count(t, st, `SELECT count(*) FROM indicators`); n != before+5 {
		t.Errorf("%d indicators after two imports, want %d", n, before+5)
	}
	// a dry run checks everything and writes nothing
	dry := strings.Replace(sheet, "X.1,X,地面保洁", "X.1,X,地面保洁（试）", 1) + "Z,,新体系,问卷调查,5,,,,,\n"
	if c, err = catalog.Import(ctx, st, strings.NewReader(dry), true); err != nil || c.Created != 1 {
		t.Fatalf("dry run: %+v %v", c, err)
	}
	if n := count(t, st, `SELECT count(*) FROM indicators WHERE code = 'Z' OR name = '地面保洁（试）'`); n != 0 {
		t.Error("the dry run wrote")
	}
}

func TestImportXLSX(t *testing.T) {
	st := dbtest.New(t)
	f := excelize.NewFile()
	for r, line := range strings.Split(strings.TrimSpace(sheet), "\n") {
		for c, v := range strings.Split(line, ",") {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if err := f.SetCellValue("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	c, err := catalog.Import(context.Background(), st, &buf, false)
	if err != nil || c.Created != 5 {
		t.Fatalf("XLSX import: %+v %v", c, err)
	}
	if n := count(t, st, `SELECT count(*) FROM indicators WHERE code = 'Y.1' AND kind = 'declaration' AND lead_unit = 'tw'`); n != 1 {
		t.Error("Y.1 not stored")
	}
}

// One bad row rejects the file, named by its line, field and reason, and
// nothing is written.
const declHeader = "code,parent,name,kind,max_points,standard,point_categories,lead_unit,co_units,task_days,申报周期,申报期限天数\n"

// TestImportCadence: a declaration indicator's cadence and deadline, in
// English or Chinese, default monthly and 10 days; the API shows them on
// declaration indicators only.
func TestImportCadence(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	file := declHeader + "D,,申报,declaration,,,,,,,,\nD.1,D,台账一,declaration,3,,,cgj,,,按季度,15\n" +
		"D.2,D,台账二,declaration,3,,,cgj,,,,\nD.3,D,台账三,declaration,3,,,cgj,,,month,0\n"
	if _, err := catalog.Import(ctx, st, strings.NewReader(file), false); err != nil {
		t.Fatal(err)
	}
	if n := count(t, st, `SELECT count(*) FROM indicators WHERE (code, declare_every, declare_due_days) IN
		(('D.1', 'quarter', 15), ('D.2', 'month', 10), ('D.3', 'month', 0))`); n != 3 {
		t.Errorf("%d of 3 cadences stored as written", n)
	}
	roots, err := st.Indicators(ctx, store.IndicatorFilter{Kind: store.KindDeclaration})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range roots {
		for _, c := range r.Children {
			if c.Code == "D.1" {
				found = true
				if c.DeclareEvery == nil || *c.DeclareEvery != "quarter" || *c.DeclareDueDays != 15 {
					t.Errorf("D.1 as the API shows it: %v %v", c.DeclareEvery, c.DeclareDueDays)
				}
			}
		}
	}
	if !found {
		t.Error("D.1 is not in the declaration tree")
	}
}

func TestImportBadRows(t *testing.T) {
	st := dbtest.New(t)
	header := "code,parent,name,kind,max_points,standard,point_categories,lead_unit,co_units,task_days\n"
	good := "G,,好指标,field,2,,park,cgj,,\n"
	cases := []struct {
		name, file string
		line       int
		field      string
	}{
		{"no code", header + good + ",,无编码,field,2,,park,,,\n", 3, "code"},
		{"bad code", header + good + "a b,,x,field,2,,park,,,\n", 3, "code"},
		{"duplicate code", header + good + "G,,又一个,field,2,,park,,,\n", 3, "code"},
		{"no name", header + good + "H,,,field,2,,park,,,\n", 3, "name"},
		{"unknown kind", header + good + "H,,x,inspection,2,,park,,,\n", 3, "kind"},
		{"bad points", header + good + "H,,x,field,two,,park,,,\n", 3, "max_points"},
		{"points of a leaf", header + good + "H,,x,field,,,park,,,\n", 3, "max_points"},
		{"field leaf without categories", header + good + "H,,x,field,2,,,,,\n", 3, "point_categories"},
		{"categories on a declaration", header + good + "H,,x,declaration,2,,park,,,\n", 3, "point_categories"},
		{"bad task days", header + good + "H,,x,field,2,,park,,,0\n", 3, "task_days"},
		{"bad cadence", declHeader + "H,,x,declaration,2,,,,,,weekly,\n", 2, "declare_every"},
		{"bad due days", declHeader + "H,,x,declaration,2,,,,,,month,91\n", 2, "declare_due_days"},
		{"cadence on a field indicator", declHeader + "H,,x,field,2,,park,,,,month,\n", 2, "declare_every"},
		{"unknown category", header + good + "H,,x,field,2,,菜市场,,,\n", 3, "point_categories"},
		{"unknown lead unit", header + good + "H,,x,field,2,,park,no_such_unit,,\n", 3, "lead_unit"},
		{"unknown co-unit", header + good + "H,,x,field,2,,park,cgj,市城管局；no_such,\n", 3, "co_units"},
		{"unknown parent", header + good + "H,NOPE,x,field,2,,park,,,\n", 3, "parent"},
		{"own parent", header + good + "H,H,x,field,2,,park,,,\n", 3, "parent"},
		{"cycle", header + "H,K,x,field,2,,park,,,\nK,H,y,field,2,,park,,,\n", 2, "parent"},
		{"unknown column", "code,name,kind,colour\n", 1, "colour"},
		{"missing column", "code,name\nA,x\n", 1, "kind"},
	}
	before := count(t, st, `SELECT count(*) FROM indicators`)
	for _, c := range cases {
		_, err := catalog.Import(context.Background(), st, strings.NewReader(c.file), false)
		var re *catalog.RowError
		if !errors.As(err, &re) || re.Line != c.line || re.Field != c.field || re.Reason == "" {
			t.Errorf("%s: %v, want line %d field %s", c.name, err, c.line, c.field)
		}
	}
	for _, bad := range []string{"", header, "\xff\xfe,bad"} {
		if _, err := catalog.Import(context.Background(), st, strings.NewReader(bad), false); err == nil {
			t.Errorf("file %q was accepted", bad)
		}
	}
	if n := count(t, st, `SELECT count(*) FROM indicators`); n != before {
		t.Errorf("rejected files wrote %d indicators", n-before)
	}
}

// The demo city ships a realistic catalogue: at least 60 leaves over the 16
// point categories and the declaration part.
func TestDemoCatalogue(t *testing.T) {
	st := dbtest.New(t)
	leaves := `FROM indicators i WHERE NOT EXISTS (SELECT 1 FROM indicators c WHERE c.parent_code = i.code)`
	if n := count(t, st, `SELECT count(*) `+leaves); n < 60 {
		t.Errorf("%d leaf indicators, want at least 60", n)
	}
	if n := count(t, st, `SELECT count(DISTINCT c) FROM indicators i CROSS JOIN unnest(i.point_categories) c
		WHERE NOT EXISTS (SELECT 1 FROM indicators k WHERE k.parent_code = i.code)`); n != 16 {
		t.Errorf("field leaves cover %d point categories, want 16", n)
	}
	if n := count(t, st, `SELECT count(*) `+leaves+` AND kind = 'declaration' AND lead_unit IS NOT NULL`); n < 10 {
		t.Errorf("%d declaration leaves with a lead unit", n)
	}
	if n := count(t, st, `SELECT count(*) `+leaves+` AND name !~ '[\u4e00-\u9fff]'`); n != 0 {
		t.Errorf("%d leaves are not named in Chinese", n)
	}
}
