package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"citymap/server/limit"
)

// startLimits puts the request limits (Config.Limits) in front of the mux,
// with their metrics.
func (s *Server) startLimits(context.Context) (func(), error) {
	s.limits = limit.New(s.cfg.Limits, classify, s.obs.registry)
	c := s.cfg.Limits.Classes
	if busy := c[limit.Heavy].Concurrency + c[limit.Medium].Concurrency; busy > 0 &&
		int32(busy) >= s.store.Pool.Config().MaxConns {
		slog.Warn("limits: heavy and medium requests may take every database connection; "+
			"light ones (and writes) will wait behind them", "heavy+medium", busy,
			"pool_max_conns", s.store.Pool.Config().MaxConns)
	}
	return nil, nil
}

// classify sorts requests by what they cost (limit.Heavy and so on; package
// limit says what each costs). Never limited: the health checks (/readyz must
// answer however busy the server is), /metrics, the /live stream (whose
// lifetime is not a request's) and the web map's static files.
func classify(r *http.Request) string {
	p, get := r.URL.Path, r.Method == http.MethodGet || r.Method == http.MethodHead
	switch {
	case p == "/healthz" || p == "/readyz" || p == "/metrics" || p == "/live":
		return ""
	case strings.HasPrefix(p, "/api/v1/reports/"), isBigBatch(r), isBulletinWork(r):
		return limit.Heavy
	case r.Method == http.MethodPost && (p == "/api/v1/photos" || p == "/api/v1/documents" ||
		strings.HasPrefix(p, "/api/v1/issues/") && strings.HasSuffix(p, "/photos")):
		return limit.Upload
	case get && (strings.HasPrefix(p, "/tiles/") || isOGCItems(p) || p == "/api/v1/issues" ||
		p == "/api/v1/inspections" || p == "/api/v1/points/overdue" || p == "/api/v1/parking/available" || p == "/api/v1/tasks" ||
		p == "/api/v1/declarations" || p == "/api/v1/activities" || p == "/open311/v2/requests.json" || p == "/open311/v2/requests.xml"):
		return limit.Medium
	case strings.HasPrefix(p, "/api/"), p == "/ogc" || strings.HasPrefix(p, "/ogc/"),
		strings.HasPrefix(p, "/open311/"), p == "/style.json", strings.HasPrefix(p, "/s/"):
		return limit.Light
	}
	return ""
}

// smallBatch is the body size up to which a batch is a light write: a
// sensor gateway's few readings, a hotline's few cases. Bigger ones (up to
// 10,000 issues, seconds of work) are heavy, as are those of unknown size.
const smallBatch = 64 << 10

// isBigBatch reports whether r posts a batch of issues or parking readings
// that is not small.
func isBigBatch(r *http.Request) bool {
	return r.Method == http.MethodPost && (r.URL.Path == "/api/v1/issues/batch" || r.URL.Path == "/api/v1/parking/occupancy") &&
		(r.ContentLength < 0 || r.ContentLength > smallBatch)
}

// isBulletinWork reports whether r assembles a bulletin from the reports
// (preview, freeze) or prints one with a browser (PDF).
func isBulletinWork(r *http.Request) bool {
	p := r.URL.Path
	return p == "/api/v1/bulletins/preview" || (r.Method == http.MethodPost && p == "/api/v1/bulletins") ||
		(strings.HasPrefix(p, "/api/v1/bulletins/") && strings.HasSuffix(p, ".pdf"))
}

// isOGCItems reports whether p is the items of an OGC collection (a page of
// features; one feature is a light read).
func isOGCItems(p string) bool {
	rest, ok := strings.CutPrefix(p, "/ogc/collections/")
	return ok && strings.Count(rest, "/") == 1 && strings.HasSuffix(rest, "/items")
}
