package activities

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/paulmach/orb"

	"citymap/geo/coordsys"
	"citymap/server/auth"
	"citymap/server/period"
	"citymap/server/respond"
	"citymap/server/store"
	"citymap/server/table"
)

var (
	codePattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$`)
	areaPattern  = regexp.MustCompile(`^[0-9]{6}([0-9]{3}([0-9]{3}([0-9]{2})?)?)?$`)
	monthPattern = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)
)

// activityInput is POST /api/v1/activities and, all fields optional, PATCH.
// lon/lat are in coord_sys (wgs84 by default, gcj02 or bd09 accepted).
type activityInput struct {
	Community   string          `json:"community"`
	Title       *string         `json:"title"`
	Description *string         `json:"description"`
	StartsAt    *time.Time      `json:"starts_at"`
	EndsAt      *time.Time      `json:"ends_at"`
	Place       *string         `json:"place"`
	Lon         *float64        `json:"lon"`
	Lat         *float64        `json:"lat"`
	CoordSys    string          `json:"coord_sys"`
	Unit        *string         `json:"unit"`
	Capacity    json.RawMessage `json:"capacity"`
	Status      *string         `json:"status"`
}

// location reads lon and lat in their system as WGS 84; nil when absent.
func (in *activityInput) location() (*orb.Point, error) {
	switch {
	case in.Lon == nil && in.Lat == nil:
		if in.CoordSys != "" {
			return nil, respond.Field("coord_sys", "invalid", "coord_sys says the system of lon and lat: give them too")
		}
		return nil, nil
	case in.Lat == nil:
		return nil, respond.Field("lat", "required", "lat is required with lon")
	case in.Lon == nil:
		return nil, respond.Field("lon", "required", "lon is required with lat")
	case *in.Lat < -90 || *in.Lat > 90:
		return nil, respond.Field("lat", "out_of_range", "lat must be within [-90, 90]")
	case *in.Lon < -180 || *in.Lon > 180:
		return nil, respond.Field("lon", "out_of_range", "lon must be within [-180, 180]")
	}
	sys, err := coordsys.Parse(in.CoordSys)
	if err != nil {
		return nil, respond.Field("coord_sys", "invalid", err.Error())
	}
	p := coordsys.ToWGS84(sys, orb.Point{*in.Lon, *in.Lat})
	return &p, nil
}

// capacity reads capacity: absent (set false), null (no limit) or a number.
func (in *activityInput) capacity() (c *int, set bool, err error) {
	raw := bytes.TrimSpace(in.Capacity)
	if len(raw) == 0 {
		return nil, false, nil
	}
	if string(raw) == "null" {
		return nil, true, nil
	}
	var n int
	if json.Unmarshal(raw, &n) != nil {
		return nil, true, respond.Field("capacity", "invalid", "capacity is a positive integer or null (no limit)")
	}
	return &n, true, nil
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// create is POST /api/v1/activities: 201 with the activity (a Feature).
func (a *API) create(w http.ResponseWriter, r *http.Request) {
	var in activityInput
	if err := respond.Decode(w, r, respond.MaxBody, &in); err != nil {
		respond.Fail(w, r, err)
		return
	}
	loc, err := in.location()
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	capacity, _, err := in.capacity()
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	n := store.NewActivity{Community: in.Community, Title: str(in.Title), Description: str(in.Description),
		Place: str(in.Place), Location: loc, Unit: str(in.Unit), Capacity: capacity, Status: str(in.Status)}
	if in.StartsAt != nil {
		n.StartsAt = *in.StartsAt
	}
	if in.EndsAt != nil {
		n.EndsAt = *in.EndsAt
	}
	if n.Community != "" && !areaPattern.MatchString(n.Community) {
		respond.Fail(w, r, respond.Field("community", "invalid", "community is a community's code (12 digits)"))
		return
	}
	if n.Unit != "" && !codePattern.MatchString(n.Unit) {
		respond.Fail(w, r, respond.Field("unit", "invalid", "unit is a unit's code"))
		return
	}
	res, err := a.store.CreateActivity(r.Context(), actor(auth.From(r.Context())), n)
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/activities/"+strconv.FormatInt(res.ID, 10))
	writeDoc(w, http.StatusCreated, res.Version, res.Doc)
}

// patch is PATCH /api/v1/activities/{id} (If-Match): the fields given change.
func (a *API) patch(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	var in activityInput
	if err := respond.Decode(w, r, respond.MaxBody, &in); err != nil {
		respond.Fail(w, r, err)
		return
	}
	if in.Community != "" {
		respond.Fail(w, r, respond.Field("community", "immutable", "an activity stays in its community: cancel it and make another"))
		return
	}
	loc, err := in.location()
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	capacity, capSet, err := in.capacity()
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	if in.Unit != nil && *in.Unit != "" && !codePattern.MatchString(*in.Unit) {
		respond.Fail(w, r, respond.Field("unit", "invalid", "unit is a unit's code"))
		return
	}
	p := store.ActivityPatch{Title: in.Title, Description: in.Description, Place: in.Place, Unit: in.Unit,
		Status: in.Status, StartsAt: in.StartsAt, EndsAt: in.EndsAt, Location: loc, Capacity: capacity,
		ClearCapacity: capSet && capacity == nil, IfMatch: respond.IfMatch(r)}
	res, err := a.store.PatchActivity(r.Context(), actor(auth.From(r.Context())), id, p)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeDoc(w, http.StatusOK, res.Version, res.Doc)
}

// get is GET /api/v1/activities/{id}: the Feature; its organisers also get
// signup_list (names and attendance).
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
	doc, version, err := a.store.ActivityByID(r.Context(), actor(auth.From(r.Context())), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeDoc(w, http.StatusOK, version, doc)
}

var listParams = []string{"month", "area", "unit", "status", "format", "access_token"}

// list is GET /api/v1/activities?month=&area=&unit=&status=&format=geojson|csv:
// the menu within the caller's areas, a FeatureCollection by start time.
func (a *API) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := respond.KnownParams(q, listParams...); err != nil {
		respond.Fail(w, r, err)
		return
	}
	f := store.ActivityFilter{Month: q.Get("month"), Area: q.Get("area"), Unit: q.Get("unit"),
		Scope: auth.From(r.Context()).Areas}
	switch {
	case f.Month != "" && !monthPattern.MatchString(f.Month):
		respond.Fail(w, r, respond.Field("month", "invalid", "month is like 2026-11"))
		return
	case f.Area != "" && !areaPattern.MatchString(f.Area):
		respond.Fail(w, r, respond.Field("area", "invalid", "area is an area code"))
		return
	case f.Unit != "" && !codePattern.MatchString(f.Unit):
		respond.Fail(w, r, respond.Field("unit", "invalid", "unit is a unit's code"))
		return
	}
	var err error
	if f.Status, err = respond.List(q, "status", func(s string) bool {
		return s == "planned" || s == "cancelled" || s == "done"
	}); err != nil {
		respond.Fail(w, r, err)
		return
	}
	switch q.Get("format") {
	case "", "geojson", "json":
	case "csv":
		t, err := a.store.ActivityTable(r.Context(), f)
		if err != nil {
			fail(w, r, err)
			return
		}
		t.Zone = period.Zone
		name := "activities"
		if f.Month != "" {
			name += "_" + f.Month
		}
		table.Serve(w, r, table.CSV, t, name)
		return
	default:
		respond.Fail(w, r, respond.Field("format", "invalid", "format is geojson (the default) or csv"))
		return
	}
	body, err := a.store.ListActivities(r.Context(), f)
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// MaxSignupBody bounds a sign-up's body: a name and a phone.
const MaxSignupBody = 2 << 10

type signupInput struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// signup is POST /api/v1/activities/{id}/signups, public: {"name", "phone"}
// → 201 {"id", "activity": Feature}. The phone is kept only as its key; 409
// full, duplicate (that phone already signed up) or closed; 429 for too many
// sign-ups from one address.
func (a *API) signup(w http.ResponseWriter, r *http.Request) {
	if wait, ok := a.signups.allow(clientAddress(r), a.now()); !ok {
		respond.SetRetryAfter(w, wait)
		respond.Fail(w, r, respond.Errorf(http.StatusTooManyRequests, "rate_limited",
			"too many sign-ups from your address: try again later"))
		return
	}
	id, err := pathID(r)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	var in signupInput
	if err := respond.Decode(w, r, MaxSignupBody, &in); err != nil {
		respond.Fail(w, r, err)
		return
	}
	if in.Phone == "" {
		respond.Fail(w, r, respond.Field("phone", "required", "phone is required (kept only as a key, never as the number)"))
		return
	}
	key, err := a.contactKey(r.Context(), in.Phone)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	sid, doc, err := a.store.SignUp(r.Context(), id, in.Name, key, a.now())
	if err != nil {
		fail(w, r, err)
		return
	}
	respond.JSON(w, http.StatusCreated, map[string]any{"id": sid, "activity": json.RawMessage(doc)})
}

type attendanceInput struct {
	Attended []int64 `json:"attended"`
	Absent   []int64 `json:"absent"`
}

// attendance is POST /api/v1/activities/{id}/attendance {"attended": [sign-up
// ids], "absent": [ids]} (If-Match optional): the organiser marks who came;
// 200 with the activity and its signup_list.
func (a *API) attendance(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	var in attendanceInput
	if err := respond.Decode(w, r, respond.MaxBody, &in); err != nil {
		respond.Fail(w, r, err)
		return
	}
	res, err := a.store.MarkAttendance(r.Context(), actor(auth.From(r.Context())), id,
		store.Attendance{Attended: in.Attended, Absent: in.Absent, IfMatch: respond.IfMatch(r)}, a.now())
	if err != nil {
		fail(w, r, err)
		return
	}
	writeDoc(w, http.StatusOK, res.Version, res.Doc)
}
