package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"citymap/server/access"
	"citymap/server/apitest"
)

// surface is one request of the walk: a route with its parameters filled in.
type surface struct {
	pattern string // the route it walks, as registered
	path    string
	method  string // "" is GET
	body    func(c *caller) any
	headers []string
	// readers are the roles that may call it (nil: every role); the others
	// are refused with 403
	readers []string
	// item is the object the path names: a caller that may not see it is
	// refused with one of refused
	item    *object
	refused []int
	// may, when set, is who may see the item instead of caller.sees
	may  func(c *caller) bool
	ok   int  // the success status (0: 200)
	tile bool // an MVT: 204 is an empty tile
	// control asks the city-wide admin's answer to show what the narrowest
	// caller may not see: without that the walk would prove nothing here
	control bool
	// issueIDs extracts the issue numbers of the answer, each of which the
	// caller must be allowed to see
	issueIDs func([]byte) []int64
	// sameAsArea: a report, which for a caller of one area must equal the
	// city-wide report narrowed to that area by the area parameter
	sameAsArea bool
	// check is a further check of an answer the caller was not refused
	check func(w *walk, c *caller, r apitest.Reply) string
	// catalogue: the same for everyone (categories, units and their streets)
	catalogue bool
}

var (
	everyone []string
	readers  = []string{access.Admin, access.Dispatcher, access.GridManager, access.Planner, access.Viewer}
	creators = []string{access.Admin, access.Dispatcher, access.GridManager, access.Reporter}
	// campaignReaders read tasks, campaigns, declarations and where points
	// are lost: the readers, the 创建办 (reviewer), unit staff and leaders
	campaignReaders = slices.Concat(readers, []string{access.Reviewer, access.Unit, access.UnitLeader})
	refused         = []int{http.StatusForbidden}
	notFound        = []int{http.StatusNotFound}
)

// notData are the routes the walk does not call, and why.
var notData = map[string]string{
	"/":                                "the JSON 404 of every unknown path",
	"/open311/":                        "Open311's 404 and 405 for unknown paths",
	"GET /{$}":                         "the web map's start page: static, no data",
	"GET /wall":                        "a web map page: static, no data",
	"GET /tasks":                       "a web map page: static, no data",
	"GET /review":                      "a web map page: static, no data",
	"GET /grid":                        "a web map page: static, no data",
	"GET /planner":                     "a web map page: static, no data",
	"GET /assets/":                     "the web map's bundles: static, no data",
	"GET /healthz":                     "process health, no data",
	"GET /readyz":                      "database health, no data",
	"GET /metrics":                     "counters and gauges only, nothing about who or what",
	"GET /api/v1/calendar":             "the holiday calendar: the same for every caller, no place, no person (server/calendar tests)",
	"POST /api/v1/inspections":         "a write: answers what it wrote, inside the caller's areas (server/inspections tests)",
	"POST /api/v1/issues/{id}/actions": "a write: answers the case it changed, inside the caller's areas, merges too (server/api tests)",
	"POST /api/v1/issues/{id}/photos":  "a write: answers the case it changed, inside the caller's areas (server/api tests)",
	"POST /api/v1/photos":              "an upload: answers the photo's id",
	"POST /api/v1/parking/occupancy":   "a write: answers per reading whether it was applied",
	"POST /ogc/collections/{collectionId}/items":               "a write: answers what it wrote, inside the caller's areas (server/ogc tests)",
	"PUT /ogc/collections/{collectionId}/items/{featureId}":    "a write: answers what it wrote, inside the caller's areas (server/ogc tests)",
	"PATCH /ogc/collections/{collectionId}/items/{featureId}":  "a write: answers what it wrote, inside the caller's areas (server/ogc tests)",
	"DELETE /ogc/collections/{collectionId}/items/{featureId}": "a write: answers nothing",
	"POST /open311/v2/{doc}":                                   "a write: answers the new request's id and deadline",
	"POST /api/v1/tasks":                                       "a write: answers the task it wrote (server/campaign tests)",
	"POST /api/v1/tasks/spawn":                                 "a write: answers the ids of the tasks it made, 创建办 and admins only (server/campaign tests)",
	"POST /api/v1/tasks/{id}/actions":                          "a write: answers the task it changed, the caller's unit's and areas' only (server/campaign TestTaskScope)",
	"POST /api/v1/documents":                                   "an upload: answers the document's id",
	"POST /api/v1/campaigns":                                   "a write: answers the campaign it wrote (server/campaign tests)",
	"POST /api/v1/leaders":                                     "a write: answers the leader it wrote (server/campaign TestLeaders)",
	"POST /api/v1/webhooks":                                    "a write: answers the subscription it wrote, with the caller's own filters (server/webhooks TestPartnerScope)",
	"PATCH /api/v1/webhooks/{id}":                              "a write: answers the caller's own subscription only (server/webhooks TestPartnerScope)",
	"DELETE /api/v1/webhooks/{id}":                             "a write: answers nothing",
	"POST /api/v1/webhooks/{id}/replay":                        "a write: answers the caller's own subscription only (server/webhooks TestPartnerScope)",
	"POST /api/v1/webhooks/{id}/resume":                        "a write: answers the caller's own subscription only (server/webhooks TestPartnerScope)",
	"POST /api/v1/declarations/open":                           "a write: answers the ids it opened and reminded, 创建办 and admins only (server/declarations tests)",
	"POST /api/v1/declarations/{id}/materials":                 "a write: answers the declaration it changed, the caller's unit's only (server/declarations TestScope)",
	"DELETE /api/v1/declarations/{id}/materials/{mid}":         "a write: answers the declaration it changed, the caller's unit's only (server/declarations TestScope)",
	"POST /api/v1/declarations/{id}/actions":                   "a write: answers the declaration it changed, the caller's unit's only (server/declarations TestScope)",
	"GET /s/{survey}":                                          "the public questionnaire: a published survey's questions and communities, no answers (server/surveys TestPage)",
	"POST /s/{survey}":                                         "the public questionnaire's plain form: answers thanks or what to correct (server/surveys TestPage)",
	"POST /api/v1/surveys":                                     "a write: answers the survey it wrote, 创建办 and admins only (server/surveys TestDefinitions)",
	"POST /api/v1/surveys/{id}/publish":                        "a write: answers the survey it published, 创建办 and admins only (server/surveys TestDefinitions)",
	"POST /api/v1/surveys/{id}/responses":                      "a public write: answers the new answer's id and community (server/surveys TestBadAnswers)",
	"GET /api/v1/bulletins":                                    "published bulletins are city-wide documents of the government, readable whole by every reader, unit staff and area tokens too; drafts the 创建办's only (server/bulletins TestReaders)",
	"GET /api/v1/bulletins/{file}":                             "a published bulletin (JSON, HTML, PDF): a city-wide document readable whole by every reader; drafts the 创建办's only (server/bulletins TestReaders)",
	"GET /api/v1/bulletins/preview":                            "the city-wide figures of a period for the 创建办 and planners, refused to tokens limited to areas or a unit (server/bulletins TestReaders)",
	"POST /api/v1/bulletins":                                   "a write: freezes the city-wide figures, city-wide 创建办 and admin tokens only (server/bulletins TestReaders)",
	"POST /api/v1/activities":                                  "a write: answers the activity it wrote, inside the caller's areas and unit (server/activities TestCreateScope)",
	"PATCH /api/v1/activities/{id}":                            "a write: answers the activity it changed, the caller's to organise only (server/activities TestPatch)",
	"POST /api/v1/activities/{id}/signups":                     "a public write: answers the sign-up's id and the activity's counts, no names (server/activities TestSignups)",
	"POST /api/v1/activities/{id}/attendance":                  "a write: answers the activity and its sign-ups to its organisers only (server/activities TestAttendance)",
	"GET /debug/pprof/":                                        "profiles of the process, city-wide admins only (TestPprofAdminOnly)",
	"GET /debug/pprof/cmdline":                                 "profiles of the process, city-wide admins only (TestPprofAdminOnly)",
	"GET /debug/pprof/profile":                                 "profiles of the process, city-wide admins only (TestPprofAdminOnly)",
	"GET /debug/pprof/symbol":                                  "profiles of the process, city-wide admins only (TestPprofAdminOnly)",
	"POST /debug/pprof/symbol":                                 "profiles of the process, city-wide admins only (TestPprofAdminOnly)",
	"GET /debug/pprof/trace":                                   "profiles of the process, city-wide admins only (TestPprofAdminOnly)",
}

// surfaces lists every read of the instance, with objects inside and outside
// the callers' scopes, in every format.
func (w *walk) surfaces() []surface {
	o := w.objects
	var out []surface
	add := func(s ...surface) { out = append(out, s...) }
	narrowest := w.callers[0]
	items := func(pattern, base string, readers []string, status []int, issueIDs func([]byte) []int64, objs ...*object) {
		for _, ob := range objs {
			add(surface{pattern: pattern, path: base + ob.id, readers: readers, item: ob, refused: status,
				control: !narrowest.sees(ob), issueIDs: issueIDs})
		}
	}
	window := url.Values{"from": {w.t0.Add(-time.Minute).Format(time.RFC3339)},
		"to": {w.t0.Add(time.Minute).Format(time.RFC3339)}}.Encode()

	// REST
	add(surface{pattern: "GET /api/v1/issues", path: "/api/v1/issues?limit=1000&q=walk-", readers: readers,
		control: true, issueIDs: featureIDs})
	items("GET /api/v1/issues/{id}", "/api/v1/issues/", everyone, refused, nil,
		o["issue in"], o["issue out"], o["issue of the reporter without a source"], o["issue of the deduction out"],
		o["issue of the Open311 request"])
	add(surface{pattern: "GET /api/v1/inspections", path: "/api/v1/inspections?limit=1000&" + window, readers: readers, control: true})
	items("GET /api/v1/inspections/{id}", "/api/v1/inspections/", readers, refused, nil, o["inspection in"], o["inspection out"])
	for _, f := range []string{"json", "csv", "geojson"} {
		add(surface{pattern: "GET /api/v1/points/overdue", path: "/api/v1/points/overdue?category=park&format=" + f,
			readers: readers, control: true})
	}
	for _, at := range [][2]float64{{w.inLon, w.inLat}, {w.outLon, w.outLat}} {
		add(surface{pattern: "GET /api/v1/parking/available", readers: readers, control: at[0] == w.outLon,
			path: fmt.Sprintf("/api/v1/parking/available?lon=%f&lat=%f&radius=300", at[0], at[1])})
	}
	items("GET /api/v1/parking/zones/{code}", "/api/v1/parking/zones/", readers, notFound, nil,
		o["parking in"], o["parking out"])
	for _, ob := range w.objects {
		if ob.kind == "photo" {
			items("GET /api/v1/photos/{id}", "/api/v1/photos/", everyone, notFound, nil, ob)
		}
	}
	for _, p := range []string{"/api/v1/categories", "/api/v1/units", "/api/v1/me"} {
		add(surface{pattern: "GET " + p, path: p, catalogue: true})
	}

	// intake: a retried report answers only what the caller may see, and so
	// do the possible duplicates of a new one
	for _, ob := range []*object{o["issue in"], o["issue out"]} {
		body := map[string]any{"category": "noise", "source": ob.source, "external_id": map[string]string{
			"issue in": "walk-in", "issue out": "walk-out"}[ob.name],
			"location": map[string]any{"type": "Point", "coordinates": []float64{w.outLon, w.outLat}}}
		add(surface{pattern: "POST /api/v1/issues", method: "POST", path: "/api/v1/issues", body: func(*caller) any { return body },
			readers: creators, item: ob, refused: []int{http.StatusForbidden, http.StatusConflict}, control: !narrowest.sees(ob)})
		add(surface{pattern: "POST /api/v1/issues/batch", method: "POST", path: "/api/v1/issues/batch", readers: creators,
			body:  func(*caller) any { return map[string]any{"items": []any{body}} },
			check: batchAnswers(ob)})
	}
	add(surface{pattern: "POST /api/v1/issues", method: "POST", path: "/api/v1/issues", readers: creators, ok: http.StatusCreated,
		control: true, issueIDs: duplicateIDs, body: func(c *caller) any {
			b := map[string]any{"category": "illegal_posting", "description": "walk duplicate probe",
				"location": map[string]any{"type": "Point", "coordinates": []float64{w.inLon, w.inLat}}}
			if c.source == "" {
				b["source"] = "grid_patrol"
			}
			return b
		}})

	// reports, in every format, over a range around t0
	reports := []struct {
		path string
		geo  bool
	}{
		{"areas?level=grid", true}, {"hotspots?size=500", true}, {"hotspots?by=grid", true},
		{"categories?", false}, {"trends?interval=day", false},
		{"redblack?entity=points&n=100", false}, {"redblack?entity=units&n=100", false},
		{"redblack?entity=units&metric=closure_rate&n=100", false}, {"redblack?entity=areas&level=grid&n=100", true},
	}
	for _, r := range reports {
		for _, f := range formats(r.geo) {
			name, _, _ := strings.Cut(r.path, "?")
			add(surface{pattern: "GET /api/v1/reports/" + name, readers: readers, sameAsArea: true, control: true,
				path: "/api/v1/reports/" + r.path + "&format=" + f + "&" + w.reportQS})
		}
	}
	for _, by := range []string{"zone", "hour"} {
		for _, f := range formats(by == "zone") {
			add(surface{pattern: "GET /api/v1/reports/parking", readers: readers, control: true,
				path: "/api/v1/reports/parking?by=" + by + "&format=" + f + "&" + w.reportQS})
		}
	}

	w.campaignSurfaces(add)
	w.webhookSurfaces(add)
	w.declarationSurfaces(add)
	w.surveySurfaces(add)
	w.activitySurfaces(add)

	// OGC API – Features: every collection's items (the walk's objects, and
	// the first page of everything) and its items in and out
	for _, p := range []string{"/ogc", "/ogc/", "/ogc/conformance", "/ogc/api", "/ogc/api.html", "/ogc/collections"} {
		pattern := "GET " + p
		if p == "/ogc/" {
			pattern = "GET /ogc/{$}"
		}
		add(surface{pattern: pattern, path: p, readers: readers})
	}
	filter := func(cql string) string { return "filter=" + url.QueryEscape(cql) }
	walkFilter := map[string]string{
		"areas":      filter(fmt.Sprintf("code IN ('%s', '%s')", w.community, w.streetOut)),
		"grids":      filter(fmt.Sprintf("code IN ('%s', '%s')", w.gridIn, w.gridOut)),
		"points":     filter("code LIKE 'WALK-%'"),
		"parking":    filter("code LIKE 'WALK-%'"),
		"issues":     filter("description LIKE 'walk-%'"),
		"activities": filter("title LIKE 'walk-%'"),
		"inspections": "datetime=" + url.QueryEscape(w.t0.Add(-time.Minute).Format(time.RFC3339)+"/"+
			w.t0.Add(time.Minute).Format(time.RFC3339)),
	}
	inOut := map[string][2]*object{
		"areas": {o["community in"], o["street out"]}, "grids": {o["grid in"], o["grid out"]},
		"points": {o["point in"], o["point out"]}, "parking": {o["parking in"], o["parking out"]},
		"issues": {o["issue in"], o["issue out"]}, "inspections": {o["inspection in"], o["inspection out"]},
		"activities": {o["activity in"], o["activity out"]},
	}
	for _, id := range []string{"areas", "grids", "points", "parking", "issues", "inspections", "activities"} {
		base := "/ogc/collections/" + id
		var ids func([]byte) []int64
		if id == "issues" {
			ids = featureIDs
		}
		add(surface{pattern: "GET /ogc/collections/{collectionId}", path: base, readers: readers},
			surface{pattern: "GET /ogc/collections/{collectionId}/queryables", path: base + "/queryables", readers: readers},
			surface{pattern: "GET /ogc/collections/{collectionId}/items", readers: readers, control: true, issueIDs: ids,
				path: base + "/items?limit=10000&" + walkFilter[id]},
			surface{pattern: "GET /ogc/collections/{collectionId}/items", readers: readers, issueIDs: ids,
				path: base + "/items?limit=2000"})
		items("GET /ogc/collections/{collectionId}/items/{featureId}", base+"/items/", readers, notFound, nil,
			inOut[id][0], inOut[id][1])
	}

	// tiles of every layer where the walk's objects lie, the areas layer at
	// every level, and the documents that describe them
	for _, l := range []string{"areas", "grids", "parking", "points", "issues"} {
		for _, p := range []orb.Point{{w.inLon, w.inLat}, {w.outLon, w.outLat}} {
			for _, z := range []maptile.Zoom{12, 15} {
				t := maptile.At(p, z)
				// clusters (issues up to z13) show counts, not codes
				control := p[0] == w.outLon && (l != "issues" || z > 13)
				add(surface{pattern: "GET /tiles/{layer}/{z}/{x}/{y}", readers: readers, tile: true, control: control,
					path: fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", l, t.Z, t.X, t.Y)})
			}
		}
		add(surface{pattern: "GET /tiles/{file}", path: "/tiles/" + l + ".json", readers: readers})
	}
	for _, z := range []maptile.Zoom{6, 9, 11} {
		t := maptile.At(orb.Point{w.outLon, w.outLat}, z)
		add(surface{pattern: "GET /tiles/{layer}/{z}/{x}/{y}", readers: readers, tile: true, control: z > 6,
			path: fmt.Sprintf("/tiles/areas/%d/%d/%d.mvt", t.Z, t.X, t.Y)})
	}
	add(surface{pattern: "GET /style.json", path: "/style.json", readers: readers})

	// Open311: reads answer the caller's own cases (a reporter's source)
	window311 := url.Values{"start_date": {w.t0.Add(-time.Minute).Format(time.RFC3339)},
		"end_date": {w.t0.Add(time.Minute).Format(time.RFC3339)}, "page_size": {"1000"}}.Encode()
	add(surface{pattern: "GET /open311/v2/{doc}", path: "/open311/v2/requests.json?" + window311, control: true,
		issueIDs: open311IDs, check: open311Media},
		surface{pattern: "GET /open311/v2/{doc}", path: "/open311/v2/requests.xml?" + window311, control: true},
		surface{pattern: "GET /open311/v2/{doc}", path: "/open311/v2/discovery.json"},
		surface{pattern: "GET /open311/v2/{doc}", path: "/open311/v2/services.json"},
		surface{pattern: "GET /open311/v2/services/{doc}", path: "/open311/v2/services/noise.json"})
	for _, ob := range []*object{o["issue in"], o["issue out"], o["issue of the reporter without a source"],
		o["issue of the Open311 request"]} {
		add(surface{pattern: "GET /open311/v2/requests/{doc}", path: "/open311/v2/requests/" + ob.id + ".json",
			item: ob, refused: notFound, control: !narrowest.sees(ob), issueIDs: open311IDs, check: open311Media},
			surface{pattern: "GET /open311/v2/requests/{doc}", path: "/open311/v2/requests/" + ob.id + ".xml",
				item: ob, refused: notFound, control: !narrowest.sees(ob)},
			surface{pattern: "GET /open311/v2/tokens/{doc}", path: "/open311/v2/tokens/" + ob.id + ".json",
				item: ob, refused: notFound})
	}
	return out
}

func formats(geo bool) []string {
	if geo {
		return []string{"json", "csv", "geojson"}
	}
	return []string{"json", "csv"}
}

// batchAnswers checks that a retried batch item names the case only to a
// caller that may see it.
func batchAnswers(ob *object) func(w *walk, c *caller, r apitest.Reply) string {
	return func(w *walk, c *caller, r apitest.Reply) string {
		var a struct {
			Results []struct {
				Status string
				ID     json.Number
			}
		}
		r.Decode(w.T, &a)
		if len(a.Results) != 1 {
			return "not one result"
		}
		res := a.Results[0]
		switch {
		case c.sees(ob) && (res.Status != "existing" || res.ID.String() != ob.id):
			return fmt.Sprintf("%s retried: %s %s, want existing %s", ob.name, res.Status, res.ID, ob.id)
		case !c.sees(ob) && (res.Status != "rejected" || res.ID != ""):
			return fmt.Sprintf("%s retried: %s %s, want rejected without an id", ob.name, res.Status, res.ID)
		}
		return ""
	}
}

// open311Media checks that every media_url of an Open311 answer is a photo
// the caller can download with its key.
func open311Media(w *walk, c *caller, r apitest.Reply) string {
	var rs []struct {
		MediaURL *string `json:"media_url"`
	}
	r.Decode(w.T, &rs)
	for _, req := range rs {
		if req.MediaURL == nil || !strings.Contains(*req.MediaURL, "/api/v1/photos/") {
			continue
		}
		if got := w.call(c, "GET", *req.MediaURL, nil); got.Status != http.StatusOK {
			return fmt.Sprintf("media_url %s answers %d", *req.MediaURL, got.Status)
		}
	}
	return ""
}

// TestScopeWalk reads every data surface of the instance (every REST list and
// item, every OGC collection's items and item, every report and export in every
// format, tiles of every layer, the live stream, every photo, Open311, the
// retried intake and its possible duplicates, tasks and their documents, the
// campaign report and where points are lost) as callers of narrow scope — a
// grid manager of one grid, a dispatcher, an admin and a reviewer of one
// street, a planner of one community, a viewer of one grid, a reporter of one
// source and one of none, a unit's staff — and checks that none of them is shown anything outside its scope,
// while a city-wide admin is (so that each step proves something). It fails
// when the instance serves a route that it does not walk.
func TestScopeWalk(t *testing.T) {
	w := newWalk(t)
	surfaces := w.surfaces()
	walked := map[string]bool{"GET /live": true}
	for _, s := range surfaces {
		walked[s.pattern] = true
		w.control.check(t, w, s, true)
		for _, c := range w.callers {
			c.check(t, w, s, false)
		}
	}
	w.walkLive(t)
	w.walkPublic(t, surfaces)
	checkCoverage(t, w.Server.Routes(), walked)
}

// walkPublic reads every surface without a key: Open311's reads answer the
// public view (every case, as a request read shows it), everything else is
// refused; none shows a citizen's contact details.
func (w *walk) walkPublic(t *testing.T, surfaces []surface) {
	anon := &caller{name: "a caller without a key"}
	for _, s := range surfaces {
		method := s.method
		if method == "" {
			method = "GET"
		}
		var body any
		if s.body != nil {
			body = s.body(anon)
		}
		r := w.Call(method, s.path, "", body, s.headers...)
		where := fmt.Sprintf("%s %s without a key", method, s.path)
		if msg := contactShown(s, anon, r.Body); msg != "" {
			t.Errorf("%s: %s", where, msg)
		}
		public := strings.HasPrefix(s.pattern, "GET /open311/")
		switch {
		case public && r.Status != http.StatusOK:
			t.Errorf("%s: %d, want the public view\n%.300s", where, r.Status, r.Body)
		case !public && r.Status != http.StatusUnauthorized && r.Status != http.StatusForbidden:
			t.Errorf("%s: %d, want 401 or 403\n%.300s", where, r.Status, r.Body)
		}
	}
}

// check calls the surface as the caller and checks the answer.
func (c *caller) check(t *testing.T, w *walk, s surface, control bool) {
	t.Helper()
	method := s.method
	if method == "" {
		method = "GET"
	}
	var body any
	if s.body != nil {
		body = s.body(c)
	}
	r := w.call(c, method, s.path, body, s.headers...)
	where := fmt.Sprintf("%s %s as %s", method, s.path, c.name)
	if msg := contactShown(s, c, r.Body); msg != "" {
		t.Errorf("%s: %s", where, msg)
	}
	want := s.want(c)
	if !slices.Contains(want, r.Status) {
		t.Errorf("%s: %d, want %v\n%.300s", where, r.Status, want, r.Body)
		return
	}
	if control {
		if s.check != nil && r.Status < 300 {
			if msg := s.check(w, c, r); msg != "" {
				t.Errorf("%s: %s", where, msg)
			}
		}
		if s.control && !w.evidence(s, r) {
			t.Errorf("%s: the city-wide answer shows nothing a grid manager of one grid may not see: "+
				"this step of the walk proves nothing\n%.300s", where, r.Body)
		}
		return
	}
	if leaks := w.leaks(c, r.Body); len(leaks) > 0 && !s.catalogue {
		t.Errorf("%s: shows what lies outside the caller's scope: %s", where, strings.Join(leaks, ", "))
	}
	if r.Status >= 300 {
		return
	}
	if s.issueIDs != nil {
		if hidden := w.hiddenIssues(c, s.issueIDs(r.Body)); len(hidden) > 0 {
			t.Errorf("%s: shows issues outside the caller's scope: %v", where, hidden)
		}
	}
	if s.sameAsArea && len(c.areas) == 1 {
		narrowed := w.call(w.control, "GET", s.path+"&area="+c.areas[0], nil)
		if !sameRows(r.Body, narrowed.Body) {
			t.Errorf("%s: differs from the city-wide report with area=%s\n%.300s\n%.300s", where, c.areas[0], r.Body, narrowed.Body)
		}
	}
	if s.check != nil {
		if msg := s.check(w, c, r); msg != "" {
			t.Errorf("%s: %s", where, msg)
		}
	}
}

// want is the statuses the caller may get.
func (s surface) want(c *caller) []int {
	switch {
	case s.readers != nil && !slices.Contains(s.readers, c.role):
		return refused
	case s.item != nil && !s.mayRead(c):
		return s.refused
	case s.tile:
		return []int{http.StatusOK, http.StatusNoContent}
	case s.ok != 0:
		return []int{s.ok}
	}
	return []int{http.StatusOK}
}

func (s surface) mayRead(c *caller) bool {
	if s.may != nil {
		return s.may(c)
	}
	return c.sees(s.item)
}

// evidence reports whether the city-wide answer shows something the grid
// manager of one grid may not see, or (for a report) differs from the report
// narrowed to its grid.
func (w *walk) evidence(s surface, r apitest.Reply) bool {
	if s.item != nil && !w.callers[0].sees(s.item) {
		return true // answered, where the grid manager is refused
	}
	if len(w.leaks(w.callers[0], r.Body)) > 0 {
		return true
	}
	if s.sameAsArea {
		return !sameRows(r.Body, w.call(w.control, "GET", s.path+"&area="+w.gridIn, nil).Body)
	}
	return false
}

// sameRows compares two report answers without their meta: the rows of JSON,
// the features of GeoJSON, CSV as it is.
func sameRows(a, b []byte) bool {
	var x, y struct {
		Rows     json.RawMessage
		Features json.RawMessage
	}
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	return bytes.Equal(x.Rows, y.Rows) && bytes.Equal(x.Features, y.Features)
}

// walkLive replays the walk's writes on /live to every caller.
func (w *walk) walkLive(t *testing.T) {
	status, frames := w.liveFrames(w.control)
	if all := bytes.Join(frames, []byte("\n")); status != http.StatusSwitchingProtocols || len(w.leaks(w.callers[0], all)) == 0 {
		t.Errorf("live as the control: %d, %d frames showing nothing outside a grid", status, len(frames))
	} else if bytes.Contains(all, []byte(walkContact)) {
		t.Error("live as the control: shows the citizen's contact details")
	}
	for _, c := range w.callers {
		status, frames := w.liveFrames(c)
		switch {
		case c.reporter() && status != http.StatusForbidden:
			t.Errorf("live as %s: %d, want 403", c.name, status)
		case c.reporter():
		case status != http.StatusSwitchingProtocols:
			t.Errorf("live as %s: %d", c.name, status)
		default:
			all := bytes.Join(frames, []byte("\n"))
			if leaks := w.leaks(c, all); len(leaks) > 0 {
				t.Errorf("live as %s: shows what lies outside its scope: %s", c.name, strings.Join(leaks, ", "))
			}
			if hidden := w.hiddenIssues(c, liveIssueIDs(frames)); len(hidden) > 0 {
				t.Errorf("live as %s: streams issues outside its scope: %v", c.name, hidden)
			}
		}
	}
}

// checkCoverage fails for a route the walk neither walks nor explains, and for
// a walked or explained route that the instance no longer serves.
func checkCoverage(t *testing.T, routes []string, walked map[string]bool) {
	t.Helper()
	for _, r := range routes {
		if !walked[r] && notData[r] == "" {
			t.Errorf("route %q is not in the scope walk: add its surfaces to TestScopeWalk "+
				"(or, if it serves no data, to notData with the reason)", r)
		}
	}
	for _, list := range []map[string]bool{walked, keys(notData)} {
		for r := range list {
			if !slices.Contains(routes, r) {
				t.Errorf("the walk names route %q, which the instance does not serve", r)
			}
		}
	}
}

func keys(m map[string]string) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

// campaignSurfaces are the reads of the campaign half: the task list in both
// formats and every task, the tasks' documents, the campaign and its report,
// where points are lost (by unit, by unit and indicator, by indicator), and
// the reference data: the indicator catalogue, the leaders linked to areas
// (public posts), the campaigns, each point's checklist.
func (w *walk) campaignSurfaces(add func(...surface)) {
	o := w.objects
	narrowest := w.callers[0]
	for _, f := range []string{"geojson", "csv"} {
		add(surface{pattern: "GET /api/v1/tasks", path: "/api/v1/tasks?campaign=" + w.campaign + "&format=" + f,
			readers: campaignReaders, control: true, check: taskCount(f)},
			surface{pattern: "GET /api/v1/tasks", path: "/api/v1/tasks?limit=2000&format=" + f, readers: campaignReaders})
	}
	for _, ob := range o {
		switch ob.kind {
		case "task":
			add(surface{pattern: "GET /api/v1/tasks/{id}", path: "/api/v1/tasks/" + ob.id, readers: campaignReaders,
				item: ob, refused: refused, control: !narrowest.sees(ob)})
		case "document":
			add(surface{pattern: "GET /api/v1/documents/{id}", path: "/api/v1/documents/" + ob.id, readers: campaignReaders,
				item: ob, refused: notFound, control: !narrowest.sees(ob)})
		}
	}
	for _, f := range []string{"json", "csv"} {
		add(surface{pattern: "GET /api/v1/campaigns/{id}/report", readers: campaignReaders,
			path: "/api/v1/campaigns/" + w.campaign + "/report?format=" + f, check: campaignTasks})
	}
	for _, r := range []struct {
		path string
		geo  bool
	}{{"units?by=unit", true}, {"units?by=indicator", false}, {"indicators?", false}} {
		for _, f := range formats(r.geo) {
			name, _, _ := strings.Cut(r.path, "?")
			add(surface{pattern: "GET /api/v1/reports/" + name, readers: campaignReaders, sameAsArea: true, control: true,
				path: "/api/v1/reports/" + r.path + "&format=" + f + "&" + w.reportQS, check: lossRows})
		}
	}
	// reference data, the same for every reader: no cases, no people but the
	// leaders' names and posts, which are public
	for _, p := range []string{"/api/v1/indicators", "/api/v1/leaders", "/api/v1/campaigns", "/api/v1/campaigns/" + w.campaign} {
		pattern := "GET " + p
		if p != "/api/v1/campaigns" && strings.HasPrefix(p, "/api/v1/campaigns/") {
			pattern = "GET /api/v1/campaigns/{id}"
		}
		add(surface{pattern: pattern, path: p, readers: campaignReaders, catalogue: true})
	}
	// a point's checklist: the points of the caller's areas; a unit's, the
	// points it answers for or has a task at
	unitPoints := map[string]bool{"point in": true, "point out": true}
	for _, ob := range []*object{o["point in"], o["point out"], o["point inspected-out"]} {
		add(surface{pattern: "GET /api/v1/points/{code}/checklist", path: "/api/v1/points/" + ob.id + "/checklist",
			readers: campaignReaders, item: ob, refused: refused,
			may: func(c *caller) bool { return c.sees(ob) && (c.unit == "" || unitPoints[ob.name]) }})
	}
}

// taskCount checks that the campaign's task list holds the walk's tasks the
// caller may see, all of them.
func taskCount(format string) func(w *walk, c *caller, r apitest.Reply) string {
	return func(w *walk, c *caller, r apitest.Reply) string {
		want, got := 0, 0
		for _, o := range w.objects {
			if o.kind == "task" && c.sees(o) {
				want++
			}
			if o.kind == "task" && bytes.Contains(r.Body, []byte(o.marker)) {
				got++
			}
		}
		if got != want {
			return fmt.Sprintf("%s shows %d of the walk's tasks, want %d", format, got, want)
		}
		return ""
	}
}

// tableRows are the rows of a JSON report (nil for CSV and GeoJSON).
func tableRows(body []byte) []map[string]any {
	var t struct{ Rows []map[string]any }
	_ = json.Unmarshal(body, &t)
	return t.Rows
}

// campaignTasks checks that the campaign report counts the walk's tasks the
// caller may see (all of them are the campaign's, due in its period).
func campaignTasks(w *walk, c *caller, r apitest.Reply) string {
	want := 0
	for _, o := range w.objects {
		if o.kind == "task" && c.sees(o) {
			want++
		}
	}
	for _, row := range tableRows(r.Body) {
		if row["figure"] == "tasks" && row["current"] != float64(want) {
			return fmt.Sprintf("counts %v tasks, want %d", row["current"], want)
		}
	}
	return ""
}

// lossRows checks a loss report: a unit's staff get their own unit's rows
// only, and the points lost on the walk's indicator are those of the walk's
// inspections the caller may see.
func lossRows(w *walk, c *caller, r apitest.Reply) string {
	rows := tableRows(r.Body)
	want, got, counted := 0.0, 0.0, false
	for side, lost := range walkLost {
		if c.sees(w.objects["inspection "+side]) {
			want += lost
		}
	}
	for _, row := range rows {
		if unit, ok := row["unit"]; ok && c.unit != "" && unit != c.unit {
			return fmt.Sprintf("shows the row of unit %v", unit)
		}
		if row["indicator"] == "WALK-1" {
			got += row["points_lost"].(float64)
			counted = true
		}
	}
	if counted || (rows != nil && want == 0) {
		if got != want {
			return fmt.Sprintf("%v points lost on the walk's indicator, want %v", got, want)
		}
	}
	return ""
}

// webhookSurfaces are the reads of the partner systems' subscriptions: a
// city-wide admin's subscription to areas out of everyone else's scope is read
// by the city-wide admin only; partners (a reporter bound to a source) and
// admins of some areas list their own only, other roles are refused.
func (w *walk) webhookSurfaces(add func(...surface)) {
	var id string
	w.Scan(`INSERT INTO webhooks (url, secret, areas, owner_token_id, cursor, status)
		SELECT 'https://partner.example/walk', 'walk-secret-0123456789', $1, t.id, c.seq, 'paused'
		FROM api_tokens t, change_counter c WHERE t.name = 'test-admin' RETURNING id::text`,
		[]any{[]string{w.gridOut, w.streetOut}}, &id)
	managers := []string{access.Admin, access.Reporter}
	bound := func(c *caller) bool { return !c.reporter() || c.source != "" }
	add(surface{pattern: "GET /api/v1/webhooks", path: "/api/v1/webhooks", readers: managers, control: true,
		item: w.objects["issue out"], may: bound, refused: refused})
	for _, p := range []string{"/api/v1/webhooks/" + id, "/api/v1/webhooks/" + id + "/deliveries"} {
		pattern := "GET /api/v1/webhooks/{id}"
		if strings.HasSuffix(p, "/deliveries") {
			pattern += "/deliveries"
		}
		add(surface{pattern: pattern, path: p, readers: managers, item: w.objects["issue out"],
			may:     func(c *caller) bool { return c.unlimited() },
			refused: []int{http.StatusForbidden, http.StatusNotFound}, control: !strings.HasSuffix(p, "/deliveries")})
	}
}
