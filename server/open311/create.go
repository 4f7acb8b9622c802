package open311

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"citymap/geo/coordsys"
	"citymap/invalid"
	"citymap/server/store"
)

// posted is the answer to POST requests.
type posted struct {
	ID        string      `json:"service_request_id" xml:"service_request_id"`
	Notice    opt[string] `json:"service_notice" xml:"service_notice"`
	AccountID opt[string] `json:"account_id" xml:"account_id"`
}

// contactFields are the reporter's details a request may carry. They are kept
// for the call-back apart from the issue (store.NewIssue.Contact): the issue's
// detail shows them to dispatchers, admins and the key's own partner; no
// Open311 answer, nor any other read, shows them.
var contactFields = []string{"email", "device_id", "account_id", "first_name", "last_name", "phone"}

// Limits of the request's own fields, in characters.
const (
	maxContact  = 200
	maxMediaURL = 2000
)

// photoPath is where citymap serves an uploaded photo: a media_url that points
// there attaches the photo itself to the issue.
const photoPath = "/api/v1/photos/"

// createRequest is POST /open311/v2/requests.{json,xml}: 201 with the new
// request's id. Everything is checked before the one write, so a refused request
// leaves nothing behind.
func (h *Handler) createRequest(c *call) error {
	if !c.who.Is(submitters...) {
		return fail(http.StatusForbidden, "this api_key may read but not submit service requests")
	}
	cl, err := h.catalog(c.r.Context())
	if err != nil {
		return err
	}
	n, err := h.newIssue(c, cl)
	if err != nil {
		return err
	}
	res, err := h.store.CreateIssue(c.r.Context(), c.who.IssueActor(), n)
	if err != nil {
		return intakeError(err)
	}
	id := strconv.FormatInt(res.ID, 10)
	c.w.Header().Set("Location", "/open311/v2/requests/"+id+"."+string(c.format))
	writeList(c.w, c.format, http.StatusCreated, "service_requests", "request",
		[]posted{{ID: id, Notice: some(h.createdNotice(c, cl, res.ID, n.Category))}})
	return nil
}

// createdNotice states the deadline and unit of a new request. It reads the
// request back for the unit intake chose; failing that, the request is stored
// all the same and the category's default unit has to do.
func (h *Handler) createdNotice(c *call, cl catalog, id int64, category string) string {
	rs, err := h.store.Open311Requests(c.r.Context(), store.Open311Filter{IDs: []int64{id}})
	if err == nil && len(rs) == 1 {
		return c.lang.notice(rs[0].DeadlineAmount, rs[0].DeadlineUnit, rs[0].Unit)
	}
	slog.Warn("open311: read back a new request", "id", id, "err", err)
	cat := cl.categories[category]
	return c.lang.notice(cat.DeadlineAmount, cat.DeadlineUnit, cl.unitName(cat))
}

// newIssue reads and checks the form. It reports every problem it can find
// before the address lookup, which only a request that is otherwise fine gets.
func (h *Handler) newIssue(c *call, cl catalog) (store.NewIssue, error) {
	p := c.params
	// Open311 is the protocol, the source is who speaks it: a hotline's key
	// reports its hotline's cases, and reads them back here
	source := "open311"
	if c.who.Source != "" {
		source = c.who.Source
	}
	n := store.NewIssue{Source: source, Category: strings.TrimSpace(p.Get("service_code")),
		Description: strings.TrimSpace(p.Get("description")), Address: strings.TrimSpace(p.Get("address_string"))}
	var errs failure
	data := map[string]any{}
	switch _, known := cl.categories[n.Category]; {
	case n.Category == "":
		errs = append(errs, badRequest("service_code was not provided")...)
	case !known:
		errs = append(errs, badRequest("service_code %q not found (see services.json)", n.Category)...)
	default:
		attrs, bad := checkAttributes(n.Category, p)
		errs = append(errs, bad...)
		if len(attrs) > 0 {
			data["attributes"] = attrs
		}
	}
	loc, hasLoc, bad := location(p)
	errs = append(errs, bad...)
	errs = append(errs, media(p.Get("media_url"), publicHost(c.r), &n, data)...)
	n.Contact, bad = contact(p)
	errs = append(errs, bad...)
	n.Location, n.Data = loc, data
	if len(errs) == 0 {
		errs = checkIssue(&n)
	}
	if len(errs) > 0 {
		return n, errs
	}
	if !hasLoc {
		return n, h.locate(c, &n)
	}
	return n, nil
}

// location reads lat and long, converted to WGS-84 from the coord_sys extension's
// system; has is false when neither was given.
func location(p url.Values) (pt orb.Point, has bool, errs failure) {
	lat, long := strings.TrimSpace(p.Get("lat")), strings.TrimSpace(p.Get("long"))
	switch {
	case lat == "" && long == "" && strings.TrimSpace(p.Get("address_string")) == "":
		return pt, false, badRequest("a location is required: lat and long, or address_string")
	case lat == "" && long == "":
		return pt, false, nil
	case lat == "" || long == "":
		return pt, false, badRequest("lat and long are required together")
	}
	y, err := strconv.ParseFloat(lat, 64)
	if err != nil || !(y >= -90 && y <= 90) { // written so that NaN fails too
		return pt, false, badRequest("lat is a WGS-84 latitude from -90 to 90, not %q", lat)
	}
	x, err := strconv.ParseFloat(long, 64)
	if err != nil || !(x >= -180 && x <= 180) {
		return pt, false, badRequest("long is a WGS-84 longitude from -180 to 180, not %q", long)
	}
	sys, err := coordsys.Parse(p.Get("coord_sys"))
	if err != nil {
		return pt, false, badRequest("coord_sys: %v", err)
	}
	return coordsys.ToWGS84(sys, orb.Point{x, y}), true, nil
}

// media reads media_url: a URL of a photo uploaded to citymap becomes the
// issue's photo, any other http(s) URL is kept with the report.
func media(raw, host string, n *store.NewIssue, data map[string]any) failure {
	if raw = strings.TrimSpace(raw); raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || len(raw) > maxMediaURL {
		return badRequest("media_url is not a URL of at most %d bytes", maxMediaURL)
	}
	if id, ok := strings.CutPrefix(u.Path, photoPath); ok && (u.Host == "" || u.Host == host) && store.ValidPhotoID(id) {
		n.Photos = []string{id}
		return nil
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return badRequest("media_url is an absolute http or https URL")
	}
	data["media_url"] = u.String()
	return nil
}

// contact reads the reporter's details that were given.
func contact(p url.Values) (map[string]string, failure) {
	who := map[string]string{}
	var errs failure
	for _, name := range contactFields {
		v := strings.TrimSpace(p.Get(name))
		if v == "" {
			continue
		}
		if _, bad := checkText(v, maxContact); bad != "" {
			errs = append(errs, badRequest("%s %s", name, bad)...)
		}
		who[name] = v
	}
	return who, errs
}

// openFields names the intake's fields as Open311 calls them.
var openFields = map[string]string{"category": "service_code", "address": "address_string",
	"location": "lat/long", "photos[0]": "media_url"}

// checkIssue runs intake's own checks (text lengths and the like) ahead of the
// write; intake runs them again, as it must.
func checkIssue(n *store.NewIssue) failure {
	err := n.Check()
	if err == nil {
		return nil
	}
	return fieldFailure(err)
}

// fieldFailure turns an intake field error into a 400 that names the Open311
// parameter.
func fieldFailure(err error) failure {
	var fe *invalid.Error
	if !errors.As(err, &fe) {
		return nil
	}
	name := fe.Field
	if o, ok := openFields[name]; ok {
		name = o
	}
	msg := strings.TrimPrefix(fe.Message, fe.Field+" ")
	return badRequest("%s: %s", name, msg)
}

// intakeError answers the errors of the store's intake.
func intakeError(err error) error {
	if f := fieldFailure(err); f != nil {
		return f
	}
	if errors.Is(err, store.ErrIssueOutOfScope) {
		return fail(http.StatusForbidden, "the location lies outside the areas of this api_key")
	}
	return err
}

// locate places a request that came with address_string alone.
func (h *Handler) locate(c *call, n *store.NewIssue) error {
	place, err := h.store.LocatePlace(c.r.Context(), n.Address)
	var amb *store.PlaceAmbiguousError
	switch {
	case errors.Is(err, store.ErrPlaceNotFound):
		return badRequest("address_string could not be located; send lat and long")
	case errors.As(err, &amb):
		return badRequest("address_string matches several places (%s); send lat and long", strings.Join(amb.Names, ", "))
	case err != nil:
		return err
	}
	n.Location = place.Location
	n.Data["located_at"] = map[string]string{"kind": place.Kind, "code": place.Code, "name": place.Name}
	return nil
}
