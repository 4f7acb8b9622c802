package open311_test

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"citymap/geo/coordsys"
	"citymap/server/access"
	"citymap/server/auth"
)

var cst = time.FixedZone("CST", 8*3600)

// TestClientWalk drives the API as an Open311 client does, in both formats:
// services → service definition → POST a request → GET it by id → find it in the
// list; then the command centre closes the case and the client sees it closed.
// Only the POST carries a key, as the specification has it.
func TestClientWalk(t *testing.T) {
	e := newEnv(t)
	for _, f := range []string{"json", "xml"} {
		t.Run(f, func(t *testing.T) { e.walk(t, f) })
	}
}

func (e *env) walk(t *testing.T, f string) {
	checkServices(t, servicesOf(t, e.get("/open311/v2/services."+f, "", nil).Want(t, http.StatusOK), f))
	var def definition
	decodeAs(t, e.get("/open311/v2/services/noise."+f, "", nil).Want(t, http.StatusOK), f, &def)
	checkNoiseDefinition(t, def)

	lon, lat := e.PointIn(e.GridIn)
	form := url.Values{
		"service_code": {"noise"}, "description": {"夜间施工噪声 " + f}, "address_string": {"测试路1号"},
		"lat": {ftoa(lat)}, "long": {ftoa(lon)},
		"attribute[time_of_day]": {"night"}, "attribute[noise_source]": {"construction"},
		"email": {"citizen@example.com"}, "phone": {"13800000000"}, "first_name": {"Li"},
		"media_url": {"https://img.example.com/noise.jpg"},
	}
	res := e.post("/open311/v2/requests."+f, access.Reporter, form).Want(t, http.StatusCreated)
	created := requestsOf(t, res, f)
	if len(created) != 1 || created[0].ID == "" || !strings.Contains(created[0].Notice, "8 个工作小时") ||
		!strings.Contains(created[0].Notice, "市生态环境局") || created[0].AccountID != "" {
		t.Fatalf("POST answered %+v", created)
	}
	id := created[0].ID
	if loc := res.Header.Get("Location"); loc != "/open311/v2/requests/"+id+"."+f {
		t.Errorf("Location %q", loc)
	}

	got := e.getOne(t, f, id, "")
	e.checkCreated(t, got, id, lon, lat)
	if body := e.get("/open311/v2/requests/"+id+"."+f, access.Viewer, nil).Body; strings.Contains(string(body), "citizen@example.com") ||
		strings.Contains(string(body), "13800000000") {
		t.Errorf("contact details exposed: %s", body)
	}
	e.checkStored(t, id)

	today := time.Now().In(cst)
	window := url.Values{"service_code": {"noise,car_parking"}, "start_date": {today.AddDate(0, 0, -1).Format(time.DateOnly)},
		"end_date": {today.Format(time.DateOnly)}}
	e.expectListed(t, f, window, "open", id, true)
	e.expectListed(t, f, window, "closed", id, false)

	e.closeCase(t, id, "已核查，夜间施工已停止")
	got = e.getOne(t, f, id, "")
	if got.Status != "closed" || got.StatusNotes != "已核查，夜间施工已停止" {
		t.Errorf("after closing: status %q, notes %q", got.Status, got.StatusNotes)
	}
	e.expectListed(t, f, window, "closed", id, true)
	e.expectListed(t, f, window, "open", id, false)
}

func checkServices(t *testing.T, list []service) {
	t.Helper()
	byCode := map[string]service{}
	for _, s := range list {
		byCode[s.Code] = s
	}
	if len(list) != 22 || len(byCode) != 22 {
		t.Errorf("%d services, want the 22 categories", len(list))
	}
	noise, cover, bins := byCode["noise"], byCode["manhole_cover"], byCode["trash_bin"]
	if noise.Name != "噪声扰民" || !noise.Metadata || noise.Type != "realtime" || noise.Group != "事件" ||
		!strings.Contains(noise.Desc, "8 个工作小时") || !strings.Contains(noise.Keywords, "噪声") {
		t.Errorf("noise: %+v", noise)
	}
	if cover.Group != "部件" || !cover.Metadata || bins.Metadata {
		t.Errorf("manhole_cover %+v, trash_bin %+v", cover, bins)
	}
}

func checkNoiseDefinition(t *testing.T, d definition) {
	t.Helper()
	if d.Code != "noise" || len(d.Attributes) != 3 {
		t.Fatalf("definition %+v", d)
	}
	a := d.Attributes[0]
	var keys []string
	for _, v := range a.Values {
		keys = append(keys, v.Key)
	}
	if a.Code != "time_of_day" || !a.Required || !a.Variable || a.Datatype != "singlevaluelist" || a.Order != 1 ||
		!slices.Equal(keys, []string{"day", "night"}) || a.Desc == "" {
		t.Errorf("time_of_day: %+v", a)
	}
	if d.Attributes[2].Datatype != "text" || d.Attributes[2].Required || len(d.Attributes[2].Values) != 0 {
		t.Errorf("details: %+v", d.Attributes[2])
	}
}

// getOne reads request id with role's key ("" for none), expecting a list of one.
func (e *env) getOne(t *testing.T, f, id, role string) request {
	t.Helper()
	rs := requestsOf(t, e.get("/open311/v2/requests/"+id+"."+f, role, nil).Want(t, http.StatusOK), f)
	if len(rs) != 1 || rs[0].ID != id {
		t.Fatalf("requests/%s: %+v", id, rs)
	}
	return rs[0]
}

// checkCreated compares a new request with what the database holds.
func (e *env) checkCreated(t *testing.T, got request, id string, lon, lat float64) {
	t.Helper()
	var deadline, created time.Time
	var unit string
	e.Scan(`SELECT i.deadline, i.created_at, u.name FROM issues i JOIN units u ON u.code = i.unit WHERE i.id = $1`,
		[]any{id}, &deadline, &created, &unit)
	if got.Expected != deadline.Truncate(time.Second).In(cst).Format(time.RFC3339) {
		t.Errorf("expected_datetime %s, deadline %s", got.Expected, deadline)
	}
	if got.Requested != created.Truncate(time.Second).In(cst).Format(time.RFC3339) || got.Updated == "" {
		t.Errorf("requested_datetime %s, created %s", got.Requested, created)
	}
	if got.Agency != unit || unit != "市生态环境局" {
		t.Errorf("agency_responsible %q, unit %q", got.Agency, unit)
	}
	if got.Status != "open" || got.StatusNotes != "" || got.ServiceCode != "noise" || got.ServiceName != "噪声扰民" ||
		!strings.HasPrefix(got.Description, "夜间施工噪声") || got.Address != "测试路1号" || got.Zipcode != "" ||
		got.MediaURL != "https://img.example.com/noise.jpg" || !strings.Contains(got.Notice, "8 个工作小时") {
		t.Errorf("request %+v", got)
	}
	if math.Abs(got.Lat-lat) > 1e-6 || math.Abs(got.Long-lon) > 1e-6 {
		t.Errorf("at %v,%v, posted %v,%v", got.Lat, got.Long, lat, lon)
	}
}

// checkStored looks at what intake wrote: the attributes on the report event,
// the contact details apart from it (issue_contacts), the source and the
// reporter.
func (e *env) checkStored(t *testing.T, id string) {
	t.Helper()
	var source, reporter, actor string
	var data, contact []byte
	e.Scan(`SELECT i.source, i.reporter, ev.actor, ev.data, c.contact FROM issues i
		JOIN issue_events ev ON ev.issue_id = i.id AND ev.action = 'report'
		JOIN issue_contacts c ON c.issue_id = i.id WHERE i.id = $1`,
		[]any{id}, &source, &reporter, &actor, &data, &contact)
	var d struct {
		Attributes map[string]any    `json:"attributes"`
		Contact    map[string]string `json:"contact"`
		MediaURL   string            `json:"media_url"`
	}
	var c map[string]string
	if err := errors.Join(json.Unmarshal(data, &d), json.Unmarshal(contact, &c)); err != nil {
		t.Fatal(err)
	}
	if source != "open311" || reporter != "test-reporter" || actor != "reporter:test-reporter" ||
		d.Attributes["time_of_day"] != "night" || d.Attributes["noise_source"] != "construction" ||
		d.Contact != nil || c["email"] != "citizen@example.com" || c["phone"] != "13800000000" ||
		c["first_name"] != "Li" || d.MediaURL == "" {
		t.Errorf("stored %s %s %s %s, contact %s", source, reporter, actor, data, contact)
	}
}

// expectListed checks whether GET requests with the query and status lists id.
func (e *env) expectListed(t *testing.T, f string, query url.Values, status, id string, want bool) {
	t.Helper()
	q := url.Values{"status": {status}}
	for k, v := range query {
		q[k] = v
	}
	rs := requestsOf(t, e.get("/open311/v2/requests."+f, "", q).Want(t, http.StatusOK), f)
	if slices.Contains(ids(rs), id) != want {
		t.Errorf("status=%s: %s listed: %v, want %v", status, id, !want, want)
	}
	for _, r := range rs {
		if r.Status != status || (r.ServiceCode != "noise" && r.ServiceCode != "car_parking") {
			t.Errorf("status=%s lists %s (%s, %s)", status, r.ID, r.Status, r.ServiceCode)
		}
	}
}

// closeCase takes the case through the workflow with the REST API, as the
// command centre does, the last step with note.
func (e *env) closeCase(t *testing.T, id, note string) {
	t.Helper()
	for _, step := range []map[string]any{{"action": "register"}, {"action": "dispatch"}, {"action": "start"},
		{"action": "resolve"}, {"action": "verify", "passed": true, "note": note}} {
		body, _ := json.Marshal(step)
		r := e.Call("POST", "/api/v1/issues/"+id+"/actions", "", body,
			"Authorization", "Bearer "+e.Tokens[access.Dispatcher], "Content-Type", "application/json")
		if r.Status != http.StatusOK {
			t.Fatalf("%v: %d %s", step, r.Status, r.Body)
		}
	}
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// TestDiscovery checks the discovery document in both formats.
func TestDiscovery(t *testing.T) {
	e := newEnv(t)
	for _, f := range []string{"json", "xml"} {
		var d discovery
		decodeAs(t, e.get("/open311/v2/discovery."+f, access.Viewer, nil).Want(t, http.StatusOK), f, &d)
		if len(d.Endpoints) != 1 || d.Changeset == "" || d.Contact == "" || d.KeyService == "" {
			t.Fatalf("%s: %+v", f, d)
		}
		ep := d.Endpoints[0]
		if ep.Specification != "http://wiki.open311.org/GeoReport_v2" || ep.URL != e.URL+"/open311/v2/" ||
			ep.Type != "production" || !slices.Equal(ep.Formats, []string{"application/json", "text/xml"}) {
			t.Errorf("%s: endpoint %+v", f, ep)
		}
	}
}

// TestLanguage: names and notices follow lang, else Accept-Language.
func TestLanguage(t *testing.T) {
	e := newEnv(t)
	find := func(list []service, code string) service {
		for _, s := range list {
			if s.Code == code {
				return s
			}
		}
		t.Fatalf("no %s", code)
		return service{}
	}
	en := find(servicesOf(t, e.get("/open311/v2/services.json", access.Reporter, url.Values{"lang": {"en"}}), "json"), "noise")
	if en.Name != "Noise nuisance" || en.Group != "event" || !strings.Contains(en.Desc, "within 8 working hours") {
		t.Errorf("lang=en: %+v", en)
	}
	r := e.Call("GET", "/open311/v2/services.xml?api_key="+e.Tokens[access.Reporter], "", nil, "Accept-Language", "en-GB,en;q=0.9")
	if s := find(servicesOf(t, r, "xml"), "manhole_cover"); s.Name != "Damaged or missing manhole cover" || s.Group != "component" {
		t.Errorf("Accept-Language en: %+v", s)
	}
	var d definition
	decodeAs(t, e.get("/open311/v2/services/noise.json", access.Reporter, url.Values{"lang": {"en"}}), "json", &d)
	if d.Attributes[0].Desc != "When it happens" || d.Attributes[0].Values[1].Name != "night (22:00 to 06:00)" {
		t.Errorf("definition in English: %+v", d.Attributes[0])
	}
}

// TestPostVariants: multipart forms, GCJ-02 coordinates, a media_url that names
// an uploaded photo, a bearer header instead of api_key, and a located address.
func TestPostVariants(t *testing.T) {
	e := newEnv(t)
	lon, lat := e.PointIn(e.GridIn)
	base := func() url.Values {
		return url.Values{"service_code": {"trash_bin"}, "lat": {ftoa(lat)}, "long": {ftoa(lon)}}
	}
	t.Run("multipart", func(t *testing.T) {
		form := base()
		form.Set("api_key", e.Tokens[access.Dispatcher])
		body, ctype := multipartForm(t, form, "", nil)
		e.Call("POST", "/open311/v2/requests.json", "", body, "Content-Type", ctype).Want(t, http.StatusCreated)
	})
	t.Run("bearer", func(t *testing.T) {
		e.Call("POST", "/open311/v2/requests.json", "", []byte(base().Encode()), "Content-Type", "application/x-www-form-urlencoded",
			"Authorization", "Bearer "+e.Tokens[access.Admin]).Want(
			t, http.StatusCreated)

	})
	t.Run("gcj02", func(t *testing.T) {
		form := base()
		// the GCJ-02 position of the point, as a Chinese consumer map shows it
		g := coordsys.FromWGS84(coordsys.GCJ02, orb.Point{lon, lat})
		form.Set("long", ftoa(g[0]))
		form.Set("lat", ftoa(g[1]))
		form.Set("coord_sys", "gcj02")
		id := requestsOf(t, e.post("/open311/v2/requests.json", access.Reporter, form).Want(t, http.StatusCreated), "json")[0].ID
		got := e.getOne(t, "json", id, access.Reporter)
		if math.Abs(got.Lat-lat) > 1e-5 || math.Abs(got.Long-lon) > 1e-5 {
			t.Errorf("stored at %v,%v, want %v,%v", got.Long, got.Lat, lon, lat)
		}
	})
	t.Run("photo", func(t *testing.T) {
		body, ctype := multipartForm(t, url.Values{}, "photo", pngBytes(t))
		up := e.Call("POST", "/api/v1/photos", "", body, "Content-Type", ctype, "Authorization", "Bearer "+e.Tokens[access.Reporter])
		var photo struct{ ID, URL string }
		if err := json.Unmarshal(up.Want(t, http.StatusCreated).Body, &photo); err != nil {
			t.Fatal(err)
		}
		form := base()
		form.Set("media_url", e.URL+photo.URL)
		id := requestsOf(t, e.post("/open311/v2/requests.xml", access.Reporter, form).Want(t, http.StatusCreated), "xml")[0].ID
		if got := e.getOne(t, "xml", id, access.Reporter); got.MediaURL != e.URL+"/api/v1/photos/"+photo.ID {
			t.Errorf("media_url %q", got.MediaURL)
		}
		var photos []string
		e.Scan(`SELECT photos FROM issues WHERE id = $1`, []any{id}, &photos)
		if !slices.Equal(photos, []string{photo.ID}) {
			t.Errorf("issue photos %v", photos)
		}
	})
	t.Run("address_string", func(t *testing.T) { e.postAddress(t) })
}

// postAddress posts with address_string alone, naming an inspection point.
func (e *env) postAddress(t *testing.T) {
	var name string
	var lon, lat float64
	e.Scan(`SELECT name, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM points p
		WHERE char_length(name) >= 4 AND (SELECT count(*) FROM points q WHERE strpos(q.name, p.name) > 0) = 1
		  AND NOT EXISTS (SELECT 1 FROM parking_zones z WHERE strpos(z.name, p.name) > 0)
		  AND NOT EXISTS (SELECT 1 FROM areas a WHERE a.level = 'grid' AND strpos(a.name, p.name) > 0)
		ORDER BY code LIMIT 1`, nil, &name, &lon, &lat)
	form := url.Values{"service_code": {"exposed_garbage"}, "address_string": {name}, "attribute[amount]": {"small"}}
	id := requestsOf(t, e.post("/open311/v2/requests.json", access.Reporter, form).Want(t, http.StatusCreated), "json")[0].ID
	got := e.getOne(t, "json", id, access.Reporter)
	if got.Address != name || math.Abs(got.Lat-lat) > 1e-6 || math.Abs(got.Long-lon) > 1e-6 {
		t.Errorf("%s located at %v,%v (%s), want %v,%v", name, got.Long, got.Lat, got.Address, lon, lat)
	}
}

// TestScopeAndRoles: every role reads, a grid manager only within its areas;
// reporters, dispatchers and admins submit, within their areas.
func TestScopeAndRoles(t *testing.T) {
	e := newEnv(t)
	inLon, inLat := e.PointIn(e.GridIn)
	outLon, outLat := e.PointIn(e.GridOut)
	post := func(lon, lat float64) string {
		form := url.Values{"service_code": {"street_vending"}, "lat": {ftoa(lat)}, "long": {ftoa(lon)}, "attribute[stalls]": {"3"}}
		return requestsOf(t, e.post("/open311/v2/requests.json", access.Reporter, form).Want(t, http.StatusCreated), "json")[0].ID
	}
	in, out := post(inLon, inLat), post(outLon, outLat)
	// a unit's staff read the cases their unit was given, wherever they lie
	e.Exec(`UPDATE issues SET unit = $1 WHERE id = $2::bigint`, e.Unit, in)
	e.Exec(`UPDATE issues SET unit = NULL WHERE id = $1::bigint`, out)
	both := url.Values{"service_request_id": {in + "," + out}}
	for _, role := range access.Roles {
		got := ids(requestsOf(t, e.get("/open311/v2/requests.json", role, both).Want(t, http.StatusOK), "json"))
		want := []string{out, in} // newest first
		if role == access.GridManager || slices.Contains(access.UnitRoles, role) {
			want = []string{in}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s lists %v, want %v", role, got, want)
		}
	}
	e.get("/open311/v2/requests/"+out+".json", access.GridManager, nil).Want(t, http.StatusNotFound)
	e.get("/open311/v2/requests/"+in+".json", access.GridManager, nil).Want(t, http.StatusOK)
	for _, role := range []string{access.GridManager, access.Planner, access.Viewer} {
		form := url.Values{"service_code": {"trash_bin"}, "lat": {ftoa(inLat)}, "long": {ftoa(inLon)}}
		e.post("/open311/v2/requests.json", role, form).Want(t, http.StatusForbidden)
	}
	// a reporter key for one community cannot report elsewhere
	tok, hash, _ := auth.NewToken()
	if _, err := e.Store.CreateToken(t.Context(), "scoped-reporter", access.Reporter, []string{e.GridIn[:12]}, hash, nil); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"api_key": {tok}, "service_code": {"trash_bin"}, "lat": {ftoa(outLat)}, "long": {ftoa(outLon)}}
	before := e.written()
	e.Call("POST", "/open311/v2/requests.json", "", form).Want(t, http.StatusForbidden)
	if after := e.written(); after != before {
		t.Errorf("refused out-of-scope report wrote %v → %v", before, after)
	}
}

// TestListing: the 90-day default window, paging, and a service_request_id list
// that makes other filters void. The test dates one category's issues itself,
// whatever instant the demo city leads up to: six in the last days, the rest
// 100 days ago and before, an hour apart, none near an edge of a window.
func TestListing(t *testing.T) {
	e := newEnv(t)
	var code string
	var total int
	e.Scan(`SELECT category, count(*) FROM issues GROUP BY category ORDER BY count(*), category LIMIT 1`,
		nil, &code, &total)
	const recent = 6
	var now time.Time
	e.Scan(`WITH c AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM issues WHERE category = $1),
		u AS (UPDATE issues i SET created_at = CASE WHEN c.n <= $2 THEN now() - c.n * interval '1 day'
				ELSE now() - interval '100 days' - c.n * interval '1 hour' END
			FROM c WHERE i.id = c.id RETURNING 1)
		SELECT now() FROM u LIMIT 1`, []any{code, recent}, &now)
	if total < 20 {
		t.Fatalf("the demo city has %d %s issues", total, code)
	}
	q := url.Values{"service_code": {code}, "page_size": {"1000"}}
	all := requestsOf(t, e.get("/open311/v2/requests.json", access.Viewer, q).Want(t, http.StatusOK), "json")
	if len(all) != recent {
		t.Errorf("%d %s requests in the default window, want the %d of the last days", len(all), code, recent)
	}
	for i, r := range all {
		at, err := time.Parse(time.RFC3339, r.Requested)
		if err != nil || at.Before(now.AddDate(0, 0, -recent-1)) || r.ServiceCode != code {
			t.Fatalf("%s (%s) requested %s, outside the window", r.ID, r.ServiceCode, r.Requested)
		}
		if i > 0 && r.Requested > all[i-1].Requested {
			t.Fatalf("not newest first at %d", i)
		}
	}
	if len(all) < 4 {
		t.Fatalf("%d requests: too few to page", len(all))
	}
	q.Set("page_size", "2")
	q.Set("page", "2")
	p2 := requestsOf(t, e.get("/open311/v2/requests.xml", access.Viewer, q).Want(t, http.StatusOK), "xml")
	if !slices.Equal(ids(p2), ids(all[2:4])) {
		t.Errorf("page 2 of 2: %v, want %v", ids(p2), ids(all[2:4]))
	}
	// other filters are void with service_request_id, even wrong ones
	q = url.Values{"service_request_id": {all[0].ID + ", " + all[1].ID}, "service_code": {"no_such"}, "status": {"nonsense"}}
	if got := ids(requestsOf(t, e.get("/open311/v2/requests.json", access.Viewer, q).Want(t, http.StatusOK), "json")); !slices.Equal(got, ids(all[:2])) {
		t.Errorf("by ids: %v", got)
	}
	// start_date alone: the 90 days after it, which hold the older issues
	start := now.In(cst).AddDate(0, -6, 0)
	day := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, cst)
	old := url.Values{"service_code": {code}, "start_date": {day.Format(time.DateOnly)}, "page_size": {"5"}}
	got := requestsOf(t, e.get("/open311/v2/requests.json", access.Viewer, old).Want(t, http.StatusOK), "json")
	if len(got) != 5 {
		t.Errorf("start_date alone: %d requests, want a page of 5", len(got))
	}
	for _, r := range got {
		at, _ := time.Parse(time.RFC3339, r.Requested)
		if at.Before(day) || at.After(day.AddDate(0, 0, 90)) {
			t.Errorf("start_date alone: %s requested %s, outside the 90 days from %s", r.ID, r.Requested, day)
		}
	}
}

// TestUnknownRoutes: the specification's error shape for paths and methods.
func TestUnknownRoutes(t *testing.T) {
	e := newEnv(t)
	key := "?api_key=" + e.Tokens[access.Admin]
	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/open311/v2/nothing.json", 404},
		{"GET", "/open311/v2/requests.csv", 404},
		{"GET", "/open311/v2/requests", 404},
		{"GET", "/open311/v2/services/noise.html", 404},
		{"POST", "/open311/v2/services.xml", 405},
		{"DELETE", "/open311/v2/requests.json", 405},
		{"GET", "/open311/v3/services.json", 404},
	} {
		r := e.Call(tt.method, tt.path+key, "", nil)
		f := "json"
		if strings.HasSuffix(tt.path, ".xml") {
			f = "xml"
		}
		if errs := errorsOf(t, r, f); r.Status != tt.status || len(errs) != 1 || errs[0].Code != tt.status {
			t.Errorf("%s %s: %d %s", tt.method, tt.path, r.Status, r.Body)
		}
	}
}
