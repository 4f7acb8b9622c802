package server

import (
	"bufio"
	"context"
	"net"
	"net/http"

	"citymap/server/live"
	"citymap/server/metrics"
	"citymap/server/routes"
)

// instrumentation is what an instance measures and streams: /metrics and /live.
type instrumentation struct {
	registry *metrics.Registry
	http     *metrics.HTTP
	live     *live.Hub
}

// startLive registers the instance's metrics and starts its live stream, which
// Close stops. /metrics shows counters and gauges only, nothing about who is
// connected or what changed, so it is open like /healthz. The Go runtime's and the
// process's series (goroutines, heap, file descriptors) come with citymap's own.
func (s *Server) startLive(context.Context) (func(), error) {
	reg := metrics.NewRegistry()
	reg.AddRuntime()
	s.obs = instrumentation{registry: reg, http: metrics.NewHTTP(reg),
		live: live.New(s.cfg.Live, s.store, s.auth, reg)}
	// the stream's lifetime is not a request's: it is never limited
	s.mux.Add(routes.Checked("GET /live", s.obs.live, ""),
		routes.Open("GET /metrics", reg.Handler(), ""))
	s.obs.live.Start()
	// closing every stream tells each client where to resume
	return s.obs.live.Close, nil
}

// Hijack lets the websocket upgrade of /live through the request log: the
// upgrader asserts http.Hijacker on the writer it is given.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil && w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return conn, rw, err
}
