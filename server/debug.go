package server

import (
	"context"
	"net/http"
	"net/http/pprof"

	"citymap/server/access"
	"citymap/server/auth"
	"citymap/server/respond"
	"citymap/server/routes"
)

// routeDebug serves Go's profiles (net/http/pprof) under /debug/pprof/ to
// city-wide admin tokens only: they show the code, its memory and its command
// line, which no area scope can narrow, and a CPU profile or trace costs the
// instance while it runs.
func (s *Server) routeDebug(context.Context) (func(), error) {
	admin := func(pattern string, h http.HandlerFunc) routes.Route {
		return routes.For(pattern, cityWide(h), "", access.Admins)
	}
	s.mux.Add(
		admin("GET /debug/pprof/", pprof.Index), // heap, goroutine, allocs, block, mutex…
		admin("GET /debug/pprof/cmdline", pprof.Cmdline),
		admin("GET /debug/pprof/profile", pprof.Profile),
		admin("GET /debug/pprof/symbol", pprof.Symbol),
		admin("POST /debug/pprof/symbol", pprof.Symbol), // as go tool pprof asks
		admin("GET /debug/pprof/trace", pprof.Trace))
	return nil, nil
}

// cityWide runs h for a token without an area scope only.
func cityWide(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if len(auth.From(r.Context()).Areas) > 0 {
			respond.Fail(w, r, respond.ErrForbidden)
			return
		}
		h(w, r)
	}
}
