package inspections_test

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"testing"
	"time"

	"citymap/server/access"
	"citymap/server/apitest"
)

// inspection is an inspection as the API shows it.
type inspection struct {
	ID          int64     `json:"id"`
	Point       string    `json:"point"`
	Grid        *string   `json:"grid"`
	InspectedAt time.Time `json:"inspected_at"`
	Inspector   string    `json:"inspector"`
	Score       float64   `json:"score"`
	Photos      []string  `json:"photos"`
	Note        string    `json:"note"`
	Issues      []int64   `json:"issues"`
	Deductions  []struct {
		IndicatorCode string  `json:"indicator_code"`
		Indicator     string  `json:"indicator"`
		Points        float64 `json:"points"`
		Note          string  `json:"note"`
		Category      string  `json:"category"`
		Issue         int64   `json:"issue"`
	} `json:"deductions"`
}

// polygonPoint finds a point of the demo city that is an area (a market, a
// compound), so that its issues go to a point on its surface.
func polygonPoint(e *apitest.Env) (code string, id int64, grid string) {
	e.T.Helper()
	e.Scan(`SELECT code, id, grid_code FROM points WHERE GeometryType(geom) = 'POLYGON' ORDER BY code LIMIT 1`,
		nil, &code, &id, &grid)
	return code, id, grid
}

// points finds a point in the grid manager's community and one outside it.
func points(e *apitest.Env) (in, out string) {
	e.T.Helper()
	e.Scan(`SELECT min(code) FILTER (WHERE starts_with(grid_code, $1)), min(code) FILTER (WHERE NOT starts_with(grid_code, $1))
		FROM points`, []any{e.Community}, &in, &out)
	return in, out
}

// tally is how many rows the tables an inspection writes hold.
type tally struct{ inspections, issues, events, changes int64 }

func count(e *apitest.Env) tally {
	e.T.Helper()
	var c tally
	e.Scan(`SELECT (SELECT count(*) FROM inspections), (SELECT count(*) FROM issues),
		(SELECT count(*) FROM issue_events), (SELECT count(*) FROM changes)`, nil,
		&c.inspections, &c.issues, &c.events, &c.changes)
	return c
}

func body(pointCode string, deductions ...map[string]any) map[string]any {
	if deductions == nil {
		deductions = []map[string]any{}
	}
	return map[string]any{"point": pointCode, "inspector": "督查员 王敏", "deductions": deductions,
		"note": "专项督查"}
}

// testIndicators are the field indicators the tests' catalogue holds, by name.
var testIndicators = map[string]string{"地面保洁": "T1", "乱张贴": "T2", "占道经营": "T3"}

// newEnv starts an instance whose catalogue also holds the tests' own
// indicators: T1–T3 (100 points, every category), T4 (2 points), T5 (no
// category), T6 (a branch, with T6.1), T7 (a declaration indicator).
func newEnv(t *testing.T) *apitest.Env {
	e := apitest.New(t)
	e.Exec(`INSERT INTO indicators (code, parent_code, name, kind, max_points, point_categories)
		SELECT v.code, v.parent, v.name, v.kind, v.max, CASE WHEN v.every THEN (SELECT array_agg(code) FROM point_categories) ELSE '{}' END
		FROM (VALUES ('T1', NULL, '地面保洁', 'field', 100, true), ('T2', NULL, '乱张贴', 'field', 100, true),
			('T3', NULL, '占道经营', 'field', 100, true), ('T4', NULL, '公益广告', 'field', 2, true),
			('T5', NULL, '围挡设置', 'field', 3, false), ('T6', NULL, '市容环境', 'field', 10, true),
			('T6.1', 'T6', '门前三包', 'field', 2, true), ('T7', NULL, '志愿服务', 'declaration', 5, false))
			AS v(code, parent, name, kind, max, every)`)
	return e
}

func deduction(indicator string, points float64, category string) map[string]any {
	return map[string]any{"indicator_code": testIndicators[indicator], "points": points, "note": "地面有烟头、纸屑",
		"category": category}
}

func TestCreateInspection(t *testing.T) {
	e := newEnv(t)
	code, pid, grid := polygonPoint(e)
	before := count(e)
	at := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	b := body(code, deduction("地面保洁", 2.5, "exposed_garbage"), deduction("乱张贴", 0.1, "illegal_posting"),
		deduction("占道经营", 0.2, "street_vending"))
	b["inspected_at"] = at.Format(time.RFC3339)
	r := e.Must(http.StatusCreated, "POST", "/api/v1/inspections", access.Dispatcher, b)
	var in inspection
	r.Decode(t, &in)
	if in.Score != 97.2 || in.Point != code || !in.InspectedAt.Equal(at) || in.Inspector != "督查员 王敏" {
		t.Errorf("inspection %+v: want score 97.2 at %s", in, at)
	}
	if got := r.Header.Get("Location"); got != fmt.Sprintf("/api/v1/inspections/%d", in.ID) {
		t.Errorf("Location %q", got)
	}
	if len(in.Issues) != 3 || len(in.Deductions) != 3 {
		t.Fatalf("issues %v, deductions %+v: want 3 of each", in.Issues, in.Deductions)
	}
	for i, d := range in.Deductions {
		if d.Issue != in.Issues[i] || d.Category != b["deductions"].([]map[string]any)[i]["category"] {
			t.Errorf("deduction %d %+v does not name its issue %d", i, d, in.Issues[i])
		}
		// the indicator's code and, as no text was given, its catalogue name
		if want := []string{"T1", "T2", "T3"}[i]; d.IndicatorCode != want || testIndicators[d.Indicator] != want {
			t.Errorf("deduction %d names %s %q, want %s and its name", i, d.IndicatorCode, d.Indicator, want)
		}
	}
	after := count(e)
	want := tally{before.inspections + 1, before.issues + 3, before.events + 3, before.changes + 3}
	if after != want {
		t.Errorf("rows %+v, want %+v", after, want)
	}
	// the issues: at the point (on its surface), linked, assigned like intake
	n := e.Int(`SELECT count(*) FROM issues i JOIN points p ON p.id = i.point_id
		JOIN issue_categories c ON c.code = i.category
		WHERE i.id = ANY($1) AND i.inspection_id = $2 AND i.point_id = $3 AND i.source = 'inspection'
		  AND i.status = 'reported' AND ST_Covers(p.geom, i.geom) AND i.grid_code = $4
		  AND i.community_code = left($4, 12) AND i.street_code = left($4, 9)
		  AND i.unit IS NOT NULL AND i.deadline = worktime_due(i.created_at, c.deadline_amount, c.deadline_unit)
		  AND i.description LIKE '督查扣分：%'`, in.Issues, in.ID, pid, grid)
	if n != 3 {
		t.Errorf("%d of 3 issues are at the point, linked and assigned", n)
	}
	events := e.Int(`SELECT count(*) FROM issue_events WHERE issue_id = ANY($1) AND action = 'report'
		AND actor = 'dispatcher:test-dispatcher' AND (data->>'inspection_id')::bigint = $2`, in.Issues, in.ID)
	changes := e.Int(`SELECT count(*) FROM changes WHERE layer = 'issues' AND object_id = ANY($1::bigint[]::text[])
		AND (feature->'properties'->>'inspection_id')::bigint = $2`, in.Issues, in.ID)
	if events != 3 || changes != 3 {
		t.Errorf("%d report events and %d changes, want 3 of each", events, changes)
	}
	// read back
	var got inspection
	e.Get(fmt.Sprintf("/api/v1/inspections/%d", in.ID), access.Viewer).Decode(t, &got)
	if got.ID != in.ID || got.Score != 97.2 || len(got.Issues) != 3 {
		t.Errorf("read back %+v", got)
	}
}

func TestInspectionScore(t *testing.T) {
	e := newEnv(t)
	code, _ := points(e)
	cases := []struct {
		points []float64
		score  float64
	}{
		{nil, 100},
		{[]float64{100}, 0},
		{[]float64{60, 60}, 0}, // never below 0
		{[]float64{0.5, 1, 1.5, 3}, 94},
	}
	for _, c := range cases {
		var ds []map[string]any
		for _, p := range c.points {
			ds = append(ds, deduction("地面保洁", p, "exposed_garbage"))
		}
		var in inspection
		e.Must(http.StatusCreated, "POST", "/api/v1/inspections", access.Admin, body(code, ds...)).Decode(t, &in)
		if math.Abs(in.Score-c.score) > 1e-9 || len(in.Issues) != len(c.points) {
			t.Errorf("deductions %v: score %v with %d issues, want %v", c.points, in.Score, len(in.Issues), c.score)
		}
	}
}

func TestInspectionDefaults(t *testing.T) {
	e := newEnv(t)
	code, _ := points(e)
	var in inspection
	e.Must(http.StatusCreated, "POST", "/api/v1/inspections", access.Admin,
		map[string]any{"point": code}).Decode(t, &in)
	if in.Inspector != "test-admin" || time.Since(in.InspectedAt) > time.Minute || in.Score != 100 || len(in.Issues) != 0 {
		t.Errorf("defaults: %+v", in)
	}
}

func TestInspectionRoles(t *testing.T) {
	e := newEnv(t)
	in, out := points(e)
	for _, role := range []string{access.Planner, access.Viewer, access.Reporter} {
		e.Must(http.StatusForbidden, "POST", "/api/v1/inspections", role, body(in))
	}
	e.Must(http.StatusUnauthorized, "POST", "/api/v1/inspections", "", body(in))
	before := count(e)
	r := e.Must(http.StatusForbidden, "POST", "/api/v1/inspections", access.GridManager,
		body(out, deduction("地面保洁", 1, "exposed_garbage")))
	if code, _ := r.ErrorOf(t); code != "out_of_scope" {
		t.Errorf("out of scope: %s", r.Body)
	}
	if after := count(e); after != before {
		t.Errorf("a refused inspection wrote rows: %+v → %+v", before, after)
	}
	var ins inspection
	e.Must(http.StatusCreated, "POST", "/api/v1/inspections", access.GridManager,
		body(in, deduction("地面保洁", 1, "exposed_garbage"))).Decode(t, &ins)
	// reading follows the scope
	e.Get(fmt.Sprintf("/api/v1/inspections/%d", ins.ID), access.GridManager)
	other := e.Int(`SELECT n.id FROM inspections n JOIN points p ON p.id = n.point_id WHERE p.code = $1 LIMIT 1`, out)
	e.Must(http.StatusForbidden, "GET", fmt.Sprintf("/api/v1/inspections/%d", other), access.GridManager, nil)
	e.Must(http.StatusForbidden, "GET", "/api/v1/inspections", access.Reporter, nil)
	e.Must(http.StatusNotFound, "GET", "/api/v1/inspections/999999999", access.Viewer, nil)
}

func TestInspectionBadInput(t *testing.T) {
	e := newEnv(t)
	code, _ := points(e)
	ok := deduction("地面保洁", 1, "exposed_garbage")
	with := func(k string, v any) map[string]any {
		d := deduction("地面保洁", 1, "exposed_garbage")
		d[k] = v
		return d
	}
	future := time.Now().Add(time.Hour).Format(time.RFC3339)
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"no point", body(""), "point"},
		{"unknown point", body("NO-SUCH-POINT", ok), "point"},
		{"future", func() any { b := body(code); b["inspected_at"] = future; return b }(), "inspected_at"},
		{"bad time", func() any { b := body(code); b["inspected_at"] = "yesterday"; return b }(), "inspected_at"},
		{"no indicator", body(code, ok, with("indicator_code", "")), "deductions[1].indicator_code"},
		{"unknown indicator", body(code, ok, with("indicator_code", "NO.SUCH")), "deductions[1].indicator_code"},
		{"over the indicator's points", body(code, map[string]any{"indicator_code": "T4", "points": 2.5,
			"category": "exposed_garbage"}, ok), "deductions[0].points"},
		{"indicator of other categories", body(code, with("indicator_code", "T5")), "deductions[0].indicator_code"},
		{"branch indicator", body(code, with("indicator_code", "T6")), "deductions[0].indicator_code"},
		{"declaration indicator", body(code, with("indicator_code", "T7")), "deductions[0].indicator_code"},
		{"zero points", body(code, with("points", 0)), "deductions[0].points"},
		{"negative points", body(code, with("points", -1)), "deductions[0].points"},
		{"too many points", body(code, with("points", 100.5)), "deductions[0].points"},
		{"two decimals", body(code, with("points", 1.25)), "deductions[0].points"},
		{"no category", body(code, with("category", "")), "deductions[0].category"},
		{"unknown category", body(code, ok, ok, with("category", "no_such")), "deductions[2].category"},
		{"bad photo", func() any { b := body(code, ok); b["photos"] = []string{"x"}; return b }(), "photos[0]"},
		{"unknown photo", func() any {
			b := body(code, ok)
			b["photos"] = []string{"0000000000000000000000000000000000000000000000000000000000000000"}
			return b
		}(), "photos[0]"},
		{"unknown field", func() any { b := body(code); b["scor"] = 90; return b }(), "scor"},
		{"points as text", `{"point":"` + code + `","deductions":[{"indicator_code":"T1","points":"2","category":"noise"}]}`, "deductions.points"},
	}
	before := count(e)
	for _, c := range cases {
		r := e.Must(http.StatusBadRequest, "POST", "/api/v1/inspections", access.Dispatcher, c.body)
		if _, fields := r.ErrorOf(t); fields[c.field] == nil {
			t.Errorf("%s: fields %v, want %s", c.name, fields, c.field)
		}
	}
	if after := count(e); after != before {
		t.Errorf("bad inputs wrote rows: %+v → %+v", before, after)
	}
}

func TestListInspections(t *testing.T) {
	e := newEnv(t)
	code, _ := points(e)
	total := e.Int(`SELECT count(*) FROM inspections n JOIN points p ON p.id = n.point_id WHERE p.code = $1`, code)
	var seen int64
	next := fmt.Sprintf("/api/v1/inspections?point=%s&limit=2", code)
	var last time.Time
	for next != "" {
		var page struct {
			Items []inspection `json:"items"`
			Next  string       `json:"next"`
		}
		e.Get(next, access.Viewer).Decode(t, &page)
		for _, in := range page.Items {
			if in.Point != code || (!last.IsZero() && in.InspectedAt.After(last)) {
				t.Fatalf("item %+v out of place", in)
			}
			last = in.InspectedAt
			seen++
		}
		next = ""
		if page.Next != "" {
			next = fmt.Sprintf("/api/v1/inspections?point=%s&limit=2&cursor=%s", code, page.Next)
		}
	}
	if seen != total || total == 0 {
		t.Errorf("paged through %d of %d inspections", seen, total)
	}
	// the grid manager sees its community only
	var page struct{ Items []inspection }
	e.Get("/api/v1/inspections?limit=1000", access.GridManager).Decode(t, &page)
	for _, in := range page.Items {
		if in.Grid == nil || len(*in.Grid) < 12 || (*in.Grid)[:12] != e.Community {
			t.Fatalf("grid manager sees %+v", in)
		}
	}
	e.Must(http.StatusBadRequest, "GET", "/api/v1/inspections?pont=x", access.Viewer, nil)
	e.Must(http.StatusBadRequest, "GET", "/api/v1/inspections?from=last-week", access.Viewer, nil)
}

func TestOverduePoints(t *testing.T) {
	e := newEnv(t)
	// a weekly point inspected a day ago, whatever instant the demo city leads up
	// to; then made overdue by moving its inspection back 30 days
	var code, grid string
	e.Scan(`SELECT p.code, p.grid_code FROM points p JOIN point_categories c ON c.code = p.category
		WHERE c.cycle = 'weekly' ORDER BY p.code LIMIT 1`, nil, &code, &grid)
	forgetInspections(e, code)
	e.Exec(`INSERT INTO inspections (point_id, inspected_at, inspector, score)
		SELECT id, now() - interval '1 day', '督查员 王敏', 100 FROM points WHERE code = $1`, code)
	if overdueRow(e, grid, code) != nil {
		t.Fatalf("%s is overdue a day after its inspection", code)
	}
	e.Exec(`UPDATE inspections SET inspected_at = inspected_at - interval '30 days'
		WHERE point_id = (SELECT id FROM points WHERE code = $1)`, code)
	row := overdueRow(e, grid, code)
	if row == nil {
		t.Fatalf("%s is not listed as overdue", code)
	}
	// inspected 31 days ago, due 7 days later: 24 whole days overdue
	if row["days_overdue"] != 24.0 || row["cycle"] != "weekly" || row["unit"] == "" {
		t.Errorf("overdue row %v", row)
	}
	e.Must(http.StatusCreated, "POST", "/api/v1/inspections", access.Admin, body(code))
	if overdueRow(e, grid, code) != nil {
		t.Errorf("%s is still overdue after its inspection", code)
	}
	// a point never inspected comes first, without days, with the other points
	// never inspected (how many the demo city has depends on its instant)
	forgetInspections(e, code)
	var all struct{ Rows []map[string]any }
	e.Get("/api/v1/points/overdue", access.Viewer).Decode(t, &all)
	i := slices.IndexFunc(all.Rows, func(r map[string]any) bool { return r["code"] == code })
	if i < 0 || all.Rows[i]["days_overdue"] != nil {
		t.Fatalf("never inspected point %s not listed without days: %v", code, all.Rows[:min(len(all.Rows), i+1)])
	}
	for _, r := range all.Rows[:i] {
		if r["days_overdue"] != nil {
			t.Errorf("never inspected point %s comes after %v", code, r)
		}
	}
}

// forgetInspections deletes a point's inspections; the cases they opened stay
// (with their events), only the link goes.
func forgetInspections(e *apitest.Env, code string) {
	e.T.Helper()
	e.Exec(`UPDATE issues SET inspection_id = NULL WHERE inspection_id IN
		(SELECT i.id FROM inspections i JOIN points p ON p.id = i.point_id WHERE p.code = $1)`, code)
	e.Exec(`DELETE FROM inspections WHERE point_id = (SELECT id FROM points WHERE code = $1)`, code)
}

// overdueRow returns the point's row of the overdue list of its grid, or nil.
func overdueRow(e *apitest.Env, grid, code string) map[string]any {
	e.T.Helper()
	var list struct{ Rows []map[string]any }
	e.Get("/api/v1/points/overdue?area="+grid, access.Dispatcher).Decode(e.T, &list)
	for _, r := range list.Rows {
		if r["grid"] != grid {
			e.T.Fatalf("area filter: row %v", r)
		}
		if r["code"] == code {
			return r
		}
	}
	return nil
}

func TestOverdueFormatsAndScope(t *testing.T) {
	e := newEnv(t)
	// every inspection 200 days ago or longer: every point is overdue, whatever
	// instant the demo city leads up to
	e.Exec(`UPDATE inspections SET inspected_at = least(inspected_at, now()) - interval '200 days'`)
	total := e.Int(`SELECT count(*) FROM points`)
	csv := e.Get("/api/v1/points/overdue?format=csv", access.Planner)
	if lines := countLines(csv.Body); lines != total+1 {
		t.Errorf("CSV has %d lines, want %d points and a header", lines, total)
	}
	var fc struct {
		Type     string
		Features []struct {
			ID       string
			Geometry struct{ Type string }
		}
	}
	e.Get("/api/v1/points/overdue?category=public_toilet", access.Viewer, "Accept", "application/geo+json").Decode(t, &fc)
	toilets := e.Int(`SELECT count(*) FROM points WHERE category = 'public_toilet'`)
	if fc.Type != "FeatureCollection" || int64(len(fc.Features)) != toilets || fc.Features[0].Geometry.Type == "" {
		t.Errorf("GeoJSON: %s with %d features, want %d", fc.Type, len(fc.Features), toilets)
	}
	var scoped struct{ Rows []map[string]any }
	e.Get("/api/v1/points/overdue", access.GridManager).Decode(t, &scoped)
	inScope := e.Int(`SELECT count(*) FROM points WHERE starts_with(grid_code, $1)`, e.Community)
	if int64(len(scoped.Rows)) != inScope {
		t.Errorf("grid manager sees %d points, want %d", len(scoped.Rows), inScope)
	}
	e.Must(http.StatusForbidden, "GET", "/api/v1/points/overdue", access.Reporter, nil)
	e.Must(http.StatusBadRequest, "GET", "/api/v1/points/overdue?area=12", access.Viewer, nil)
}

func countLines(b []byte) int64 {
	var n int64
	for _, c := range b {
		if c == '\n' {
			n++
		}
	}
	return n
}

func TestChecklist(t *testing.T) {
	e := newEnv(t)
	in, out := points(e)
	var list struct {
		Point, Category string
		Indicators      []struct {
			Code      string  `json:"code"`
			Kind      string  `json:"kind"`
			MaxPoints float64 `json:"max_points"`
		}
	}
	e.Get("/api/v1/points/"+in+"/checklist", access.GridManager).Decode(t, &list)
	codes := map[string]bool{}
	for _, ind := range list.Indicators {
		codes[ind.Code] = true
		if ind.Kind != "field" {
			t.Errorf("checklist of %s holds a %s indicator %s", in, ind.Kind, ind.Code)
		}
	}
	// the field indicators of its category, not those of other categories or kinds
	if list.Point != in || !codes["T1"] || !codes["T4"] || !codes["T6.1"] || codes["T5"] || codes["T7"] {
		t.Errorf("checklist of %s (%s): %v", in, list.Category, codes)
	}
	e.Must(http.StatusForbidden, "GET", "/api/v1/points/"+out+"/checklist", access.GridManager, nil)
	e.Must(http.StatusNotFound, "GET", "/api/v1/points/NO-SUCH-POINT/checklist", access.Viewer, nil)
	e.Must(http.StatusForbidden, "GET", "/api/v1/points/"+in+"/checklist", access.Reporter, nil)
}

// An inspection recorded before the catalogue, with free-text indicators,
// still reads back as it was written.
func TestOldDeductionsReadable(t *testing.T) {
	e := newEnv(t)
	code, _ := points(e)
	id := e.Int(`INSERT INTO inspections (point_id, inspected_at, inspector, deductions, score)
		SELECT id, now() - interval '400 days', '老督查员', '[{"indicator": "门前三包落实", "points": 1.5, "note": "旧记录"}]', 98.5
		FROM points WHERE code = $1 RETURNING id`, code)
	var in inspection
	e.Get(fmt.Sprintf("/api/v1/inspections/%d", id), access.Viewer).Decode(t, &in)
	if len(in.Deductions) != 1 || in.Deductions[0].Indicator != "门前三包落实" || in.Deductions[0].IndicatorCode != "" ||
		in.Deductions[0].Points != 1.5 || in.Score != 98.5 {
		t.Errorf("old inspection reads back as %+v", in)
	}
}
