package respond

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Failures of the database, wrapped as the store wraps them, become 503s with
// Retry-After; the request's own errors keep their answers; the rest is a 500.
func TestClassify(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, refused := pgconn.Connect(ctx, "postgres://x@127.0.0.1:1/x?sslmode=disable&connect_timeout=2")
	if refused == nil {
		t.Fatal("connecting to port 1 succeeded")
	}
	wrap := func(err error) error { return fmt.Errorf("store: create issue: %w", err) }
	cases := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"own answer", wrap(Field("x", "invalid", "bad x")), 400, "invalid"},
		{"connection refused", wrap(refused), 503, "unavailable"},
		{"admin shutdown", wrap(&pgconn.PgError{Code: "57P01"}), 503, "unavailable"},
		{"crash shutdown", &pgconn.PgError{Code: "57P02"}, 503, "unavailable"},
		{"starting up", &pgconn.PgError{Code: "57P03"}, 503, "unavailable"},
		{"connection exception", wrap(&pgconn.PgError{Code: "08006"}), 503, "unavailable"},
		{"too many connections", &pgconn.PgError{Code: "53300"}, 503, "unavailable"},
		{"read-only server", wrap(&pgconn.PgError{Code: "25006"}), 503, "unavailable"},
		{"conn closed", wrap(pgconn.ErrConnClosed), 503, "unavailable"},
		{"server gone mid-answer", wrap(io.ErrUnexpectedEOF), 503, "unavailable"},
		{"network", wrap(&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}), 503, "unavailable"},
		{"deadline", wrap(context.DeadlineExceeded), 503, "timeout"},
		{"statement timeout", wrap(&pgconn.PgError{Code: "57014"}), 503, "timeout"},
		{"constraint", wrap(&pgconn.PgError{Code: "23514"}), 500, "internal"},
		{"other", errors.New("boom"), 500, "internal"},
	}
	for _, c := range cases {
		w := httptest.NewRecorder()
		Fail(w, httptest.NewRequest("POST", "/", nil), c.err)
		e := Classify(c.err)
		if w.Code != c.status || e.Code != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, w.Code, e.Code, c.status, c.code)
		}
		if retry := w.Header().Get("Retry-After"); (c.status == http.StatusServiceUnavailable) != (retry != "") {
			t.Errorf("%s: Retry-After %q with status %d", c.name, retry, w.Code)
		}
	}
}
