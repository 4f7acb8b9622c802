package server

import (
	"context"
	"net/http"

	"citymap/server/respond"
	"citymap/server/routes"
	"citymap/webmap"
)

// routeWebmap serves the browser app's pages and assets without a token (they hold
// no data; the app asks for one), and answers every unknown path with the JSON 404.
// The pages may fetch from the configured basemap's origin (their CSP).
func (s *Server) routeWebmap(context.Context) (func(), error) {
	opt := webmap.Options{ConnectOrigins: s.cfg.Tiles.BasemapOrigins()}
	if s.cfg.Timezone != nil {
		opt.Timezone = s.cfg.Timezone.String()
	}
	app := webmap.Handler(opt)
	for path := range webmap.Pages {
		if path == "/" {
			path = "/{$}"
		}
		s.mux.Add(routes.Open("GET "+path, app, ""))
	}
	s.mux.Add(routes.Open("GET /assets/", app, ""),
		routes.Open("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			respond.Fail(w, r, respond.ErrNotFound)
		}), ""))
	return nil, nil
}
