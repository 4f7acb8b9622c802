package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"citymap/server/apitest"
)

// The walk's questionnaire: a survey of the whole city answered twice in the
// planner's community and once in a community of another street.

// buildSurveys makes the walk's survey and its answers.
func (w *walk) buildSurveys() {
	w.T.Helper()
	def := map[string]any{"code": "WALK-SURVEY", "title": "walk-survey", "questions": []any{
		map[string]any{"id": "Q1", "kind": "single", "text": "知道吗", "required": true, "measure": "awareness",
			"options": []any{map[string]any{"id": "yes", "text": "知道", "positive": true}, map[string]any{"id": "no", "text": "不知道"}}},
		map[string]any{"id": "Q2", "kind": "rating", "text": "满意吗", "measure": "satisfaction"},
	}}
	var sv struct{ ID int64 }
	w.must(http.StatusCreated, w.control, "POST", "/api/v1/surveys", def).Decode(w.T, &sv)
	w.walkSurvey = fmt.Sprint(sv.ID)
	w.must(http.StatusOK, w.control, "POST", "/api/v1/surveys/"+w.walkSurvey+"/publish", nil)
	for i, community := range []string{w.community, w.community, w.gridOut[:12]} {
		body := map[string]any{"community": community, "phone": fmt.Sprintf("1370000%04d", i),
			"answers": map[string]any{"Q1": "yes", "Q2": 4}}
		if r := w.Call("POST", "/api/v1/surveys/"+w.walkSurvey+"/responses", "", body); r.Status != http.StatusCreated {
			w.T.Fatalf("setup: answer: %d %s", r.Status, r.Body)
		}
		w.add(&object{name: fmt.Sprintf("survey answer %d", i), kind: "survey answer", grid: community})
	}
}

// surveySurfaces are the surveys' reads: the list, the walk's survey, and
// its report by community and by street in every format.
func (w *walk) surveySurfaces(add func(...surface)) {
	add(surface{pattern: "GET /api/v1/surveys", path: "/api/v1/surveys", readers: campaignReaders, check: surveyRespondents},
		surface{pattern: "GET /api/v1/surveys/{id}", path: "/api/v1/surveys/" + w.walkSurvey, readers: campaignReaders,
			check: surveyRespondents})
	for _, by := range []string{"community", "street"} {
		for _, f := range formats(true) {
			add(surface{pattern: "GET /api/v1/reports/surveys", readers: campaignReaders, control: true, check: surveyRows,
				path: "/api/v1/reports/surveys?survey=" + w.walkSurvey + "&by=" + by + "&format=" + f})
		}
	}
}

// walkAnswers is how many of the walk's answers the caller may count.
func (w *walk) walkAnswers(c *caller) int {
	n := 0
	for _, o := range w.objects {
		if o.kind == "survey answer" && c.sees(o) {
			n++
		}
	}
	return n
}

// surveyRespondents checks the respondents a survey shows the caller: the
// walk's answers in its areas.
func surveyRespondents(w *walk, c *caller, r apitest.Reply) string {
	var list struct {
		Surveys []struct {
			Code        string
			Respondents int
		}
	}
	var one struct {
		Code        string
		Respondents int
	}
	_ = json.Unmarshal(r.Body, &list)
	_ = json.Unmarshal(r.Body, &one)
	for _, s := range append(list.Surveys, one) {
		if s.Code == "WALK-SURVEY" && s.Respondents != w.walkAnswers(c) {
			return fmt.Sprintf("counts %d respondents, want %d", s.Respondents, w.walkAnswers(c))
		}
	}
	return ""
}

// surveyRows checks that a survey report shows the caller the rows of its
// own communities (or streets) only, and counts the answers there.
func surveyRows(w *walk, c *caller, r apitest.Reply) string {
	var fc struct {
		Respondents *int
		Features    []struct{ Properties map[string]any }
	}
	_ = json.Unmarshal(r.Body, &fc)
	rows := tableRows(r.Body)
	for _, f := range fc.Features {
		rows = append(rows, f.Properties)
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		return ""
	}
	for _, row := range rows {
		code, _ := row["code"].(string)
		// a community's row to who covers it; a street's (counted from the
		// caller's communities only) to who covers a community of it
		ok := c.covers(code)
		if len(code) == 9 {
			ok = c.viewsArea(code) && !slices.ContainsFunc(c.areas, func(a string) bool { return len(a) > 12 })
		}
		if !ok {
			return "shows the row of " + code
		}
	}
	if fc.Respondents == nil || *fc.Respondents != w.walkAnswers(c) {
		return fmt.Sprintf("counts %v respondents, want %d", fc.Respondents, w.walkAnswers(c))
	}
	return ""
}
