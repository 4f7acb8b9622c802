package surveys_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestPage: the public page renders the questions on the server, every
// text of the definition escaped, under the pages' CSP, with the survey's
// communities to choose from; its plain form (no script) answers too.
func TestPage(t *testing.T) {
	e := newEnv(t)
	d := e.definition("T-PAGE")
	d["title"] = `<script>alert("t")</script>问卷`
	q := d["questions"].([]any)
	q[0].(map[string]any)["text"] = `<img src=x onerror=alert(1)>知道吗`
	q[0].(map[string]any)["options"].([]any)[0].(map[string]any)["text"] = `<b>知道</b>`
	e.published(d)
	r := e.Must(http.StatusOK, "GET", "/s/T-PAGE", "", nil)
	body := string(r.Body)
	for _, want := range []string{`&lt;img src=x onerror=alert(1)&gt;知道吗`, `&lt;b&gt;知道&lt;/b&gt;`,
		`&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;问卷`, `value="` + e.west + `"`, `value="` + e.east + `"`,
		`name="q.Q1"`, `/assets/survey.js`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for _, bad := range []string{"<img", "<b>", "<script>alert", `value="` + e.Community + `"`} {
		if strings.Contains(body, bad) {
			t.Errorf("the page holds %s", bad)
		}
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "form-action 'self'") {
		t.Errorf("CSP %q", csp)
	}
	if len(body) > 8<<10 {
		t.Errorf("the page is %d bytes", len(body))
	}
	e.Must(http.StatusNotFound, "GET", "/s/NOPE", "", nil)
	if gz := e.Get("/s/T-PAGE", "", "Accept-Encoding", "gzip"); gz.Header.Get("Content-Encoding") != "gzip" || len(gz.Body) >= len(body) {
		t.Errorf("the page asked for gzip: %q, %d bytes of %d", gz.Header.Get("Content-Encoding"), len(gz.Body), len(body))
	}

	form := url.Values{"community": {e.east}, "phone": {phone()}, "q.Q1": {"no"}, "q.Q3": {"a", "c"}}
	r = e.Call("POST", "/s/T-PAGE", "", form, e.from()...).Want(t, http.StatusUnprocessableEntity)
	if !strings.Contains(string(r.Body), "请回答第2题") || !strings.Contains(string(r.Body), "<form") {
		t.Errorf("a form without a required answer:\n%s", r.Body)
	}
	form.Set("q.Q2", "4")
	r = e.Call("POST", "/s/T-PAGE", "", form, e.from()...).Want(t, http.StatusCreated)
	if !strings.Contains(string(r.Body), "提交成功") {
		t.Errorf("answered by the form:\n%s", r.Body)
	}
	var answers string
	e.Scan(`SELECT answers::text FROM survey_responses r JOIN surveys s ON s.id = r.survey_id
		WHERE s.code = 'T-PAGE' AND r.community_code = $1`, []any{e.east}, &answers)
	if answers != `{"Q1": "no", "Q2": 4, "Q3": ["a", "c"]}` {
		t.Errorf("stored %s", answers)
	}
	e.Call("POST", "/s/T-PAGE", "", form, e.from()...).Want(t, http.StatusConflict)
}

// TestDemoSurvey: the demo city holds a published survey with answers
// spread over its communities, and its page.
func TestDemoSurvey(t *testing.T) {
	e := newEnv(t)
	var n, communities int64
	e.Scan(`SELECT count(*), count(DISTINCT community_code) FROM survey_responses r JOIN surveys s ON s.id = r.survey_id
		WHERE s.code = 'wmcj' AND s.status = 'published'`, nil, &n, &communities)
	if n < 100 || communities < 10 {
		t.Errorf("the demo survey has %d answers in %d communities", n, communities)
	}
	if body := string(e.Get("/s/wmcj", "").Body); !strings.Contains(body, "文明城市") || !strings.Contains(body, `name="q.Q3"`) {
		t.Errorf("the demo survey's page:\n%.500s", body)
	}
	// small on a slow network: its questions and every community, compressed
	if gz := e.Get("/s/wmcj", "", "Accept-Encoding", "gzip").Body; len(gz) > 6<<10 {
		t.Errorf("the demo survey's page is %d bytes compressed", len(gz))
	}
}
