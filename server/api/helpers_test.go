package api_test

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

	"citymap/server"
	"citymap/server/auth"
	"citymap/server/dbtest"
	"citymap/server/store"
)

// env is a running instance on its own database, with one token per role and the
// fixture codes the tests need, discovered from the database so that the tests
// pass on the demo city as well as on a small fixture.
type env struct {
	t       testing.TB
	st      *store.Store
	url     string
	dataDir string
	tokens  map[string]string // role → token
	// community is the grid manager's area; gridIn lies in it, gridOut in
	// another community.
	community, gridIn, gridOut string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	st := dbtest.New(t)
	e := &env{t: t, st: st, dataDir: t.TempDir(), tokens: map[string]string{}}
	e.discover()
	srv := server.New(server.Config{DataDir: e.dataDir}, st)
	t.Cleanup(srv.Close)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e.url = ts.URL
	for _, role := range auth.Roles {
		var areas []string
		if role == auth.GridManager {
			areas = []string{e.community}
		}
		e.tokens[role] = e.token("test-"+role, role, areas)
	}
	return e
}

// token creates a token as `citymap token create` does.
func (e *env) token(name, role string, areas []string) string {
	e.t.Helper()
	tok, hash, err := auth.NewToken()
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.st.CreateToken(context.Background(), name, role, areas, hash, nil); err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func (e *env) discover() {
	e.t.Helper()
	e.scan(`SELECT c.code, min(g.code) FROM areas c JOIN areas g ON g.level = 'grid' AND left(g.code, 12) = c.code
		WHERE c.level = 'community' GROUP BY c.code ORDER BY c.code LIMIT 1`, &e.community, &e.gridIn)
	e.scan(`SELECT min(code) FROM areas WHERE level = 'grid' AND left(code, 12) <> $1`, []any{e.community}, &e.gridOut)
}

// scan runs a query that returns one row; args may be given as a leading []any.
func (e *env) scan(sql string, dest ...any) {
	e.t.Helper()
	var args []any
	if len(dest) > 0 {
		if a, ok := dest[0].([]any); ok {
			args, dest = a, dest[1:]
		}
	}
	if err := e.st.Pool.QueryRow(context.Background(), sql, args...).Scan(dest...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	e.scan(sql, append([]any{args}, &n)...)
	return n
}

// pointIn returns a point inside the area with this code.
func (e *env) pointIn(code string) (lon, lat float64) {
	e.t.Helper()
	e.scan(`SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM areas WHERE code = $1) x`,
		[]any{code}, &lon, &lat)
	return lon, lat
}

// far is a point outside every grid of any Jiangsu city.
var far = [2]float64{100.0, 40.0}

// counts is how many rows the tables an issue write touches hold.
type counts struct{ issues, events, changes, seq int }

func (e *env) counts() counts {
	e.t.Helper()
	var c counts
	e.scan(`SELECT (SELECT count(*) FROM issues), (SELECT count(*) FROM issue_events),
		(SELECT count(*) FROM changes), (SELECT seq FROM change_counter)`, &c.issues, &c.events, &c.changes, &c.seq)
	return c
}

// reply is an HTTP answer.
type reply struct {
	status int
	header http.Header
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
// a string or []byte, headers come in pairs.
func (e *env) call(method, path, role string, body any, headers ...string) reply {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
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
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
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
	return reply{status: res.StatusCode, header: res.Header, body: data}
}

// must expects a status and returns the answer.
func (e *env) must(status int, method, path, role string, body any, headers ...string) reply {
	e.t.Helper()
	r := e.call(method, path, role, body, headers...)
	if r.status != status {
		e.t.Fatalf("%s %s as %s: %d, want %d\n%s", method, path, role, r.status, status, r.body)
	}
	return r
}

// feature is an issue as the API returns it.
type feature struct {
	ID       int64           `json:"id"`
	Geometry json.RawMessage `json:"geometry"`
	Props    struct {
		Status      string   `json:"status"`
		Source      string   `json:"source"`
		Category    string   `json:"category"`
		Description string   `json:"description"`
		Grid        *string  `json:"grid"`
		Community   *string  `json:"community"`
		Street      *string  `json:"street"`
		Unit        *string  `json:"unit"`
		Deadline    string   `json:"deadline"`
		CreatedAt   string   `json:"created_at"`
		Dispatched  *string  `json:"dispatched_at"`
		Resolved    *string  `json:"resolved_at"`
		Closed      *string  `json:"closed_at"`
		Overdue     bool     `json:"overdue"`
		Rework      int      `json:"rework_count"`
		DuplicateOf *int64   `json:"duplicate_of"`
		Photos      []string `json:"photos"`
		Version     int      `json:"version"`
		DistanceM   *float64 `json:"distance_m"`
	} `json:"properties"`
	Duplicates []feature `json:"possible_duplicates"`
	Timeline   []struct {
		Action string         `json:"action"`
		From   *string        `json:"from"`
		To     string         `json:"to"`
		Actor  string         `json:"actor"`
		Note   string         `json:"note"`
		Data   map[string]any `json:"data"`
	} `json:"timeline"`
}

func (r reply) feature(t testing.TB) feature {
	t.Helper()
	var f feature
	if err := json.Unmarshal(r.body, &f); err != nil {
		t.Fatalf("not a feature: %v\n%s", err, r.body)
	}
	return f
}

// newIssue is an intake body at lon, lat.
func newIssue(category string, lon, lat float64, extra ...any) map[string]any {
	m := map[string]any{
		"category": category, "source": "grid_patrol", "description": "test issue",
		"location": map[string]any{"type": "Point", "coordinates": []float64{lon, lat}},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i].(string)] = extra[i+1]
	}
	return m
}

// create takes in an issue as the dispatcher and returns it.
func (e *env) create(body map[string]any) feature {
	e.t.Helper()
	return e.must(http.StatusCreated, "POST", "/api/v1/issues", auth.Dispatcher, body).feature(e.t)
}

// act takes an action as role and expects status.
func (e *env) act(status int, id int64, role string, body map[string]any, headers ...string) reply {
	e.t.Helper()
	return e.must(status, "POST", fmt.Sprintf("/api/v1/issues/%d/actions", id), role, body, headers...)
}

// offset moves a point by metres east and north (small distances).
func offset(lon, lat, east, north float64) (float64, float64) {
	const m = 111320.0
	return lon + east/(m*cosDeg(lat)), lat + north/m
}

func cosDeg(d float64) float64 { return math.Cos(d * math.Pi / 180) }
