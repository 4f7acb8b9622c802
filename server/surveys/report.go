package surveys

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"

	"citymap/server/access"
	"citymap/server/auth"
	"citymap/server/respond"
	"citymap/server/store"
	"citymap/server/survey"
	"citymap/server/table"
)

var reportParams = []string{"survey", "by", "format", "access_token"}

// report is GET /api/v1/reports/surveys?survey=ID|CODE&by=community|street[&format=csv|geojson]:
// a row per community (or street) of the survey in the caller's areas with
// its respondents, 知晓率, 满意率 and average rating (docs/REPORTS.md), and
// in the JSON and GeoJSON the distribution of every question's answers from
// those areas.
func (a *API) report(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := respond.KnownParams(q, reportParams...); err != nil {
		respond.Fail(w, r, err)
		return
	}
	format, err := table.Negotiate(r, true)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	by := q.Get("by")
	switch by {
	case "":
		by = "community"
	case "community", "street":
	default:
		respond.Fail(w, r, respond.Field("by", "invalid", "by is community (the default) or street"))
		return
	}
	p := auth.From(r.Context())
	sv, err := a.surveyOf(r, q.Get("survey"), p.Viewer())
	if err != nil {
		fail(w, r, err)
		return
	}
	t, err := Report(r.Context(), a.store, sv, ReportQuery{By: by, Viewer: p.Viewer(), Geometry: format == table.GeoJSON})
	if err != nil {
		fail(w, r, err)
		return
	}
	table.Serve(w, r, format, t, "survey_"+sv.Code+"_"+by)
}

// surveyOf reads the survey a report names by id or code.
func (a *API) surveyOf(r *http.Request, ref string, v store.Viewer) (store.Survey, error) {
	switch {
	case ref == "":
		return store.Survey{}, respond.Field("survey", "required", "survey is the survey's id or code")
	case !survey.ValidCode(ref):
		return store.Survey{}, respond.Field("survey", "invalid", "survey is the survey's id or code")
	}
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return a.store.SurveyByID(r.Context(), id, v)
	}
	return a.store.SurveyByCode(r.Context(), ref)
}

// ReportQuery is what a survey report counts: the answers grouped By
// community or street, from the Viewer's areas, given before Before (zero:
// every answer); Geometry adds the areas' outlines.
type ReportQuery struct {
	By       string
	Viewer   store.Viewer
	Before   time.Time
	Geometry bool
}

// Report is the surveys report's table of sv: a row per community (or
// street) of the survey's areas in the viewer's, answered or not (a
// choropleth shows where nobody answered too), with its respondents, 知晓率,
// 满意率 and average rating counted by survey.Tally; Meta holds the
// distribution of every question. The report's handler and the bulletins
// both read it.
func Report(ctx context.Context, st *store.Store, sv store.Survey, q ReportQuery) (*table.Table, error) {
	tally := survey.NewTally(definitionOf(sv))
	group := func(community string) string {
		if q.By == "street" {
			return community[:9]
		}
		return community
	}
	err := st.SurveyAnswers(ctx, sv.ID, q.Viewer, q.Before, func(c string, answers []byte) error {
		return tally.Add(group(c), answers)
	})
	if err != nil {
		return nil, err
	}
	communities, err := st.SurveyCommunities(ctx, sv.Areas)
	if err != nil {
		return nil, err
	}
	codes := []string{}
	for _, c := range communities {
		if inScope(c.Code, q.Viewer.Scope) && !slices.Contains(codes, group(c.Code)) {
			codes = append(codes, group(c.Code))
		}
	}
	for code := range tally.Groups() {
		if !slices.Contains(codes, code) {
			codes = append(codes, code)
		}
	}
	slices.Sort(codes)
	shapes, err := st.AreaShapes(ctx, codes, q.Geometry)
	if err != nil {
		return nil, err
	}
	t := &table.Table{Columns: []string{"code", "name", "respondents", "awareness_rate", "satisfaction_rate", "average_rating"},
		IDColumn: "code", Rows: [][]any{}}
	if q.Geometry {
		t.Geometry = []json.RawMessage{}
	}
	total := 0
	for _, code := range codes {
		g := tally.Groups()[code]
		if g == nil {
			g = &survey.Group{}
		}
		total += g.Respondents
		t.Rows = append(t.Rows, []any{code, shapes[code].Name, g.Respondents, num(g.AwarenessRate()), num(g.SatisfactionRate()), num(g.AverageRating())})
		if q.Geometry {
			t.Geometry = append(t.Geometry, shapes[code].Geometry)
		}
	}
	t.Meta = map[string]any{"report": "surveys", "by": q.By, "respondents": total, "questions": tally.Questions(),
		"survey": map[string]any{"id": sv.ID, "code": sv.Code, "title": sv.Title, "status": sv.Status}}
	return t, nil
}

// inScope reports whether a community lies in the viewer's areas.
func inScope(code string, scope []string) bool { return access.Scope(scope).Covers(code) }

// num is a figure for a table cell: nil when there is none.
func num(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
