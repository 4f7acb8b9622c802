package surveys

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"

	"citymap/server/auth"
	"citymap/server/respond"
	"citymap/server/store"
	"citymap/server/survey"
)

// create is POST /api/v1/surveys: a checked definition stored as a draft,
// 201 with the survey.
func (a *API) create(w http.ResponseWriter, r *http.Request) {
	var d survey.Definition
	if err := respond.Decode(w, r, respond.MaxBody, &d); err != nil {
		respond.Fail(w, r, err)
		return
	}
	known, err := a.store.QuestionnaireIndicators(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	if err := d.Check(func(c string) bool { return known[c] }); err != nil {
		fail(w, r, err)
		return
	}
	questions, err := json.Marshal(d.Questions)
	if err != nil {
		fail(w, r, err)
		return
	}
	p := auth.From(r.Context())
	sv, err := a.store.CreateSurvey(r.Context(), store.Survey{Code: d.Code, Title: d.Title, Intro: d.Intro,
		Questions: questions, Areas: d.Areas, OpensAt: d.OpensAt, ClosesAt: d.ClosesAt, CreatedBy: p.Actor()})
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/surveys/"+strconv.FormatInt(sv.ID, 10))
	respond.JSON(w, http.StatusCreated, a.view(sv, p))
}

// publish is POST /api/v1/surveys/{id}/publish.
func (a *API) publish(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	sv, err := a.store.PublishSurvey(r.Context(), id, a.now())
	if err != nil {
		fail(w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, a.view(sv, auth.From(r.Context())))
}

// list is GET /api/v1/surveys: {"surveys": [...]}, newest first, each with
// its respondents in the caller's areas.
func (a *API) list(w http.ResponseWriter, r *http.Request) {
	if err := respond.KnownParams(r.URL.Query(), "access_token"); err != nil {
		respond.Fail(w, r, err)
		return
	}
	p := auth.From(r.Context())
	all, err := a.store.Surveys(r.Context(), p.Viewer())
	if err != nil {
		fail(w, r, err)
		return
	}
	out := make([]surveyView, 0, len(all))
	for _, sv := range all {
		out = append(out, a.view(sv, p))
	}
	respond.JSON(w, http.StatusOK, map[string]any{"surveys": out})
}

// get is GET /api/v1/surveys/{id}.
func (a *API) get(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	if err := respond.KnownParams(r.URL.Query(), "access_token"); err != nil {
		respond.Fail(w, r, err)
		return
	}
	p := auth.From(r.Context())
	sv, err := a.store.SurveyByID(r.Context(), id, p.Viewer())
	if err != nil {
		fail(w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, a.view(sv, p))
}

// surveyView is a survey as the API answers it: its public page's URL and
// whether it takes answers now.
type surveyView struct {
	store.Survey
	URL  string `json:"url"`
	Open bool   `json:"open"`
}

// view shows a survey to p: of its areas, those p's own areas touch (a
// narrow token learns nothing of the rest of the city).
func (a *API) view(sv store.Survey, p *auth.Principal) surveyView {
	if len(p.Areas) > 0 {
		sv.Areas = slices.DeleteFunc(slices.Clone(sv.Areas), func(code string) bool { return !p.Areas.Touches(code) })
	}
	if sv.Areas == nil {
		sv.Areas = []string{}
	}
	d := definitionOf(sv)
	return surveyView{Survey: sv, URL: "/s/" + sv.Code, Open: sv.Status == "published" && d.Open(a.now())}
}

// definitionOf reads a stored survey's definition (stored checked).
func definitionOf(sv store.Survey) *survey.Definition {
	d := &survey.Definition{Code: sv.Code, Title: sv.Title, Intro: sv.Intro, Areas: sv.Areas,
		OpensAt: sv.OpensAt, ClosesAt: sv.ClosesAt}
	_ = json.Unmarshal(sv.Questions, &d.Questions)
	return d
}
