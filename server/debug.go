package server

import (
	"context"
	"net/http"
	"net/http/pprof"

	"citymap/server/auth"
	"citymap/server/respond"
)

// routeDebug serves Go's profiles (net/http/pprof) under /debug/pprof/ to
// city-wide admin tokens only: they show the code, its memory and its command
// line, which no area scope can narrow, and a CPU profile or trace costs the
// instance while it runs.
func (s *Server) routeDebug(context.Context) (func(), error) {
	admin := func(h http.HandlerFunc) http.Handler {
		return s.auth.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if len(auth.From(r.Context()).Areas) > 0 {
				respond.Fail(w, r, respond.ErrForbidden)
				return
			}
			h(w, r)
		}), auth.Admin)
	}
	s.mux.Handle("GET /debug/pprof/", admin(pprof.Index)) // heap, goroutine, allocs, block, mutex…
	s.mux.Handle("GET /debug/pprof/cmdline", admin(pprof.Cmdline))
	s.mux.Handle("GET /debug/pprof/profile", admin(pprof.Profile))
	s.mux.Handle("GET /debug/pprof/symbol", admin(pprof.Symbol))
	s.mux.Handle("POST /debug/pprof/symbol", admin(pprof.Symbol)) // as go tool pprof asks
	s.mux.Handle("GET /debug/pprof/trace", admin(pprof.Trace))
	return nil, nil
}
