package parking_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"citymap/geo/coordsys"
)

// availableSite lays out zones east of site: smart A at 100 m, tidal B (open on
// Monday evenings only) at 300 m, smart C at 500 m but full, smart D at 800 m,
// smart E at 1500 m.
func availableSite(e *env) {
	e.addZone("T-A", "smart", 50, 10, 100)
	e.addZone("T-B", "tidal", 40, 0, 300, "1 18:00 24:00")
	e.addZone("T-C", "smart", 30, 30, 500)
	e.addZone("T-D", "smart", 20, 19, 800)
	e.addZone("T-E", "smart", 20, 0, 1500)
}

// available asks for zones near site and returns their codes and properties.
func (e *env) available(query string) ([]string, []map[string]any) {
	e.T.Helper()
	q := fmt.Sprintf("/api/v1/parking/available?lon=%v&lat=%v&%s", site[0], site[1], query)
	fc := e.Must(http.StatusOK, "GET", q, "viewer", nil).JSON(e.T)
	if fc["type"] != "FeatureCollection" {
		e.T.Fatalf("not a FeatureCollection: %v", fc)
	}
	var codes []string
	var props []map[string]any
	for _, f := range fc["features"].([]any) {
		p := f.(map[string]any)["properties"].(map[string]any)
		codes, props = append(codes, p["code"].(string)), append(props, p)
	}
	return codes, props
}

func TestAvailable(t *testing.T) {
	e := newEnv(t)
	availableSite(e)
	monday3 := url.QueryEscape("2026-11-23T03:00:00+08:00")
	monday20 := url.QueryEscape("2026-11-23T20:00:00+08:00")
	holiday20 := url.QueryEscape("2026-10-05T20:00:00+08:00") // a Monday of the National Day holidays
	utcMonday20 := url.QueryEscape("2026-11-23T12:00:00Z")    // the same instant as monday20
	for _, c := range []struct {
		name, query string
		want        []string
	}{
		{"Monday 03:00: the tidal zone is closed, the full one left out", "at=" + monday3, []string{"T-A", "T-D"}},
		{"Monday 20:00: the tidal zone is open", "at=" + monday20, []string{"T-A", "T-B", "T-D"}},
		{"the same instant in UTC", "at=" + utcMonday20, []string{"T-A", "T-B", "T-D"}},
		{"a Monday holiday follows the Sunday windows", "at=" + holiday20, []string{"T-A", "T-D"}},
		{"a wider radius", "radius=2000&at=" + monday20, []string{"T-A", "T-B", "T-D", "T-E"}},
		{"a narrower radius", "radius=350&at=" + monday20, []string{"T-A", "T-B"}},
		{"a limit", "limit=2&at=" + monday20, []string{"T-A", "T-B"}},
	} {
		codes, props := e.available(c.query)
		if !slices.Equal(codes, c.want) {
			t.Errorf("%s: %v, want %v", c.name, codes, c.want)
		}
		for i := 1; i < len(props); i++ {
			if props[i]["distance_m"].(float64) < props[i-1]["distance_m"].(float64) {
				t.Errorf("%s: not nearest first: %v", c.name, codes)
			}
		}
	}

	_, props := e.available("at=" + monday20)
	for i, want := range []struct {
		dist     float64
		free     float64
		closesAt any
	}{{100, 40, nil}, {300, 40, "2026-11-24T00:00:00+08:00"}, {800, 1, nil}} {
		p := props[i]
		if d := p["distance_m"].(float64); d < want.dist-1 || d > want.dist+1 {
			t.Errorf("%s: distance_m %v, want %v", p["code"], d, want.dist)
		}
		if p["free"] != want.free || p["open_now"] != true || p["closes_at"] != want.closesAt {
			t.Errorf("%s: free %v open_now %v closes_at %v, want %v true %v", p["code"], p["free"],
				p["open_now"], p["closes_at"], want.free, want.closesAt)
		}
	}
}

func TestAvailableCoordinateSystems(t *testing.T) {
	e := newEnv(t)
	availableSite(e)
	// a hotline app's GCJ-02 coordinates of the same place find the same zones
	p := coordsys.FromWGS84(coordsys.GCJ02, orb.Point{site[0], site[1]})
	q := fmt.Sprintf("/api/v1/parking/available?lon=%v&lat=%v&coord_sys=gcj02&at=%s", p[0], p[1],
		url.QueryEscape("2026-11-23T20:00:00+08:00"))
	fc := e.Must(http.StatusOK, "GET", q, "planner", nil).JSON(t)
	var codes []string
	for _, f := range fc["features"].([]any) {
		codes = append(codes, f.(map[string]any)["id"].(string))
	}
	if want := []string{"T-A", "T-B", "T-D"}; !slices.Equal(codes, want) {
		t.Errorf("%v, want %v", codes, want)
	}
}

func TestAvailableBadInputs(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct{ query, field string }{
		{"lat=31", "lon"},
		{"lon=121", "lat"},
		{"lon=abc&lat=31", "lon"},
		{"lon=121&lat=95", "lat"},
		{"lon=181&lat=31", "lon"},
		{"lon=121&lat=31&radius=0", "radius"},
		{"lon=121&lat=31&radius=10001", "radius"},
		{"lon=121&lat=31&radius=abc", "radius"},
		{"lon=121&lat=31&limit=0", "limit"},
		{"lon=121&lat=31&limit=201", "limit"},
		{"lon=121&lat=31&limit=1.5", "limit"},
		{"lon=121&lat=31&at=tonight", "at"},
		{"lon=121&lat=31&coord_sys=mars", "coord_sys"},
		{"lon=121&lat=31&radious=5", "radious"},
	} {
		r := e.Call("GET", "/api/v1/parking/available?"+c.query, "admin", nil)
		_, fields := r.ErrorOf(t)
		if _, ok := fields[c.field]; r.Status != http.StatusBadRequest || !ok {
			t.Errorf("%s: %d %s, want 400 naming %s", c.query, r.Status, r.Body, c.field)
		}
	}
}

func TestZoneDetail(t *testing.T) {
	e := newEnv(t)
	id := e.addZone("T-B", "tidal", 40, 0, 300, "1 18:00 24:00", "2 00:00 07:30")
	at := time.Now().Add(-time.Hour)
	body := map[string]any{"items": []any{map[string]any{"zone": "T-B", "occupied": 12, "at": rfc(at)}}}
	e.Must(http.StatusOK, "POST", "/api/v1/parking/occupancy", "dispatcher", body)
	e.Exec(`INSERT INTO parking_readings (zone_id, at, occupied) VALUES ($1, now() - interval '2 days', 3)`, id)

	// outside every grid, the zone is in no grid manager's areas
	e.Must(http.StatusNotFound, "GET", "/api/v1/parking/zones/T-B", "grid_manager", nil)
	f := e.Must(http.StatusOK, "GET", "/api/v1/parking/zones/T-B", "viewer", nil).JSON(t)
	p := f["properties"].(map[string]any)
	if p["occupied"] != 12.0 || p["free"] != 28.0 || p["kind"] != "tidal" {
		t.Errorf("properties %v", p)
	}
	windows := fmt.Sprint(p["windows"])
	if want := "[map[closes:24:00 opens:18:00 weekday:1] map[closes:07:30 opens:00:00 weekday:2]]"; windows != want {
		t.Errorf("windows %s, want %s", windows, want)
	}
	readings := p["readings"].([]any)
	if len(readings) != 1 || readings[0].(map[string]any)["occupied"] != 12.0 {
		t.Errorf("readings of the last 24 hours: %v", readings)
	}
	// open_now, closes_at and opens_at agree with the rule at the time of asking
	open := p["open_now"].(bool)
	if open && p["closes_at"] == nil || !open && p["opens_at"] == nil {
		t.Errorf("open_now %v, closes_at %v, opens_at %v", open, p["closes_at"], p["opens_at"])
	}
	e.Must(http.StatusNotFound, "GET", "/api/v1/parking/zones/NO-SUCH-ZONE", "viewer", nil)
}
