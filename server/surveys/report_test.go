package surveys_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"citymap/server/access"
	"citymap/server/store"
)

// TestReport: the figures of answers the test gives, counted by hand:
//
//	West: Q1 yes, yes, no; Q2 5, 4, 2; Q3 [a b], [a], —
//	East: Q1 no; Q2 3; Q3 [c]
//
// West: 3 respondents, 知晓率 2/3, 满意率 2/3 (5 and 4 of 5, 2), average
// (5+4+2)/3; East: 1, 0, 0, 3. The street: 4, 2/4, 2/4, 14/4. Q1: yes 2 no 2
// (0.5 each); Q2: 1×2, 1×3, 1×4, 1×5, average 3.5; Q3 answered 3: a 2 (2/3),
// b 1, c 1.
func TestReport(t *testing.T) {
	e := newEnv(t)
	id := e.published(e.definition("T-REP"))
	for _, a := range []struct {
		community string
		answers   map[string]any
	}{
		{e.west, map[string]any{"Q1": "yes", "Q2": 5, "Q3": []string{"a", "b"}}},
		{e.west, map[string]any{"Q1": "yes", "Q2": 4, "Q3": []string{"a"}, "Q4": "<b>好</b>"}},
		{e.west, map[string]any{"Q1": "no", "Q2": 2}},
		{e.east, map[string]any{"Q1": "no", "Q2": 3, "Q3": []string{"c"}}},
	} {
		e.answer(id, map[string]any{"community": a.community, "phone": phone(), "answers": a.answers}).Want(t, http.StatusCreated)
	}
	type row struct {
		Code             string
		Name             string
		Respondents      int
		AwarenessRate    *float64 `json:"awareness_rate"`
		SatisfactionRate *float64 `json:"satisfaction_rate"`
		AverageRating    *float64 `json:"average_rating"`
	}
	var rep struct {
		Respondents int
		Survey      struct{ Code string }
		Questions   []struct {
			ID       string
			Answered int
			Options  []struct {
				ID    string
				Count int
				Share float64
			}
			Ratings map[string]int
			Average *float64
		}
		Rows []row
	}
	e.Get(fmt.Sprintf("/api/v1/reports/surveys?survey=%d", id), access.Planner).Decode(t, &rep)
	f := func(x float64) *float64 { return &x }
	wantRows := []row{
		{e.west, "西社区", 3, f(0.6667), f(0.6667), f(3.6667)},
		{e.east, "东社区", 1, f(0), f(0), f(3)},
	}
	if got, want := js(rep.Rows), js(wantRows); got != want || rep.Respondents != 4 || rep.Survey.Code != "T-REP" {
		t.Errorf("rows\n%s\nwant\n%s (respondents %d)", got, want, rep.Respondents)
	}
	q := rep.Questions
	if len(q) != 4 || q[0].Answered != 4 || q[0].Options[0].Count != 2 || q[0].Options[0].Share != 0.5 ||
		q[1].Ratings["2"] != 1 || q[1].Ratings["5"] != 1 || q[1].Ratings["1"] != 0 || *q[1].Average != 3.5 ||
		q[2].Answered != 3 || q[2].Options[0].Count != 2 || q[2].Options[0].Share != 0.6667 || q[2].Options[2].Count != 1 ||
		q[3].Answered != 1 {
		t.Errorf("questions: %s", js(q))
	}
	// by street, and the survey named by its code
	e.Get("/api/v1/reports/surveys?survey=T-REP&by=street", access.Planner).Decode(t, &rep)
	if got, want := js(rep.Rows), js([]row{{e.street, "测试街道", 4, f(0.5), f(0.5), f(3.5)}}); got != want {
		t.Errorf("by street: %s, want %s", got, want)
	}
	// GeoJSON: the communities' polygons with the figures
	var fc struct {
		Type     string
		Features []struct {
			ID         string
			Geometry   struct{ Type string }
			Properties row
		}
	}
	e.Get(fmt.Sprintf("/api/v1/reports/surveys?survey=%d&format=geojson", id), access.Viewer).Decode(t, &fc)
	if len(fc.Features) != 2 || fc.Features[0].ID != e.west || fc.Features[0].Geometry.Type != "MultiPolygon" ||
		fc.Features[0].Properties.Respondents != 3 {
		t.Errorf("geojson: %+v", fc)
	}
	csv := string(e.Get(fmt.Sprintf("/api/v1/reports/surveys?survey=%d&format=csv", id), access.Reviewer).Body)
	if !strings.Contains(csv, "code,name,respondents,awareness_rate,satisfaction_rate,average_rating") ||
		!strings.Contains(csv, e.west+",西社区,3,0.6667,0.6667,3.6667") {
		t.Errorf("csv:\n%s", csv)
	}
	// a reader of West sees West only, counted from West's answers
	westOnly := e.TokenFor(store.Token{Name: "west-planner", Role: access.Planner, Areas: []string{e.west}})
	r := e.Call("GET", fmt.Sprintf("/api/v1/reports/surveys?survey=%d", id), "", nil, "Authorization", "Bearer "+westOnly)
	r.Want(t, http.StatusOK).Decode(t, &rep)
	if len(rep.Rows) != 1 || rep.Rows[0].Code != e.west || rep.Respondents != 3 || rep.Questions[0].Answered != 3 {
		t.Errorf("a reader of West: %s", r.Body)
	}
	for _, c := range []struct {
		query  string
		status int
	}{
		{"", http.StatusBadRequest},
		{"survey=" + url.QueryEscape("<x>"), http.StatusBadRequest},
		{"survey=NOPE", http.StatusNotFound},
		{fmt.Sprintf("survey=%d&by=grid", id), http.StatusBadRequest},
		{fmt.Sprintf("survey=%d&colour=red", id), http.StatusBadRequest},
	} {
		e.Must(c.status, "GET", "/api/v1/reports/surveys?"+c.query, access.Planner, nil)
	}
	e.Must(http.StatusUnauthorized, "GET", fmt.Sprintf("/api/v1/reports/surveys?survey=%d", id), "", nil)
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
