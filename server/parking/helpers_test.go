package parking_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"citymap/server"
	"citymap/server/auth"
	"citymap/server/dbtest"
	"citymap/server/store"
)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// env is a running instance on its own clone of the demo city, with one token
// per role.
type env struct {
	t      testing.TB
	st     *store.Store
	url    string
	tokens map[string]string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	st := dbtest.New(t)
	e := &env{t: t, st: st, tokens: map[string]string{}}
	srv := server.New(server.Config{DataDir: t.TempDir()}, st)
	t.Cleanup(srv.Close)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e.url = ts.URL
	var community string
	e.scan(`SELECT min(code) FROM areas WHERE level = 'community'`, nil, &community)
	for _, role := range auth.Roles {
		tok, hash, err := auth.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		var areas []string
		if role == auth.GridManager {
			areas = []string{community} // grid managers have a scope
		}
		if _, err := st.CreateToken(context.Background(), "test-"+role, role, areas, hash, nil); err != nil {
			t.Fatal(err)
		}
		e.tokens[role] = tok
	}
	return e
}

// exec runs a statement.
func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.st.Pool.Exec(context.Background(), sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

// scan runs a query that returns one row into dest.
func (e *env) scan(sql string, args []any, dest ...any) {
	e.t.Helper()
	if err := e.st.Pool.QueryRow(context.Background(), sql, args...).Scan(dest...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	e.scan(sql, args, &n)
	return n
}

// zoneState is a zone's occupancy as stored.
type zoneState struct {
	ID                 int64
	Capacity, Occupied int
	At                 time.Time
	Version            int
}

func (e *env) zone(code string) zoneState {
	e.t.Helper()
	var z zoneState
	e.scan(`SELECT id, capacity, occupied, occupancy_at, version FROM parking_zones WHERE code = $1`,
		[]any{code}, &z.ID, &z.Capacity, &z.Occupied, &z.At, &z.Version)
	return z
}

// reply is an HTTP answer.
type reply struct {
	status int
	body   []byte
}

func (r reply) json(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("answer %d is not JSON: %v\n%s", r.status, err, r.body)
	}
	return v
}

// errorOf returns the code and fields of an error answer.
func (r reply) errorOf(t testing.TB) (string, map[string]any) {
	t.Helper()
	e, ok := r.json(t)["error"].(map[string]any)
	if !ok {
		t.Fatalf("answer %d has no error: %s", r.status, r.body)
	}
	fields, _ := e["fields"].(map[string]any)
	code, _ := e["code"].(string)
	return code, fields
}

// call sends a request as role ("" for none); body is sent as JSON unless it is
// a string.
func (e *env) call(method, path, role string, body any) reply {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[role])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return reply{status: res.StatusCode, body: data}
}

func (e *env) must(status int, method, path, role string, body any) reply {
	e.t.Helper()
	r := e.call(method, path, role, body)
	if r.status != status {
		e.t.Fatalf("%s %s as %s: %d, want %d\n%s", method, path, role, r.status, status, r.body)
	}
	return r
}

// site is a place away from every zone of the demo city, where the tests lay
// out zones of their own at known distances.
var site = [2]float64{121.0, 31.0}

// east is the point dist metres east of site.
func east(dist float64) (lon, lat float64) {
	const metresPerDegree = 6371008.8 * math.Pi / 180
	return site[0] + dist/(metresPerDegree*math.Cos(site[1]*math.Pi/180)), site[1]
}

// addZone adds a point zone dist metres east of site; windows are
// "weekday opens closes" rows.
func (e *env) addZone(code, kind string, capacity, occupied int, dist float64, windows ...string) int64 {
	e.t.Helper()
	lon, lat := east(dist)
	var id int64
	e.scan(`INSERT INTO parking_zones (code, name, kind, capacity, occupied, occupancy_at, geom)
		VALUES ($1, $1, $2, $3, $4, now() - interval '1 hour', ST_SetSRID(ST_MakePoint($5, $6), 4326))
		RETURNING id`, []any{code, kind, capacity, occupied, lon, lat}, &id)
	for _, w := range windows {
		var wd int
		var opens, closes string
		if _, err := fmt.Sscan(w, &wd, &opens, &closes); err != nil {
			e.t.Fatal(err)
		}
		e.exec(`INSERT INTO parking_windows (zone_id, weekday, opens, closes) VALUES ($1, $2, $3, $4)`,
			id, wd, opens, closes)
	}
	return id
}
