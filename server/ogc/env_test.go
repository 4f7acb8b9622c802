package ogc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"citymap/server/auth"
	"citymap/server/dbtest"
	"citymap/server/ogc"
	"citymap/server/store"
)

// env is the API over a fresh clone of the test template, with a token per role.
type env struct {
	t       testing.TB
	st      *store.Store
	handler http.Handler
	srv     *httptest.Server
	tokens  map[string]string
	// scope is the community the grid manager's token covers.
	scope string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	st := dbtest.New(t)
	mux := http.NewServeMux()
	ogc.New(st, auth.NewAuthenticator(st.TokenByHash)).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e := &env{t: t, st: st, handler: mux, srv: srv, tokens: map[string]string{}}
	var err error
	if e.scope, err = st.FirstCommunityCode(context.Background()); err != nil || e.scope == "" {
		t.Fatalf("the template has no community (%v)", err)
	}
	for _, role := range auth.Roles {
		var areas []string
		if role == auth.GridManager {
			areas = []string{e.scope}
		}
		tok, hash, err := auth.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateToken(context.Background(), "test-"+role, role, areas, hash, nil); err != nil {
			t.Fatal(err)
		}
		e.tokens[role] = tok
	}
	return e
}

// url is the absolute URL of path below /ogc with query parameters in pairs.
func (e *env) url(path string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	u := e.srv.URL + "/ogc" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (e *env) do(method, rawURL, role string, body []byte, headers ...string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, rawURL, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
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
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, b}
}

func (e *env) get(rawURL, role string) response {
	e.t.Helper()
	return e.do("GET", rawURL, role, nil)
}

// getJSON fetches rawURL as a viewer, expects 200 and decodes the body.
func (e *env) getJSON(rawURL string, v any) response {
	e.t.Helper()
	r := e.get(rawURL, auth.Viewer)
	if r.status != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", rawURL, r.status, r.body)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		e.t.Fatalf("GET %s: %v in %.300s", rawURL, err, r.body)
	}
	return r
}

// count runs a COUNT query of the test's own, the independent answer that
// API results are checked against.
func (e *env) count(sql string, args ...any) int64 {
	e.t.Helper()
	var n int64
	if err := e.st.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func (e *env) str(sql string, args ...any) string {
	e.t.Helper()
	var s string
	if err := e.st.Pool.QueryRow(context.Background(), sql, args...).Scan(&s); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return s
}

type feature struct {
	ID       any `json:"id"`
	Type     string
	Geometry struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	} `json:"geometry"`
	Properties map[string]any `json:"properties"`
	Links      []ogc.Link     `json:"links"`
}

type featureCollection struct {
	Type           string    `json:"type"`
	NumberMatched  int64     `json:"numberMatched"`
	NumberReturned int       `json:"numberReturned"`
	TimeStamp      string    `json:"timeStamp"`
	Features       []feature `json:"features"`
	Links          []ogc.Link
}

func (fc featureCollection) link(rel string) string {
	for _, l := range fc.Links {
		if l.Rel == rel {
			return l.Href
		}
	}
	return ""
}

// matched asks for one feature and returns numberMatched.
func (e *env) matched(collection string, kv ...string) int64 {
	e.t.Helper()
	var fc featureCollection
	e.getJSON(e.url("/collections/"+collection+"/items", append(kv, "limit", "1")...), &fc)
	return fc.NumberMatched
}

type apiError struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

// expectError checks the status and error code of a failed request.
func expectError(t testing.TB, r response, status int, code string) apiError {
	t.Helper()
	var e apiError
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("error body %q: %v", r.body, err)
	}
	if code != "" && e.Error.Code != code {
		t.Errorf("error code %q, want %q (%s)", e.Error.Code, code, e.Error.Message)
	}
	if e.Error.Message == "" {
		t.Errorf("error without a message: %s", r.body)
	}
	return e
}
