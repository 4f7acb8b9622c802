package bulletins_test

import (
	"encoding/json"
	"testing"
	"time"

	"citymap/server"
	"citymap/server/apitest"
	"citymap/server/period"
)

// The fixture: a district of its own far from the demo city (329999, one
// street 329999001 and its community and grid), units 甲 (fxa) and 乙 (fxb),
// three points and their inspections with deductions in February and March
// 2020, cases of cgj in March, and two tasks of 甲 due in March.
//
//	point  unit  inspections (score, deductions)
//	FX-P1  甲    02-10 80 (FX.1 5); 03-03 95 (FX.1 3, FX.2 2); 03-20 97 (FX.1 1)
//	FX-P2  甲    02-11 92; 03-04 90 (FX.2 1)
//	FX-P3  乙    02-12 75 (FX.1 3, FX.2 3); 03-05 70 (FX.1 4, FX.2 2)
//
// March: 甲 scores (96 + 90) / 2 = 93 and lost 7, 乙 scores 70 and lost 6;
// February: 甲 86, 乙 75. cgj: 4 cases due in March, 3 closed, 2 of them on
// time (on-time rate 0.5). 甲 owes a declaration for March, due 11 April and
// still a draft (late at the tests' clock).
const fixture = `
INSERT INTO areas (code, name, level, parent_id, geom)
	VALUES ('329999', '测试区', 'district', NULL, ST_Multi(ST_MakeEnvelope(121.0, 30.0, 121.2, 30.1, 4326)));
INSERT INTO areas (code, name, level, parent_id, geom)
	SELECT '329999001', '测试街道', 'street', id, geom FROM areas WHERE code = '329999';
INSERT INTO areas (code, name, level, parent_id, geom)
	SELECT '329999001001', '测试社区', 'community', id, geom FROM areas WHERE code = '329999001';
INSERT INTO areas (code, name, level, parent_id, geom)
	SELECT '32999900100101', '测试网格一', 'grid', id, geom FROM areas WHERE code = '329999001001';
INSERT INTO units (code, name, kind, area_code) VALUES ('fxa', '测试单位甲', 'department', NULL),
	('fxb', '测试单位乙', 'street_office', '329999001');
INSERT INTO indicators (code, name, kind, max_points, point_categories) VALUES
	('FX.1', '测试指标一', 'field', 5, '{back_alley,park}'), ('FX.2', '测试指标二', 'field', 3, '{back_alley,park}');
INSERT INTO points (code, name, category, grid_code, unit, geom) VALUES
	('FX-P1', '测试点一', 'back_alley', '32999900100101', '测试单位甲', ST_SetSRID(ST_MakePoint(121.02, 30.02), 4326)),
	('FX-P2', '测试点二', 'back_alley', '32999900100101', '测试单位甲', ST_SetSRID(ST_MakePoint(121.03, 30.03), 4326)),
	('FX-P3', '测试点三', 'park', '32999900100101', '测试单位乙', ST_SetSRID(ST_MakePoint(121.13, 30.03), 4326));
INSERT INTO inspections (point_id, inspected_at, inspector, score, deductions)
	SELECT p.id, v.at::timestamptz, '测试督查员', v.score, v.d::jsonb FROM (VALUES
		('FX-P1', '2020-03-03 10:00+08', 95, '[{"indicator_code": "FX.1", "indicator": "测试指标一", "points": 3}, {"indicator_code": "FX.2", "indicator": "测试指标二", "points": 2}]'),
		('FX-P1', '2020-03-20 10:00+08', 97, '[{"indicator_code": "FX.1", "indicator": "测试指标一", "points": 1}]'),
		('FX-P1', '2020-02-10 10:00+08', 80, '[{"indicator_code": "FX.1", "indicator": "测试指标一", "points": 5}]'),
		('FX-P2', '2020-03-04 10:00+08', 90, '[{"indicator_code": "FX.2", "indicator": "测试指标二", "points": 1}]'),
		('FX-P2', '2020-02-11 10:00+08', 92, '[]'),
		('FX-P3', '2020-03-05 10:00+08', 70, '[{"indicator_code": "FX.1", "indicator": "测试指标一", "points": 4}, {"indicator_code": "FX.2", "indicator": "测试指标二", "points": 2}]'),
		('FX-P3', '2020-02-12 10:00+08', 75, '[{"indicator_code": "FX.1", "indicator": "测试指标一", "points": 3}, {"indicator_code": "FX.2", "indicator": "测试指标二", "points": 3}]')) v(code, at, score, d)
	JOIN points p ON p.code = v.code;
CREATE TEMP TABLE fx (n int, status text, created timestamptz, deadline timestamptz, dispatched timestamptz,
	resolved timestamptz, closed timestamptz);
INSERT INTO fx VALUES
	(1, 'closed', '2020-03-02 10:00+08', '2020-03-02 14:00+08', '2020-03-02 10:30+08', '2020-03-02 12:30+08', '2020-03-02 13:00+08'),
	(2, 'closed', '2020-03-03 10:00+08', '2020-03-03 14:00+08', '2020-03-03 10:00+08', '2020-03-03 20:00+08', '2020-03-03 21:00+08'),
	(3, 'closed', '2020-03-04 10:00+08', '2020-03-05 10:00+08', '2020-03-04 11:00+08', '2020-03-04 15:00+08', '2020-03-04 16:00+08'),
	(4, 'in_progress', '2020-03-10 10:00+08', '2020-03-10 14:00+08', '2020-03-10 10:30+08', NULL, NULL);
INSERT INTO issues (source, category, description, geom, grid_code, community_code, street_code, status, unit,
		deadline, created_at, dispatched_at, resolved_at, closed_at, external_id)
	SELECT 'grid_patrol', 'exposed_garbage', 'fixture ' || n, ST_SetSRID(ST_MakePoint(121.05, 30.05), 4326),
		'32999900100101', '329999001001', '329999001', status, 'cgj', deadline, created, dispatched,
		resolved, closed, 'bulletin-fixture-' || n
	FROM fx;
INSERT INTO declarations (indicator_code, unit, period, period_start, period_end, due_at)
	SELECT min(code), 'fxa', '2020-03', '2020-03-01', '2020-03-31', '2020-04-11 00:00+08' FROM indicators i
	WHERE kind = 'declaration' AND NOT EXISTS (SELECT 1 FROM indicators c WHERE c.parent_code = i.code);
INSERT INTO tasks (title, unit, due_at, status, done_at, created_by, created_at) VALUES
	('测试任务一', 'fxa', '2020-03-12 18:00+08', 'done', '2020-03-10 09:00+08', 'test', '2020-03-01 09:00+08'),
	('测试任务二', 'fxa', '2020-03-15 18:00+08', 'in_progress', NULL, 'test', '2020-03-01 09:00+08');
`

// fixedNow is the tests' clock: mid-April 2020, after the fixture's months.
var fixedNow = time.Date(2020, 4, 15, 10, 0, 0, 0, period.Zone)

func withFixture(t *testing.T, cfg server.Config) *apitest.Env {
	t.Helper()
	if cfg.Clock == nil {
		cfg.Clock = func() time.Time { return fixedNow }
	}
	e := apitest.NewWith(t, cfg)
	e.Exec(fixture)
	return e
}

// bulletin is an answer of the bulletins API.
type bulletin struct {
	ID      int64           `json:"id"`
	Period  string          `json:"period"`
	Number  *int            `json:"number"`
	Issue   string          `json:"issue"`
	Status  string          `json:"status"`
	Title   string          `json:"title"`
	Figures json.RawMessage `json:"figures"`
}

// figures are a bulletin's figures as the API answers them.
type figures struct {
	Sections []struct {
		Key     string   `json:"key"`
		Source  string   `json:"source"`
		Columns []string `json:"columns"`
		Rows    [][]any  `json:"rows"`
	} `json:"sections"`
	Accountability struct {
		Interview []proposal `json:"interview"`
		Reward    []proposal `json:"reward"`
	} `json:"accountability"`
	Map struct {
		Areas []struct {
			Code  string   `json:"code"`
			Path  string   `json:"path"`
			Value *float64 `json:"value"`
		} `json:"areas"`
	} `json:"map"`
}

type proposal struct {
	Unit    string   `json:"unit"`
	Reasons []string `json:"reasons"`
}

func (b bulletin) figures(t *testing.T) figures {
	t.Helper()
	var f figures
	if err := json.Unmarshal(b.Figures, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// rows is a section's rows as the reports' JSON writes them.
func (f figures) rows(t *testing.T, key string) []map[string]any {
	t.Helper()
	for _, s := range f.Sections {
		if s.Key == key {
			out := []map[string]any{}
			for _, r := range s.Rows {
				m := map[string]any{}
				for i, c := range s.Columns {
					m[c] = r[i]
				}
				out = append(out, m)
			}
			return out
		}
	}
	t.Fatalf("no section %q", key)
	return nil
}

func (f figures) source(key string) string {
	for _, s := range f.Sections {
		if s.Key == key {
			return s.Source
		}
	}
	return ""
}

func count(e *apitest.Env) int64 { return e.Int(`SELECT count(*) FROM bulletins WHERE year = 2020`) }
