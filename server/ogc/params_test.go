package ogc

import (
	"encoding/json"
	"math"
	"net/url"
	"reflect"
	"testing"

	"github.com/paulmach/orb"

	"citymap/geo/tile"
	"citymap/server/ogc/cql2"
)

func TestParseCRS(t *testing.T) {
	cases := map[string]crs{
		"http://www.opengis.net/def/crs/OGC/1.3/CRS84":  crs84,
		"https://www.opengis.net/def/crs/OGC/1.3/CRS84": crs84,
		"OGC:CRS84":   crs84,
		"[EPSG:4326]": epsg4326,
		"epsg:4490":   epsg4490,
		"http://www.opengis.net/def/crs/EPSG/0/3857": epsg3857,
	}
	for in, want := range cases {
		if got, ok := parseCRS(in); !ok || got != want {
			t.Errorf("parseCRS(%q) = %v, %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "EPSG:4547", "http://www.opengis.net/def/crs/EPSG/0/2000"} {
		if _, ok := parseCRS(bad); ok {
			t.Errorf("parseCRS(%q) accepted", bad)
		}
	}
}

func TestParseBBox(t *testing.T) {
	want := orb.Bound{Min: orb.Point{119.7, 31.3}, Max: orb.Point{119.9, 31.45}}
	lo, hi := tile.ToMercator(want.Min), tile.ToMercator(want.Max)
	cases := []struct {
		s string
		c crs
	}{
		{"119.7,31.3,119.9,31.45", crs84},
		{"31.3,119.7,31.45,119.9", epsg4326},
		{"31.3,119.7,31.45,119.9", epsg4490},
		{ftoa(lo[0]) + "," + ftoa(lo[1]) + "," + ftoa(hi[0]) + "," + ftoa(hi[1]), epsg3857},
	}
	for _, c := range cases {
		got, err := parseBBox(c.s, c.c)
		if err != nil {
			t.Errorf("%s in %s: %v", c.s, c.c.code, err)
			continue
		}
		for i := range 2 {
			if math.Abs(got.Min[i]-want.Min[i]) > 1e-9 || math.Abs(got.Max[i]-want.Max[i]) > 1e-9 {
				t.Errorf("%s in %s: %v, want %v", c.s, c.c.code, got, want)
			}
		}
	}
	// EPSG:4326 boxes are latitude first: in CRS84 order this one is upside down
	if _, err := parseBBox("119.7,31.3,119.9,31.45", epsg4326); err == nil {
		t.Error("a longitude-first box in EPSG:4326 was accepted")
	}
	if g := boxGeometry(orb.Bound{Min: orb.Point{1, 2}, Max: orb.Point{1, 2}}); g != (orb.Point{1, 2}) {
		t.Errorf("degenerate box: %v", g)
	}
}

func ftoa(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

func TestTimeValue(t *testing.T) {
	ts := func(s string) cql2.Expr { e, _ := cql2.ParseInstant(s); return e }
	cases := map[string]cql2.Expr{
		"2024-05-01T08:00:00Z":            ts("2024-05-01T08:00:00Z"),
		"2024-05-01":                      ts("2024-05-01"),
		"2024-05-01/..":                   &cql2.Interval{Start: ts("2024-05-01")},
		"../2024-05-01T08:00:00+08:00":    &cql2.Interval{End: ts("2024-05-01T08:00:00+08:00")},
		"/2024-05-01":                     &cql2.Interval{End: ts("2024-05-01")},
		"../..":                           &cql2.Interval{},
		"2024-05-01/2024-05-03T00:00:00Z": &cql2.Interval{Start: ts("2024-05-01"), End: ts("2024-05-03T00:00:00Z")},
	}
	for in, want := range cases {
		got, err := timeValue("datetime", in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("timeValue(%q) = %#v, %v; want %#v", in, got, err, want)
		}
	}
	for _, bad := range []string{"/", "..", "today", "2024-05-01/tomorrow", "2024-13-01"} {
		if _, err := timeValue("datetime", bad); err == nil {
			t.Errorf("timeValue(%q) accepted", bad)
		}
	}
}

func TestLimits(t *testing.T) {
	req, err := parseItems(url.Values{"limit": {"20000"}}, "points")
	if err != nil || req.limit != MaxLimit {
		t.Errorf("limit=20000: %d, %v", req.limit, err)
	}
	req, err = parseItems(url.Values{}, "points")
	if err != nil || req.limit != DefaultLimit || req.offset != 0 || req.filter != nil {
		t.Errorf("defaults: %+v, %v", req, err)
	}
}

func TestMergePatch(t *testing.T) {
	var target, patch, want any
	for _, s := range []struct {
		v   *any
		src string
	}{
		{&target, `{"type": "Feature", "properties": {"name": "a", "phone": "1", "tags": [1]}, "geometry": {"type": "Point"}}`},
		{&patch, `{"properties": {"name": "b", "phone": null, "tags": [2, 3]}, "extra": {"x": null}}`},
		{&want, `{"type": "Feature", "properties": {"name": "b", "tags": [2, 3]}, "geometry": {"type": "Point"}, "extra": {}}`},
	} {
		if err := json.Unmarshal([]byte(s.src), s.v); err != nil {
			t.Fatal(err)
		}
	}
	if got := mergePatch(target, patch); !reflect.DeepEqual(got, want) {
		t.Errorf("merge patch: %v, want %v", got, want)
	}
}
