package activities_test

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"citymap/geo/coordsys"
	"citymap/server/access"
	"citymap/server/apitest"
	"citymap/server/store"
)

// Who may create an activity where: organisers within their areas, unit
// staff for their own unit only, readers never.
func TestCreateScope(t *testing.T) {
	e := newEnv(t)
	starts := future()
	for _, c := range []struct {
		name, role, community string
		unit                  any
		want                  int
		wantUnit              string
	}{
		{"admin anywhere", access.Admin, c3, nil, http.StatusCreated, ""},
		{"reviewer of the city", access.Reviewer, c1, "zjj", http.StatusCreated, "zjj"},
		{"reviewer of S2 in S2", "reviewer_s2", c3, nil, http.StatusCreated, ""},
		{"reviewer of S2 in S1", "reviewer_s2", c1, nil, http.StatusForbidden, ""},
		{"community worker in C1", "worker_c1", c1, nil, http.StatusCreated, ""},
		{"community worker in C2", "worker_c1", c2, nil, http.StatusForbidden, ""},
		{"unit staff, own unit by default", access.Unit, c2, nil, http.StatusCreated, apitest.UnitCode},
		{"unit staff, own unit", access.Unit, c2, apitest.UnitCode, http.StatusCreated, apitest.UnitCode},
		{"unit staff, another unit", access.Unit, c2, "zjj", http.StatusForbidden, ""},
		{"planner", access.Planner, c1, nil, http.StatusForbidden, ""},
		{"viewer", access.Viewer, c1, nil, http.StatusForbidden, ""},
		{"reporter", access.Reporter, c1, nil, http.StatusForbidden, ""},
		{"no key", "", c1, nil, http.StatusUnauthorized, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := e.count(`SELECT count(*) FROM activities`)
			body := basic(c.community, starts, 20)
			body["title"] = "scope-" + c.name
			if c.unit != nil {
				body["unit"] = c.unit
			}
			r := e.Call("POST", "/api/v1/activities", c.role, body)
			if r.Status != c.want {
				t.Fatalf("%d, want %d\n%s", r.Status, c.want, r.Body)
			}
			after := e.count(`SELECT count(*) FROM activities`)
			if c.want != http.StatusCreated {
				if after != before {
					t.Errorf("refused, but %d activities were written", after-before)
				}
				return
			}
			var a activity
			r.Decode(t, &a)
			if a.Properties.Community != c.community || a.Properties.Unit != c.wantUnit || a.Properties.Status != "planned" ||
				a.Properties.Month != store.ActivityMonth(starts) || r.Header.Get("ETag") == "" {
				t.Errorf("answer %+v (ETag %q)", a.Properties, r.Header.Get("ETag"))
			}
		})
	}
}

// Bad input is refused with a 4xx naming the field, and nothing is written.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	starts := future()
	with := func(k string, v any) map[string]any {
		b := basic(c1, starts, 10)
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	for _, c := range []struct {
		name  string
		body  any
		want  int
		field string
	}{
		{"no community", with("community", nil), 400, "community"},
		{"unknown community", with("community", "999999001099"), 400, "community"},
		{"a street as community", with("community", s1), 400, "community"},
		{"malformed community", with("community", "abc"), 400, "community"},
		{"no title", with("title", nil), 400, "title"},
		{"blank title", with("title", "   "), 400, "title"},
		{"title too long", with("title", strings.Repeat("长", 201)), 400, "title"},
		{"no start", with("starts_at", nil), 400, "starts_at"},
		{"end before start", with("ends_at", starts.Add(-time.Hour).Format(time.RFC3339)), 400, "ends_at"},
		{"a year-long activity", with("ends_at", starts.AddDate(1, 0, 0).Format(time.RFC3339)), 400, "ends_at"},
		{"malformed start", with("starts_at", "tomorrow"), 400, ""},
		{"zero capacity", with("capacity", 0), 400, "capacity"},
		{"text capacity", with("capacity", "many"), 400, "capacity"},
		{"unknown unit", with("unit", "nosuchunit"), 400, "unit"},
		{"unknown status", with("status", "maybe"), 400, "status"},
		{"lon without lat", with("lon", 100.005), 400, "lat"},
		{"lat out of range", func() map[string]any { b := with("lon", 100.0); b["lat"] = 95.0; return b }(), 400, "lat"},
		{"unknown coord_sys", func() map[string]any {
			b := with("lon", 100.005)
			b["lat"], b["coord_sys"] = 20.005, "mars"
			return b
		}(), 400, "coord_sys"},
		{"unknown field", with("phone", "13800138000"), 400, ""},
		{"NUL in the place", with("place", "a\x00b"), 400, ""},
		{"not JSON", "{", 400, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := e.count(`SELECT count(*) FROM activities`)
			r := e.Call("POST", "/api/v1/activities", access.Admin, c.body)
			code, fields := r.ErrorOf(t)
			if r.Status != c.want || code == "" || (c.field != "" && fields[c.field] == nil) {
				t.Errorf("%d %s %v, want %d naming %q\n%s", r.Status, code, fields, c.want, c.field, r.Body)
			}
			if after := e.count(`SELECT count(*) FROM activities`); after != before {
				t.Errorf("refused, but %d activities were written", after-before)
			}
		})
	}
}

// The place: lon/lat in GCJ-02 are stored as WGS 84, and without them the
// activity lies inside its community.
func TestPlace(t *testing.T) {
	e := newEnv(t)
	b := basic(c1, future(), nil)
	b["lon"], b["lat"], b["coord_sys"] = 100.005, 20.005, "gcj02"
	a := e.create(access.Admin, b)
	want := coordsys.ToWGS84(coordsys.GCJ02, orb.Point{100.005, 20.005})
	if got := a.Geometry.Coordinates; math.Abs(got[0]-want[0]) > 1e-6 || math.Abs(got[1]-want[1]) > 1e-6 {
		t.Errorf("gcj02 point stored at %v, want %v", got, want)
	}
	d := e.create(access.Admin, basic(c3, future(), nil))
	if n := e.count(`SELECT count(*) FROM activities a JOIN areas c ON c.code = a.community_code
		WHERE a.id = $1 AND ST_Contains(c.geom, a.geom)`, d.ID); n != 1 {
		t.Errorf("an activity without a place lies outside its community: %v", d.Geometry.Coordinates)
	}
}

// Concurrent sign-ups never take more places than the capacity.
func TestSignupCapacityRace(t *testing.T) {
	e := newEnv(t)
	a := e.create(access.Admin, basic(c1, future(), 5))
	const n = 24
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// each from its own address: the race, not the rate limit
			statuses[i], _ = e.signup(from(10+i), a.ID, fmt.Sprintf("志愿者%d", i), fmt.Sprintf("1390000%04d", i))
		}()
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[http.StatusCreated] != 5 || count[http.StatusConflict] != n-5 {
		t.Errorf("statuses %v, want 5 × 201 and %d × 409", count, n-5)
	}
	rows := e.count(`SELECT count(*) FROM activity_signups WHERE activity_id = $1`, a.ID)
	kept := e.count(`SELECT signups FROM activities WHERE id = $1`, a.ID)
	if rows != 5 || kept != 5 {
		t.Errorf("%d sign-ups stored, %d counted, want 5", rows, kept)
	}
	st, body := e.signup(from(60), a.ID, "迟到者", "13900009999")
	if st != http.StatusConflict || !bytes.Contains(body, []byte(`"full"`)) {
		t.Errorf("a sign-up to a full activity: %d %s, want 409 full", st, body)
	}
}

// One phone signs up once, however it is written; the number is never
// stored or answered; bad sign-ups and floods from one address are refused
// with nothing written.
func TestSignups(t *testing.T) {
	e := newEnv(t)
	a := e.create(access.Admin, basic(c1, future(), 50))
	c := from(2)
	if st, body := e.signup(c, a.ID, "张三", "138 0013 8000"); st != http.StatusCreated || bytes.Contains(body, []byte("13800138000")) {
		t.Fatalf("first sign-up: %d %s", st, body)
	}
	for _, tc := range []struct {
		name, person, phone string
		id                  int64
		want                int
		code                string
	}{
		{"the same phone", "张三", "13800138000", a.ID, 409, "duplicate"},
		{"the same phone with +86", "张三丰", "+86 138-0013-8000", a.ID, 409, "duplicate"},
		{"no name", "", "13800138001", a.ID, 400, "required"},
		{"no phone", "李四", "", a.ID, 400, "required"},
		{"letters for a phone", "李四", "call me", a.ID, 400, "invalid"},
		{"a name too long", strings.Repeat("名", 51), "13800138002", a.ID, 400, "too_long"},
		{"no such activity", "李四", "13800138003", a.ID + 1000, 404, "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, body := e.signup(c, tc.id, tc.person, tc.phone)
			if st != tc.want || !bytes.Contains(body, []byte(`"`+tc.code+`"`)) {
				t.Errorf("%d %s, want %d %s", st, body, tc.want, tc.code)
			}
		})
	}
	if n := e.count(`SELECT count(*) FROM activity_signups WHERE activity_id = $1`, a.ID); n != 1 {
		t.Errorf("%d sign-ups stored, want 1", n)
	}
	if n := e.count(`SELECT count(*) FROM activity_signups s WHERE s::text LIKE '%13800138000%'`); n != 0 {
		t.Error("the phone number is stored in clear")
	}
	// a body over the limit
	big := fmt.Sprintf(`{"name": "%s", "phone": "13800138004"}`, strings.Repeat("x", 4000))
	res, err := c.Post(fmt.Sprintf("%s/api/v1/activities/%d/signups", e.URL, a.ID), "application/json", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge && res.StatusCode != http.StatusBadRequest {
		t.Errorf("an oversized sign-up: %d, want 413", res.StatusCode)
	}
	// a flood from one address: after the burst, 429 and nothing written
	flood := from(3)
	var last int
	for i := range 12 {
		last, _ = e.signup(flood, a.ID, "刷单", fmt.Sprintf("1370000%04d", i))
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("the 12th sign-up from one address: %d, want 429", last)
	}
	if n := e.count(`SELECT count(*) FROM activity_signups WHERE activity_id = $1 AND name = '刷单'`, a.ID); n != 10 {
		t.Errorf("%d sign-ups of the flood stored, want the burst of 10", n)
	}
	// a cancelled activity takes none
	e.Must(http.StatusOK, "PATCH", fmt.Sprintf("/api/v1/activities/%d", a.ID), access.Admin, map[string]any{"status": "cancelled"})
	if st, body := e.signup(from(4), a.ID, "王五", "13800138005"); st != http.StatusConflict || !bytes.Contains(body, []byte(`"closed"`)) {
		t.Errorf("a sign-up to a cancelled activity: %d %s", st, body)
	}
}

// The organiser marks attendance and reads the names; readers get the
// counts only; another unit's staff may not mark.
func TestAttendance(t *testing.T) {
	e := newEnv(t)
	a := e.create(access.Unit, basic(c1, future(), 10))
	for i, name := range []string{"赵一", "钱二", "孙三"} {
		if st, body := e.signup(from(20+i), a.ID, name, fmt.Sprintf("1360000000%d", i)); st != http.StatusCreated {
			t.Fatalf("sign-up: %d %s", st, body)
		}
	}
	path := fmt.Sprintf("/api/v1/activities/%d", a.ID)
	var org activity
	e.Get(path, access.Unit).Decode(t, &org)
	if len(org.SignupList) != 3 {
		t.Fatalf("the organiser reads %d sign-ups, want 3", len(org.SignupList))
	}
	ids := map[string]int64{}
	for _, s := range org.SignupList {
		ids[s.Name] = s.ID
	}
	for _, c := range []struct {
		name, role string
		body       any
		want       int
	}{
		{"another unit", "other_unit", map[string]any{"attended": []int64{ids["赵一"]}}, 403},
		{"a planner", access.Planner, map[string]any{"attended": []int64{ids["赵一"]}}, 403},
		{"nobody marked", access.Unit, map[string]any{}, 400},
		{"another activity's sign-up", access.Unit, map[string]any{"attended": []int64{ids["赵一"], 1 << 40}}, 400},
		{"both attended and absent", access.Unit, map[string]any{"attended": []int64{ids["赵一"]}, "absent": []int64{ids["赵一"]}}, 400},
	} {
		r := e.Call("POST", path+"/attendance", c.role, c.body)
		if r.Status != c.want {
			t.Errorf("%s: %d, want %d\n%s", c.name, r.Status, c.want, r.Body)
		}
	}
	if n := e.count(`SELECT count(*) FROM activity_signups WHERE activity_id = $1 AND attended`, a.ID); n != 0 {
		t.Fatalf("refused marks wrote %d attendances", n)
	}
	var after activity
	e.Must(http.StatusOK, "POST", path+"/attendance", access.Unit,
		map[string]any{"attended": []int64{ids["赵一"], ids["钱二"]}, "absent": []int64{ids["孙三"]}}).Decode(t, &after)
	if after.Properties.Attended != 2 || after.Properties.Signups != 3 || len(after.SignupList) != 3 {
		t.Errorf("after marking: %+v, %d in the list", after.Properties, len(after.SignupList))
	}
	// marking again is idempotent; then one was absent after all
	e.Must(http.StatusOK, "POST", path+"/attendance", access.Unit, map[string]any{"attended": []int64{ids["赵一"]}})
	e.Must(http.StatusOK, "POST", path+"/attendance", access.Admin, map[string]any{"absent": []int64{ids["钱二"]}}).Decode(t, &after)
	if after.Properties.Attended != 1 {
		t.Errorf("attended %d, want 1", after.Properties.Attended)
	}
	// a reader: counts, no names
	for _, role := range []string{access.Planner, "planner_c1", access.Viewer, "other_unit"} {
		r := e.Get(path, role)
		if bytes.Contains(r.Body, []byte("赵一")) || bytes.Contains(r.Body, []byte("signup_list")) {
			t.Errorf("%s reads the names of who signed up: %s", role, r.Body)
		}
		if !bytes.Contains(r.Body, []byte(`"signups":3`)) && !bytes.Contains(r.Body, []byte(`"signups": 3`)) {
			t.Errorf("%s does not read the count: %s", role, r.Body)
		}
	}
}

// PATCH: If-Match, the capacity above the sign-ups, the organiser's scope.
func TestPatch(t *testing.T) {
	e := newEnv(t)
	a := e.create("worker_c1", basic(c1, future(), 10))
	path := fmt.Sprintf("/api/v1/activities/%d", a.ID)
	for i := range 3 {
		e.signup(from(30+i), a.ID, "居民", fmt.Sprintf("1350000000%d", i))
	}
	r := e.Must(http.StatusOK, "PATCH", path, "worker_c1", map[string]any{"title": "改期：读书会"}, "If-Match", `"1"`)
	if r.Header.Get("ETag") != `"2"` {
		t.Errorf("ETag %q after the patch, want \"2\"", r.Header.Get("ETag"))
	}
	for _, c := range []struct {
		name, role string
		body       any
		headers    []string
		want       int
	}{
		{"stale If-Match", "worker_c1", map[string]any{"title": "x"}, []string{"If-Match", `"1"`}, 412},
		{"capacity below the sign-ups", "worker_c1", map[string]any{"capacity": 2}, nil, 409},
		{"another community's worker", "reviewer_s2", map[string]any{"title": "x"}, nil, 404},
		{"another unit", "other_unit", map[string]any{"title": "x"}, nil, 403},
		{"moving it to another community", "worker_c1", map[string]any{"community": c2}, nil, 400},
		{"a bad status", "worker_c1", map[string]any{"status": "postponed"}, nil, 400},
		{"a reader", access.Planner, map[string]any{"title": "x"}, nil, 403},
	} {
		r := e.Call("PATCH", path, c.role, c.body, c.headers...)
		if r.Status != c.want {
			t.Errorf("%s: %d, want %d\n%s", c.name, r.Status, c.want, r.Body)
		}
	}
	var got activity
	e.Get(path, access.Admin).Decode(t, &got)
	if got.Properties.Title != "改期：读书会" || got.Properties.Version != 2 || *got.Properties.Capacity != 10 {
		t.Errorf("after refused patches: %+v", got.Properties)
	}
	e.Must(http.StatusOK, "PATCH", path, "worker_c1", map[string]any{"capacity": nil, "status": "done"}).Decode(t, &got)
	if got.Properties.Capacity != nil || got.Properties.Status != "done" {
		t.Errorf("capacity null and done: %+v", got.Properties)
	}
}

// The menu: by month and area, within the caller's areas; GeoJSON by
// default, CSV for Excel.
func TestMenu(t *testing.T) {
	e := newEnv(t)
	starts := future()
	month := store.ActivityMonth(starts)
	for _, c := range []string{c1, c2, c3} {
		b := basic(c, starts, 10)
		b["title"] = "menu-" + c
		e.create(access.Admin, b)
	}
	list := func(role, query string) string {
		r := e.Get("/api/v1/activities?month="+month+query, role)
		return string(r.Body)
	}
	for _, c := range []struct {
		role, query string
		want        []string
	}{
		{access.Admin, "&area=" + district, []string{c1, c2, c3}},
		{access.Admin, "&area=" + s1, []string{c1, c2}},
		{"planner_c1", "", []string{c1}},
		{"worker_c1", "&area=" + s1, []string{c1}},
		{"reviewer_s2", "", []string{c3}},
	} {
		body := list(c.role, c.query)
		for _, code := range []string{c1, c2, c3} {
			want := strings.Contains(strings.Join(c.want, ","), code)
			if strings.Contains(body, "menu-"+code) != want {
				t.Errorf("%s %s: shows %s = %v, want %v", c.role, c.query, code, !want, want)
			}
		}
	}
	r := e.Get("/api/v1/activities?format=csv&area="+s1+"&month="+month, access.Viewer)
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !strings.Contains(string(r.Body), "menu-"+c2) ||
		strings.Contains(string(r.Body), "menu-"+c3) {
		t.Errorf("CSV: %s\n%s", r.Header.Get("Content-Type"), r.Body)
	}
	r = e.Get("/api/v1/activities?area="+s2, access.Viewer)
	if r.Header.Get("Content-Type") != "application/geo+json" || !strings.Contains(string(r.Body), `"FeatureCollection"`) {
		t.Errorf("default: %s %.200s", r.Header.Get("Content-Type"), r.Body)
	}
	for _, q := range []string{"month=2026-13", "month=nov", "area=abc", "format=xml", "status=maybe", "colour=red"} {
		e.Must(http.StatusBadRequest, "GET", "/api/v1/activities?"+q, access.Viewer, nil)
	}
	e.Must(http.StatusForbidden, "GET", "/api/v1/activities", access.Reporter, nil)
	e.Must(http.StatusOK, "GET", "/ogc/collections/activities/items?community="+c1, access.Viewer, nil)
}

// The live layer: writes reach the subscribers whose areas hold the
// activity's community, without names; unit tokens follow none.
func TestLive(t *testing.T) {
	e := newEnv(t)
	seq0, err := store.FeedHead(t.Context(), e.Store.Pool)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{c1, c3} {
		b := basic(c, future(), 10)
		b["title"] = "live-" + c
		a := e.create(access.Admin, b)
		if st, body := e.signup(from(40), a.ID, "live名字", "1330000"+c[len(c)-4:]); st != http.StatusCreated {
			t.Fatalf("sign-up: %d %s", st, body)
		}
	}
	for _, c := range []struct {
		role string
		want []string
	}{
		{access.Admin, []string{"live-" + c1, "live-" + c1, "live-" + c3, "live-" + c3}},
		{"planner_c1", []string{"live-" + c1, "live-" + c1}},
		{"reviewer_s2", []string{"live-" + c3, "live-" + c3}},
		{access.Unit, nil},
	} {
		got := e.liveTitles(c.role, seq0)
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("live as %s: %v, want %v", c.role, got, c.want)
		}
	}
}
