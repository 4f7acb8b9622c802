package respond

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"

	"citymap/invalid"
)

// However deep a layer wraps it, an error keeps its answer: a field error its
// 400 (or 422) naming the field, a not-found its 404, a conflict its 409.
func TestFailWrapped(t *testing.T) {
	conflict := Errorf(http.StatusConflict, "exists", "a feature with this code exists")
	cases := []struct {
		name   string
		err    error
		status int
		code   string
		field  string
	}{
		{"validation", invalid.Field("location", "invalid_location", "longitude out of range"),
			http.StatusBadRequest, "invalid_location", "location"},
		{"geometry check without a code", invalid.Prefix("geometry", &invalid.Error{Field: "coordinates[0]", Message: "ring is not closed"}),
			http.StatusBadRequest, "invalid", "geometry.coordinates[0]"},
		{"unprocessable", &invalid.Error{Field: "materials", Code: "no_materials", Message: "attach one", Unprocessable: true},
			http.StatusUnprocessableEntity, "no_materials", "materials"},
		{"not found", ErrNotFound, http.StatusNotFound, "not_found", ""},
		{"conflict", conflict, http.StatusConflict, "exists", ""},
	}
	for _, c := range cases {
		for depth, err := range []error{c.err, fmt.Errorf("store: %w", c.err),
			fmt.Errorf("handler: %w", fmt.Errorf("store: %w", c.err))} {
			w := httptest.NewRecorder()
			Fail(w, httptest.NewRequest("GET", "/", nil), err)
			var body struct{ Error Error }
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("%s: %v in %s", c.name, err, w.Body)
			}
			if w.Code != c.status || body.Error.Code != c.code || (c.field != "" && body.Error.Fields[c.field] == "") {
				t.Errorf("%s wrapped %d times: %d %s, want %d %s naming %q", c.name, depth, w.Code, w.Body, c.status, c.code, c.field)
			}
		}
	}
}

// A failure after the answer began is logged as an error, unless it is only
// the client gone: its request cancelled, or its connection closed under a write.
func TestLogError(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	live := httptest.NewRequest("GET", "/api/v1/reports/units.csv", nil)
	cases := []struct {
		name   string
		r      *http.Request
		err    error
		logged bool
	}{
		{"a server failure", live, fmt.Errorf("render: %w", syscall.EIO), true},
		{"the request cancelled", live.WithContext(cancelled), fmt.Errorf("query: %w", context.Canceled), false},
		{"a broken pipe", live, fmt.Errorf("write tcp: %w", syscall.EPIPE), false},
		{"a connection reset", live, fmt.Errorf("write tcp: %w", syscall.ECONNRESET), false},
	}
	for _, c := range cases {
		var logs strings.Builder
		old := slog.Default()
		slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})))
		LogError(c.r, "write table", c.err)
		slog.SetDefault(old)
		if got := strings.Contains(logs.String(), "level=ERROR"); got != c.logged {
			t.Errorf("%s: logged %q, want an error line: %v", c.name, logs.String(), c.logged)
		}
	}
}
