package browsertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"citymap/server/apitest"
)

// surveyMarkup is the first question's text: markup that must show as text.
const surveyMarkup = `您知道<b>文明城市</b>创建吗？<img src=x onerror="window.__xss=1">`

// TestSurveysBrowser answers a questionnaire on a phone-sized page in
// headless Chromium (webmap/test/surveys.mjs) and sees the planner's 问卷
// panel count the answer in the community chosen; a required question left
// out shows which, and a question of markup shows as text.
func TestSurveysBrowser(t *testing.T) {
	node, chromium := needBrowser(t)
	e := apitest.New(t)
	code := "browser-survey"
	def := map[string]any{"code": code, "title": "浏览器测试问卷", "areas": []string{e.Community[:9]}, "questions": []any{
		map[string]any{"id": "Q1", "kind": "single", "text": surveyMarkup, "required": true, "measure": "awareness",
			"options": []any{map[string]any{"id": "yes", "text": "知道", "positive": true}, map[string]any{"id": "no", "text": "不知道"}}},
		map[string]any{"id": "Q2", "kind": "rating", "text": "您对社区环境满意吗？", "required": true, "scale": 5, "measure": "satisfaction"},
		map[string]any{"id": "Q3", "kind": "multiple", "text": "最需要改进的方面", "options": []any{
			map[string]any{"id": "a", "text": "环境卫生"}, map[string]any{"id": "b", "text": "交通秩序"}}},
		map[string]any{"id": "Q4", "kind": "text", "text": "其他建议"},
	}}
	var sv struct{ ID int64 }
	e.Must(http.StatusCreated, "POST", "/api/v1/surveys", "reviewer", def).Decode(t, &sv)
	e.Must(http.StatusOK, "POST", fmt.Sprintf("/api/v1/surveys/%d/publish", sv.ID), "reviewer", nil)
	survey, _ := json.Marshal(map[string]any{"id": sv.ID, "code": code, "community": e.Community, "q1_text": surveyMarkup})
	tokens, _ := json.Marshal(map[string]string{"planner": e.Tokens["planner"]})
	var res result
	out, took := runScript(t, node, chromium, "test/surveys.mjs", 4*time.Minute, &res,
		"CITYMAP_E2E_URL="+e.URL,
		"CITYMAP_E2E_TOKENS="+string(tokens),
		"CITYMAP_E2E_SURVEY="+string(survey),
	)
	if len(res.Checks) < 4 {
		t.Fatalf("surveys.mjs checked too little: %v\n%s", res.Checks, out)
	}
	if n := e.Int(`SELECT count(*) FROM survey_responses WHERE survey_id = $1 AND community_code = $2`, sv.ID, e.Community); n != 1 {
		t.Errorf("%d answers stored in %s, want 1", n, e.Community)
	}
	t.Logf("checks: %v", res.Checks)
	t.Logf("browser run %v", took)
}
