package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"citymap/server/access"
)

// listFixture is a set of issues told apart from the template's own by a marker
// in their descriptions.
type listFixture struct {
	marker string
	all    []feature // as created
	byID   map[int64]feature
}

// newListFixture creates 30 issues over two grids and outside every grid, with
// three categories and two sources, spread over 30 days.
func newListFixture(t *testing.T, e *env) *listFixture {
	marker := fmt.Sprintf("LST%d", time.Now().UnixNano())
	inLon, inLat := e.PointIn(e.GridIn)
	outLon, outLat := e.PointIn(e.GridOut)
	points := [][2]float64{{inLon, inLat}, {outLon, outLat}, far}
	categories := []string{"noise", "street_light", "exposed_garbage"}
	sources := []string{"hotline_12345", "grid_patrol"}
	fx := &listFixture{marker: marker, byID: map[int64]feature{}}
	for i := range 30 {
		p := points[i%3]
		lon, lat := offset(p[0], p[1], 0.3*float64(i), 0)
		body := newIssue(categories[i%len(categories)], lon, lat, "source", sources[i%2],
			"description", fmt.Sprintf("%s item %d", marker, i), "address", fmt.Sprintf("路%d号", i))
		id := e.create(body).ID
		// spread over days, deadlines in the opposite order, and two issues with
		// one timestamp to exercise the id tiebreak
		days := i
		if i == 29 {
			days = 28
		}
		var text string
		e.Scan(`UPDATE issues SET created_at = timestamptz '2025-03-01 12:00+08' + make_interval(days => $2),
			deadline = timestamptz '2025-03-01 12:00+08' + make_interval(days => 60 - $2)
			WHERE id = $1 RETURNING issue_feature(issues)::text`, []any{id, days}, &text)
		var f feature
		if err := json.Unmarshal([]byte(text), &f); err != nil {
			t.Fatal(err)
		}
		fx.all = append(fx.all, f)
		fx.byID[f.ID] = f
	}
	return fx
}

// ids lists the issues of one page.
func ids(t *testing.T, r reply) []int64 {
	var out []int64
	for _, f := range collectionOf(t, r).Features {
		out = append(out, f.ID)
	}
	return out
}

func (fx *listFixture) want(pred func(i int, f feature) bool) []int64 {
	var out []int64
	for i, f := range fx.all {
		if pred(i, f) {
			out = append(out, f.ID)
		}
	}
	return out
}

func sorted(s []int64) []int64 {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestListFilters(t *testing.T) {
	e := newEnv(t)
	fx := newListFixture(t, e)
	for _, id := range fx.all[:4] {
		e.act(http.StatusOK, id.ID, access.Dispatcher, map[string]any{"action": "register"})
	}
	inLon, inLat := e.PointIn(e.GridIn)
	west, south := offset(inLon, inLat, -1, -1)
	east, north := offset(inLon, inLat, 3.15, 1)
	bbox := fmt.Sprintf("%.8f,%.8f,%.8f,%.8f", west, south, east, north)
	tests := []struct {
		query string
		want  func(i int, f feature) bool
	}{
		{"", func(int, feature) bool { return true }},
		{"status=registered", func(i int, _ feature) bool { return i < 4 }},
		{"status=reported,registered", func(int, feature) bool { return true }},
		{"status=closed", func(int, feature) bool { return false }},
		{"category=noise", func(i int, _ feature) bool { return i%3 == 0 }},
		{"category=noise,street_light", func(i int, _ feature) bool { return i%3 != 2 }},
		{"source=grid_patrol", func(i int, _ feature) bool { return i%2 == 1 }},
		{"area=" + e.GridIn, func(i int, _ feature) bool { return i%3 == 0 }},
		{"area=" + e.GridIn[:12], func(i int, _ feature) bool { return i%3 == 0 }},
		{"area=" + e.GridIn[:9], func(i int, f feature) bool { return strings.HasPrefix(deref(f.Props.Grid), e.GridIn[:9]) }},
		{"area=" + e.GridIn[:6], func(i int, f feature) bool { return f.Props.Grid != nil }},
		{"unassigned=true", func(i int, _ feature) bool { return i%3 == 2 }},
		{"bbox=" + bbox, func(i int, _ feature) bool { return i%3 == 0 && i <= 9 }},
		{"from=2025-03-11&to=2025-03-20", func(i int, _ feature) bool { return i >= 10 && i <= 19 }},
		{"from=2025-03-11T12:00:00%2B08:00&to=2025-03-12T12:00:00%2B08:00", func(i int, _ feature) bool { return i == 10 }},
		{"overdue=true", func(i int, _ feature) bool { return true }},
		{"category=noise&source=hotline_12345", func(i int, _ feature) bool { return i%6 == 0 }},
	}
	for _, tt := range tests {
		q := "q=" + url.QueryEscape(fx.marker) + "&limit=1000&" + tt.query
		r := e.Must(http.StatusOK, "GET", "/api/v1/issues?"+q, access.Viewer, nil)
		if got, want := sorted(ids(t, r)), sorted(fx.want(tt.want)); !slices.Equal(got, want) {
			t.Errorf("%s: got %v\nwant %v", tt.query, got, want)
		}
	}
	// text search looks at addresses too, and takes LIKE's wildcards literally
	r := e.Must(http.StatusOK, "GET", "/api/v1/issues?limit=1000&q="+url.QueryEscape("路17号"), access.Viewer, nil)
	if !containsID(t, r, fx.all[17].ID) {
		t.Error("address search missed")
	}
	if got := ids(t, e.Must(http.StatusOK, "GET", "/api/v1/issues?q="+url.QueryEscape(fx.marker+"%"), access.Viewer, nil)); len(got) != 0 {
		t.Errorf("%% matched as a wildcard: %v", got)
	}
	// a grid manager sees its community only
	r = e.Must(http.StatusOK, "GET", "/api/v1/issues?limit=1000&q="+url.QueryEscape(fx.marker), access.GridManager, nil)
	if got, want := sorted(ids(t, r)), sorted(fx.want(func(i int, _ feature) bool { return i%3 == 0 })); !slices.Equal(got, want) {
		t.Errorf("grid manager sees %v, want %v", got, want)
	}
}

func TestListPaging(t *testing.T) {
	e := newEnv(t)
	fx := newListFixture(t, e)
	for _, order := range []string{"created_at", "-created_at", "deadline", "-deadline", ""} {
		path := "/api/v1/issues?limit=7&q=" + url.QueryEscape(fx.marker)
		if order != "" {
			path += "&sort=" + order
		}
		var walked []int64
		pages := 0
		for path != "" {
			r := e.Must(http.StatusOK, "GET", path, access.Dispatcher, nil)
			fc := collectionOf(t, r)
			pages++
			for _, f := range fc.Features {
				walked = append(walked, f.ID)
			}
			path = ""
			if fc.Next != "" {
				link := r.Header.Get("Link")
				start, end := strings.Index(link, "<"), strings.Index(link, ">")
				if start < 0 || end < start || !strings.HasSuffix(link, `rel="next"`) {
					t.Fatalf("Link header %q", link)
				}
				path = link[start+1 : end]
				if !strings.Contains(path, "cursor="+url.QueryEscape(fc.Next)) {
					t.Fatalf("next link %s does not carry the cursor %s", path, fc.Next)
				}
			} else if r.Header.Get("Link") != "" {
				t.Errorf("last page has a Link header")
			}
		}
		if pages != 5 || len(walked) != 30 {
			t.Errorf("sort %q: %d issues in %d pages, want 30 in 5", order, len(walked), pages)
		}
		if got := sorted(walked); !slices.Equal(slices.Compact(got), sorted(fx.want(func(int, feature) bool { return true }))) {
			t.Errorf("sort %q: pages repeat or miss issues: %v", order, walked)
		}
		assertOrder(t, fx, order, walked)
	}
}

// assertOrder checks that ids follow the sort key, ties broken by id.
func assertOrder(t *testing.T, fx *listFixture, order string, ids []int64) {
	t.Helper()
	if order == "" {
		order = "-created_at"
	}
	key, desc := strings.CutPrefix(order, "-")
	keyOf := func(id int64) string {
		var s string
		if key == "deadline" {
			s = fx.byID[id].Props.Deadline
		} else {
			s = fx.byID[id].Props.CreatedAt
		}
		tm, _ := time.Parse(time.RFC3339Nano, s)
		return tm.UTC().Format(time.RFC3339Nano) + fmt.Sprintf("|%020d", id)
	}
	if !sort.SliceIsSorted(ids, func(i, j int) bool {
		if desc {
			return keyOf(ids[i]) > keyOf(ids[j])
		}
		return keyOf(ids[i]) < keyOf(ids[j])
	}) {
		t.Errorf("sort %s: order %v", order, ids)
	}
}

func TestListBadParameters(t *testing.T) {
	e := newEnv(t)
	other := collectionOf(t, e.Must(http.StatusOK, "GET", "/api/v1/issues?limit=1", access.Viewer, nil))
	tests := []struct{ query, field string }{
		{"colour=red", "colour"},
		{"bbox=1,2,3", "bbox"},
		{"bbox=120,31,119,32", "bbox"},
		{"bbox=a,b,c,d", "bbox"},
		{"status=open", "status"},
		{"source=fax", "source"},
		{"area=32", "area"},
		{"area=3202820010011", "area"},
		{"overdue=maybe", "overdue"},
		{"from=yesterday", "from"},
		{"to=2025-13-01", "to"},
		{"sort=priority", "sort"},
		{"limit=0", "limit"},
		{"limit=ten", "limit"},
		{"cursor=garbage", "cursor"},
	}
	if other.Next != "" {
		// a cursor is only good for the sort it came from
		tests = append(tests, struct{ query, field string }{"sort=deadline&cursor=" + url.QueryEscape(other.Next), "cursor"})
	}
	for _, tt := range tests {
		r := e.Call("GET", "/api/v1/issues?"+tt.query, access.Viewer, nil)
		if _, fields := r.ErrorOf(t); r.Status != http.StatusBadRequest || fields[tt.field] == nil {
			t.Errorf("%s: %d %s", tt.query, r.Status, r.Body)
		}
	}
	// over the maximum is clamped rather than refused
	e.Must(http.StatusOK, "GET", "/api/v1/issues?limit=100000", access.Viewer, nil)
}

func TestGetIssue(t *testing.T) {
	e := newEnv(t)
	lon, lat := e.PointIn(e.GridIn)
	f := e.create(newIssue("noise", lon, lat))
	r := e.Must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/issues/%d", f.ID), access.Planner, nil)
	doc := featureOf(t, r)
	if doc.ID != f.ID || len(doc.Timeline) != 1 || doc.Timeline[0].Action != "report" ||
		doc.Timeline[0].From != nil || doc.Timeline[0].Actor != "dispatcher:test-dispatcher" || r.Header.Get("ETag") != `"1"` {
		t.Errorf("issue: %s", r.Body)
	}
	e.Must(http.StatusNotFound, "GET", "/api/v1/issues/999999999", access.Planner, nil)
	e.Must(http.StatusBadRequest, "GET", "/api/v1/issues/x1", access.Planner, nil)
}
