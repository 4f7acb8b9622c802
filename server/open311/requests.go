package open311

import (
	"context"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"citymap/server/store"
	"citymap/server/workflow"
)

// request is a service request as GET requests shows it.
type request struct {
	ID                string      `json:"service_request_id" xml:"service_request_id"`
	Status            string      `json:"status" xml:"status"`
	StatusNotes       opt[string] `json:"status_notes" xml:"status_notes"`
	ServiceName       string      `json:"service_name" xml:"service_name"`
	ServiceCode       string      `json:"service_code" xml:"service_code"`
	Description       opt[string] `json:"description" xml:"description"`
	AgencyResponsible opt[string] `json:"agency_responsible" xml:"agency_responsible"`
	ServiceNotice     opt[string] `json:"service_notice" xml:"service_notice"`
	RequestedDatetime string      `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   string      `json:"updated_datetime" xml:"updated_datetime"`
	ExpectedDatetime  string      `json:"expected_datetime" xml:"expected_datetime"`
	Address           opt[string] `json:"address" xml:"address"`
	AddressID         opt[string] `json:"address_id" xml:"address_id"`
	Zipcode           opt[string] `json:"zipcode" xml:"zipcode"`
	Lat               float64     `json:"lat" xml:"lat"`
	Long              float64     `json:"long" xml:"long"`
	MediaURL          opt[string] `json:"media_url" xml:"media_url"`
}

// cityTime is the zone of the datetimes Open311 shows and of those it reads
// without one: China has one zone.
var cityTime = time.FixedZone("CST", 8*3600)

// w3c formats a datetime as the specification's examples do.
func w3c(t time.Time) string { return t.In(cityTime).Format(time.RFC3339) }

// Statuses as Open311 knows them: a citymap case is open until it is closed,
// rejected or merged.
const (
	statusOpen   = "open"
	statusClosed = "closed"
)

func openStatus(s string) string {
	if workflow.Open(workflow.Status(s)) {
		return statusOpen
	}
	return statusClosed
}

// render shows a stored request in language l; base is scheme://host, for the
// photo's URL, "" to leave a stored photo out (a public read: citymap serves
// its photos to keys only).
func (l lang) render(r store.Open311Request, base string) request {
	media := optPtr(r.MediaURL)
	if r.Photo != nil && base != "" {
		media = some(base + "/api/v1/photos/" + *r.Photo)
	}
	return request{
		ID:                strconv.FormatInt(r.ID, 10),
		Status:            openStatus(r.Status),
		StatusNotes:       optPtr(r.Note),
		ServiceName:       l.pick(r.NameZH, r.NameEN),
		ServiceCode:       r.Category,
		Description:       optString(r.Description),
		AgencyResponsible: optPtr(r.Unit),
		ServiceNotice:     some(l.notice(r.DeadlineAmount, r.DeadlineUnit, r.Unit)),
		RequestedDatetime: w3c(r.Created),
		UpdatedDatetime:   w3c(r.Updated),
		ExpectedDatetime:  w3c(r.Deadline),
		Address:           optString(r.Address),
		Lat:               round7(r.Lat),
		Long:              round7(r.Lon),
		MediaURL:          media,
	}
}

// round7 keeps the 7 decimals (about a centimetre) that GeoJSON output keeps.
func round7(v float64) float64 { return math.Round(v*1e7) / 1e7 }

func (c *call) renderAll(rs []store.Open311Request) []request {
	base := ""
	if c.who != nil {
		base = baseURL(c.r)
	}
	out := make([]request, len(rs))
	for i, r := range rs {
		out[i] = c.lang.render(r, base)
	}
	return out
}

// Paging (an extension to the specification) and the date window.
const (
	defaultPageSize = 50
	maxPageSize     = 1000
	maxPage         = 1_000_000
	maxSpan         = 90 * 24 * time.Hour
)

// listRequests is GET /open311/v2/requests.{json,xml}. Requests the caller may
// not see are left out: those outside its areas and, for a reporter (an Open311
// client's key), those of other sources.
func (h *Handler) listRequests(c *call) error {
	f, err := h.requestFilter(c.r.Context(), c.params, time.Now())
	if err != nil {
		return err
	}
	f.Viewer = c.viewer()
	rs, err := h.store.Open311Requests(c.r.Context(), f)
	if err != nil {
		return err
	}
	writeList(c.w, c.format, http.StatusOK, "service_requests", "request", c.renderAll(rs))
	return nil
}

// requestFilter reads the parameters of GET requests. A service_request_id list
// makes the other filters void, as the specification says.
func (h *Handler) requestFilter(ctx context.Context, q url.Values, now time.Time) (store.Open311Filter, error) {
	var f store.Open311Filter
	var err error
	if s := q.Get("service_request_id"); s != "" {
		f.IDs, err = parseIDs(s)
		return f, err
	}
	if f.Categories, err = h.serviceCodes(ctx, q.Get("service_code")); err != nil {
		return f, err
	}
	if f.Statuses, err = parseStatus(q.Get("status")); err != nil {
		return f, err
	}
	if f.From, f.To, err = dateWindow(q.Get("start_date"), q.Get("end_date"), now); err != nil {
		return f, err
	}
	f.Limit, f.Offset, err = paging(q.Get("page"), q.Get("page_size"))
	return f, err
}

// parseIDs reads a comma-separated list of service request ids.
func parseIDs(s string) ([]int64, error) {
	var ids []int64
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil || id <= 0 {
			return nil, badRequest("service_request_id is a comma-separated list of request ids, not %q", part)
		}
		ids = append(ids, id)
	}
	if len(ids) > maxPageSize {
		return nil, badRequest("service_request_id lists at most %d ids", maxPageSize)
	}
	return ids, nil
}

// serviceCodes reads a comma-separated list of service codes, all known: a
// misspelt code would otherwise quietly return nothing.
func (h *Handler) serviceCodes(ctx context.Context, s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	cats, err := h.store.IssueCategories(ctx)
	if err != nil {
		return nil, err
	}
	var codes []string
	for _, code := range strings.Split(s, ",") {
		if code = strings.TrimSpace(code); code == "" {
			continue
		}
		if !slices.ContainsFunc(cats, func(c store.IssueCategory) bool { return c.Code == code }) {
			return nil, badRequest("service_code %q not found (see services.json)", code)
		}
		codes = append(codes, code)
	}
	return codes, nil
}

// parseStatus turns open and closed into citymap's statuses.
func parseStatus(s string) ([]string, error) {
	var out []string
	for _, part := range strings.Split(s, ",") {
		switch strings.TrimSpace(part) {
		case "":
		case statusOpen:
			out = append(out, statusesWhere(true)...)
		case statusClosed:
			out = append(out, statusesWhere(false)...)
		default:
			return nil, badRequest("status is open or closed, not %q", part)
		}
	}
	return out, nil
}

// statusesWhere lists citymap's open statuses, or its closed ones.
func statusesWhere(open bool) []string {
	var out []string
	for _, s := range workflow.Statuses {
		if workflow.Open(s) == open {
			out = append(out, string(s))
		}
	}
	return out
}

// dateWindow reads start_date and end_date. At most 90 days apart, as the
// specification asks; given one, the window is the 90 days after the start or
// before the end; given neither, the last 90 days. A date without a time as the
// end includes its whole day.
func dateWindow(start, end string, now time.Time) (from, to *time.Time, err error) {
	s, _, err := parseDate("start_date", start)
	if err != nil {
		return nil, nil, err
	}
	e, endDay, err := parseDate("end_date", end)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case s != nil && e != nil && e.Before(*s):
		return nil, nil, badRequest("end_date is before start_date")
	case s != nil && e != nil && e.Sub(*s) > maxSpan:
		return nil, nil, badRequest("start_date and end_date are more than 90 days apart")
	case s == nil && e == nil:
		return ptr(now.Add(-maxSpan)), nil, nil
	case s == nil:
		s = ptr(e.Add(-maxSpan))
	case e == nil:
		e = ptr(s.Add(maxSpan))
	}
	if endDay {
		// the last instant of the day: the store keeps microseconds
		e = ptr(e.AddDate(0, 0, 1).Add(-time.Microsecond))
	}
	return s, e, nil
}

func ptr[T any](v T) *T { return &v }

// dateLayouts are the W3C datetimes accepted, most precise first; those without
// a zone are in city time.
var dateLayouts = []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04", time.DateOnly}

// parseDate reads a W3C datetime; day says it was a date alone.
func parseDate(name, s string) (t *time.Time, day bool, err error) {
	if s == "" {
		return nil, false, nil
	}
	for _, layout := range dateLayouts {
		v, err := time.ParseInLocation(layout, s, cityTime)
		if err == nil {
			return &v, layout == time.DateOnly, nil
		}
	}
	return nil, false, badRequest("%s is a W3C datetime such as 2026-05-01T09:00:00+08:00, not %q", name, s)
}

// paging reads page (from 1) and page_size into a limit and offset.
func paging(page, size string) (limit, offset int, err error) {
	p, n := 1, defaultPageSize
	if page != "" {
		if p, err = strconv.Atoi(page); err != nil || p < 1 || p > maxPage {
			return 0, 0, badRequest("page is a whole number from 1 to %d", maxPage)
		}
	}
	if size != "" {
		if n, err = strconv.Atoi(size); err != nil || n < 1 || n > maxPageSize {
			return 0, 0, badRequest("page_size is a whole number from 1 to %d", maxPageSize)
		}
	}
	return n, (p - 1) * n, nil
}

// lookup finds the visible request the path names, or answers 404: a request
// the caller may not see does not exist for it.
func (h *Handler) lookup(c *call) (store.Open311Request, error) {
	id, err := strconv.ParseInt(c.name, 10, 64)
	if err == nil && id > 0 {
		var rs []store.Open311Request
		rs, err = h.store.Open311Requests(c.r.Context(), store.Open311Filter{IDs: []int64{id}, Viewer: c.viewer()})
		if err != nil {
			return store.Open311Request{}, err
		}
		if len(rs) == 1 {
			return rs[0], nil
		}
	}
	return store.Open311Request{}, fail(http.StatusNotFound, "service_request_id %q not found", c.name)
}

// getRequest is GET /open311/v2/requests/{id}.{json,xml}: a list of one, as the
// specification has it.
func (h *Handler) getRequest(c *call) error {
	r, err := h.lookup(c)
	if err != nil {
		return err
	}
	writeList(c.w, c.format, http.StatusOK, "service_requests", "request", c.renderAll([]store.Open311Request{r}))
	return nil
}

// tokenAnswer maps a token to its request.
type tokenAnswer struct {
	ID    string `json:"service_request_id" xml:"service_request_id"`
	Token string `json:"token" xml:"token"`
}

// token is GET /open311/v2/tokens/{token}.{json,xml}. Intake is synchronous, so
// POST answers the service_request_id at once and never hands out a token; a
// client that asks anyway learns that a request's token is its id.
func (h *Handler) token(c *call) error {
	r, err := h.lookup(c)
	if err != nil {
		return err
	}
	id := strconv.FormatInt(r.ID, 10)
	writeList(c.w, c.format, http.StatusOK, "service_requests", "request", []tokenAnswer{{ID: id, Token: id}})
	return nil
}
