package server

import (
	"context"
	"log/slog"

	"citymap/server/limit"
)

// startLimits puts the request limits (Config.Limits) in front of the mux,
// with their metrics. A request's class is that of
// the route it matches (the route table); never limited are the health checks
// (/readyz must answer however busy the server is), /metrics, the /live
// stream (whose lifetime is not a request's), the web map's static files and
// requests that match no route.
func (s *Server) startLimits(context.Context) (func(), error) {
	s.limits = limit.New(s.cfg.Limits, s.mux.Class, s.obs.registry)
	c := s.cfg.Limits.Classes
	if busy := c[limit.Heavy].Concurrency + c[limit.Medium].Concurrency; busy > 0 &&
		int32(busy) >= s.store.Pool.Config().MaxConns {
		slog.Warn("limits: heavy and medium requests may take every database connection; "+
			"light ones (and writes) will wait behind them", "heavy+medium", busy,
			"pool_max_conns", s.store.Pool.Config().MaxConns)
	}
	return nil, nil
}
