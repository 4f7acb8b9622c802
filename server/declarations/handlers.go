package declarations

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"citymap/server/auth"
	"citymap/server/declflow"
	"citymap/server/period"
	"citymap/server/respond"
	"citymap/server/store"
	"citymap/server/table"
)

var codePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$`)

var listParams = []string{"unit", "indicator", "period", "status", "due", "limit", "format", "access_token"}

// list is GET /api/v1/declarations?unit=&indicator=&period=&status=&due=&limit=&format=:
// {"declarations": [...], "total": N} by due date, or CSV. A unit's token
// gets its own unit's whatever unit it asks for.
func (a *API) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := respond.KnownParams(q, listParams...); err != nil {
		respond.Fail(w, r, err)
		return
	}
	p := auth.From(r.Context())
	f := store.DeclarationFilter{Unit: q.Get("unit"), Indicator: q.Get("indicator"), Period: q.Get("period"),
		Due: q.Get("due"), Now: a.now(), Viewer: p.Viewer()}
	for name, v := range map[string]string{"unit": f.Unit, "indicator": f.Indicator} {
		if v != "" && !codePattern.MatchString(v) {
			respond.Fail(w, r, respond.Field(name, "invalid", name+" is a code: letters, digits, dots, dashes and underscores"))
			return
		}
	}
	if f.Period != "" && !store.DeclarationPeriodPattern.MatchString(f.Period) {
		respond.Fail(w, r, respond.Field("period", "invalid", "period is a month (2026-11) or a quarter (2026-Q4)"))
		return
	}
	switch f.Due {
	case "", "7d", "3d", "overdue":
	default:
		respond.Fail(w, r, respond.Field("due", "invalid", "due is 7d, 3d or overdue"))
		return
	}
	if p.Unit != "" {
		if f.Unit != "" && f.Unit != p.Unit {
			respond.Fail(w, r, errOtherUnit)
			return
		}
		f.Unit = p.Unit
	}
	var err error
	if f.Statuses, err = respond.List(q, "status", declflow.ValidStatus); err != nil {
		respond.Fail(w, r, err)
		return
	}
	if s := q.Get("limit"); s != "" {
		if f.Limit, err = strconv.Atoi(s); err != nil || f.Limit <= 0 {
			respond.Fail(w, r, respond.Field("limit", "invalid", "limit is a positive integer"))
			return
		}
	}
	switch q.Get("format") {
	case "", "json":
	case "csv":
		a.listCSV(w, r, f)
		return
	default:
		respond.Fail(w, r, respond.Field("format", "invalid", "format is json (the default) or csv"))
		return
	}
	body, err := a.store.ListDeclarations(r.Context(), f)
	if err != nil {
		fail(w, r, err)
		return
	}
	respond.RawJSON(w, http.StatusOK, body)
}

func (a *API) listCSV(w http.ResponseWriter, r *http.Request, f store.DeclarationFilter) {
	t, err := a.store.DeclarationTable(r.Context(), f)
	if err != nil {
		fail(w, r, err)
		return
	}
	t.Zone = period.Zone
	name := "declarations_" + f.Now.In(period.Zone).Format("20060102")
	if f.Unit != "" {
		name = "declarations_" + f.Unit + "_" + f.Now.In(period.Zone).Format("20060102")
	}
	table.Serve(w, r, table.CSV, t, name)
}

// get is GET /api/v1/declarations/{id}: the declaration with its events and
// materials, ETag its version.
func (a *API) get(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "declaration")
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	if err := respond.KnownParams(r.URL.Query(), "access_token"); err != nil {
		respond.Fail(w, r, err)
		return
	}
	doc, version, err := a.store.DeclarationByID(r.Context(), id, auth.From(r.Context()).Viewer(), a.now())
	if err != nil {
		fail(w, r, err)
		return
	}
	writeDoc(w, http.StatusOK, version, doc)
}

// materialInput is POST /api/v1/declarations/{id}/materials.
type materialInput struct {
	Kind     string `json:"kind"`
	Text     string `json:"text"`
	Document string `json:"document"`
	Photo    string `json:"photo"`
	Caption  string `json:"caption"`
}

// attach is POST /api/v1/declarations/{id}/materials: 201 with the
// declaration (and "material": the new material's id).
func (a *API) attach(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "declaration")
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	var in materialInput
	if err := respond.Decode(w, r, respond.MaxBody, &in); err != nil {
		respond.Fail(w, r, err)
		return
	}
	m := store.NewMaterial{Kind: strings.TrimSpace(in.Kind), Text: in.Text, Document: strings.TrimSpace(in.Document),
		Photo: strings.TrimSpace(in.Photo), Caption: in.Caption, IfMatch: respond.IfMatch(r)}
	res, err := a.store.AttachMaterial(r.Context(), actor(auth.From(r.Context())), id, m, a.now())
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/declarations/"+strconv.FormatInt(id, 10)+"/materials/"+strconv.FormatInt(res.Material, 10))
	writeDoc(w, http.StatusCreated, res.Version, withMaterial(res.Doc, res.Material))
}

// withMaterial adds "material": id to a declaration's document (a JSON
// object).
func withMaterial(doc []byte, id int64) []byte {
	out := make([]byte, 0, len(doc)+32)
	out = append(out, `{"material":`...)
	out = strconv.AppendInt(out, id, 10)
	if len(doc) > 2 {
		out = append(out, ',')
	}
	return append(out, doc[1:]...)
}

// detach is DELETE /api/v1/declarations/{id}/materials/{mid}: 200 with the
// declaration.
func (a *API) detach(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "declaration")
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	mid, err := pathID(r, "mid", "material")
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	res, err := a.store.DetachMaterial(r.Context(), actor(auth.From(r.Context())), id, mid, respond.IfMatch(r), a.now())
	if err != nil {
		fail(w, r, err)
		return
	}
	writeDoc(w, http.StatusOK, res.Version, res.Doc)
}

// stepInput is POST /api/v1/declarations/{id}/actions.
type stepInput struct {
	Action string `json:"action"`
	Note   string `json:"note"`
	Text   string `json:"text"`
}

// step is POST /api/v1/declarations/{id}/actions: 200 with the declaration
// after the step; 403 for a role that never takes it or another unit's
// declaration, 412 when If-Match names an older version, 409 with the status
// and the allowed actions when out of order, 422 for a return without a note
// or a submission without materials.
func (a *API) step(w http.ResponseWriter, r *http.Request) {
	p := auth.From(r.Context())
	id, err := pathID(r, "id", "declaration")
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	var in stepInput
	if err := respond.Decode(w, r, respond.MaxBody, &in); err != nil {
		respond.Fail(w, r, err)
		return
	}
	switch {
	case in.Action == "":
		respond.Fail(w, r, respond.Field("action", "required", "action is required"))
		return
	case !declflow.ValidAction(in.Action):
		respond.Fail(w, r, respond.Field("action", "invalid", "action is one of submit, approve, accept, return"))
		return
	case !declflow.RoleMay(p.Role, declflow.Action(in.Action)):
		respond.Fail(w, r, respond.Errorf(http.StatusForbidden, "forbidden", "a "+p.Role+" may not "+in.Action+" declarations"))
		return
	}
	res, err := a.store.ApplyDeclarationStep(r.Context(), actor(p), id, store.DeclarationStep{Action: declflow.Action(in.Action),
		Note: in.Note, Text: in.Text, IfMatch: respond.IfMatch(r)}, a.now())
	if err != nil {
		fail(w, r, err)
		return
	}
	writeDoc(w, http.StatusOK, res.Version, res.Doc)
}
