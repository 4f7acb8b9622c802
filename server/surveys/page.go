package surveys

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"citymap/invalid"
	"citymap/server/respond"
	"citymap/server/store"
	"citymap/server/survey"
	"citymap/webmap"
)

//go:embed page.html
var pageHTML string

// pageTmpl is the public page: html/template escapes every text of the
// definition (a question's markup shows as text).
var pageTmpl = template.Must(template.New("survey").Funcs(template.FuncMap{
	"inc": func(i int) int { return i + 1 },
	"seq": func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i + 1
		}
		return out
	},
}).Parse(pageHTML))

// pageData is what the page shows.
type pageData struct {
	ID            int64
	Code, Title   string
	Intro, Notice string
	Error         string
	Form          bool
	Questions     []survey.Question
	Streets       []street
}

type street struct {
	Name        string
	Communities []store.Community
}

// page is GET /s/{survey}: the questionnaire, rendered on the server from
// its definition so that it shows before (or without) its few KB of script.
func (a *API) page(w http.ResponseWriter, r *http.Request) {
	sv, ok := a.pageSurvey(w, r)
	if !ok {
		return
	}
	data, err := a.pageData(r.Context(), sv)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, data)
}

// pageSurvey reads the page's published survey, answering a page of its own
// when there is none.
func (a *API) pageSurvey(w http.ResponseWriter, r *http.Request) (store.Survey, bool) {
	code := r.PathValue("survey")
	var sv store.Survey
	err := store.ErrSurveyNotFound
	if survey.ValidCode(code) {
		sv, err = a.store.SurveyByCode(r.Context(), code)
	}
	if err == nil && sv.Status != "published" {
		err = store.ErrSurveyNotFound
	}
	switch {
	case errors.Is(err, store.ErrSurveyNotFound):
		a.render(w, r, http.StatusNotFound, pageData{Title: "问卷不存在", Notice: "没有找到这份问卷，请检查链接。"})
		return sv, false
	case err != nil:
		respond.Fail(w, r, err)
		return sv, false
	}
	return sv, true
}

func (a *API) pageData(ctx context.Context, sv store.Survey) (pageData, error) {
	d := definitionOf(sv)
	data := pageData{ID: sv.ID, Code: sv.Code, Title: sv.Title, Intro: sv.Intro, Questions: d.Questions}
	if !d.Open(a.now()) {
		data.Notice = "本问卷当前不在填写时间内。"
		return data, nil
	}
	communities, err := a.store.SurveyCommunities(ctx, sv.Areas)
	if err != nil {
		return data, err
	}
	for _, c := range communities {
		if n := len(data.Streets); n == 0 || data.Streets[n-1].Name != c.Street {
			data.Streets = append(data.Streets, street{Name: c.Street})
		}
		s := &data.Streets[len(data.Streets)-1]
		s.Communities = append(s.Communities, c)
	}
	data.Form = true
	return data, nil
}

func (a *API) render(w http.ResponseWriter, r *http.Request, status int, data pageData) {
	w.Header().Set("Content-Security-Policy", webmap.Policy(r.Host, nil))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	// the page may ask for the phone's position, nothing else
	w.Header().Set("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
	// the server's compression shrinks the page (its communities' list) to
	// a quarter for a phone on a slow network
	w.WriteHeader(status)
	if err := pageTmpl.Execute(w, data); err != nil {
		slog.Debug("write survey page", "err", err)
	}
}

// pageSubmit is POST /s/{survey}: the page's form without script (a plain
// form post), answered with the page again: thanks, or what to correct.
func (a *API) pageSubmit(w http.ResponseWriter, r *http.Request) {
	if err := a.limiter.Allow(a.clientAddr(r)); err != nil {
		var e *respond.Error
		errors.As(err, &e)
		respond.SetRetryAfter(w, e.RetryAfter)
		a.render(w, r, http.StatusTooManyRequests, pageData{Title: "请稍后再试", Notice: "提交过于频繁，请稍后再试。"})
		return
	}
	sv, ok := a.pageSurvey(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	if err := r.ParseForm(); err != nil {
		a.render(w, r, http.StatusBadRequest, pageData{Title: sv.Title, Error: "提交的内容无法读取，请返回重试。"})
		return
	}
	in := formAnswer(definitionOf(sv), r.PostForm)
	_, _, err := a.accept(r.Context(), sv, in)
	if err == nil {
		a.render(w, r, http.StatusCreated, pageData{Title: sv.Title, Notice: "提交成功，感谢您的参与！"})
		return
	}
	data, derr := a.pageData(r.Context(), sv)
	if derr != nil {
		respond.Fail(w, r, derr)
		return
	}
	status, msg := pageError(err)
	if status >= 500 {
		respond.Fail(w, r, err)
		return
	}
	data.Error = msg
	a.render(w, r, status, data)
}

// formAnswer reads the form's fields (q.ID, community, phone) as an answer.
func formAnswer(d *survey.Definition, form url.Values) answer {
	in := answer{Community: form.Get("community"), Phone: form.Get("phone"), Answers: map[string]json.RawMessage{}}
	for _, q := range d.Questions {
		vals := form["q."+q.ID]
		if len(vals) == 0 {
			continue
		}
		var v any = vals[0]
		switch q.Kind {
		case survey.Multiple:
			v = vals
		case survey.Rating:
			v = json.Number(strings.TrimSpace(vals[0]))
		}
		raw, err := json.Marshal(v)
		if err != nil { // a rating that is no number
			raw, _ = json.Marshal(vals[0])
		}
		in.Answers[q.ID] = raw
	}
	return in
}

// pageError is the status and message of a refused form.
func pageError(err error) (int, string) {
	var fe *invalid.Error
	var re *respond.Error
	switch {
	case errors.As(err, &fe):
		return http.StatusUnprocessableEntity, fe.Message
	case errors.Is(err, store.ErrAlreadyAnswered):
		return http.StatusConflict, "您已提交过本问卷，感谢参与。"
	case errors.As(err, &re):
		return re.Status, re.Message
	}
	return http.StatusInternalServerError, ""
}
