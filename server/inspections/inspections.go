// Package inspections serves the inspections (督查) of the civilized-city
// evaluation: recording a visit to a point with its deductions — each of which
// opens a case at the point —, reading inspections back, and the points whose
// inspection is overdue.
package inspections

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"citymap/server/access"
	"citymap/server/auth"
	"citymap/server/limit"
	"citymap/server/period"
	"citymap/server/respond"
	"citymap/server/routes"
	"citymap/server/store"
	"citymap/server/table"
)

// API is the inspection API of one instance.
type API struct {
	store *store.Store
	auth  *auth.Authenticator
}

// New returns the inspection API over st.
func New(st *store.Store, a *auth.Authenticator) *API { return &API{store: st, auth: a} }

// Routes lists the routes and who may call them: the command centre and,
// within their areas, grid managers inspect; every role but the reporter reads.
func (a *API) Routes() []routes.Route {
	return []routes.Route{
		routes.For("POST /api/v1/inspections", a.create, limit.Light, access.CaseWorkers),
		routes.For("GET /api/v1/inspections", a.list, limit.Medium, access.Readers),
		routes.For("GET /api/v1/inspections/{id}", a.get, limit.Light, access.Readers),
		routes.For("GET /api/v1/points/overdue", a.overdue, limit.Medium, access.Readers),
	}
}

var errOutOfScope = respond.Errorf(http.StatusForbidden, "out_of_scope", "the point lies outside your areas")

// fail answers the store's errors.
func fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrIssueOutOfScope):
		respond.Fail(w, r, errOutOfScope)
	case errors.Is(err, store.ErrInspectionNotFound):
		respond.Fail(w, r, respond.ErrNotFound)
	default:
		respond.Fail(w, r, err)
	}
}

// input is an inspection as clients send it.
type input struct {
	Point       string      `json:"point"`
	InspectedAt string      `json:"inspected_at"` // RFC 3339; empty: now
	Inspector   string      `json:"inspector"`    // empty: the caller's name
	Deductions  []deduction `json:"deductions"`
	Photos      []string    `json:"photos"`
	Note        string      `json:"note"`
}

type deduction struct {
	IndicatorCode string  `json:"indicator_code"`
	Indicator     string  `json:"indicator"`
	Points        float64 `json:"points"`
	Note          string  `json:"note"`
	Category      string  `json:"category"`
	Description   string  `json:"description"`
}

func (in *input) inspection(p *auth.Principal) (store.NewInspection, error) {
	n := store.NewInspection{Point: strings.TrimSpace(in.Point), Inspector: strings.TrimSpace(in.Inspector),
		Photos: in.Photos, Note: in.Note}
	if n.Inspector == "" {
		n.Inspector = p.Name
	}
	if in.InspectedAt != "" {
		t, err := time.Parse(time.RFC3339, in.InspectedAt)
		if err != nil {
			return n, respond.Field("inspected_at", "invalid", "inspected_at is an RFC 3339 time")
		}
		n.InspectedAt = t
	}
	for _, d := range in.Deductions {
		n.Deductions = append(n.Deductions, store.NewDeduction{IndicatorCode: strings.TrimSpace(d.IndicatorCode),
			Indicator: strings.TrimSpace(d.Indicator),
			Points:    d.Points, Note: d.Note, Category: d.Category, Description: d.Description})
	}
	return n, nil
}

// create is POST /api/v1/inspections: 201 with the inspection, whose issues
// member lists the issues its deductions opened.
func (a *API) create(w http.ResponseWriter, r *http.Request) {
	p := auth.From(r.Context())
	var in input
	if err := respond.Decode(w, r, respond.MaxBody, &in); err != nil {
		respond.Fail(w, r, err)
		return
	}
	n, err := in.inspection(p)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	doc, err := a.store.CreateInspection(r.Context(), p.IssueActor(), n)
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/inspections/"+strconv.FormatInt(doc.ID, 10))
	respond.RawJSON(w, http.StatusCreated, doc.Doc)
}

// get is GET /api/v1/inspections/{id}.
func (a *API) get(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		respond.Fail(w, r, respond.Field("id", "invalid", "an inspection id is a positive integer"))
		return
	}
	doc, err := a.store.InspectionByID(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	if p := auth.From(r.Context()); len(p.Areas) > 0 && (doc.Grid == nil || !p.Covers(*doc.Grid)) {
		respond.Fail(w, r, errOutOfScope)
		return
	}
	respond.RawJSON(w, http.StatusOK, doc.Doc)
}

var (
	listParams    = []string{"point", "area", "from", "to", "limit", "cursor", "access_token"}
	overdueParams = []string{"area", "category", "format", "access_token"}
	areaCode      = regexp.MustCompile(`^[0-9]{6}([0-9]{3}([0-9]{3}([0-9]{2})?)?)?$`)
)

// checkParams refuses parameters the endpoint does not know: a misspelt filter
// silently ignored would answer with the wrong rows.
func checkParams(q url.Values, known []string) error {
	if err := respond.KnownParams(q, known...); err != nil {
		return err
	}
	if a := q.Get("area"); a != "" && !areaCode.MatchString(a) {
		return respond.Field("area", "invalid", "an area code has 6, 9, 12 or 14 digits")
	}
	return nil
}

// list is GET /api/v1/inspections?point=&area=&from=&to=: the latest first, a
// page at a time ({"items": [...], "next": cursor}).
func (a *API) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := listFilter(q)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	f.Scope = auth.From(r.Context()).Areas
	page, err := a.store.ListInspections(r.Context(), f)
	if err != nil {
		fail(w, r, err)
		return
	}
	var b bytes.Buffer
	b.WriteString(`{"items":[`)
	for i, item := range page.Items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(item)
	}
	b.WriteByte(']')
	if page.Next != "" {
		fmt.Fprintf(&b, `,"next":%q`, page.Next)
	}
	b.WriteString("}\n")
	respond.RawJSON(w, http.StatusOK, b.Bytes())
}

func listFilter(q url.Values) (store.InspectionFilter, error) {
	f := store.InspectionFilter{Point: q.Get("point"), Area: q.Get("area"), Cursor: q.Get("cursor")}
	if err := checkParams(q, listParams); err != nil {
		return f, err
	}
	var err error
	if f.From, err = period.Time(q, "from", false); err != nil {
		return f, err
	}
	if f.To, err = period.Time(q, "to", true); err != nil {
		return f, err
	}
	if s := q.Get("limit"); s != "" {
		if f.Limit, err = strconv.Atoi(s); err != nil || f.Limit <= 0 {
			return f, respond.Field("limit", "invalid", "limit is a positive integer")
		}
	}
	return f, nil
}

// overdue is GET /api/v1/points/overdue?area=&category=: the points due for
// inspection with their responsible unit and person, as JSON, CSV or GeoJSON.
func (a *API) overdue(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := checkParams(q, overdueParams); err != nil {
		respond.Fail(w, r, err)
		return
	}
	format, err := table.Negotiate(r, true)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	f := store.PointFilter{Area: q.Get("area"), Scope: auth.From(r.Context()).Areas, Geometry: format == table.GeoJSON}
	for _, v := range q["category"] {
		for _, c := range strings.Split(v, ",") {
			if c = strings.TrimSpace(c); c != "" {
				f.Categories = append(f.Categories, c)
			}
		}
	}
	t, err := a.store.OverduePoints(r.Context(), f)
	if err != nil {
		fail(w, r, err)
		return
	}
	now := time.Now().In(period.Zone)
	t.IDColumn, t.Zone = "code", period.Zone
	t.Meta = map[string]any{"report": "overdue_points", "as_of": now.Truncate(time.Second)}
	table.Serve(w, r, format, t, "overdue_points_"+now.Format("20060102"))
}
