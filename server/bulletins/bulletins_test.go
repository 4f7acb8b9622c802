package bulletins_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"citymap/server"
	"citymap/server/access"
)

// The preview's sections are the reports' rows for the same period.
func TestPreviewEqualsReports(t *testing.T) {
	e := withFixture(t, server.Config{})
	var b bulletin
	e.Get("/api/v1/bulletins/preview?period=month&date=2020-03-09", access.Reviewer).Decode(t, &b)
	if b.Status != "preview" || b.Number != nil || !strings.Contains(b.Title, "2020年3月") {
		t.Errorf("preview: %+v", b)
	}
	f := b.figures(t)
	for key, path := range map[string]string{
		"points":           "/api/v1/reports/redblack?entity=points&metric=score&n=10&period=month&date=2020-03-01",
		"units":            "/api/v1/reports/redblack?entity=units&metric=score&n=10&period=month&date=2020-03-01",
		"areas":            "/api/v1/reports/redblack?entity=areas&metric=score&n=10&level=street&period=month&date=2020-03-01",
		"unit_losses":      "/api/v1/reports/units?period=month&date=2020-03-01",
		"indicator_losses": "/api/v1/reports/units?by=indicator&period=month&date=2020-03-01",
		"declarations":     "/api/v1/reports/declarations?by=unit&period=month&date=2020-03-01",
	} {
		if src := f.source(key); src != path {
			t.Errorf("%s: source %q, want %q", key, src, path)
		}
		var report struct {
			Rows []map[string]any `json:"rows"`
		}
		e.Get(path, access.Admin).Decode(t, &report)
		if got := f.rows(t, key); !reflect.DeepEqual(got, report.Rows) {
			t.Errorf("%s: the bulletin has\n%v\nthe report\n%v", key, got, report.Rows)
		}
	}
	// the fixture shows where it should: 甲 heads the units' red list, 乙
	// lost 6 points, cgj has a case overdue, the street is on the map
	units := f.rows(t, "units")
	if len(units) == 0 || units[0]["unit"] != "测试单位甲" || units[0]["value"] != 93.0 {
		t.Errorf("units' red list: %v", units)
	}
	overdue := map[string]any{}
	for _, r := range f.rows(t, "overdue") {
		if r["unit"] == "cgj" || r["unit"] == "fxa" {
			overdue[r["unit"].(string)] = []any{r["overdue_cases"], r["tasks_overdue"]}
		}
	}
	if d := f.rows(t, "declarations"); len(d) == 0 {
		t.Error("no declarations: the comparison with the report proves nothing")
	}
	if !reflect.DeepEqual(overdue, map[string]any{"cgj": []any{1.0, 0.0}, "fxa": []any{0.0, 1.0}}) {
		t.Errorf("overdue cases and tasks: %v", overdue)
	}
	mapped := false
	for _, a := range f.Map.Areas {
		if a.Code == "329999001" {
			mapped = a.Value != nil && *a.Value == 85.33 && strings.HasPrefix(a.Path, "M ")
		}
	}
	if !mapped {
		t.Error("the fixture's street is not on the map with its score 85.33 ((96 + 90 + 70) / 3)")
	}
}

// Freezing numbers the issue per kind and year and keeps the figures as
// they were; a period frozen once is refused.
func TestFreezeNumbersAndKeeps(t *testing.T) {
	e := withFixture(t, server.Config{})
	freeze := func(body string) bulletin {
		t.Helper()
		var b bulletin
		e.Must(http.StatusCreated, "POST", "/api/v1/bulletins", access.Reviewer, json.RawMessage(body)).Decode(t, &b)
		return b
	}
	feb := freeze(`{"period": "month", "date": "2020-02-01"}`)
	mar := freeze(`{"period": "month", "date": "2020-03-31", "title": "三月通报", "notes": "请各单位对照整改。"}`)
	week := freeze(`{"period": "week", "date": "2020-03-04"}`)
	dec19 := freeze(`{"period": "month", "date": "2019-12-15"}`)
	for _, c := range []struct {
		b     bulletin
		issue string
	}{{feb, "2020年第1期"}, {mar, "2020年第2期"}, {week, "2020年第1期"}, {dec19, "2019年第1期"}} {
		if c.b.Issue != c.issue || c.b.Status != "published" {
			t.Errorf("bulletin %d (%s): %s %s, want %s published", c.b.ID, c.b.Period, c.b.Issue, c.b.Status, c.issue)
		}
	}
	if mar.Title != "三月通报" {
		t.Errorf("title %q", mar.Title)
	}
	before := e.Get(fmt.Sprintf("/api/v1/bulletins/%d", mar.ID), access.Planner).JSON(t)["figures"]
	// a new inspection of March and a case closed: the frozen figures stay
	e.Exec(`INSERT INTO inspections (point_id, inspected_at, inspector, score)
		SELECT id, '2020-03-25 10:00+08', '测试督查员', 10 FROM points WHERE code = 'FX-P2'`)
	e.Exec(`UPDATE issues SET status = 'closed', resolved_at = '2020-03-10 12:00+08', closed_at = '2020-03-10 13:00+08'
		WHERE external_id = 'bulletin-fixture-4'`)
	after := e.Get(fmt.Sprintf("/api/v1/bulletins/%d", mar.ID), access.Planner).JSON(t)["figures"]
	if !reflect.DeepEqual(before, after) {
		t.Error("a frozen bulletin's figures changed with the data")
	}
	var preview bulletin
	e.Get("/api/v1/bulletins/preview?period=month&date=2020-03-01", access.Reviewer).Decode(t, &preview)
	if units := preview.figures(t).rows(t, "units"); units[len(units)-1]["value"] == 70.0 {
		t.Error("the preview does not see the new inspection (the test proves nothing)")
	}
	// frozen once only, and nothing written on the refusal
	n := count(e)
	code, _ := e.Call("POST", "/api/v1/bulletins", access.Admin, map[string]string{"period": "month", "date": "2020-03-02"}).
		Want(t, http.StatusConflict).ErrorOf(t)
	if code != "already_frozen" || count(e) != n {
		t.Errorf("double freeze: %s, %d bulletins, want already_frozen and %d", code, count(e), n)
	}
	// the history, the latest period first, filtered by kind
	var list struct {
		Bulletins []bulletin `json:"bulletins"`
	}
	e.Get("/api/v1/bulletins?period=month", access.Unit).Decode(t, &list)
	var issues []string
	for _, b := range list.Bulletins {
		if b.Figures != nil {
			t.Error("the history carries figures")
		}
		if strings.HasPrefix(b.Issue, "2020") || strings.HasPrefix(b.Issue, "2019") {
			issues = append(issues, b.Issue)
		}
	}
	if !reflect.DeepEqual(issues, []string{"2020年第2期", "2020年第1期", "2019年第1期"}) {
		t.Errorf("monthly history: %v", issues)
	}
}

// Bad input is a 4xx that writes nothing.
func TestBadInput(t *testing.T) {
	e := withFixture(t, server.Config{})
	n := count(e)
	for _, c := range []struct {
		method, path, body string
		status             int
		code, field        string
	}{
		{"GET", "/api/v1/bulletins/preview?period=month&date=2020-04-01", "", 422, "period_not_ended", "date"},
		{"GET", "/api/v1/bulletins/preview?period=year&date=2020-01-01", "", 422, "period_not_ended", "date"},
		{"GET", "/api/v1/bulletins/preview?period=day&date=2020-03-01", "", 400, "invalid", "period"},
		{"GET", "/api/v1/bulletins/preview?period=month&date=2020-3-1", "", 400, "invalid", "date"},
		{"GET", "/api/v1/bulletins/preview?period=month&date=1999-12-31", "", 400, "out_of_range", "date"},
		{"GET", "/api/v1/bulletins/preview?period=month&area=329999", "", 400, "unknown_parameter", "area"},
		{"GET", "/api/v1/bulletins?period=decade", "", 400, "invalid", "period"},
		{"POST", "/api/v1/bulletins", `{"period": "week", "date": "2020-04-14"}`, 422, "period_not_ended", "date"},
		{"POST", "/api/v1/bulletins", `{"period": "fortnight", "date": "2020-03-01"}`, 400, "invalid", "period"},
		{"POST", "/api/v1/bulletins", `{"date": "2020-03-01"}`, 400, "required", "period"},
		{"POST", "/api/v1/bulletins", `{"period": "month", "date": "March"}`, 400, "invalid", "date"},
		{"POST", "/api/v1/bulletins", `{"period": "month", "date": "2020-03-01", "number": 7}`, 400, "", ""},
		{"POST", "/api/v1/bulletins", `{"period": "month", "date": "2020-03-01", "title": "` + strings.Repeat("长", 201) + `"}`, 400, "too_long", "title"},
		{"POST", "/api/v1/bulletins", `{"period": "month"`, 400, "", ""},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		r := e.Call(c.method, c.path, access.Reviewer, body).Want(t, c.status)
		code, fields := r.ErrorOf(t)
		if c.code != "" && code != c.code {
			t.Errorf("%s %s %s: code %q, want %q", c.method, c.path, c.body, code, c.code)
		}
		if _, ok := fields[c.field]; c.field != "" && !ok {
			t.Errorf("%s %s %s: fields %v name no %q", c.method, c.path, c.body, fields, c.field)
		}
	}
	if count(e) != n {
		t.Errorf("bad input wrote bulletins: %d, want %d", count(e), n)
	}
}

// Who may do what: the 创建办 freezes and sees drafts; a planner previews;
// every reader, unit staff and area tokens too, reads published bulletins.
func TestReaders(t *testing.T) {
	e := withFixture(t, server.Config{})
	e.Exec(`INSERT INTO bulletins (kind, period_from, period_to, year, status, title, figures, created_by)
		VALUES ('week', '2020-03-09 00:00+08', '2020-03-16 00:00+08', 2020, 'draft', '草稿', '{}', 'test')`)
	draft := e.Int(`SELECT id FROM bulletins WHERE title = '草稿'`)
	var pub bulletin
	e.Must(http.StatusCreated, "POST", "/api/v1/bulletins", access.Admin, map[string]string{"period": "month", "date": "2020-03-01"}).
		Decode(t, &pub)
	area := e.Token("area", access.GridManager, []string{"329999001"})
	for _, role := range []string{access.Admin, access.Dispatcher, access.GridManager, access.Planner, access.Viewer,
		access.Reviewer, access.Unit, access.UnitLeader} {
		e.Get(fmt.Sprintf("/api/v1/bulletins/%d", pub.ID), role)
		e.Get(fmt.Sprintf("/api/v1/bulletins/%d.html", pub.ID), role)
		wantDraft := http.StatusNotFound
		if role == access.Admin || role == access.Reviewer {
			wantDraft = http.StatusOK
		}
		e.Must(wantDraft, "GET", fmt.Sprintf("/api/v1/bulletins/%d", draft), role, nil)
		wantPreview := http.StatusForbidden
		if role == access.Admin || role == access.Reviewer || role == access.Planner {
			wantPreview = http.StatusOK
		}
		e.Must(wantPreview, "GET", "/api/v1/bulletins/preview?period=week&date=2020-03-02", role, nil)
		e.Must(wantPreview, "GET", "/api/v1/bulletins/preview.html?period=week&date=2020-03-02", role, nil)
	}
	e.Must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/bulletins/%d", pub.ID), "", nil, "Authorization", "Bearer "+area)
	// a planner limited to areas previews nothing: the figures are the city's
	areaPlanner := e.Token("area planner", access.Planner, []string{"329999001"})
	e.Must(http.StatusForbidden, "GET", "/api/v1/bulletins/preview?period=week&date=2020-03-02", "", nil,
		"Authorization", "Bearer "+areaPlanner)
	e.Must(http.StatusForbidden, "GET", "/api/v1/bulletins", access.Reporter, nil)
	e.Must(http.StatusForbidden, "POST", "/api/v1/bulletins", access.Planner, map[string]string{"period": "week", "date": "2020-03-02"})
	e.Must(http.StatusForbidden, "GET", "/api/v1/bulletins?status=draft", access.Planner, nil)
	var drafts struct {
		Bulletins []bulletin `json:"bulletins"`
	}
	e.Get("/api/v1/bulletins?status=draft", access.Reviewer).Decode(t, &drafts)
	found := false
	for _, b := range drafts.Bulletins {
		found = found || b.ID == draft
		if b.Status != "draft" {
			t.Errorf("status=draft lists %d, %s", b.ID, b.Status)
		}
	}
	if !found {
		t.Error("the 创建办 does not see the draft")
	}
	for _, p := range []string{"x", "0", "1.doc", "12.html.pdf"} {
		e.Must(http.StatusNotFound, "GET", "/api/v1/bulletins/"+p, access.Admin, nil)
	}
}
