package bulletins_test

import (
	"reflect"
	"strings"
	"testing"

	"citymap/server"
	"citymap/server/access"
	"citymap/server/bulletins"
	"citymap/server/surveys"
)

// The questionnaires of the fixture's district: FX-Q (Q1 awareness yes/no,
// Q2 a satisfaction rating of 5) opened in February and answered in the
// fixture's community; surveys that took no answer in March: closed in
// February, a draft, opening in April, published only in April.
const questionnaireFixture = `
INSERT INTO surveys (code, title, questions, areas, opens_at, closes_at, status, published_at, created_by) VALUES
	('FX-Q', '测试问卷', '[{"id": "Q1", "kind": "single", "text": "知道吗", "required": true, "measure": "awareness",
		"options": [{"id": "yes", "text": "知道", "positive": true}, {"id": "no", "text": "不知道"}]},
		{"id": "Q2", "kind": "rating", "text": "满意吗", "required": true, "scale": 5, "measure": "satisfaction"}]',
		'{329999}', '2020-02-20 00:00+08', NULL, 'published', '2020-02-19 00:00+08', 'test'),
	('FX-CLOSED', '已关闭问卷', '[]', '{329999}', '2020-01-01 00:00+08', '2020-02-15 00:00+08', 'published', '2020-01-01 00:00+08', 'test'),
	('FX-DRAFT', '草稿问卷', '[]', '{329999}', '2020-03-01 00:00+08', NULL, 'draft', NULL, 'test'),
	('FX-APRIL', '四月问卷', '[]', '{329999}', '2020-04-05 00:00+08', NULL, 'published', '2020-04-01 00:00+08', 'test'),
	('FX-LATE', '迟发布问卷', '[]', '{329999}', '2020-03-01 00:00+08', NULL, 'published', '2020-04-02 00:00+08', 'test');
`

// answer is FX-Q's answers given at these instants (city time).
const answer = `
INSERT INTO survey_responses (survey_id, respondent, community_code, located_by, answers, created_at)
	SELECT s.id, sha256(convert_to('fx-' || v.at, 'UTF8')), '329999001001', 'chosen', v.a::jsonb, v.at::timestamptz
	FROM surveys s, (VALUES %s) v(at, a) WHERE s.code = 'FX-Q'`

// A questionnaire's section is the surveys report by street of the answers
// given by the end of the period, for the surveys that took answers during
// it: in March (yes 5, yes 2, no 4) 3 respondents, 知晓率 and 满意率 2/3,
// average 11/3; the answers of April, one at the very end of March, count
// in the report of today, not in March's bulletin.
func TestQuestionnaireSection(t *testing.T) {
	e := withFixture(t, server.Config{Surveys: surveys.Config{Secret: "bulletin-test-survey-secret"}})
	e.Exec(questionnaireFixture)
	e.Exec(strings.Replace(answer, "%s", `('2020-03-05 10:00+08', '{"Q1": "yes", "Q2": 5}'),
		('2020-03-20 10:00+08', '{"Q1": "yes", "Q2": 2}'), ('2020-03-31 23:59:59+08', '{"Q1": "no", "Q2": 4}')`, 1))
	const source = "/api/v1/reports/surveys?survey=FX-Q&by=street"
	var march struct {
		Rows []map[string]any `json:"rows"`
	}
	e.Get(source, access.Admin).Decode(t, &march)
	want := []map[string]any{{"code": "329999001", "name": "测试街道", "respondents": 3.0,
		"awareness_rate": 0.6667, "satisfaction_rate": 0.6667, "average_rating": 3.6667}}
	if !reflect.DeepEqual(march.Rows, want) {
		t.Fatalf("the report of March's answers: %v, want %v", march.Rows, want)
	}
	e.Exec(strings.Replace(answer, "%s", `('2020-04-01 00:00+08', '{"Q1": "no", "Q2": 1}'),
		('2020-04-10 10:00+08', '{"Q1": "no", "Q2": 1}')`, 1))
	var now struct {
		Rows []map[string]any `json:"rows"`
	}
	e.Get(source, access.Admin).Decode(t, &now)
	if len(now.Rows) != 1 || now.Rows[0]["respondents"] != 5.0 {
		t.Fatalf("the report today: %v, want April's answers too (else the test proves nothing)", now.Rows)
	}

	for _, c := range []struct {
		period, date string
		rows         []map[string]any
	}{
		{"month", "2020-03-01", march.Rows},
		// the first week of March: the answer of the 5th (yes, 5)
		{"week", "2020-03-02", []map[string]any{{"code": "329999001", "name": "测试街道", "respondents": 1.0,
			"awareness_rate": 1.0, "satisfaction_rate": 1.0, "average_rating": 5.0}}},
	} {
		var b bulletin
		e.Get("/api/v1/bulletins/preview?period="+c.period+"&date="+c.date, access.Reviewer).Decode(t, &b)
		f := b.figures(t)
		var keys []string
		for _, s := range f.Sections {
			if strings.HasPrefix(s.Key, bulletins.QuestionnaireKey) {
				keys = append(keys, s.Key)
			}
		}
		if !reflect.DeepEqual(keys, []string{bulletins.QuestionnaireKey + "FX-Q"}) {
			t.Errorf("%s %s: questionnaire sections %v, want FX-Q's only", c.period, c.date, keys)
			continue
		}
		key := bulletins.QuestionnaireKey + "FX-Q"
		if src := f.source(key); src != source {
			t.Errorf("%s: source %q, want %q", c.period, src, source)
		}
		if got := f.rows(t, key); !reflect.DeepEqual(got, c.rows) {
			t.Errorf("%s %s: the section has\n%v\nwant\n%v", c.period, c.date, got, c.rows)
		}
	}
	// February: FX-Q (opened the 20th, nobody answered yet) and the survey
	// closed the 15th, with every street of their areas at 0
	var feb bulletin
	e.Get("/api/v1/bulletins/preview?period=month&date=2020-02-01", access.Reviewer).Decode(t, &feb)
	for _, code := range []string{"FX-CLOSED", "FX-Q"} {
		if rows := feb.figures(t).rows(t, bulletins.QuestionnaireKey+code); len(rows) != 1 || rows[0]["respondents"] != 0.0 ||
			rows[0]["awareness_rate"] != nil {
			t.Errorf("February, %s: %v", code, rows)
		}
	}

	page := string(e.Get("/api/v1/bulletins/preview.html?period=month&date=2020-03-01", access.Reviewer).Body)
	for _, s := range []string{"问卷调查结果（知晓率、满意率）：测试问卷", "<th>知晓率</th>", "<th>满意率</th>",
		"<td>测试街道</td><td>3</td><td>66.67%</td><td>66.67%</td><td>3.67</td>"} {
		if !strings.Contains(page, s) {
			t.Errorf("the page lacks %s", s)
		}
	}
	for _, s := range []string{"已关闭问卷", "草稿问卷", "四月问卷", "迟发布问卷"} {
		if strings.Contains(page, s) {
			t.Errorf("March's page shows %s", s)
		}
	}
}
