package respond

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCheckDecoded(t *testing.T) {
	type inner struct {
		Address string `json:"address"`
	}
	type body struct {
		Name  string                     `json:"name"`
		Where *inner                     `json:"where"`
		Tags  []string                   `json:"tags"`
		Props map[string]any             `json:"props"`
		Items []json.RawMessage          `json:"items"`
		Raw   map[string]json.RawMessage `json:"raw"`
		inner
	}
	cases := []struct {
		name  string
		v     any
		field string // "" when the value is clean
	}{
		{"clean", &body{Name: "a", Tags: []string{"x"}, Items: []json.RawMessage{[]byte(`{"a":"\\\\u0000"}`)}}, ""},
		{"top field", &body{Name: "a\x00"}, "name"},
		{"nested", &body{Where: &inner{Address: "\x00"}}, "where.address"},
		{"embedded", &body{inner: inner{Address: "x\x00"}}, ""}, // unexported embedding is not decoded
		{"slice", &body{Tags: []string{"ok", "b\x00"}}, "tags[1]"},
		{"map value", &body{Props: map[string]any{"k": []any{"\x00"}}}, "props.k[0]"},
		{"map key", &body{Props: map[string]any{"\x00": 1}}, "props.member name"},
		{"raw items are their decoder's", &body{Items: []json.RawMessage{[]byte(`{"a":"\u0000"}`)}}, ""},
		{"raw members too", &body{Raw: map[string]json.RawMessage{"g": []byte(`"\u0000"`)}}, ""},
		{"whole string", new("\x00"), "body"},
	}
	for _, c := range cases {
		e := CheckDecoded(c.v, "body")
		if c.field == "" {
			if e != nil {
				t.Errorf("%s: %v", c.name, e)
			}
			continue
		}
		if e == nil || e.Status != http.StatusBadRequest || e.Code != "invalid" || e.Fields[c.field] == "" {
			t.Errorf("%s: %+v, want a 400 naming %q", c.name, e, c.field)
		}
	}
}

func TestDecodeRefusesNUL(t *testing.T) {
	type body struct {
		Items []json.RawMessage `json:"items"`
		Note  string            `json:"note"`
	}
	for in, field := range map[string]string{
		`{"note":"a\u0000b"}`:              "note",
		`{"items":[{"zone":"\u0000"}]}`:    "", // refused by DecodeItem, alone
		`{"note":"escaped \\u0000 is ok"}`: "",
	} {
		var v body
		r := httptest.NewRequest("POST", "/", strings.NewReader(in))
		err := Decode(httptest.NewRecorder(), r, 1000, &v)
		if field == "" {
			if err != nil {
				t.Errorf("%s: %v", in, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Status != 400 || e.Fields[field] == "" {
			t.Errorf("%s: %v, want a 400 naming %s", in, err, field)
		}
	}
	r := httptest.NewRequest("POST", "/", strings.NewReader("{\"note\":\"caf\xe9\"}")) // Latin-1, not UTF-8
	if e := (*Error)(nil); !errors.As(Decode(httptest.NewRecorder(), r, 1000, new(body)), &e) || e.Fields["body"] == "" {
		t.Errorf("a Latin-1 body: %v, want a 400 naming body", e)
	}
	var item struct {
		Zone string `json:"zone"`
	}
	if e := DecodeItem([]byte(`{"zone":"Z\u0000"}`), &item); e == nil || e.Fields["zone"] == "" {
		t.Errorf("DecodeItem: %+v, want a 400 naming zone", e)
	}
}

func TestCheckURL(t *testing.T) {
	h := CheckURL(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	cases := []struct {
		target string
		status int
		field  string
	}{
		{"/api/v1/issues?q=%E6%B2%B3", 204, ""},
		{"/api/v1/parking/zones/Z%00", 400, "path"},
		{"/api/v1/parking/zones/%FF", 400, "path"},
		{"/api/v1/issues?q=a%00b", 400, "q"},
		{"/api/v1/issues?category=%C3%28", 400, "category"},
		{"/api/v1/issues?%00=1", 400, "parameter name"},
		{"/open311/v2/requests.json?q=%00", 204, ""}, // Open311 answers in its own shape
	}
	for _, c := range cases {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", c.target, nil))
		if w.Code != c.status {
			t.Errorf("%s: %d, want %d", c.target, w.Code, c.status)
			continue
		}
		if c.field == "" {
			continue
		}
		var out struct{ Error Error }
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || out.Error.Fields[c.field] == "" {
			t.Errorf("%s: %s does not name %q", c.target, w.Body, c.field)
		}
	}
}
