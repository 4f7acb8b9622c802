package replica

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"citymap/server/respond"
)

// Read-your-writes over HTTP. The answer to a write (any method but GET,
// HEAD and OPTIONS) carries the primary's WAL position after it, in the
// header and in a cookie; a read that presents it, in the header or by the
// cookie, is served by a replica only once that replica has replayed it.
const (
	Header = "X-Citymap-Position"
	Cookie = "citymap_position"
	// CookieAge is how long the cookie lasts: far longer than any replica in
	// use lags (a replica further behind than its bound serves nothing).
	CookieAge = 5 * time.Minute
)

// Unknown is the position a write's answer carries when the primary could not
// tell its own: past every real one, so the reads that present it go to the
// primary.
const Unknown = LSN(1<<64 - 1)

// Positions reads the primary's WAL position after a write.
type Positions func(ctx context.Context) (LSN, error)

// Handler gives next's reads (GET, HEAD) the permission to read a replica,
// bounded by the position they present, and next's writes their position.
// A position that is no WAL position is a 400 (invalid_position).
func Handler(next http.Handler, positions Positions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			need, err := presented(r)
			if err != nil {
				respond.Fail(w, r, respond.Errorf(http.StatusBadRequest, "invalid_position", err.Error()))
				return
			}
			next.ServeHTTP(w, r.WithContext(WithRead(r.Context(), need)))
		case http.MethodOptions:
			next.ServeHTTP(w, r)
		default:
			next.ServeHTTP(&positionWriter{ResponseWriter: w, r: r, positions: positions}, r)
		}
	})
}

// presented is the position a read presents: the header's, else the
// cookie's, else 0 (none).
func presented(r *http.Request) (LSN, error) {
	v := r.Header.Get(Header)
	if v == "" {
		c, err := r.Cookie(Cookie)
		if err != nil {
			return 0, nil
		}
		v = c.Value
	}
	return ParseLSN(v)
}

// positionWriter sets the position headers when the answer's head goes out:
// the handler has committed its write by then.
type positionWriter struct {
	http.ResponseWriter
	r         *http.Request
	positions Positions
	done      bool
}

func (w *positionWriter) WriteHeader(code int) {
	w.stamp(code)
	w.ResponseWriter.WriteHeader(code)
}

func (w *positionWriter) Write(b []byte) (int, error) {
	w.stamp(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush underneath.
func (w *positionWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// stamp adds the position to an answer that may follow a write (below 400:
// a refused request wrote nothing).
func (w *positionWriter) stamp(code int) {
	if w.done {
		return
	}
	w.done = true
	if code >= http.StatusBadRequest {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.r.Context()), time.Second)
	defer cancel()
	pos, err := w.positions(ctx)
	if err != nil {
		slog.Warn("replica: no WAL position for a write's answer; its reads go to the primary", "err", err)
		pos = Unknown
	}
	v := pos.String()
	w.Header().Set(Header, v)
	http.SetCookie(w, &http.Cookie{Name: Cookie, Value: v, Path: "/", MaxAge: int(CookieAge / time.Second),
		HttpOnly: true, Secure: w.r.TLS != nil, SameSite: http.SameSiteLaxMode})
}
