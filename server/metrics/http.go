package metrics

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"
)

// HTTP measures the requests an instance serves, by route pattern.
type HTTP struct {
	duration  HistogramVec
	requests  CounterVec
	bytes     CounterVec
	cancelled CounterVec
}

// NewHTTP registers the request metrics in r.
func NewHTTP(r *Registry) *HTTP {
	return &HTTP{
		duration: r.HistogramVec("citymap_http_request_duration_seconds",
			"Time to answer an HTTP request, by route pattern (websockets excluded).",
			DefaultBuckets, "route"),
		requests: r.CounterVec("citymap_http_requests_total",
			"HTTP requests answered, by route pattern and status code.", "route", "code"),
		bytes: r.CounterVec("citymap_http_response_bytes_total",
			"Bytes of answer bodies sent, by content coding (identity, gzip, zstd).", "coding"),
		cancelled: r.CounterVec("citymap_http_requests_cancelled_total",
			"HTTP requests whose client went away before the answer was done (recorded with code 499 "+
				"when nothing had been sent yet), by route pattern: cancelled map tiles and downloads, "+
				"not server errors.", "route"),
	}
}

// Wrap measures next. It labels each request with the ServeMux pattern that
// matched it (Request.Pattern, which the mux sets on the request it is given), so
// the label set stays as small as the route table; unmatched requests share one.
func (m *HTTP) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		m.requests.With(route, strconv.Itoa(status)).Inc()
		coding := rec.Header().Get("Content-Encoding")
		if coding == "" {
			coding = "identity"
		}
		m.bytes.With(coding).Add(float64(rec.bytes))
		if errors.Is(r.Context().Err(), context.Canceled) {
			m.cancelled.With(route).Inc()
		}
		if status != http.StatusSwitchingProtocols { // a websocket's duration is its lifetime
			m.duration.With(route).Observe(time.Since(start).Seconds())
		}
	})
}

// recorder remembers the status and the body size of an answer.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and the like underneath.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack hands the connection to a websocket upgrader, which asserts
// http.Hijacker on the writer it is given rather than unwrapping it.
func (w *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.status = http.StatusSwitchingProtocols
	}
	return conn, rw, err
}
