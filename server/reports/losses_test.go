package reports_test

import (
	"net/http"
	"strings"
	"testing"

	"citymap/server/access"
	"citymap/server/apitest"
)

// lossFixture adds to the fixture: units 甲 (fxa, a department) and 乙 (fxb,
// the office of street 329999001), two catalogue indicators, deductions on the
// fixture's inspections and tasks of 甲.
//
//	inspection       unit  deductions                                   counted
//	FX-P1 03-03      甲    FX.1 3, FX.2 2                               March
//	FX-P1 03-20      甲    FX.1 1, free-text 门前三包 1 (no code)       March (FX.1 only)
//	FX-P2 03-04      甲    FX.2 1                                       March
//	FX-P3 03-05      乙    FX.1 4, FX.2 2                               March
//	FX-P1 02-10      甲    FX.1 5                                       February
//	FX-P3 02-12      乙    FX.1 3, FX.2 3                               February
//
// March: 甲 lost 7 (FX.1 4, FX.2 3), rank 1; 乙 6, rank 2. February: 乙 6
// rank 1, 甲 5 rank 2. By indicator, March: FX.1 8 (rank 1), FX.2 5;
// February FX.1 8, FX.2 3. 甲's tasks due in March: one done, one overdue.
const lossFixture = `
INSERT INTO units (code, name, kind, area_code) VALUES ('fxa', '测试单位甲', 'department', NULL),
	('fxb', '测试单位乙', 'street_office', '329999001');
INSERT INTO indicators (code, name, kind, max_points, point_categories) VALUES
	('FX.1', '测试指标一', 'field', 5, '{back_alley,park}'), ('FX.2', '测试指标二', 'field', 3, '{back_alley,park}');
UPDATE inspections n SET deductions = v.d::jsonb FROM points p, (VALUES
	('FX-P1', '2020-03-03 10:00+08', '[{"indicator_code": "FX.1", "indicator": "测试指标一", "points": 3}, {"indicator_code": "FX.2", "indicator": "测试指标二", "points": 2}]'),
	('FX-P1', '2020-03-20 10:00+08', '[{"indicator_code": "FX.1", "indicator": "测试指标一", "points": 1}, {"indicator": "门前三包", "points": 1}]'),
	('FX-P2', '2020-03-04 10:00+08', '[{"indicator_code": "FX.2", "indicator": "测试指标二", "points": 1}]'),
	('FX-P3', '2020-03-05 10:00+08', '[{"indicator_code": "FX.1", "indicator": "测试指标一", "points": 4}, {"indicator_code": "FX.2", "indicator": "测试指标二", "points": 2}]'),
	('FX-P1', '2020-02-10 10:00+08', '[{"indicator_code": "FX.1", "indicator": "测试指标一", "points": 5}]'),
	('FX-P3', '2020-02-12 10:00+08', '[{"indicator_code": "FX.1", "indicator": "测试指标一", "points": 3}, {"indicator_code": "FX.2", "indicator": "测试指标二", "points": 3}]'))
	AS v(code, at, d)
	WHERE p.id = n.point_id AND p.code = v.code AND n.inspected_at = v.at::timestamptz;
INSERT INTO tasks (title, unit, due_at, status, done_at, created_by, created_at) VALUES
	('测试任务一', 'fxa', '2020-03-12 18:00+08', 'done', '2020-03-10 09:00+08', 'test', '2020-03-01 09:00+08'),
	('测试任务二', 'fxa', '2020-03-15 18:00+08', 'in_progress', NULL, 'test', '2020-03-01 09:00+08');
`

func withLosses(t *testing.T) *apitest.Env {
	t.Helper()
	e := withFixture(t)
	e.Exec(lossFixture)
	return e
}

func TestUnitLosses(t *testing.T) {
	e := withLosses(t)
	a := get(e, "/api/v1/reports/units?"+march, access.Planner)
	expect(t, "甲", row(t, a.Rows, "unit", "fxa"), map[string]any{"rank": 1.0, "name": "测试单位甲",
		"points_lost": 7.0, "deductions": 4.0, "previous_points_lost": 5.0, "delta": 2.0, "previous_rank": 2.0,
		"rank_change": 1.0, "tasks": 2.0, "tasks_done": 1.0, "tasks_overdue": 1.0, "cases_due": 0.0, "closure_rate": nil})
	expect(t, "乙", row(t, a.Rows, "unit", "fxb"), map[string]any{"rank": 2.0, "points_lost": 6.0,
		"previous_points_lost": 6.0, "delta": 0.0, "previous_rank": 1.0, "rank_change": -1.0, "tasks": 0.0})
	if top := row(t, a.Rows, "unit", "fxa")["top_indicators"].(string); !strings.HasPrefix(top, "FX.1 测试指标一 4") ||
		!strings.Contains(top, "FX.2") {
		t.Errorf("甲's costliest indicators: %q", top)
	}
	// a unit without lost points still shows its cases (the fixture's issues of cgj)
	expect(t, "cgj", row(t, a.Rows, "unit", "cgj"), map[string]any{"rank": nil, "points_lost": 0.0,
		"cases_due": 4.0, "cases_closed": 3.0, "closure_rate": 0.75, "on_time_rate": 0.5})
	// by indicator: one row per unit and indicator
	b := get(e, "/api/v1/reports/units?by=indicator&"+march, access.Planner)
	n := 0
	for _, r := range b.Rows {
		switch {
		case r["unit"] == "fxa" && r["indicator"] == "FX.1":
			n++
			expect(t, "甲 FX.1", r, map[string]any{"points_lost": 4.0, "deductions": 2.0, "points": 1.0})
		case r["unit"] == "fxb" && r["indicator"] == "FX.2":
			n++
			expect(t, "乙 FX.2", r, map[string]any{"points_lost": 2.0, "indicator_name": "测试指标二"})
		}
	}
	if n != 2 {
		t.Errorf("by indicator: %v", b.Rows)
	}
}

func TestIndicatorLosses(t *testing.T) {
	e := withLosses(t)
	a := get(e, "/api/v1/reports/indicators?"+march, access.Reviewer)
	expect(t, "FX.1", row(t, a.Rows, "indicator", "FX.1"), map[string]any{"rank": 1.0, "points_lost": 8.0,
		"deductions": 3.0, "points": 2.0, "inspections": 3.0, "previous_points_lost": 8.0, "delta": 0.0, "rank_change": 0.0})
	expect(t, "FX.2", row(t, a.Rows, "indicator", "FX.2"), map[string]any{"rank": 2.0, "points_lost": 5.0,
		"previous_points_lost": 3.0, "delta": 2.0})
	if len(a.Rows) != 2 {
		t.Errorf("%d indicators lost points in March 2020, want 2: %v", len(a.Rows), a.Rows)
	}
}

// Unit staff see their own unit's losses only; the formats follow the geometry.
func TestLossScopeAndFormats(t *testing.T) {
	e := withLosses(t)
	e.Tokens["fxa"] = e.UnitToken("test-fxa", "fxa")
	u := get(e, "/api/v1/reports/units?"+march, "fxa")
	if len(u.Rows) != 1 || u.Rows[0]["unit"] != "fxa" {
		t.Errorf("unit staff see %v", u.Rows)
	}
	i := get(e, "/api/v1/reports/indicators?"+march, "fxa")
	expect(t, "甲's FX.1", row(t, i.Rows, "indicator", "FX.1"), map[string]any{"points_lost": 4.0})
	// a grid manager's report holds its areas only: none of the fixture's
	if g := get(e, "/api/v1/reports/units?"+march, access.GridManager); len(g.Rows) != 0 {
		t.Errorf("a grid manager elsewhere sees %v", g.Rows)
	}
	// GeoJSON places a street office on its street
	var fc struct {
		Features []struct {
			ID       string
			Geometry *struct{ Type string }
		}
	}
	e.Get("/api/v1/reports/units?format=geojson&"+march, access.Planner).Decode(t, &fc)
	geo := map[string]bool{}
	for _, f := range fc.Features {
		geo[f.ID] = f.Geometry != nil
	}
	if !geo["fxb"] || geo["fxa"] {
		t.Errorf("geometries: %v", geo)
	}
	csv := e.Get("/api/v1/reports/indicators?format=csv&"+march, access.Planner)
	if !strings.Contains(string(csv.Body), "FX.1,测试指标一") {
		t.Errorf("CSV: %s", csv.Body)
	}
	for _, bad := range []string{"units?by=street&" + march, "indicators?format=geojson&" + march,
		"indicators?category=x&" + march, "units?from=yesterday"} {
		if r := e.Call("GET", "/api/v1/reports/"+bad, access.Planner, nil); r.Status < 400 || r.Status >= 500 {
			t.Errorf("%s: %d", bad, r.Status)
		}
	}
	e.Must(http.StatusForbidden, "GET", "/api/v1/reports/units?"+march, access.Reporter, nil)
}
