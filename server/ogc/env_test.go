package ogc_test

import (
	"encoding/json"
	"net/url"
	"testing"

	"citymap/server/access"
	"citymap/server/apitest"
	"citymap/server/ogc"
)

// env is the API over a fresh clone of the test template, with a token per role;
// the grid manager's token covers Community.
type env struct{ *apitest.Env }

type response = apitest.Reply

func newEnv(t testing.TB) *env { return &env{apitest.New(t)} }

// url is the absolute URL of path below /ogc with query parameters in pairs.
func (e *env) url(path string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	u := e.URL + "/ogc" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// get fetches rawURL as role.
func (e *env) get(rawURL, role string) response {
	e.T.Helper()
	return e.Call("GET", rawURL, role, nil)
}

// getJSON fetches rawURL as a viewer, expects 200 and decodes the body.
func (e *env) getJSON(rawURL string, v any) response {
	e.T.Helper()
	r := e.Get(rawURL, access.Viewer)
	r.Decode(e.T, v)
	return r
}

// str runs a query that returns one string.
func (e *env) str(sql string, args ...any) string {
	e.T.Helper()
	var s string
	e.Scan(sql, args, &s)
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
	e.T.Helper()
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
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if err := json.Unmarshal(r.Body, &e); err != nil {
		t.Fatalf("error body %q: %v", r.Body, err)
	}
	if code != "" && e.Error.Code != code {
		t.Errorf("error code %q, want %q (%s)", e.Error.Code, code, e.Error.Message)
	}
	if e.Error.Message == "" {
		t.Errorf("error without a message: %s", r.Body)
	}
	return e
}
