package api

import (
	"encoding/json"
	"errors"
	"math"
	"net/url"
	"slices"
	"testing"

	"citymap/geo/coordsys"
	"citymap/server/respond"
)

func TestIssueInput(t *testing.T) {
	lat, lon, bad := 31.36, 119.82, 95.0
	point := json.RawMessage(`{"type":"Point","coordinates":[119.82,31.36]}`)
	base := func() issueInput { return issueInput{Category: "noise", Source: "sensor", Location: point} }
	tests := []struct {
		name  string
		edit  func(in *issueInput)
		sys   coordsys.System
		field string // "" when valid
	}{
		{"GeoJSON point", func(*issueInput) {}, coordsys.WGS84, ""},
		{"lat/lon", func(in *issueInput) { in.Location, in.Lat, in.Lon = nil, &lat, &lon }, coordsys.WGS84, ""},
		{"null location with lat/lon", func(in *issueInput) { in.Location, in.Lat, in.Lon = json.RawMessage("null"), &lat, &lon }, coordsys.WGS84, ""},
		{"both", func(in *issueInput) { in.Lat, in.Lon = &lat, &lon }, coordsys.WGS84, "location"},
		{"lat out of range", func(in *issueInput) { in.Location, in.Lat, in.Lon = nil, &bad, &lon }, coordsys.WGS84, "lat"},
		{"only lat", func(in *issueInput) { in.Location, in.Lat = nil, &lat }, coordsys.WGS84, "lon"},
		{"only lon", func(in *issueInput) { in.Location, in.Lon = nil, &lon }, coordsys.WGS84, "lat"},
		{"neither", func(in *issueInput) { in.Location = nil }, coordsys.WGS84, "location"},
		{"a polygon", func(in *issueInput) {
			in.Location = json.RawMessage(`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`)
		}, coordsys.WGS84, "location.type"},
		{"bad coord_sys", func(in *issueInput) { in.CoordSys = "utm" }, coordsys.WGS84, "coord_sys"},
		{"missing source", func(in *issueInput) { in.Source = "" }, coordsys.WGS84, "source"},
		{"missing category", func(in *issueInput) { in.Category = "" }, coordsys.WGS84, "category"},
	}
	for _, tt := range tests {
		in := base()
		tt.edit(&in)
		n, err := in.newIssue(tt.sys, "")
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.field == "" && (math.Abs(n.Location[0]-lon) > 1e-9 || math.Abs(n.Location[1]-lat) > 1e-9):
			t.Errorf("%s: location %v", tt.name, n.Location)
		case tt.field != "" && (err == nil || err.Fields[tt.field] == ""):
			t.Errorf("%s: %v, want an error naming %s", tt.name, err, tt.field)
		}
	}
}

// The body's coord_sys wins over the query's, and conversion happens after the
// range check.
func TestIssueInputCoordSys(t *testing.T) {
	lat, lon := 31.36, 119.82
	in := issueInput{Category: "noise", Source: "sensor", Lat: &lat, Lon: &lon, CoordSys: "gcj02"}
	n, err := in.newIssue(coordsys.BD09, "")
	if err != nil {
		t.Fatal(err)
	}
	want := coordsys.GCJ02ToWGS84([2]float64{lon, lat})
	if n.Location != want {
		t.Errorf("converted to %v, want %v", n.Location, want)
	}
}

func TestIssueFilter(t *testing.T) {
	q, _ := url.ParseQuery("bbox=119,31,120,32&status=reported,closed&category=noise&source=sensor" +
		"&area=320282001&overdue=true&unassigned=false&from=2025-03-01&to=2025-03-31&q=+井盖+&sort=deadline&limit=50")
	f, err := issueFilter(q)
	if err != nil {
		t.Fatal(err)
	}
	if *f.BBox != [4]float64{119, 31, 120, 32} || !slices.Equal(f.Statuses, []string{"reported", "closed"}) ||
		f.Area != "320282001" || !f.Overdue || f.Unassigned || f.Text != "井盖" || f.Sort != "deadline" || f.Limit != 50 {
		t.Errorf("filter %+v", f)
	}
	// dates are days in China; the end date is included
	if got := f.From.UTC().Format("2006-01-02T15"); got != "2025-02-28T16" {
		t.Errorf("from %s", got)
	}
	if got := f.To.UTC().Format("2006-01-02T15"); got != "2025-03-31T16" {
		t.Errorf("to %s", got)
	}
	_, err = issueFilter(url.Values{"limit": {"-1"}})
	var re *respond.Error
	if !errors.As(err, &re) || re.Fields["limit"] == "" {
		t.Errorf("negative limit: %v", err)
	}
}

func TestWithMember(t *testing.T) {
	tests := []struct{ obj, want string }{
		{`{"a":1}`, `{"a":1,"b":[]}`},
		{`{}`, `{"b":[]}`},
		{`{"a":{"c":2}}` + "\n", `{"a":{"c":2},"b":[]}`},
	}
	for _, tt := range tests {
		if got := string(withMember([]byte(tt.obj), "b", []byte("[]"))); got != tt.want {
			t.Errorf("withMember(%s) = %s, want %s", tt.obj, got, tt.want)
		}
	}
}
