package activities_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
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

// env is an instance with the test's own district, two streets and three
// communities (squares far from the demo city), and tokens scoped to them.
type env struct {
	*apitest.Env
}

// The test's areas: S1 holds C1 and C2, S2 holds C3.
const (
	district = "999999"
	s1, s2   = "999999001", "999999002"
	c1, c2   = "999999001001", "999999001002"
	c3       = "999999002001"
)

// square is a MultiPolygon of a 0.01° square at (lon, lat).
func square(lon, lat float64) string {
	return fmt.Sprintf("SRID=4326;MULTIPOLYGON(((%[1]f %[2]f,%[3]f %[2]f,%[3]f %[4]f,%[1]f %[4]f,%[1]f %[2]f)))",
		lon, lat, lon+0.01, lat+0.01)
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{Env: apitest.NewWith(t, server.Config{Live: live.Config{Heartbeat: 100 * time.Millisecond}})}
	e.Exec(`INSERT INTO areas (code, name, level, parent_id, geom) VALUES ($1, '测试区', 'district', NULL, $2)`,
		district, square(100.00, 20.00))
	for _, a := range []struct {
		code, name, parent string
		lon                float64
	}{{s1, "测试一街道", district, 100.00}, {s2, "测试二街道", district, 100.02},
		{c1, "甲社区", s1, 100.00}, {c2, "乙社区", s1, 100.04}, {c3, "丙社区", s2, 100.02}} {
		level := "street"
		if len(a.code) == 12 {
			level = "community"
		}
		e.Exec(`INSERT INTO areas (code, name, level, parent_id, geom)
			SELECT $1, $2, $3, id, $5 FROM areas WHERE code = $4`, a.code, a.name, level, a.parent, square(a.lon, 20.00))
	}
	e.Tokens["worker_c1"] = e.Token("test-worker-c1", access.GridManager, []string{c1})
	e.Tokens["reviewer_s2"] = e.Token("test-reviewer-s2", access.Reviewer, []string{s2})
	e.Tokens["planner_c1"] = e.Token("test-planner-c1", access.Planner, []string{c1})
	e.Tokens["other_unit"] = e.UnitToken("test-other-unit", "zjj")
	return e
}

// future is a start time two days ahead, on the hour: sign-ups are open.
func future() time.Time { return time.Now().Add(48 * time.Hour).Truncate(time.Hour) }

// activity is an activity as the API answers it.
type activity struct {
	ID         int64
	Geometry   struct{ Coordinates []float64 }
	Properties struct {
		Title, Community, Month, Status, Unit string
		Capacity                              *int
		Signups, Attended, Version            int
	}
	SignupList []struct {
		ID       int64
		Name     string
		Attended bool
	} `json:"signup_list"`
}

// create posts an activity as role and returns it.
func (e *env) create(role string, body map[string]any) activity {
	e.T.Helper()
	var a activity
	e.Must(http.StatusCreated, "POST", "/api/v1/activities", role, body).Decode(e.T, &a)
	return a
}

// basic is a valid activity body in community, starting at starts.
func basic(community string, starts time.Time, capacity any) map[string]any {
	return map[string]any{"community": community, "title": "垃圾分类宣传", "place": "社区文明实践站",
		"starts_at": starts.Format(time.RFC3339), "ends_at": starts.Add(2 * time.Hour).Format(time.RFC3339),
		"capacity": capacity}
}

func (e *env) count(sql string, args ...any) int64 {
	e.T.Helper()
	return e.Int(sql, args...)
}

// from is a client whose connections come from a loopback address of its own
// (127.0.0.n): the sign-ups' limit counts per address.
func from(n int) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(n))}, Timeout: 5 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}}
}

// signup posts a sign-up from client and returns the status and body.
func (e *env) signup(c *http.Client, id int64, name, phone string) (int, []byte) {
	e.T.Helper()
	body, _ := json.Marshal(map[string]string{"name": name, "phone": phone})
	res, err := c.Post(fmt.Sprintf("%s/api/v1/activities/%d/signups", e.URL, id), "application/json", bytes.NewReader(body))
	if err != nil {
		e.T.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, data
}

// liveTitles subscribes to the activities layer as role from since and
// returns the titles sent up to the feed's head.
func (e *env) liveTitles(role string, since int64) []string {
	e.T.Helper()
	head, err := store.FeedHead(e.T.Context(), e.Store.Pool)
	if err != nil {
		e.T.Fatal(err)
	}
	url := "ws" + strings.TrimPrefix(e.URL, "http") + "/live"
	conn, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {"Bearer " + e.Tokens[role]}})
	if err != nil {
		e.T.Fatalf("live as %s: %v", role, err)
	}
	defer conn.Close()
	sub := fmt.Sprintf(`{"type":"subscribe","layers":["activities"],"since":%d}`, since)
	if err := conn.WriteMessage(websocket.TextMessage, []byte(sub)); err != nil {
		e.T.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	var out []string
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			e.T.Fatalf("live as %s: %v", role, err)
		}
		var f struct {
			Type, Layer string
			Seq         int64
			Feature     struct{ Properties struct{ Title string } }
		}
		_ = json.Unmarshal(msg, &f)
		switch {
		case f.Type == "heartbeat" && f.Seq >= head:
			return out
		case f.Type == "change" && f.Layer == "activities":
			out = append(out, f.Feature.Properties.Title)
		}
	}
}
