// Package apitest runs a citymap instance for HTTP tests: a server on its own
// clone of the test database (the demo city), a token per role and helpers to
// call it and to look at the database.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"citymap/server"
	"citymap/server/access"
	"citymap/server/auth"
	"citymap/server/dbtest"
	"citymap/server/store"
)

// Env is a running instance with one token per role. The grid manager's token
// covers Community; GridIn lies in it, GridOut in another community.
type Env struct {
	T       testing.TB
	Store   *store.Store
	URL     string            // the test server's address
	Server  *server.Server    // the instance (its routes)
	Handler http.Handler      // the server's handler, to call without a network
	DataDir string            // the server's data directory (photos)
	Tokens  map[string]string // role → token

	Community, GridIn, GridOut string
	// Unit is the unit the unit role's token acts for (UnitCode).
	Unit string
}

// UnitCode is the unit of the unit role's token: a department every database
// has (the migrations create it).
const UnitCode = "cgj"

// New starts an instance on a fresh clone of the test template.
func New(t testing.TB) *Env {
	t.Helper()
	return NewWith(t, server.Config{})
}

// NewWith starts an instance with this configuration (a temporary DataDir
// when it has none).
func NewWith(t testing.TB, cfg server.Config) *Env {
	t.Helper()
	return NewOn(t, dbtest.New(t), cfg)
}

// NewOn starts an instance on st, a clone of the test template that the test
// has prepared (with read replicas, say).
func NewOn(t testing.TB, st *store.Store, cfg server.Config) *Env {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	e := &Env{T: t, Store: st, DataDir: cfg.DataDir, Tokens: map[string]string{}}
	e.Scan(`SELECT c.code, min(g.code) FROM areas c JOIN areas g ON g.level = 'grid' AND left(g.code, 12) = c.code
		WHERE c.level = 'community' GROUP BY c.code ORDER BY c.code LIMIT 1`, nil, &e.Community, &e.GridIn)
	e.Scan(`SELECT min(code) FROM areas WHERE level = 'grid' AND left(code, 12) <> $1`, []any{e.Community}, &e.GridOut)
	srv, err := server.New(context.Background(), cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	e.Server, e.Handler = srv, srv.Handler()
	ts := httptest.NewServer(e.Handler)
	t.Cleanup(ts.Close)
	e.URL = ts.URL
	for _, role := range access.Roles {
		var areas []string
		if role == access.GridManager {
			areas = []string{e.Community}
		}
		if role == access.Unit {
			e.Unit = UnitCode
			e.Tokens[role] = e.UnitToken("test-"+role, UnitCode)
			continue
		}
		if role == access.UnitLeader {
			e.Tokens[role] = e.TokenFor(store.Token{Name: "test-" + role, Role: role, Unit: UnitCode})
			continue
		}
		e.Tokens[role] = e.Token("test-"+role, role, areas)
	}
	e.waitReady()
	return e
}

// waitReady waits for /readyz, as a load balancer would before sending traffic:
// the instance then follows the changes feed too.
func (e *Env) waitReady() {
	e.T.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := http.Get(e.URL + "/readyz")
		if err != nil {
			e.T.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			e.T.Fatalf("/readyz still answers %d", res.StatusCode)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Token creates a token as `citymap token create` does.
func (e *Env) Token(name, role string, areas []string) string {
	e.T.Helper()
	return e.TokenFor(store.Token{Name: name, Role: role, Areas: areas})
}

// TokenFor creates a token with everything a token may carry (a reporter's
// source, say) and returns its secret.
func (e *Env) TokenFor(t store.Token) string {
	e.T.Helper()
	tok, hash, err := auth.NewToken()
	if err != nil {
		e.T.Fatal(err)
	}
	if _, err := e.Store.StoreToken(context.Background(), t, hash); err != nil {
		e.T.Fatal(err)
	}
	return tok
}

// UnitToken creates a token for the staff of a unit.
func (e *Env) UnitToken(name, unit string) string {
	e.T.Helper()
	tok, hash, err := auth.NewToken()
	if err != nil {
		e.T.Fatal(err)
	}
	if _, err := e.Store.CreateUnitToken(context.Background(), name, access.Unit, nil, unit, hash, nil); err != nil {
		e.T.Fatal(err)
	}
	return tok
}

// Scan runs a query that returns one row.
func (e *Env) Scan(sql string, args []any, dest ...any) {
	e.T.Helper()
	if err := e.Store.Pool.QueryRow(context.Background(), sql, args...).Scan(dest...); err != nil {
		e.T.Fatalf("%s: %v", sql, err)
	}
}

// Exec runs a statement.
func (e *Env) Exec(sql string, args ...any) {
	e.T.Helper()
	if _, err := e.Store.Pool.Exec(context.Background(), sql, args...); err != nil {
		e.T.Fatalf("%s: %v", sql, err)
	}
}

// Int runs a query that returns one integer.
func (e *Env) Int(sql string, args ...any) int64 {
	e.T.Helper()
	var n int64
	e.Scan(sql, args, &n)
	return n
}

// QuietDeadlines makes sure no issue turns overdue during the next d (see
// dbtest.QuietDeadlines).
func (e *Env) QuietDeadlines(d time.Duration) {
	e.T.Helper()
	dbtest.QuietDeadlines(e.T, e.Store, d)
}

// PointIn returns a point inside the area with this code.
func (e *Env) PointIn(code string) (lon, lat float64) {
	e.T.Helper()
	e.Scan(`SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM areas WHERE code = $1) x`,
		[]any{code}, &lon, &lat)
	return lon, lat
}

// Reply is an HTTP answer.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into an object.
func (r Reply) JSON(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("answer %d is not a JSON object: %v\n%s", r.Status, err, r.Body)
	}
	return v
}

// Decode decodes the body into v.
func (r Reply) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("answer %d: %v\n%s", r.Status, err, r.Body)
	}
}

// ErrorOf returns the code and fields of an error answer.
func (r Reply) ErrorOf(t testing.TB) (string, map[string]any) {
	t.Helper()
	e, ok := r.JSON(t)["error"].(map[string]any)
	if !ok {
		t.Fatalf("answer %d has no error: %s", r.Status, r.Body)
	}
	fields, _ := e["fields"].(map[string]any)
	code, _ := e["code"].(string)
	return code, fields
}

// Call sends a request to path (or an absolute URL) as role ("" for none); body
// is sent as JSON unless it is a string (sent as JSON text), []byte (sent as is,
// with no Content-Type) or url.Values (sent as a form); headers come in pairs
// and override the Content-Type. Answers are not decompressed.
func (e *Env) Call(method, path, role string, body any, headers ...string) Reply {
	e.T.Helper()
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd, ctype = bytes.NewReader(b), ""
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.T.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	if !strings.HasPrefix(path, "http://") {
		path = e.URL + path
	}
	req, err := http.NewRequest(method, path, rd)
	if err != nil {
		e.T.Fatal(err)
	}
	if body != nil && ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+e.Tokens[role])
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		e.T.Fatal(err)
	}
	return Reply{Status: res.StatusCode, Header: res.Header, Body: data}
}

// client leaves Accept-Encoding and compressed bodies to the tests.
var client = &http.Client{Transport: &http.Transport{DisableCompression: true}}

// Must expects a status and returns the answer.
func (e *Env) Must(status int, method, path, role string, body any, headers ...string) Reply {
	e.T.Helper()
	r := e.Call(method, path, role, body, headers...)
	if r.Status != status {
		e.T.Fatalf("%s %s as %s: %d, want %d\n%s", method, path, role, r.Status, status, r.Body)
	}
	return r
}

// Want expects a status and returns the answer.
func (r Reply) Want(t testing.TB, status int) Reply {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d\n%s", r.Status, status, r.Body)
	}
	return r
}

// Get expects 200 from GET path as role.
func (e *Env) Get(path, role string, headers ...string) Reply {
	e.T.Helper()
	return e.Must(http.StatusOK, "GET", path, role, nil, headers...)
}

// RequireTool finds a command on PATH. Without it the test is skipped on a
// developer's machine but fails in CI (CI=true) or when the environment
// variable requireEnv is 1, where a silently skipped test would prove nothing;
// hint says how to install the command.
func RequireTool(t testing.TB, name, requireEnv, hint string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := name + " not found: " + hint
	if os.Getenv("CI") == "true" || os.Getenv(requireEnv) == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg + "; set " + requireEnv + "=1 to make this a failure")
	return ""
}

// Run runs a command (args[0] with the rest as its arguments) with the
// environment plus env, for at most two minutes, and returns its combined
// output; a failure fails the test.
func Run(t testing.TB, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// GDAL finds a GDAL command: RequireTool with CITYMAP_REQUIRE_GDAL.
func GDAL(t testing.TB, name string) string {
	t.Helper()
	return RequireTool(t, name, "CITYMAP_REQUIRE_GDAL", "scripts/deps-gdal.sh installs gdal-bin (make deps runs it)")
}

// RunGDAL runs a GDAL command with no user or system GDAL configuration, no
// proxy between GDAL and the test server, and env.
func RunGDAL(t testing.TB, env []string, args ...string) string {
	t.Helper()
	return Run(t, append([]string{"GDAL_CONFIG_FILE=/dev/null", "NO_PROXY=127.0.0.1", "no_proxy=127.0.0.1",
		"GDAL_HTTP_TIMEOUT=60"}, env...), args...)
}
