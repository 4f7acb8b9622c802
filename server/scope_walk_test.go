package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"citymap/server"
	"citymap/server/access"
	"citymap/server/apitest"
	"citymap/server/live"
	"citymap/server/store"
)

// The scope walk's world: callers with narrow scopes, and objects inside and
// outside them that the walk builds itself (scope_test.go walks the surfaces).

// caller is a token the walk reads with.
type caller struct {
	name, role, token string
	areas             []string
	source            string // a reporter's
	unit              string // a unit's staff's unit code
	actor             string // as issue events and photo uploads name it
}

func (c *caller) reporter() bool { return c.role == access.Reporter }

// unlimited reports whether the caller is limited in nothing: the walk's
// control, which must see what the others may not.
func (c *caller) unlimited() bool { return !c.reporter() && len(c.areas) == 0 && c.unit == "" }

// covers reports whether the caller's areas hold the area with this code (a
// unit's staff are limited by their unit, not by areas).
func (c *caller) covers(code string) bool {
	if !c.reporter() && len(c.areas) == 0 {
		return true
	}
	return code != "" && slices.ContainsFunc(c.areas, func(a string) bool { return strings.HasPrefix(code, a) })
}

// viewsArea reports whether the caller may see an area code: its areas, what
// lies in them and what contains them (the map around its grids).
func (c *caller) viewsArea(code string) bool {
	return c.covers(code) || slices.ContainsFunc(c.areas, func(a string) bool { return strings.HasPrefix(a, code) })
}

// object is something the walk built, which shows wherever marker appears.
type object struct {
	name   string
	kind   string // issue, inspection, task, declaration, photo, document, point, parking, grid, area, contact
	id     string // what URLs name it by
	grid   string // the area code it lies in (its own for grids and areas)
	source string // an issue's
	by     string // who reported the issue, or uploaded the photo or document
	// the unit code an issue or task is given to, an inspection's point is
	// the responsibility of, or whose staff uploaded a document
	unit   string
	owners []*object
	marker string
}

// sees is the rule every surface must keep: what the caller may see.
func (c *caller) sees(o *object) bool {
	switch o.kind {
	case "photo", "document":
		if o.by == c.actor || c.unlimited() || (o.kind == "document" && c.unit != "" && o.unit == c.unit) {
			return true
		}
		return slices.ContainsFunc(o.owners, c.sees)
	case "inspection", "task":
		if c.unit != "" {
			return o.unit == c.unit
		}
	case "signup":
		return c.signupSeen(o)
	case "declaration":
		// declarations lie nowhere: a token limited to areas sees none
		return !c.reporter() && len(c.areas) == 0 && (c.unit == "" || o.unit == c.unit)
	case "issue":
		switch {
		case !c.reporter():
			return c.covers(o.grid) && (c.unit == "" || o.unit == c.unit)
		case c.source != "":
			return o.source == c.source
		}
		return o.by == c.actor
	case "area":
		return !c.reporter() && c.viewsArea(o.grid)
	case "contact":
		// a citizen's contact details: for who calls back, in the issue's
		// detail only (contactShown)
		return (c.unlimited() || c.role == access.Admin || c.role == access.Dispatcher || c.reporter()) &&
			slices.ContainsFunc(o.owners, c.sees)
	}
	return !c.reporter() && c.covers(o.grid)
}

// walk is the instance, its callers and its objects.
type walk struct {
	*apitest.Env
	control *caller
	callers []*caller
	objects map[string]*object
	// every area code and parking zone (code → grid) of the database
	areaCodes map[string]bool
	zones     map[string]string
	// where the walk's objects lie
	gridIn, gridOut, community, street, streetOut string
	inLon, inLat, outLon, outLat                  float64
	// the unit of the unit's staff among the callers and another, as codes
	// and as points name them
	unitIn, unitOut, unitInName, unitOutName string
	campaign                                 string // the walk's campaign's id
	walkSurvey                               string // the walk's survey's id
	// t0 is when the walk's cases were reported and its inspections made: in
	// the past, so that reports over a range around it are final
	t0       time.Time
	seq0     int64
	reportQS string // the report range
}

const (
	walkHotline = "hotline_12345"
	walkOther   = "hotline_12319"
)

func newWalk(t *testing.T) *walk {
	t.Helper()
	env := apitest.NewWith(t, server.Config{Live: live.Config{Heartbeat: 100 * time.Millisecond}})
	w := &walk{Env: env, objects: map[string]*object{}, t0: time.Now().Add(-50 * time.Hour).Truncate(time.Second)}
	w.gridIn, w.community, w.street = env.GridIn, env.GridIn[:12], env.GridIn[:9]
	w.Scan(`SELECT min(code) FROM areas WHERE level = 'grid' AND left(code, 9) <> $1`, []any{w.street}, &w.gridOut)
	w.streetOut = w.gridOut[:9]
	w.inLon, w.inLat = w.PointIn(w.gridIn)
	w.outLon, w.outLat = w.PointIn(w.gridOut)
	w.unitIn = apitest.UnitCode
	w.Scan(`SELECT u.name, o.code, o.name FROM units u, units o WHERE u.code = $1
		AND o.code = (SELECT min(code) FROM units WHERE code <> $1)`, []any{w.unitIn}, &w.unitInName, &w.unitOut, &w.unitOutName)
	w.control = &caller{name: "city-wide admin (control)", role: access.Admin, token: env.Tokens[access.Admin],
		actor: access.Admin + ":test-" + access.Admin}
	for _, c := range []*caller{
		{name: "grid manager of one grid", role: access.GridManager, areas: []string{w.gridIn}},
		{name: "dispatcher of one street", role: access.Dispatcher, areas: []string{w.street}},
		{name: "admin of one street", role: access.Admin, areas: []string{w.street}},
		{name: "planner of one community", role: access.Planner, areas: []string{w.community}},
		{name: "viewer of one grid", role: access.Viewer, areas: []string{w.gridIn}},
		{name: "reporter of the 12345 hotline", role: access.Reporter, source: walkHotline},
		{name: "reporter without a source", role: access.Reporter},
		{name: "staff of one unit", role: access.Unit, unit: apitest.UnitCode},
		{name: "leader of one unit", role: access.UnitLeader, unit: apitest.UnitCode},
		{name: "reviewer of one street", role: access.Reviewer, areas: []string{w.street}},
	} {
		tokenName := fmt.Sprintf("walk-%d", len(w.callers))
		c.token = env.TokenFor(store.Token{Name: tokenName, Role: c.role, Areas: c.areas, Source: c.source, Unit: c.unit})
		c.actor = c.role + ":" + tokenName
		w.callers = append(w.callers, c)
	}
	w.seq0 = w.head()
	w.build()
	w.areaCodes, w.zones = map[string]bool{}, map[string]string{}
	for _, code := range w.strings(`SELECT code FROM areas`) {
		w.areaCodes[code] = true
	}
	for _, z := range w.strings(`SELECT code || ' ' || coalesce(grid_code, '') FROM parking_zones`) {
		code, grid, _ := strings.Cut(z, " ")
		w.zones[code] = grid
	}
	day := func(d time.Time) string { return d.In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly) }
	w.reportQS = "from=" + day(w.t0.AddDate(0, 0, -1)) + "&to=" + day(w.t0.AddDate(0, 0, 1))
	return w
}

func (w *walk) head() int64 {
	w.T.Helper()
	h, err := store.FeedHead(w.T.Context(), w.Store.Pool)
	if err != nil {
		w.T.Fatal(err)
	}
	return h
}

func (w *walk) strings(sql string, args ...any) []string {
	w.T.Helper()
	var out []string
	w.Scan(`SELECT coalesce(array_agg(x), '{}') FROM (`+sql+`) s(x)`, args, &out)
	return out
}

func (w *walk) reporter(source string) *caller {
	for _, c := range w.callers {
		if c.reporter() && c.source == source {
			return c
		}
	}
	w.T.Fatalf("no reporter of source %q", source)
	return nil
}

// call sends a request with the caller's token.
func (w *walk) call(c *caller, method, path string, body any, headers ...string) apitest.Reply {
	w.T.Helper()
	return w.Call(method, path, "", body, append([]string{"Authorization", "Bearer " + c.token}, headers...)...)
}

func (w *walk) must(status int, c *caller, method, path string, body any, headers ...string) apitest.Reply {
	w.T.Helper()
	r := w.call(c, method, path, body, headers...)
	if r.Status != status {
		w.T.Fatalf("setup: %s %s as %s: %d, want %d\n%s", method, path, c.name, r.Status, status, r.Body)
	}
	return r
}

func (w *walk) add(o *object) *object {
	w.objects[o.name] = o
	return o
}

// build makes the walk's objects: for each kind, one inside every scoped
// caller's areas (the grid manager's grid) and one outside them all (a grid of
// another street), with photos, and a case of the reporter without a source.
func (w *walk) build() {
	w.T.Helper()
	w.add(&object{name: "grid in", kind: "grid", id: w.gridIn, grid: w.gridIn})
	w.add(&object{name: "grid out", kind: "grid", id: w.gridOut, grid: w.gridOut})
	w.add(&object{name: "community in", kind: "area", id: w.community, grid: w.community})
	w.add(&object{name: "street out", kind: "area", id: w.streetOut, grid: w.streetOut})
	photo := func(name string, by *caller, seed byte) *object {
		body, ctype := pngUpload(w.T, seed)
		id := w.must(http.StatusCreated, by, "POST", "/api/v1/photos", body, "Content-Type", ctype).JSON(w.T)["id"].(string)
		return w.add(&object{name: name, kind: "photo", id: id, by: by.actor, marker: id})
	}
	lot := w.reporter("")
	// a field indicator of the walk's own, checked at points of every category
	w.Exec(`INSERT INTO indicators (code, name, kind, max_points, point_categories)
		SELECT 'WALK-1', '环境卫生', 'field', 10, array_agg(code) FROM point_categories`)
	for _, side := range []string{"in", "out"} {
		lon, lat, grid := w.inLon, w.inLat, w.gridIn
		if side == "out" {
			lon, lat, grid = w.outLon, w.outLat, w.gridOut
		}
		for _, kind := range []string{"point", "parking"} {
			w.ogcCreate(kind, side, lon, lat, grid)
		}
		w.ogcCreate("point", "inspected-"+side, lon, lat, grid)
		source, ext := walkHotline, "walk-in"
		if side == "out" {
			source, ext = walkOther, "walk-out"
		}
		p := photo("photo of the issue "+side, w.control, byte(len(w.objects)))
		issue := w.issue("issue "+side, w.control, source, ext, "noise", lon, lat, grid, p)
		p.owners = []*object{issue}
		w.inspection(side, grid, photo("photo of the inspection "+side, w.control, byte(len(w.objects))))
	}
	pl := photo("photo of the reporter's own case", lot, 200)
	pl.owners = []*object{w.issue("issue of the reporter without a source", lot, "citizen_app", "walk-lot",
		"noise", w.outLon, w.outLat, w.gridOut, pl)}
	photo("photo the reporter uploaded", lot, 201)
	w.open311Request(lot)
	// a case outside every scope 5 m from the grid manager's point, for the
	// possible duplicates of an intake there: reported outside, then moved
	edge := w.issue("issue just outside", w.control, walkOther, "walk-edge", "illegal_posting",
		w.outLon, w.outLat, w.gridOut)
	w.Exec(`UPDATE issues SET geom = ST_SetSRID(ST_MakePoint($2, $3), 4326) WHERE id = $1::bigint`,
		edge.id, w.inLon+0.00005, w.inLat)
	// reported at t0, in the past; the case outside is overdue, so that the
	// reports' case figures count it
	w.Exec(`UPDATE issues SET created_at = $1 WHERE description LIKE 'walk-%'`, w.t0)
	w.Exec(`UPDATE issues SET deadline = $2 WHERE id = $1::bigint`, w.objects["issue out"].id, w.t0.Add(time.Hour))
	w.buildTasks()
	w.buildDeclarations()
	w.buildSurveys()
	w.buildActivities()
	for _, o := range w.objects {
		if o.kind == "issue" {
			w.Scan(`SELECT coalesce(unit, '') FROM issues WHERE id = $1::bigint`, []any{o.id}, &o.unit)
		}
	}
}

// buildTasks makes the walk's campaign around t0 and its tasks: of the unit
// token's unit and of another, in the grid manager's grid and outside every
// scope (by area, and by point), one of the whole city; and documents and
// photos, one on a task inside, one on a task outside, and a document the
// unit uploaded itself.
func (w *walk) buildTasks() {
	w.T.Helper()
	day := func(d time.Time) string { return d.In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly) }
	var c struct{ ID int64 }
	w.must(http.StatusCreated, w.control, "POST", "/api/v1/campaigns", map[string]any{"code": "WALK",
		"name": "walk-campaign", "starts_on": day(w.t0.AddDate(0, 0, -1)), "ends_on": day(w.t0.AddDate(0, 0, 1))}).Decode(w.T, &c)
	w.campaign = fmt.Sprint(c.ID)
	for _, t := range []struct {
		name, unit, grid string
		areas, points    []string
	}{
		{"task in", w.unitIn, w.gridIn, []string{w.gridIn}, nil},
		{"task of the unit out", w.unitIn, w.gridOut, nil, []string{"WALK-OUT-POINT"}},
		{"task of another unit in", w.unitOut, w.gridIn, []string{w.gridIn}, nil},
		{"task out", w.unitOut, w.gridOut, []string{w.gridOut}, nil},
		{"task of the whole city", w.unitOut, "", nil, nil},
	} {
		marker := "walk-" + strings.ReplaceAll(t.name, " ", "-")
		var f struct{ ID int64 }
		w.must(http.StatusCreated, w.control, "POST", "/api/v1/tasks", map[string]any{"title": marker, "unit": t.unit,
			"areas": t.areas, "points": t.points, "campaign": c.ID,
			"due_at": time.Now().Add(48 * time.Hour).Format(time.RFC3339)}).Decode(w.T, &f)
		w.add(&object{name: t.name, kind: "task", id: fmt.Sprint(f.ID), grid: t.grid, unit: t.unit, marker: marker})
	}
	// due at t0, so that the campaign's and the reports' ranges count them
	w.Exec(`UPDATE tasks SET due_at = $1 WHERE title LIKE 'walk-%'`, w.t0)
	document := func(name string, by *caller, seed byte) *object {
		body, ctype := fileUpload(w.T, "file", seed)
		id := w.must(http.StatusCreated, by, "POST", "/api/v1/documents", body, "Content-Type", ctype).JSON(w.T)["id"].(string)
		return w.add(&object{name: name, kind: "document", id: id, by: by.actor, unit: by.unit, marker: id})
	}
	for i, task := range []*object{w.objects["task in"], w.objects["task out"]} {
		d := document("document of the "+task.name, w.control, byte(210+i))
		body, ctype := pngUpload(w.T, byte(215+i))
		id := w.must(http.StatusCreated, w.control, "POST", "/api/v1/photos", body, "Content-Type", ctype).JSON(w.T)["id"].(string)
		p := w.add(&object{name: "photo of the " + task.name, kind: "photo", id: id, by: w.control.actor, marker: id})
		d.owners, p.owners = []*object{task}, []*object{task}
		w.must(http.StatusOK, w.control, "POST", "/api/v1/tasks/"+task.id+"/actions",
			map[string]any{"action": "progress", "documents": []string{d.id}, "photos": []string{p.id}})
	}
	document("document the unit uploaded", w.unitCaller(), 220)
}

// buildDeclarations gives the unit token's unit and another a declaration
// indicator of the walk's own, opens their declarations and attaches a
// document and a photo to the current period's of each.
func (w *walk) buildDeclarations() {
	w.T.Helper()
	w.Exec(`INSERT INTO indicators (code, name, kind, max_points, lead_unit) VALUES
		('WALKDECL-IN', '申报（内）', 'declaration', 5, $1), ('WALKDECL-OUT', '申报（外）', 'declaration', 5, $2)`,
		w.unitIn, w.unitOut)
	w.must(http.StatusOK, w.control, "POST", "/api/v1/declarations/open", nil)
	for i, side := range []struct{ name, code, unit string }{
		{"declaration in", "WALKDECL-IN", w.unitIn}, {"declaration out", "WALKDECL-OUT", w.unitOut},
	} {
		var id int64
		w.Scan(`SELECT max(id) FROM declarations WHERE indicator_code = $1`, []any{side.code}, &id)
		d := w.add(&object{name: side.name, kind: "declaration", id: fmt.Sprint(id), unit: side.unit, marker: side.code})
		body, ctype := fileUpload(w.T, "file", byte(230+i))
		doc := w.must(http.StatusCreated, w.control, "POST", "/api/v1/documents", body, "Content-Type", ctype).JSON(w.T)["id"].(string)
		w.add(&object{name: "document of the " + side.name, kind: "document", id: doc, by: w.control.actor, marker: doc,
			owners: []*object{d}})
		body, ctype = pngUpload(w.T, byte(235+i))
		photo := w.must(http.StatusCreated, w.control, "POST", "/api/v1/photos", body, "Content-Type", ctype).JSON(w.T)["id"].(string)
		w.add(&object{name: "photo of the " + side.name, kind: "photo", id: photo, by: w.control.actor, marker: photo,
			owners: []*object{d}})
		for _, m := range []map[string]any{{"kind": "document", "document": doc}, {"kind": "photo", "photo": photo}} {
			w.must(http.StatusCreated, w.control, "POST", "/api/v1/declarations/"+d.id+"/materials", m)
		}
	}
}

func (w *walk) unitCaller() *caller {
	for _, c := range w.callers {
		if c.unit != "" {
			return c
		}
	}
	w.T.Fatal("no unit's staff among the callers")
	return nil
}

// issue reports a case as by and records it.
func (w *walk) issue(name string, by *caller, source, ext, category string, lon, lat float64, grid string,
	photos ...*object) *object {
	w.T.Helper()
	marker := "walk-" + strings.ReplaceAll(name, " ", "-")
	ids := []string{}
	for _, p := range photos {
		ids = append(ids, p.id)
	}
	body := map[string]any{"category": category, "source": source, "external_id": ext, "description": marker,
		"location": map[string]any{"type": "Point", "coordinates": []float64{lon, lat}}, "photos": ids}
	var f struct{ ID int64 }
	w.must(http.StatusCreated, by, "POST", "/api/v1/issues", body).Decode(w.T, &f)
	return w.add(&object{name: name, kind: "issue", id: fmt.Sprint(f.ID), grid: grid, source: source,
		by: by.actor, marker: marker})
}

// walkContact is what the walk's Open311 request gives as the citizen's
// contact details: no read but the issue's detail may show it.
const walkContact = "walk-contact-13800138000"

// open311Request posts a request with contact details through Open311 as by,
// inside the grid manager's grid.
func (w *walk) open311Request(by *caller) {
	w.T.Helper()
	form := url.Values{"api_key": {by.token}, "service_code": {"trash_bin"}, "description": {"walk-open311-request"},
		"lat": {fmt.Sprint(w.inLat)}, "long": {fmt.Sprint(w.inLon)}}
	for _, f := range []string{"email", "first_name", "last_name", "phone", "device_id", "account_id"} {
		form.Set(f, walkContact+"-"+f)
	}
	r := w.Call("POST", "/open311/v2/requests.json", "", form)
	var rs []struct {
		ID string `json:"service_request_id"`
	}
	if r.Status != http.StatusCreated || json.Unmarshal(r.Body, &rs) != nil || len(rs) != 1 {
		w.T.Fatalf("setup: Open311 POST: %d %s", r.Status, r.Body)
	}
	issue := w.add(&object{name: "issue of the Open311 request", kind: "issue", id: rs[0].ID, grid: w.gridIn,
		source: "open311", by: by.actor, marker: "walk-open311-request"})
	w.add(&object{name: "contact of the Open311 request", kind: "contact", owners: []*object{issue}, marker: walkContact})
}

// contactShown says what is wrong with an answer that shows the citizen's
// contact details: only the issue's detail may, and only to whom sees them.
func contactShown(s surface, c *caller, body []byte) string {
	if !bytes.Contains(body, []byte(walkContact)) || (s.pattern == "GET /api/v1/issues/{id}" && c.role != "") {
		return ""
	}
	return "shows the citizen's contact details"
}

// ogcCreate writes a point or a parking zone through the OGC API, so that it
// reaches the live stream too.
func (w *walk) ogcCreate(kind, side string, lon, lat float64, grid string) {
	w.T.Helper()
	code := strings.ToUpper("WALK-" + side + "-" + kind)
	// inside, the unit token's unit answers for the points; outside, another
	unit := w.unitInName
	if strings.HasSuffix(side, "out") {
		unit = w.unitOutName
	}
	props := fmt.Sprintf(`"code": %q, "name": %q, "category": "park", "unit": %q`, code, code, unit)
	collection := "points"
	if kind == "parking" {
		collection = "parking"
		props = fmt.Sprintf(`"code": %q, "name": %q, "kind": "smart", "capacity": 10`, code, code)
	}
	body := []byte(fmt.Sprintf(`{"type": "Feature", "geometry": {"type": "Point", "coordinates": [%f, %f]},
		"properties": {%s}}`, lon, lat, props))
	w.must(http.StatusCreated, w.control, "POST", "/ogc/collections/"+collection+"/items", body,
		"Content-Type", "application/geo+json")
	w.add(&object{name: kind + " " + side, kind: kind, id: code, grid: grid, marker: code})
	if kind == "parking" {
		w.Exec(`INSERT INTO parking_readings (zone_id, at, occupied) SELECT id, $2, 3 FROM parking_zones WHERE code = $1`,
			code, w.t0)
	}
}

// walkLost is what each side's inspection deducts on the walk's indicator.
var walkLost = map[string]float64{"in": 5, "out": 10}

// inspection inspects the side's inspected point at t0 with a photo; a
// deduction on the walk's indicator opens a case there too.
func (w *walk) inspection(side, grid string, photo *object) {
	w.T.Helper()
	marker := "walk-inspection-" + side
	body := map[string]any{"point": "WALK-INSPECTED-" + strings.ToUpper(side) + "-POINT", "inspected_at": w.t0.Format(time.RFC3339),
		"photos": []string{photo.id}, "note": marker, "deductions": []any{}}
	opened := "walk-deduction-" + side
	body["deductions"] = []any{map[string]any{"indicator_code": "WALK-1", "points": walkLost[side], "category": "noise",
		"description": opened}}
	var doc struct {
		ID     int64
		Issues []int64
	}
	w.must(http.StatusCreated, w.control, "POST", "/api/v1/inspections", body).Decode(w.T, &doc)
	unit := w.unitIn
	if side == "out" {
		unit = w.unitOut
	}
	insp := w.add(&object{name: "inspection " + side, kind: "inspection", id: fmt.Sprint(doc.ID), grid: grid,
		unit: unit, marker: marker})
	photo.owners = []*object{insp}
	for _, id := range doc.Issues {
		photo.owners = append(photo.owners, w.add(&object{name: "issue of the deduction " + side, kind: "issue",
			id: fmt.Sprint(id), grid: grid, source: "inspection", by: w.control.actor, marker: opened}))
	}
}

// The oracles: what a caller's answer may not hold.

var digitRun = regexp.MustCompile(`[0-9]+`)

// leaks lists what the body shows that the caller may not see: the markers of
// the walk's objects it may not see, area codes outside its view, and parking
// zones outside its areas.
func (w *walk) leaks(c *caller, body []byte) []string {
	var out []string
	for _, o := range w.objects {
		if o.marker != "" && !c.sees(o) && bytes.Contains(body, []byte(o.marker)) {
			out = append(out, fmt.Sprintf("%s (%s)", o.name, o.marker))
		}
	}
	if !c.reporter() {
		seen := map[string]bool{}
		for _, run := range digitRun.FindAll(body, -1) {
			code := string(run)
			if w.areaCodes[code] && !c.viewsArea(code) && !seen[code] {
				seen[code] = true
				out = append(out, "area "+code)
			}
		}
	}
	for code, grid := range w.zones {
		if (c.reporter() || !c.covers(grid)) && bytes.Contains(body, []byte(code)) {
			out = append(out, "parking zone "+code)
		}
	}
	slices.Sort(out)
	return out
}

// hiddenIssues returns those of ids that the caller may not see, by the rule
// written out here: a reporter sees its source's cases (without a source, the
// ones it reported); a unit's staff its unit's; everyone else the cases of its areas.
func (w *walk) hiddenIssues(c *caller, ids []int64) []int64 {
	if len(ids) == 0 || c.unlimited() {
		return nil
	}
	var out []int64
	w.Scan(`SELECT coalesce(array_agg(i.id ORDER BY i.id), '{}') FROM issues i WHERE i.id = ANY($1) AND NOT CASE
		WHEN $2 AND $3 <> '' THEN i.source = $3
		WHEN $2 THEN EXISTS (SELECT 1 FROM issue_events e WHERE e.issue_id = i.id AND e.action = 'report' AND e.actor = $4)
		ELSE (cardinality($5::text[]) = 0 OR EXISTS (SELECT 1 FROM unnest($5::text[]) a WHERE starts_with(i.grid_code, a)))
			AND ($6 = '' OR i.unit = $6) END`,
		[]any{ids, c.reporter(), c.source, c.actor, c.areas, c.unit}, &out)
	return out
}

// Issue ids in answers.

func featureIDs(body []byte) []int64 {
	var fc struct{ Features []struct{ ID json.Number } }
	_ = json.Unmarshal(body, &fc)
	return numbers(fc.Features, func(f struct{ ID json.Number }) json.Number { return f.ID })
}

func duplicateIDs(body []byte) []int64 {
	var f struct {
		Dups []struct{ ID json.Number } `json:"possible_duplicates"`
	}
	_ = json.Unmarshal(body, &f)
	return numbers(f.Dups, func(d struct{ ID json.Number }) json.Number { return d.ID })
}

func open311IDs(body []byte) []int64 {
	var rs []struct {
		ID json.Number `json:"service_request_id"`
	}
	_ = json.Unmarshal(body, &rs)
	return numbers(rs, func(r struct {
		ID json.Number `json:"service_request_id"`
	}) json.Number {
		return r.ID
	})
}

func numbers[T any](xs []T, get func(T) json.Number) []int64 {
	var out []int64
	for _, x := range xs {
		if n, err := get(x).Int64(); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// liveFrames subscribes to /live as the caller from before the walk's writes
// and returns what it was sent up to the feed's head: the replay, then
// heartbeats, the first of which at the head ends it.
func (w *walk) liveFrames(c *caller) (status int, frames [][]byte) {
	w.T.Helper()
	head := w.head()
	url := "ws" + strings.TrimPrefix(w.URL, "http") + "/live"
	conn, res, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {"Bearer " + c.token}})
	if err != nil {
		if res == nil {
			w.T.Fatalf("live as %s: %v", c.name, err)
		}
		return res.StatusCode, nil
	}
	defer conn.Close()
	sub := fmt.Sprintf(`{"type":"subscribe","since":%d}`, w.seq0)
	if err := conn.WriteMessage(websocket.TextMessage, []byte(sub)); err != nil {
		w.T.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			w.T.Fatalf("live as %s: %v after %d frames", c.name, err, len(frames))
		}
		var f struct {
			Type string
			Seq  int64
		}
		_ = json.Unmarshal(msg, &f)
		if f.Type == "heartbeat" && f.Seq >= head {
			return http.StatusSwitchingProtocols, frames
		}
		frames = append(frames, msg)
	}
}

// liveIssueIDs are the ids of the issue changes among frames.
func liveIssueIDs(frames [][]byte) []int64 {
	var out []int64
	for _, msg := range frames {
		var f struct {
			Layer string
			ID    json.Number
		}
		if json.Unmarshal(msg, &f) == nil && f.Layer == "issues" {
			if n, err := f.ID.Int64(); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// pngUpload is a multipart upload of a small PNG that seed makes unique.
func pngUpload(t testing.TB, seed byte) ([]byte, string) {
	t.Helper()
	return fileUpload(t, "photo", seed)
}

// fileUpload is pngUpload with the PNG in the multipart field field.
func fileUpload(t testing.TB, field string, seed byte) ([]byte, string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(0, 0, color.RGBA{R: seed, G: 77, A: 255})
	return imageUpload(t, field, img)
}

// imageUpload is a multipart upload of img as a PNG in the field field.
func imageUpload(t testing.TB, field string, img image.Image) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	part, err := mw.CreateFormFile(field, "walk.png")
	if err == nil {
		err = png.Encode(part, img)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), mw.FormDataContentType()
}

// declarationSurfaces are the reads of the declarations: the list in both
// formats (all, and the reminders' filters), every declaration, and the
// completeness report by unit and by indicator.
func (w *walk) declarationSurfaces(add func(...surface)) {
	narrowest := w.callers[0]
	for _, f := range []string{"json", "csv"} {
		for _, q := range []string{"limit=2000", "due=overdue&limit=2000", "due=7d", "indicator=WALKDECL"} {
			add(surface{pattern: "GET /api/v1/declarations", path: "/api/v1/declarations?" + q + "&format=" + f,
				readers: campaignReaders, control: q != "due=7d", check: unitRows})
		}
		for _, by := range []string{"unit", "indicator"} {
			add(surface{pattern: "GET /api/v1/reports/declarations", readers: campaignReaders, control: by == "indicator",
				path: "/api/v1/reports/declarations?by=" + by + "&format=" + f, check: unitRows})
		}
	}
	for _, ob := range w.objects {
		if ob.kind == "declaration" {
			add(surface{pattern: "GET /api/v1/declarations/{id}", path: "/api/v1/declarations/" + ob.id, readers: campaignReaders,
				item: ob, refused: refused, control: !narrowest.sees(ob)})
		}
	}
}

// unitRows checks that a unit's staff and leader are shown their own unit's
// rows only (JSON lists and reports).
func unitRows(w *walk, c *caller, r apitest.Reply) string {
	var list struct{ Declarations []map[string]any }
	_ = json.Unmarshal(r.Body, &list)
	for _, row := range append(list.Declarations, tableRows(r.Body)...) {
		if unit, ok := row["unit"].(string); ok && c.unit != "" && unit != c.unit {
			return fmt.Sprintf("shows the row of unit %v", unit)
		}
	}
	return ""
}
