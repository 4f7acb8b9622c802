package api

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"citymap/geo/validate"
	"citymap/server/access"
	"citymap/server/auth"
	"citymap/server/period"
	"citymap/server/respond"
	"citymap/server/store"
	"citymap/server/workflow"
)

// listParams are the query parameters of GET /api/v1/issues. Unknown ones are
// refused: a misspelt filter that is silently ignored returns the wrong issues.
var listParams = []string{"bbox", "status", "category", "source", "area", "overdue", "unassigned",
	"from", "to", "q", "sort", "limit", "cursor", "access_token"}

var areaCode = regexp.MustCompile(`^[0-9]{6}([0-9]{3}([0-9]{3}([0-9]{2})?)?)?$`)

// issueFilter reads the list's query parameters.
func issueFilter(q url.Values) (store.IssueFilter, error) {
	var f store.IssueFilter
	if err := respond.KnownParams(q, listParams...); err != nil {
		return f, err
	}
	var err error
	if f.BBox, err = parseBBox(q.Get("bbox")); err != nil {
		return f, err
	}
	if f.Statuses, err = respond.List(q, "status", func(s string) bool { return workflow.ValidStatus(s) }); err != nil {
		return f, err
	}
	if f.Sources, err = respond.List(q, "source", func(s string) bool { return slices.Contains(store.IssueSources, s) }); err != nil {
		return f, err
	}
	// categories are data, not code: an unknown one matches nothing
	if f.Categories, err = respond.List(q, "category", func(string) bool { return true }); err != nil {
		return f, err
	}
	if f.Area = q.Get("area"); f.Area != "" && !areaCode.MatchString(f.Area) {
		return f, respond.Field("area", "invalid", "an area code has 6, 9, 12 or 14 digits")
	}
	if f.Overdue, err = parseBool(q, "overdue"); err != nil {
		return f, err
	}
	if f.Unassigned, err = parseBool(q, "unassigned"); err != nil {
		return f, err
	}
	if f.From, err = parseTime(q, "from", false); err != nil {
		return f, err
	}
	if f.To, err = parseTime(q, "to", true); err != nil {
		return f, err
	}
	f.Text, f.Sort, f.Cursor = strings.TrimSpace(q.Get("q")), q.Get("sort"), q.Get("cursor")
	if f.Sort != "" && !slices.Contains(store.IssueSorts, f.Sort) {
		return f, respond.Field("sort", "invalid", "sort is one of "+strings.Join(store.IssueSorts, ", "))
	}
	if s := q.Get("limit"); s != "" {
		if f.Limit, err = strconv.Atoi(s); err != nil || f.Limit <= 0 {
			return f, respond.Field("limit", "invalid", "limit is a positive integer")
		}
	}
	return f, nil
}

func parseBBox(s string) (*[4]float64, error) {
	if s == "" {
		return nil, nil
	}
	v, err := validate.ParseBBox(s)
	if err == nil {
		err = validate.BBox(orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}})
	}
	if err != nil {
		return nil, respond.Field("bbox", "invalid", err.Error())
	}
	return &[4]float64{v[0], v[1], v[2], v[3]}, nil
}

func parseBool(q url.Values, name string) (bool, error) {
	s := q.Get(name)
	if s == "" {
		return false, nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return false, respond.Field(name, "invalid", name+" is true or false")
	}
	return v, nil
}

// parseTime reads an optional time as the reports do (period.Time), nil when
// it is absent.
func parseTime(q url.Values, name string, end bool) (*time.Time, error) {
	t, err := period.Time(q, name, end)
	if err != nil || t.IsZero() {
		return nil, err
	}
	return &t, nil
}

// listIssues is GET /api/v1/issues: a GeoJSON FeatureCollection, one page at a
// time. The next page's URL is in the Link header and in "links".
func (a *API) listIssues(w http.ResponseWriter, r *http.Request) {
	p := auth.From(r.Context())
	f, err := issueFilter(r.URL.Query())
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	f.Viewer = p.Viewer()
	page, err := a.store.ListIssues(r.Context(), f)
	if err != nil {
		fail(w, r, err)
		return
	}
	var next string
	if page.Next != "" {
		u := *r.URL
		q := u.Query()
		q.Set("cursor", page.Next)
		q.Del("access_token") // a URL handed on should not carry a secret
		u.RawQuery = q.Encode()
		next = u.RequestURI()
		w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next"`, next))
	}
	w.Header().Set("Content-Type", "application/geo+json")
	_, _ = w.Write(collection(page, next))
}

// collection joins the features the store built into a FeatureCollection.
func collection(page store.IssuePage, nextURL string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"type":"FeatureCollection","numberReturned":`)
	b.WriteString(strconv.Itoa(len(page.Features)))
	if page.Next != "" {
		fmt.Fprintf(&b, `,"next":%q,"links":[{"rel":"next","type":"application/geo+json","href":%q}]`,
			page.Next, nextURL)
	}
	b.WriteString(`,"features":[`)
	for i, f := range page.Features {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(f)
	}
	b.WriteString("]}\n")
	return b.Bytes()
}

// getIssue is GET /api/v1/issues/{id}: the issue with its timeline.
func (a *API) getIssue(w http.ResponseWriter, r *http.Request) {
	p := auth.From(r.Context())
	id, err := issueID(r)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	doc, err := a.store.IssueByID(r.Context(), id, p.Viewer())
	if err != nil {
		fail(w, r, err)
		return
	}
	if !doc.Visible {
		respond.Fail(w, r, seeError(p))
		return
	}
	writeFeature(w, http.StatusOK, doc.Version, doc.Feature)
}

// seeError says why p may not see an issue.
func seeError(p *auth.Principal) error {
	if p.Is(access.Reporter) {
		return respond.Errorf(http.StatusForbidden, "forbidden",
			"a reporter reads only the issues of its source, or without one the issues it reported")
	}
	return errOutOfScope
}
