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
	"strings"
	"testing"

	"citymap/server"
	"citymap/server/auth"
	"citymap/server/dbtest"
	"citymap/server/store"
)

// Env is a running instance with one token per role. The grid manager's token
// covers Community; GridIn lies in it, GridOut in another community.
type Env struct {
	T      testing.TB
	Store  *store.Store
	URL    string
	Tokens map[string]string // role → token

	Community, GridIn, GridOut string
}

// New starts an instance on a fresh clone of the test template.
func New(t testing.TB) *Env {
	t.Helper()
	st := dbtest.New(t)
	e := &Env{T: t, Store: st, Tokens: map[string]string{}}
	e.Scan(`SELECT c.code, min(g.code) FROM areas c JOIN areas g ON g.level = 'grid' AND left(g.code, 12) = c.code
		WHERE c.level = 'community' GROUP BY c.code ORDER BY c.code LIMIT 1`, nil, &e.Community, &e.GridIn)
	e.Scan(`SELECT min(code) FROM areas WHERE level = 'grid' AND left(code, 12) <> $1`, []any{e.Community}, &e.GridOut)
	srv := server.New(server.Config{DataDir: t.TempDir()}, st)
	t.Cleanup(srv.Close)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e.URL = ts.URL
	for _, role := range auth.Roles {
		var areas []string
		if role == auth.GridManager {
			areas = []string{e.Community}
		}
		e.Tokens[role] = e.Token("test-"+role, role, areas)
	}
	return e
}

// Token creates a token as `citymap token create` does.
func (e *Env) Token(name, role string, areas []string) string {
	e.T.Helper()
	tok, hash, err := auth.NewToken()
	if err != nil {
		e.T.Fatal(err)
	}
	if _, err := e.Store.CreateToken(context.Background(), name, role, areas, hash, nil); err != nil {
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

// Call sends a request as role ("" for none); body is sent as JSON unless it is
// a string, headers come in pairs.
func (e *Env) Call(method, path, role string, body any, headers ...string) Reply {
	e.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.T.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		e.T.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+e.Tokens[role])
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
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

// Must expects a status and returns the answer.
func (e *Env) Must(status int, method, path, role string, body any, headers ...string) Reply {
	e.T.Helper()
	r := e.Call(method, path, role, body, headers...)
	if r.Status != status {
		e.T.Fatalf("%s %s as %s: %d, want %d\n%s", method, path, role, r.Status, status, r.Body)
	}
	return r
}

// Get expects 200 from GET path as role.
func (e *Env) Get(path, role string, headers ...string) Reply {
	e.T.Helper()
	return e.Must(http.StatusOK, "GET", path, role, nil, headers...)
}
