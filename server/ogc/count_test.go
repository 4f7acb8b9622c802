package ogc_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"citymap/server/access"
)

// TestCountsFollowChanges pages a filtered collection while its data changes
// between pages: every page's numberMatched is the count at that moment, or,
// where a step writes behind the feed's back on purpose, the cached count,
// which shows the cache is in use and is dropped only for its own layers.
func TestCountsFollowChanges(t *testing.T) {
	e := newEnv(t)
	lon, lat, _ := e.pointInGrid(true)
	items := e.url("/collections/points/items")
	geo := []string{"Content-Type", "application/geo+json"}
	create := func(code, person string) func() {
		return func() {
			body := pointBody(code, "计数点位", lon, lat, fmt.Sprintf(`, "person": %q`, person))
			e.Must(http.StatusCreated, "POST", items, access.Dispatcher, body, geo...)
		}
	}
	patch := func(code, person string) func() {
		return func() {
			e.Must(http.StatusOK, "PATCH", items+"/"+code, access.Dispatcher,
				[]byte(fmt.Sprintf(`{"properties": {"person": %q}}`, person)), "Content-Type", "application/merge-patch+json")
		}
	}
	remove := func(code string) func() {
		return func() { e.Must(http.StatusNoContent, "DELETE", items+"/"+code, access.Dispatcher, nil) }
	}
	// written without a feed row, as nothing in the server writes points
	behindFeed := func(code string) func() {
		return func() {
			e.Exec(`INSERT INTO points (code, name, category, grid_code, person, geom)
				SELECT $1, '计数点位', 'park', grid_code, '计数', geom FROM points WHERE code = 'C-1'`, code)
		}
	}
	create("C-1", "计数")()
	create("C-2", "计数")()

	filter := []string{"filter", "person = '计数'", "limit", "1"}
	want := func() int64 { return e.Int(`SELECT count(*) FROM points WHERE person = '计数'`) }
	steps := []struct {
		name   string
		change func()
		cached bool // the change is one the feed does not show: the count stays
	}{
		{"nothing changed", func() {}, false},
		{"insert inside the filter", create("C-3", "计数"), false},
		{"insert outside the filter", create("C-4", "别人"), false},
		{"update into the filter", patch("C-4", "计数"), false},
		{"update out of the filter", patch("C-1", "别人"), false},
		{"delete inside the filter", remove("C-2"), false},
		{"delete outside the filter", remove("C-1"), false},
		{"insert behind the feed", behindFeed("C-5"), true},
		{"a change of another layer", func() {
			zone := e.str(`SELECT min(code) FROM parking_zones`)
			e.Must(http.StatusOK, "PATCH", e.url("/collections/parking/items/"+zone), access.Dispatcher,
				[]byte(`{"properties": {"operator": "另一家"}}`), "Content-Type", "application/merge-patch+json")
		}, true},
		{"a change of the layer after it", patch("C-3", "计数"), false},
		{"the feed restarted (reseed)", func() {
			behindFeed("C-6")()
			e.Exec(`DELETE FROM changes`)
			e.Exec(`UPDATE change_counter SET seq = 0`)
		}, false},
		{"the restarted feed past the old position", func() {
			behindFeed("C-7")()
			e.Exec(`UPDATE change_counter SET seq = seq + 1000`)
		}, false},
	}
	var fc featureCollection
	e.getJSON(e.url("/collections/points/items", filter...), &fc)
	if fc.NumberMatched != want() {
		t.Fatalf("first page: numberMatched %d, want %d", fc.NumberMatched, want())
	}
	for _, s := range steps {
		before := fc.NumberMatched
		s.change()
		next := fc.link("next")
		if next == "" || !strings.Contains(next, "after=") {
			next = e.url("/collections/points/items", filter...)
		}
		e.getJSON(next, &fc)
		exp := want()
		if s.cached {
			exp = before
		}
		if fc.NumberMatched != exp {
			t.Errorf("%s: numberMatched %d, want %d (cached %v)", s.name, fc.NumberMatched, exp, s.cached)
		}
	}
}

// TestCountsUncached: the collections and filters the feed cannot vouch for
// are counted on every page, even when a row changes behind the feed's back.
func TestCountsUncached(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, collection string
		filter           []string
		count, change    string
	}{
		{"inspections, written without the feed", "inspections", nil,
			`SELECT count(*) FROM inspections`,
			`INSERT INTO inspections (point_id, inspected_at, inspector, score)
				SELECT id, now(), '督查员', 100 FROM points ORDER BY id LIMIT 1`},
		{"a filter on the clock (overdue)", "issues", []string{"overdue", "true"},
			`SELECT count(*) FROM issues o WHERE issue_overdue(o, now())`,
			// the deadline moves without the feed, as time does
			`UPDATE issues o SET deadline = CASE WHEN issue_overdue(o, now()) THEN now() + interval '1 day'
				ELSE now() - interval '1 day' END
				WHERE id = (SELECT min(id) FROM issues WHERE issue_is_open(status) AND suspended_at IS NULL)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.matched(c.collection, c.filter...)
			if before != e.Int(c.count) {
				t.Fatalf("numberMatched %d, want %d", before, e.Int(c.count))
			}
			e.Exec(c.change)
			if got, want := e.matched(c.collection, c.filter...), e.Int(c.count); got != want || got == before {
				t.Errorf("after the change: numberMatched %d, want %d (was %d)", got, want, before)
			}
		})
	}
}

// TestCountsShared: clients paging one query at once all get its count, and
// one that comes after a change gets the new one.
func TestCountsShared(t *testing.T) {
	e := newEnv(t)
	want := e.Int(`SELECT count(*) FROM issues WHERE status = 'closed'`)
	got := make([]int64, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() { got[i] = e.matched("issues", "status", "closed") })
	}
	wg.Wait()
	for i, n := range got {
		if n != want {
			t.Errorf("client %d: numberMatched %d, want %d", i, n, want)
		}
	}
	// a write, then its feed row, as a store write makes them in one transaction
	id := e.Int(`SELECT min(id) FROM issues WHERE status = 'closed'`)
	e.Exec(`UPDATE issues SET status = 'rejected' WHERE id = $1`, id)
	if _, err := e.Store.TouchIssues(t.Context(), []int64{id}); err != nil {
		t.Fatal(err)
	}
	if n := e.matched("issues", "status", "closed"); n != want-1 {
		t.Errorf("after a change: numberMatched %d, want %d", n, want-1)
	}
}
