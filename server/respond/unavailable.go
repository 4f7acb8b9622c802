package respond

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"citymap/invalid"
)

// How long clients are told to wait after a failure that is not theirs.
const (
	// RetryUnavailable follows a database outage: long enough not to hammer a
	// database that is restarting, short enough for a failover.
	RetryUnavailable = 5 * time.Second
	// RetryTimeout follows a query cut off by its deadline, most likely under
	// load; a request that is simply too big will time out again.
	RetryTimeout = 5 * time.Second
)

// Answers to failures of the database rather than of the request.
var (
	ErrUnavailable = Unavailable("unavailable",
		"the database cannot be reached; try again later", RetryUnavailable)
	ErrTimeout = Unavailable("timeout",
		"the request took longer than its time limit: narrow it (a shorter range, a smaller area, "+
			"a simpler filter) or try again later", RetryTimeout)
)

// Classify returns the answer for err: the *Error it is or wraps; the
// *invalid.Error it is or wraps as a 400 (422 when Unprocessable) naming its
// field; ErrTimeout for
// a query cut off by the request's deadline or PostgreSQL's statement_timeout;
// ErrUnavailable when the database cannot be reached (partner systems retry a
// 503 with Retry-After, not a 500); else ErrInternal.
func Classify(err error) *Error {
	var e *Error
	var in *invalid.Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &in):
		return Invalid(in)
	case TimedOut(err):
		return ErrTimeout
	case DatabaseUnavailable(err):
		return ErrUnavailable
	}
	return ErrInternal
}

// TimedOut reports whether err is a deadline that passed: the context's, or a
// statement cancelled by PostgreSQL (57014, query_canceled, which is also what a
// cancel request sent on the context's deadline produces).
func TimedOut(err error) bool {
	var pg *pgconn.PgError
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &pg) && pg.Code == "57014")
}

// DatabaseUnavailable reports whether err says the database cannot be reached
// or dropped the connection: a failed connect, an error of the connection
// itself (pgconn marks those with SafeToRetry, whatever its value), a network
// error, a connection closed in the middle of an answer (a server that
// crashed: pgconn passes the reader's io.ErrUnexpectedEOF on as it is; a
// request body cut short never gets here, its decoding answers 400), or
// PostgreSQL's own word: connection exceptions (class 08), an
// administrator or crash shutdown or a database still starting (57P01–57P03),
// too many connections (53300), a write on a server that no longer takes
// writes (25006: a former primary fenced, or a standby, during a failover).
func DatabaseUnavailable(err error) bool {
	var connect *pgconn.ConnectError
	var pg *pgconn.PgError
	var conn interface{ SafeToRetry() bool }
	var nerr net.Error
	switch {
	case errors.As(err, &connect), errors.Is(err, pgconn.ErrConnClosed), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	case errors.As(err, &pg):
		return strings.HasPrefix(pg.Code, "08") || pg.Code == "57P01" || pg.Code == "57P02" ||
			pg.Code == "57P03" || pg.Code == "53300" || pg.Code == "25006"
	case errors.As(err, &conn), errors.As(err, &nerr):
		return true
	}
	return false
}
