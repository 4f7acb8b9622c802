package parking_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// smartZones returns the codes of n smart zones of the demo city, each last
// read an hour ago (its later readings gone): readings the test takes at the
// real clock or after that one are then new, whatever instant the demo city
// leads up to.
func (e *env) smartZones(n int) []string {
	e.T.Helper()
	rows, err := e.Store.Pool.Query(e.T.Context(), `SELECT code FROM parking_zones WHERE kind = 'smart'
		ORDER BY code LIMIT $1`, n)
	if err != nil {
		e.T.Fatal(err)
	}
	defer rows.Close()
	var codes []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			e.T.Fatal(err)
		}
		codes = append(codes, c)
	}
	if err := rows.Err(); err != nil {
		e.T.Fatal(err)
	}
	rows.Close()
	e.Exec(`UPDATE parking_zones SET occupancy_at = now() - interval '1 hour' WHERE code = ANY($1)`, codes)
	e.Exec(`DELETE FROM parking_readings r USING parking_zones z
		WHERE z.id = r.zone_id AND z.code = ANY($1) AND r.at >= z.occupancy_at`, codes)
	return codes
}

func rfc(t time.Time) string { return t.Format(time.RFC3339Nano) }

func TestOccupancyBatch(t *testing.T) {
	e := newEnv(t)
	codes := e.smartZones(3)
	a, b, c := e.zone(codes[0]), e.zone(codes[1]), e.zone(codes[2])
	seq0 := e.Int(`SELECT seq FROM change_counter`)
	now := time.Now()
	items := []any{
		map[string]any{"zone": codes[0], "occupied": 5, "at": rfc(a.At.Add(time.Minute))},               // applied
		map[string]any{"zone": codes[0], "occupied": 7, "at": rfc(a.At.Add(3 * time.Minute))},           // applied
		map[string]any{"zone": codes[0], "occupied": 6, "at": rfc(a.At.Add(2 * time.Minute))},           // stale: out of order
		map[string]any{"zone": codes[1], "occupied": b.Capacity + 50, "at": rfc(b.At.Add(time.Minute))}, // clamped
		map[string]any{"zone": codes[2], "occupied": 1, "at": rfc(c.At)},                                // stale: not newer
		map[string]any{"zone": "NO-SUCH-ZONE", "occupied": 1, "at": rfc(now)},                           // rejected
		map[string]any{"zone": codes[0], "occupied": -1, "at": rfc(now)},                                // rejected
		map[string]any{"zone": codes[0], "occupied": 1, "at": "yesterday"},                              // rejected
		map[string]any{"zone": codes[0], "occupied": 1, "at": rfc(now.Add(10 * time.Minute))},           // rejected
		map[string]any{"zone": codes[0], "occupied": "many", "at": rfc(now)},                            // rejected
		map[string]any{"zone": codes[0], "occupied": 1, "at": rfc(now), "battery": 3},                   // rejected
	}
	ans := e.Must(http.StatusOK, "POST", "/api/v1/parking/occupancy", "reporter", map[string]any{"items": items}).JSON(t)
	for k, want := range map[string]float64{"applied": 2, "clamped": 1, "stale": 2, "rejected": 6} {
		if ans[k] != want {
			t.Errorf("%s = %v, want %v", k, ans[k], want)
		}
	}
	results := ans["results"].([]any)
	wantStatus := []string{"applied", "applied", "stale", "clamped", "stale", "rejected", "rejected", "rejected",
		"rejected", "rejected", "rejected"}
	wantField := map[int]string{5: "zone", 6: "occupied", 7: "at", 8: "at", 9: "occupied", 10: "battery"}
	for i, r := range results {
		res := r.(map[string]any)
		if res["status"] != wantStatus[i] || res["index"] != float64(i) {
			t.Errorf("result %d: %v, want %s", i, res, wantStatus[i])
		}
		if f, ok := wantField[i]; ok {
			fields, _ := res["error"].(map[string]any)["fields"].(map[string]any)
			if _, ok := fields[f]; !ok {
				t.Errorf("result %d names %v, want %s", i, fields, f)
			}
		}
	}
	if got := results[3].(map[string]any)["occupied"]; got != float64(b.Capacity) {
		t.Errorf("clamped occupied = %v, want the capacity %d", got, b.Capacity)
	}

	// the zones: each at its newest reading, the clamped one full, the stale one untouched
	if z := e.zone(codes[0]); z.Occupied != 7 || !z.At.Equal(a.At.Add(3*time.Minute)) || z.Version != a.Version+1 {
		t.Errorf("zone %s: %+v, want 7 at %s, one version up", codes[0], z, a.At.Add(3*time.Minute))
	}
	if z := e.zone(codes[1]); z.Occupied != b.Capacity {
		t.Errorf("zone %s: occupied %d, want its capacity %d", codes[1], z.Occupied, b.Capacity)
	}
	if z := e.zone(codes[2]); z != c {
		t.Errorf("zone %s changed on a stale reading: %+v, was %+v", codes[2], z, c)
	}
	// the feed: one upsert per changed zone, carrying the new occupancy
	if n := e.Int(`SELECT seq FROM change_counter`) - seq0; n != 2 {
		t.Errorf("%d changes, want 2", n)
	}
	if n := e.Int(`SELECT count(*) FROM changes WHERE seq > $1 AND layer = 'parking' AND op = 'upsert'
		AND ((object_id = $2 AND (feature->'properties'->>'occupied')::int = 7)
		  OR (object_id = $3 AND (feature->'properties'->>'free')::int = 0))`, seq0, codes[0], codes[1]); n != 2 {
		t.Errorf("%d matching change rows, want 2", n)
	}
	// the history keeps every valid reading, the out-of-order one too
	if n := e.Int(`SELECT count(*) FROM parking_readings WHERE zone_id = $1 AND at > $2`, a.ID, a.At); n != 3 {
		t.Errorf("zone %s has %d new readings, want 3", codes[0], n)
	}
	if n := e.Int(`SELECT count(*) FROM parking_readings WHERE zone_id = $1 AND at > $2 AND occupied = $3`,
		b.ID, b.At, b.Capacity); n != 1 {
		t.Errorf("zone %s: the clamped reading is not in the history", codes[1])
	}

	// the same batch again changes nothing: what applied is now stale
	again := e.Must(http.StatusOK, "POST", "/api/v1/parking/occupancy", "admin", map[string]any{"items": items}).JSON(t)
	if again["applied"] != 0.0 || again["clamped"] != 0.0 || again["stale"] != 5.0 {
		t.Errorf("second time: %v", again)
	}
	if n := e.Int(`SELECT seq FROM change_counter`) - seq0; n != 2 {
		t.Errorf("%d changes after the repeat, want 2", n)
	}
}

func TestOccupancyBadInputs(t *testing.T) {
	e := newEnv(t)
	zone := e.smartZones(1)[0]
	item := fmt.Sprintf(`{"zone":%q,"occupied":1,"at":%q}`, zone, rfc(time.Now()))
	tooMany := `{"items":[` + strings.Repeat(item+",", 10000) + item + `]}`
	for _, c := range []struct {
		name, body string
		status     int
		code       string
		field      string
	}{
		{"not JSON", `{"items":`, 400, "invalid_json", ""},
		{"no items", `{}`, 400, "required", "items"},
		{"empty items", `{"items":[]}`, 400, "required", "items"},
		{"items not an array", `{"items":{"zone":"x"}}`, 400, "invalid_type", "items"},
		{"unknown member", `{"items":[` + item + `],"source":"x"}`, 400, "unknown_field", "source"},
		{"trailing data", `{"items":[` + item + `]} {}`, 400, "invalid_json", ""},
		{"10,001 readings", tooMany, 400, "too_many", "items"},
	} {
		t.Run(c.name, func(t *testing.T) {
			seq, readings := e.Int(`SELECT seq FROM change_counter`), e.Int(`SELECT count(*) FROM parking_readings`)
			r := e.Call("POST", "/api/v1/parking/occupancy", "admin", c.body)
			code, fields := r.ErrorOf(t)
			if r.Status != c.status || code != c.code {
				t.Errorf("%d %s, want %d %s: %s", r.Status, code, c.status, c.code, r.Body)
			}
			if _, ok := fields[c.field]; c.field != "" && !ok {
				t.Errorf("fields %v do not name %s", fields, c.field)
			}
			if e.Int(`SELECT seq FROM change_counter`) != seq || e.Int(`SELECT count(*) FROM parking_readings`) != readings {
				t.Error("a refused batch wrote something")
			}
		})
	}
}

func TestOccupancyRoles(t *testing.T) {
	e := newEnv(t)
	zone := e.smartZones(1)[0]
	body := map[string]any{"items": []any{map[string]any{"zone": zone, "occupied": 1, "at": rfc(time.Now())}}}
	for role, want := range map[string]int{"admin": 200, "dispatcher": 200, "reporter": 200,
		"grid_manager": 403, "planner": 403, "viewer": 403, "": 401} {
		if r := e.Call("POST", "/api/v1/parking/occupancy", role, body); r.Status != want {
			t.Errorf("POST occupancy as %q: %d, want %d", role, r.Status, want)
		}
	}
	available := "/api/v1/parking/available?lon=119.82&lat=31.36"
	for role, want := range map[string]int{"admin": 200, "dispatcher": 200, "grid_manager": 200, "planner": 200,
		"viewer": 200, "reporter": 403, "": 401} {
		if r := e.Call("GET", available, role, nil); r.Status != want {
			t.Errorf("GET available as %q: %d, want %d", role, r.Status, want)
		}
		// a grid manager reads the zones of its areas only
		if role == "grid_manager" && e.Int(`SELECT count(*) FROM parking_zones
			WHERE code = $1 AND starts_with(grid_code, $2)`, zone, e.Community) == 0 {
			want = 404
		}
		if r := e.Call("GET", "/api/v1/parking/zones/"+zone, role, nil); r.Status != want {
			t.Errorf("GET zone as %q: %d, want %d", role, r.Status, want)
		}
	}
}

// TestOccupancyReachesLive follows a reading to a /live client subscribed to
// the parking layer: the feed row written with the reading is what it streams.
func TestOccupancyReachesLive(t *testing.T) {
	e := newEnv(t)
	zone := e.smartZones(1)[0]
	wsURL := "ws" + strings.TrimPrefix(e.URL, "http") + "/live?access_token=" + e.Tokens["viewer"]
	conn, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.WriteJSON(map[string]any{"type": "subscribe", "layers": []string{"parking"}}); err != nil {
		t.Fatal(err)
	}
	var frame struct {
		Type, Layer, ID string
		Feature         struct{ Properties map[string]any }
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := conn.ReadJSON(&frame); err != nil || frame.Type != "subscribed" {
		t.Fatalf("first frame %+v, %v", frame, err)
	}
	at := e.zone(zone).At.Add(time.Second)
	body := map[string]any{"items": []any{map[string]any{"zone": zone, "occupied": 3, "at": rfc(at)}}}
	e.Must(http.StatusOK, "POST", "/api/v1/parking/occupancy", "reporter", body)
	for frame.Type != "change" {
		if err := conn.ReadJSON(&frame); err != nil {
			t.Fatal(err)
		}
	}
	if frame.Layer != "parking" || frame.ID != zone || frame.Feature.Properties["occupied"] != 3.0 {
		t.Errorf("change %+v, want zone %s with 3 occupied", frame, zone)
	}
}
