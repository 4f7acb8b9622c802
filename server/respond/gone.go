package respond

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"syscall"
)

// ClientGone reports whether r's client went away: its context is cancelled
// (net/http cancels it when the connection closes; whatever the database
// driver returned then wraps that, or is a cancelled query). MapLibre cancels
// the tiles of every pan and browsers drop a download they no longer want:
// none of that is the server's failure. The error itself is not asked: a
// reset connection may be the database's, which is a 503.
func ClientGone(r *http.Request) bool {
	return errors.Is(r.Context().Err(), context.Canceled)
}

// closedUnderWrite reports whether err is a write to a connection its peer
// closed or reset, which is what a client gone mid-answer looks like before
// net/http has noticed and cancelled the request.
func closedUnderWrite(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed)
}

// Cancelled answers a request whose client went away, if it did and err does
// not say itself what to answer: it records StatusClientClosed, writes
// nothing and logs at debug only. It reports whether it answered.
func Cancelled(w http.ResponseWriter, r *http.Request, err error) bool {
	if isError(err) || !ClientGone(r) {
		return false
	}
	slog.Debug("request cancelled by its client", "method", r.Method, "path", r.URL.Path, "err", err)
	w.WriteHeader(StatusClientClosed)
	return true
}

// LogError logs a failure of an answer whose body has begun, which can only
// be logged: at error level, or at debug when it is only the client gone (a
// write to a closed connection counts, as only the client is written to).
func LogError(r *http.Request, msg string, err error, args ...any) {
	level := slog.LevelError
	if ClientGone(r) || closedUnderWrite(err) {
		level = slog.LevelDebug
	}
	slog.Log(r.Context(), level, msg, append([]any{"method", r.Method, "path", r.URL.Path, "err", err}, args...)...)
}
