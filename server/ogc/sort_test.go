package ogc_test

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"citymap/server/access"
)

// TestSortBy pages through sorted parking zones by their next links: every
// zone once, in the order the database gives for the same keys with the id
// last.
func TestSortBy(t *testing.T) {
	e := newEnv(t)
	cases := []struct{ sortby, order string }{
		{"capacity", "capacity, id"},
		{"+capacity", "capacity, id"},
		{"-capacity,name", "capacity DESC, name, id"},
		{"kind,-free", "kind, capacity - occupied DESC, id"},
		{"-occupancy_at", "occupancy_at DESC, id"},
	}
	total := e.Int(`SELECT count(*) FROM parking_zones`)
	limit := fmt.Sprint(max(total/3, 1))
	for _, c := range cases {
		t.Run(c.sortby, func(t *testing.T) {
			var want []string
			rows, err := e.Store.Pool.Query(t.Context(), `SELECT code FROM parking_zones ORDER BY `+c.order)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var code string
				if err := rows.Scan(&code); err != nil {
					t.Fatal(err)
				}
				want = append(want, code)
			}
			var got []string
			next := e.url("/collections/parking/items", "sortby", c.sortby, "limit", limit)
			for next != "" {
				var fc featureCollection
				e.getJSON(next, &fc)
				if fc.NumberMatched != total {
					t.Fatalf("numberMatched %d, want %d", fc.NumberMatched, total)
				}
				for _, f := range fc.Features {
					got = append(got, fmt.Sprint(f.ID))
				}
				next = fc.link("next")
				if next != "" && (strings.Contains(next, "after=") || !strings.Contains(next, "sortby=")) {
					t.Fatalf("next link %q", next)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("order %v, want %v", got, want)
			}
		})
	}
}

func TestPropertiesParam(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		collection, properties string
		want                   []string
	}{
		{"parking", "name,capacity", []string{"capacity", "name"}},
		{"parking", "free", []string{"free"}},
		{"issues", "status,overdue,created_at", []string{"created_at", "overdue", "status"}},
		{"areas", "parent", []string{"parent"}},
	}
	for _, c := range cases {
		t.Run(c.collection+"/"+c.properties, func(t *testing.T) {
			var fc featureCollection
			e.getJSON(e.url("/collections/"+c.collection+"/items", "properties", c.properties, "limit", "5",
				"crs", "http://www.opengis.net/def/crs/EPSG/0/3857"), &fc)
			if len(fc.Features) == 0 {
				t.Fatal("no features")
			}
			for _, f := range fc.Features {
				if got := slices.Sorted(maps.Keys(f.Properties)); !slices.Equal(got, c.want) {
					t.Errorf("feature %v: properties %v, want %v", f.ID, got, c.want)
				}
				if f.ID == nil || f.Geometry.Type == "" {
					t.Errorf("feature without id or geometry: %+v", f)
				}
			}
		})
	}
}

func TestSortByAndPropertiesRefused(t *testing.T) {
	e := newEnv(t)
	cases := []struct{ param, value string }{
		{"sortby", "nope"},
		{"sortby", "geometry"},
		{"sortby", "capacity,-capacity"},
		{"sortby", ""},
		{"properties", "nope"},
		{"properties", "name,name"},
		{"properties", "geometry"},
	}
	for _, c := range cases {
		t.Run(c.param+"="+c.value, func(t *testing.T) {
			if c.value == "" {
				c.value = ","
			}
			err := expectError(t, e.get(e.url("/collections/parking/items", c.param, c.value), access.Viewer),
				http.StatusBadRequest, "invalid_parameter")
			if err.Error.Fields[c.param] == "" {
				t.Errorf("error fields %v lack %s", err.Error.Fields, c.param)
			}
		})
	}
	// sorted pages continue by offset: an id position means nothing in them
	expectError(t, e.get(e.url("/collections/parking/items", "sortby", "name", "after", "3"), access.Viewer),
		http.StatusBadRequest, "invalid_parameter")
}
