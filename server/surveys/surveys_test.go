package surveys_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"citymap/server/access"
	"citymap/server/apitest"
)

// TestDefinitions: the 创建办 creates, publishes and reads surveys; other
// roles may read but not create; bad definitions are refused naming the
// field, and nothing is stored.
func TestDefinitions(t *testing.T) {
	e := newEnv(t)
	e.Must(http.StatusForbidden, "POST", "/api/v1/surveys", access.Planner, e.definition("T-PLAN"))
	var sv struct {
		ID        int64
		Status    string
		URL       string
		Open      bool
		Questions []map[string]any
	}
	e.Must(http.StatusCreated, "POST", "/api/v1/surveys", access.Reviewer, e.definition("T-DEF")).Decode(t, &sv)
	if sv.Status != "draft" || sv.URL != "/s/T-DEF" || sv.Open || len(sv.Questions) != 4 {
		t.Fatalf("created: %+v", sv)
	}
	e.Must(http.StatusNotFound, "GET", "/s/T-DEF", "", nil) // a draft has no page
	e.Must(http.StatusOK, "POST", fmt.Sprintf("/api/v1/surveys/%d/publish", sv.ID), access.Admin, nil).Decode(t, &sv)
	if sv.Status != "published" || !sv.Open {
		t.Fatalf("published: %+v", sv)
	}
	e.Get(fmt.Sprintf("/api/v1/surveys/%d", sv.ID), access.Planner).Decode(t, &sv)
	var list struct{ Surveys []struct{ Code string } }
	e.Get("/api/v1/surveys", access.Viewer).Decode(t, &list)
	if len(list.Surveys) == 0 || list.Surveys[0].Code != "T-DEF" {
		t.Fatalf("list: %+v", list)
	}
	e.Must(http.StatusConflict, "POST", "/api/v1/surveys", access.Reviewer, e.definition("T-DEF"))

	before := e.Int(`SELECT count(*) FROM surveys`)
	q := func(mod func(q map[string]any)) map[string]any {
		d := e.definition("T-BAD")
		mod(d["questions"].([]any)[0].(map[string]any))
		return d
	}
	for _, c := range []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"malformed", `{"code": "T-BAD",`, http.StatusBadRequest, ""},
		{"unknown field", func() map[string]any { d := e.definition("T-BAD"); d["colour"] = "red"; return d }(), http.StatusBadRequest, "colour"},
		{"unknown question field", q(func(q map[string]any) { q["hint"] = "x" }), http.StatusBadRequest, "hint"},
		{"bad code", e.definition("坏 code"), http.StatusBadRequest, "code"},
		{"no questions", func() map[string]any { d := e.definition("T-BAD"); d["questions"] = []any{}; return d }(), http.StatusBadRequest, "questions"},
		{"duplicate question id", func() map[string]any {
			d := e.definition("T-BAD")
			d["questions"].([]any)[1].(map[string]any)["id"] = "Q1"
			return d
		}(), http.StatusBadRequest, "questions[1].id"},
		{"choice without options", q(func(q map[string]any) { q["options"] = []any{} }), http.StatusBadRequest, "questions[0].options"},
		{"duplicate option id", q(func(q map[string]any) {
			q["options"] = []any{map[string]any{"id": "a", "text": "甲"}, map[string]any{"id": "a", "text": "乙"}}
		}), http.StatusBadRequest, "questions[0].options[1].id"},
		{"unknown kind", q(func(q map[string]any) { q["kind"] = "slider" }), http.StatusBadRequest, "questions[0].kind"},
		{"scale out of range", func() map[string]any {
			d := e.definition("T-BAD")
			d["questions"].([]any)[1].(map[string]any)["scale"] = 11
			return d
		}(), http.StatusBadRequest, "questions[1].scale"},
		{"scale on a choice", q(func(q map[string]any) { q["scale"] = 5 }), http.StatusBadRequest, "questions[0].scale"},
		{"a measure without a positive option", q(func(q map[string]any) {
			q["options"] = []any{map[string]any{"id": "a", "text": "甲"}, map[string]any{"id": "b", "text": "乙"}}
		}), http.StatusBadRequest, "questions[0].options"},
		{"unknown measure", q(func(q map[string]any) { q["measure"] = "happiness" }), http.StatusBadRequest, "questions[0].measure"},
		{"not a questionnaire indicator", q(func(q map[string]any) { q["indicator"] = "A01" }), http.StatusBadRequest, "questions[0].indicator"},
		{"unknown area", func() map[string]any { d := e.definition("T-BAD"); d["areas"] = []string{"999999"}; return d }(), http.StatusBadRequest, "areas"},
		{"closes before it opens", func() map[string]any {
			d := e.definition("T-BAD")
			d["opens_at"], d["closes_at"] = "2031-02-01T00:00:00+08:00", "2031-01-01T00:00:00+08:00"
			return d
		}(), http.StatusBadRequest, "closes_at"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.Must(c.status, "POST", "/api/v1/surveys", access.Reviewer, c.body)
			if _, fields := r.ErrorOf(t); c.field != "" && fields[c.field] == nil {
				t.Errorf("fields %v, want %s", fields, c.field)
			}
		})
	}
	if n := e.Int(`SELECT count(*) FROM surveys`); n != before {
		t.Errorf("%d surveys after the refusals, want %d", n, before)
	}
}

// TestBadAnswers: every refused answer says what is wrong with a 4xx, and
// nothing is written.
func TestBadAnswers(t *testing.T) {
	e := newEnv(t)
	id := e.published(e.definition("T-ANS"))
	draft := struct{ ID int64 }{}
	e.Must(http.StatusCreated, "POST", "/api/v1/surveys", access.Reviewer, e.definition("T-DRAFT")).Decode(t, &draft)
	closed := e.definition("T-CLOSED")
	closed["opens_at"], closed["closes_at"] = "2020-01-01T00:00:00+08:00", "2020-02-01T00:00:00+08:00"
	closedID := e.published(closed)
	ok := func(mod func(a map[string]any, b map[string]any)) map[string]any {
		a := map[string]any{"Q1": "yes", "Q2": 4}
		b := map[string]any{"community": e.west, "phone": phone(), "answers": a}
		mod(a, b)
		return b
	}
	before := e.responses()
	for _, c := range []struct {
		name   string
		id     int64
		body   any
		status int
		code   string
		field  string
	}{
		{"malformed JSON", id, `{"answers": {"Q1": "yes"`, http.StatusBadRequest, "invalid_json", ""},
		{"unknown field", id, ok(func(_, b map[string]any) { b["name"] = "张三" }), http.StatusBadRequest, "unknown_field", "name"},
		{"answers not an object", id, ok(func(_, b map[string]any) { b["answers"] = []int{1} }), http.StatusBadRequest, "invalid_type", ""},
		{"missing required", id, ok(func(a, _ map[string]any) { delete(a, "Q2") }), http.StatusUnprocessableEntity, "required", "answers.Q2"},
		{"required left blank", id, ok(func(a, _ map[string]any) { a["Q1"] = "" }), http.StatusUnprocessableEntity, "required", "answers.Q1"},
		{"unknown option", id, ok(func(a, _ map[string]any) { a["Q1"] = "maybe" }), http.StatusUnprocessableEntity, "unknown_option", "answers.Q1"},
		{"unknown option of a multiple", id, ok(func(a, _ map[string]any) { a["Q3"] = []string{"a", "z"} }), http.StatusUnprocessableEntity, "unknown_option", "answers.Q3"},
		{"unknown question", id, ok(func(a, _ map[string]any) { a["Q9"] = "yes" }), http.StatusUnprocessableEntity, "unknown_question", "answers.Q9"},
		{"rating off the scale", id, ok(func(a, _ map[string]any) { a["Q2"] = 6 }), http.StatusUnprocessableEntity, "out_of_range", "answers.Q2"},
		{"rating not whole", id, ok(func(a, _ map[string]any) { a["Q2"] = 3.5 }), http.StatusUnprocessableEntity, "out_of_range", "answers.Q2"},
		{"text too long", id, ok(func(a, _ map[string]any) { a["Q4"] = strings.Repeat("长", 501) }), http.StatusUnprocessableEntity, "too_long", "answers.Q4"},
		{"bad phone", id, ok(func(_, b map[string]any) { b["phone"] = "12345" }), http.StatusUnprocessableEntity, "invalid", "respondent"},
		{"no respondent", id, ok(func(_, b map[string]any) { delete(b, "phone") }), http.StatusUnprocessableEntity, "required", "respondent"},
		{"no community", id, ok(func(_, b map[string]any) { delete(b, "community") }), http.StatusUnprocessableEntity, "required", "community"},
		{"community not the survey's", id, ok(func(_, b map[string]any) { b["community"] = e.Community }), http.StatusUnprocessableEntity, "unknown_community", "community"},
		{"position outside", id, ok(func(_, b map[string]any) {
			delete(b, "community")
			b["lon"], b["lat"] = 120.0, 20.0
		}), http.StatusUnprocessableEntity, "outside", "location"},
		{"body too large", id, ok(func(a, _ map[string]any) { a["Q4"] = strings.Repeat("x", 70<<10) }), http.StatusRequestEntityTooLarge, "body_too_large", ""},
		{"unpublished", draft.ID, ok(func(_, _ map[string]any) {}), http.StatusNotFound, "not_found", ""},
		{"no such survey", 987654321, ok(func(_, _ map[string]any) {}), http.StatusNotFound, "not_found", ""},
		{"closed", closedID, ok(func(_, _ map[string]any) {}), http.StatusConflict, "survey_closed", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.answer(c.id, c.body).Want(t, c.status)
			code, fields := r.ErrorOf(t)
			if code != c.code || (c.field != "" && fields[c.field] == nil) {
				t.Errorf("%s %v, want %s naming %s", code, fields, c.code, c.field)
			}
		})
	}
	if n := e.responses(); n != before {
		t.Errorf("%d answers after the refusals, want %d", n, before)
	}
	e.answer(id, ok(func(_, _ map[string]any) {})).Want(t, http.StatusCreated)
}

// TestOneAnswerPerRespondent: a phone number, however written, answers
// once; so does a device key; the second is 409 already_answered and not
// written.
func TestOneAnswerPerRespondent(t *testing.T) {
	e := newEnv(t)
	id := e.published(e.definition("T-ONCE"))
	body := func(who map[string]any) map[string]any {
		b := map[string]any{"community": e.east, "answers": map[string]any{"Q1": "no", "Q2": 2}}
		for k, v := range who {
			b[k] = v
		}
		return b
	}
	e.answer(id, body(map[string]any{"phone": "138 0013 8000"})).Want(t, http.StatusCreated)
	for _, again := range []string{"13800138000", "+86 138-0013-8000", "0086 13800138000"} {
		code, _ := e.answer(id, body(map[string]any{"phone": again})).Want(t, http.StatusConflict).ErrorOf(t)
		if code != "already_answered" {
			t.Errorf("%s: %s, want already_answered", again, code)
		}
	}
	device := "dev-0123456789abcdef"
	e.answer(id, body(map[string]any{"device": device})).Want(t, http.StatusCreated)
	e.answer(id, body(map[string]any{"device": device})).Want(t, http.StatusConflict)
	if n := e.Int(`SELECT count(*) FROM survey_responses WHERE survey_id = $1`, id); n != 2 {
		t.Errorf("%d answers, want 2", n)
	}
	// the same number may answer another survey
	other := e.published(e.definition("T-ONCE-2"))
	e.answer(other, body(map[string]any{"phone": "13800138000"})).Want(t, http.StatusCreated)
}

// TestFlood: past its burst one address gets 429 with Retry-After, and
// nothing of the refused answers is written; another address still answers.
func TestFlood(t *testing.T) {
	e := newEnv(t)
	id := e.published(e.definition("T-FLOOD"))
	one := []string{"X-Forwarded-For", "203.0.113.7"}
	post := func(headers []string) apitest.Reply {
		return e.Call("POST", fmt.Sprintf("/api/v1/surveys/%d/responses", id), "", map[string]any{"community": e.west,
			"phone": phone(), "answers": map[string]any{"Q1": "yes", "Q2": 5}}, headers...)
	}
	for range 3 { // the burst
		post(one).Want(t, http.StatusCreated)
	}
	before := e.responses()
	for range 5 {
		r := post(one).Want(t, http.StatusTooManyRequests)
		if r.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
		if code, _ := r.ErrorOf(t); code != "too_many_requests" {
			t.Fatalf("code %s", code)
		}
	}
	// the form of the page counts against the same address
	e.Call("POST", "/s/T-FLOOD", "", url.Values{"community": {e.west}, "phone": {phone()}, "q.Q1": {"yes"}, "q.Q2": {"5"}},
		one...).Want(t, http.StatusTooManyRequests)
	if n := e.responses(); n != before {
		t.Errorf("%d answers after the flood, want %d", n, before)
	}
	post(e.from()).Want(t, http.StatusCreated)
}

// TestPrivacyKey: an answer keeps the HMAC-SHA256 of the normalised number
// under the server's secret, and the number appears in no column of the
// row (nor anywhere in the row's text).
func TestPrivacyKey(t *testing.T) {
	e := newEnv(t)
	id := e.published(e.definition("T-PRIV"))
	const number = "13912345678"
	e.answer(id, map[string]any{"community": e.west, "phone": "+86 139 1234 5678",
		"answers": map[string]any{"Q1": "yes", "Q2": 3, "Q4": "没意见"}}).Want(t, http.StatusCreated)
	var text string
	var key []byte
	e.Scan(`SELECT row_to_json(r)::text || ' ' || encode(r.respondent, 'hex') || ' ' || encode(r.respondent, 'base64'),
		r.respondent FROM survey_responses r WHERE survey_id = $1`, []any{id}, &text, &key)
	for _, form := range []string{number, "1391234", "5678"} {
		if strings.Contains(text, form) {
			t.Errorf("the row holds %q: %s", form, text)
		}
	}
	m := hmac.New(sha256.New, []byte(testSecret))
	m.Write([]byte("phone:" + number))
	if !hmac.Equal(key, m.Sum(nil)) {
		t.Errorf("respondent %x is not the HMAC of the normalised number", key)
	}
	if n := e.Int(`SELECT count(*) FROM survey_responses r WHERE row_to_json(r)::text LIKE '%' || $1 || '%'`, number); n != 0 {
		t.Errorf("%d rows hold the number", n)
	}
}

// TestLocation: a GCJ-02 position (a mini-program's, a hotline's) is
// converted before it is placed: the point lies in West, its GCJ-02
// coordinates read as WGS-84 would lie in East.
func TestLocation(t *testing.T) {
	e := newEnv(t)
	id := e.published(e.definition("T-LOC"))
	wgs, gcj := gcjNearBorder(t)
	for _, c := range []struct {
		name     string
		lon, lat float64
		sys      string
		want     string
	}{
		{"gcj02", gcj[0], gcj[1], "gcj02", e.west},
		{"wgs84", wgs[0], wgs[1], "wgs84", e.west},
		{"no coord_sys is wgs84", wgs[0], wgs[1], "", e.west},
		{"gcj02 coordinates taken as wgs84", gcj[0], gcj[1], "wgs84", e.east},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := map[string]any{"lon": c.lon, "lat": c.lat, "phone": phone(), "answers": map[string]any{"Q1": "yes", "Q2": 4}}
			if c.sys != "" {
				b["coord_sys"] = c.sys
			}
			var got struct{ ID int64 }
			e.answer(id, b).Want(t, http.StatusCreated).Decode(t, &got)
			var community, by string
			e.Scan(`SELECT community_code, located_by FROM survey_responses WHERE id = $1`, []any{got.ID}, &community, &by)
			if community != c.want || by != "position" {
				t.Errorf("placed in %s (%s), want %s", community, by, c.want)
			}
		})
	}
	// coord_sys in the query, as other inputs say it
	var got struct{ Community string }
	e.Call("POST", fmt.Sprintf("/api/v1/surveys/%d/responses?coord_sys=gcj02", id), "", map[string]any{"lon": gcj[0], "lat": gcj[1],
		"phone": phone(), "answers": map[string]any{"Q1": "yes", "Q2": 4}}, e.from()...).Want(t, http.StatusCreated).Decode(t, &got)
	if got.Community != e.west {
		t.Errorf("?coord_sys=gcj02: placed in %s, want %s", got.Community, e.west)
	}
	code, _ := e.answer(id, map[string]any{"lon": gcj[0], "lat": gcj[1], "coord_sys": "mars", "phone": phone(),
		"answers": map[string]any{"Q1": "yes", "Q2": 4}}).Want(t, http.StatusUnprocessableEntity).ErrorOf(t)
	if code != "invalid" {
		t.Errorf("unknown coord_sys: %s", code)
	}
}

// TestOpensLater: opening times are the API's clock's (a survey opening
// tomorrow refuses today).
func TestOpensLater(t *testing.T) {
	e := newEnv(t)
	d := e.definition("T-LATER")
	d["opens_at"] = time.Now().Add(24 * time.Hour).Format(time.RFC3339)
	id := e.published(d)
	e.answer(id, map[string]any{"community": e.west, "phone": phone(), "answers": map[string]any{"Q1": "yes", "Q2": 4}}).
		Want(t, http.StatusConflict)
	if body := string(e.Get("/s/T-LATER", "").Body); !strings.Contains(body, "不在填写时间内") || strings.Contains(body, "<form") {
		t.Errorf("the page of a survey not open yet shows a form:\n%s", body)
	}
}
