package respond

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	type body struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	cases := []struct {
		name, in, ctype string
		status          int
		code, field     string
	}{
		{"good", `{"name":"a","count":2}`, "application/json", 0, "", ""},
		{"no content type", `{"name":"a"}`, "", 0, "", ""},
		{"broken json", `{"name":`, "application/json", 400, "invalid_json", ""},
		{"syntax error", `{"name" "a"}`, "application/json", 400, "invalid_json", ""},
		{"empty", ``, "application/json", 400, "invalid_json", ""},
		{"unknown field", `{"name":"a","colour":"red"}`, "application/json", 400, "unknown_field", "colour"},
		{"wrong type", `{"count":"two"}`, "application/json", 400, "invalid_type", "count"},
		{"trailing data", `{"name":"a"} {}`, "application/json", 400, "invalid_json", ""},
		{"too large", `{"name":"` + strings.Repeat("x", 200) + `"}`, "application/json", 413, "body_too_large", ""},
		{"form body", `name=a`, "application/x-www-form-urlencoded", 415, "unsupported_media_type", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(c.in))
			if c.ctype != "" {
				r.Header.Set("Content-Type", c.ctype)
			}
			var v body
			err := Decode(httptest.NewRecorder(), r, 100, &v)
			if c.status == 0 {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if e.Status != c.status || e.Code != c.code {
				t.Errorf("got %d %s, want %d %s", e.Status, e.Code, c.status, c.code)
			}
			if c.field != "" && e.Fields[c.field] == "" {
				t.Errorf("fields %v do not name %q", e.Fields, c.field)
			}
		})
	}
}

// A request its client cancelled is recorded as 499 whatever the error it
// caused, and nothing is logged as an error.
func TestFailClientCancelled(t *testing.T) {
	var logs strings.Builder
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})))
	defer slog.SetDefault(old)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest("GET", "/tiles/issues/14/1/2.mvt", nil).WithContext(ctx)
	for _, err := range []error{context.Canceled, fmt.Errorf("render tile: %w", context.Canceled), errors.New("conn closed")} {
		w := httptest.NewRecorder()
		Fail(w, r, err)
		if w.Code != StatusClientClosed || w.Body.Len() != 0 {
			t.Errorf("%v: status %d, body %q; want 499 and no body", err, w.Code, w.Body)
		}
	}
	if logs.Len() != 0 {
		t.Errorf("logged at info or above:\n%s", logs.String())
	}
	// an answer of its own is given even so (the read deadline's 408)
	w := httptest.NewRecorder()
	Fail(w, r, fmt.Errorf("body: %w", Errorf(http.StatusRequestTimeout, "body_timeout", "too slow")))
	if w.Code != http.StatusRequestTimeout {
		t.Errorf("an *Error after a cancel: status %d, want 408", w.Code)
	}
	// a deadline of the server's own is no cancellation by the client
	dctx, dcancel := context.WithTimeout(context.Background(), 0)
	defer dcancel()
	w = httptest.NewRecorder()
	Fail(w, r.WithContext(dctx), context.DeadlineExceeded)
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("deadline: status %d, want 503", w.Code)
	}
}

func TestFailHidesInternalErrors(t *testing.T) {
	w := httptest.NewRecorder()
	Fail(w, httptest.NewRequest("GET", "/", nil), errors.New("pq: password for user x is hunter2"))
	if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "hunter2") {
		t.Errorf("status %d body %s", w.Code, w.Body)
	}
	if !strings.Contains(w.Body.String(), `"code":"internal"`) {
		t.Errorf("body %s lacks the error code", w.Body)
	}
}

func TestDecodeItem(t *testing.T) {
	type item struct {
		Zone string `json:"zone"`
		N    int    `json:"n"`
	}
	cases := []struct{ in, code, field string }{
		{`{"zone":"Z1","n":3}`, "", ""},
		{`{"zone":"Z1","colour":"red"}`, "unknown_field", "colour"},
		{`{"n":"three"}`, "invalid_type", "n"},
		{`[1,2]`, "invalid_type", "item"},
	}
	for _, c := range cases {
		var v item
		e := DecodeItem([]byte(c.in), &v)
		if c.code == "" {
			if e != nil {
				t.Errorf("%s: %v", c.in, e)
			}
			continue
		}
		if e == nil || e.Status != http.StatusBadRequest || e.Code != c.code || e.Fields[c.field] == "" {
			t.Errorf("%s: %+v, want 400 %s naming %s", c.in, e, c.code, c.field)
		}
	}
}
