package server_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"citymap/server/access"
	"citymap/server/apitest"
	"citymap/server/logtest"
	"citymap/server/respond"
)

// A client that goes away is no server failure: a tile whose request is
// cancelled while its query waits in PostgreSQL and a CSV export whose
// connection closes under the first write leave no error line in the log and
// no 5xx in the request metrics; both count as cancelled.
func TestClientGoneIsNoError(t *testing.T) {
	e := apitest.New(t)
	logs := logtest.Default(t)

	lon, lat := e.PointIn(e.GridIn)
	tl := maptile.At(orb.Point{lon, lat}, 16)
	tilePath := fmt.Sprintf("/tiles/issues/%d/%d/%d.mvt", tl.Z, tl.X, tl.Y)
	t.Run("mid-tile", func(t *testing.T) {
		// the tile's query waits on a lock until the client has gone
		lock, err := e.Store.Pool.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = lock.Rollback(context.Background()) }()
		if _, err := lock.Exec(t.Context(), `LOCK TABLE issues IN ACCESS EXCLUSIVE MODE`); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		w := httptest.NewRecorder()
		done := make(chan struct{})
		go func() {
			defer close(done)
			e.Handler.ServeHTTP(w, request(ctx, e, tilePath, access.Viewer))
		}()
		waitFor(t, "the tile's query to wait on the lock", func() bool {
			return e.Int(`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
				AND datname = current_database()`) > 0
		})
		cancel()
		<-done
		if w.Code != respond.StatusClientClosed {
			t.Errorf("status %d (%s), want %d", w.Code, w.Body, respond.StatusClientClosed)
		}
	})
	t.Run("mid-export", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		w := &closingWriter{ResponseWriter: httptest.NewRecorder(), cancel: cancel}
		e.Handler.ServeHTTP(w, request(ctx, e, "/api/v1/reports/units?format=csv&from=2020-03-01&to=2020-03-31", access.Planner))
		if !w.wrote {
			t.Fatal("the export wrote nothing")
		}
	})

	if line := logs.Line("level=ERROR"); line != "" {
		t.Errorf("a client gone is logged as an error: %s", line)
	}
	metrics := e.Get("/metrics", "").Body
	for _, route := range []string{"GET /tiles/{layer}/{z}/{x}/{y}", "GET /api/v1/reports/units"} {
		q := regexp.QuoteMeta(route)
		if m := regexp.MustCompile(`citymap_http_requests_total\{code="5\d\d",route="` + q + `"\}`).Find(metrics); m != nil {
			t.Errorf("a server error is counted: %s", m)
		}
		if !regexp.MustCompile(`citymap_http_requests_cancelled_total\{route="` + q + `"\} 1\b`).Match(metrics) {
			t.Errorf("%s: not counted as cancelled once in\n%s", route, grepLines(metrics, "cancelled"))
		}
	}
}

func request(ctx context.Context, e *apitest.Env, path, role string) *http.Request {
	r := httptest.NewRequest("GET", path, nil).WithContext(ctx)
	r.Header.Set("Authorization", "Bearer "+e.Tokens[role])
	return r
}

// closingWriter is a connection its client closes as the answer begins: the
// first write fails as a write to a closed socket does, and the request's
// context is cancelled as net/http cancels it.
type closingWriter struct {
	http.ResponseWriter
	cancel context.CancelFunc
	wrote  bool
}

func (w *closingWriter) Write([]byte) (int, error) {
	w.wrote = true
	w.cancel()
	return 0, &net.OpError{Op: "write", Net: "tcp", Err: syscall.EPIPE}
}

func grepLines(b []byte, word string) string {
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, word) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
