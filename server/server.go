// Package server assembles citymap's HTTP surface: it wires the packages that serve
// each part of the contract onto one mux, behind request logging.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"citymap/server/api"
	"citymap/server/auth"
	"citymap/server/bulletins"
	"citymap/server/compression"
	"citymap/server/inspections"
	"citymap/server/limit"
	"citymap/server/live"
	"citymap/server/ogc"
	"citymap/server/open311"
	"citymap/server/parking"
	"citymap/server/partitions"
	"citymap/server/reportcube"
	"citymap/server/reports"
	"citymap/server/respond"
	"citymap/server/routes"
	"citymap/server/store"
	"citymap/server/surveys"
	"citymap/server/tiles"
	"citymap/server/webhooks"
)

// Config is what an instance needs besides its database.
type Config struct {
	// DataDir holds uploaded photos.
	DataDir string
	// Live tunes the /live stream (retention, queue sizes).
	Live live.Config
	// MQTTURL is the broker of the parking sensor feed (mqtt://host:port);
	// empty leaves MQTT off. MQTTClientID names this instance's session there.
	MQTTURL, MQTTClientID string
	// MQTTTopicPrefix is the first level of the readings' topics; empty is
	// "citymap" (tests use one of their own on a shared broker).
	MQTTTopicPrefix string
	// Timezone is the city's, in which tidal parking windows are read; nil is
	// Asia/Shanghai.
	Timezone *time.Location
	// Tiles tunes the vector tiles: cache size, basemap (tileswire.go).
	Tiles tiles.Config
	// HTTP bounds slow and idle clients (httpserver.go).
	HTTP HTTPConfig
	// Limits bound the work served at once and its time (limitswire.go); the
	// zero value limits nothing, `citymap serve` sets limit.Defaults.
	Limits limit.Config
	// TaskRules is how often unfixed overdue findings become tasks (the
	// indicators' task rules, campaignwire.go); 0 leaves it to citymap tasks spawn.
	TaskRules time.Duration
	// Open311KeyedReads makes Open311's reads need a key too; by default only
	// its POST does, as GeoReport v2 has it.
	Open311KeyedReads bool
	// Webhooks tunes the deliveries to partner systems (webhookwire.go).
	Webhooks webhooks.Config
	// DeclarationChecks is how often the declarations owed are opened and
	// their reminders announced (declarationswire.go); 0 leaves it to
	// citymap declarations open.
	DeclarationChecks time.Duration
	// Clock is the declarations' and bulletins' clock (nil: time.Now); tests fix it.
	Clock func() time.Time
	// Surveys tunes the questionnaires' public answers (surveyswire.go).
	Surveys surveys.Config
	// BulletinChecks is how often the draft bulletins of the periods just
	// ended are prepared (bulletinswire.go); 0 leaves it to citymap
	// bulletins prepare. BulletinThresholds (zero: the defaults) decide the
	// accountability list; Chromium is the browser that prints their PDFs
	// ("" finds chromium on PATH).
	BulletinChecks     time.Duration
	BulletinThresholds bulletins.Thresholds
	Chromium           string
	// ReportCube keeps the issues in memory for the reports' evaluation
	// figures (reportcubewire.go); nil runs their SQL.
	ReportCube *reportcube.Config
	// Partitions tunes the upkeep of the month partitions (partitionswire.go).
	Partitions partitions.Config
}

// Server is one citymap instance.
type Server struct {
	cfg    Config
	store  *store.Store
	auth   *auth.Authenticator
	mux    *routes.Table    // every route, its roles and limit class
	obs    instrumentation  // /live and /metrics, livewire.go
	limits *limit.Limiter   // limitswire.go
	park   *parking.Parking // parkingwire.go
	tiles  *tiles.Tiles     // tileswire.go
	cube   *reportcube.Cube // reportcubewire.go
	// archiver reads pg_stat_archiver for /metrics and /readyz (archiverwire.go)
	archiver *archiver
	// stops are the started parts' stops, in the order they started
	stops []func()
}

// part is one piece of an instance. start registers its routes and starts
// its background work, with ctx bounding what it does before it returns;
// the stop it returns (nil: nothing to stop) ends that work.
type part struct {
	name  string
	start func(ctx context.Context) (stop func(), err error)
}

// parts are the instance's pieces in the order they start; each may use what
// the ones before it made. Close stops them in the reverse order.
func (s *Server) parts() []part {
	return []part{
		{"health", s.routeHealth},
		{"debug", s.routeDebug},
		{"webmap", s.routeWebmap},
		{"metrics and live", s.startLive}, // the registry the later parts measure with; the hub that follows the feed
		{"archiver", s.startArchiver},
		{"partitions", s.startPartitions}, // months ahead of the clock, their count in /metrics
		{"auth", s.startAuth},             // token changes close /live sockets
		{"limits", s.startLimits},
		{"tiles", s.startTiles},                    // the cache follows the hub
		{"replica metrics", s.startReplicaMetrics}, // the store's pools and the tile renderer's
		{"report cube", s.startReportCube},         // follows the hub
		{"api", s.startAPI},
		{"campaign", s.startCampaign},
		{"declarations", s.startDeclarations},
		{"surveys", s.startSurveys},
		{"bulletins", s.startBulletins},
		{"activities", s.startActivities},
		{"parking", s.startParking},
		{"webhooks", s.startWebhooks}, // woken by the hub
		{"calendar", s.startCalendar},
	}
}

// New builds the instance: its routes and its background work, in the order
// of parts. A part that cannot start stops the ones started before it, and
// New returns its error.
func New(ctx context.Context, cfg Config, st *store.Store) (*Server, error) {
	s := &Server{cfg: cfg, store: st, auth: auth.NewAuthenticator(st.TokenByHash)}
	s.mux = routes.New(s.auth.Require)
	for _, p := range s.parts() {
		stop, err := p.start(ctx)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
		if stop != nil {
			s.stops = append(s.stops, stop)
		}
	}
	return s, nil
}

// routeHealth serves the health checks.
func (s *Server) routeHealth(context.Context) (func(), error) {
	s.mux.Add(
		routes.Open("GET /healthz", http.HandlerFunc(s.healthz), ""),
		routes.Open("GET /readyz", http.HandlerFunc(s.readyz), ""))
	return nil, nil
}

// startAPI serves the REST API, OGC API – Features, Open311, the
// inspections and the reports: request handlers over the store, with no
// background work.
func (s *Server) startAPI(context.Context) (func(), error) {
	s.mux.Add(api.New(s.store, s.auth, s.cfg.DataDir).Routes()...)
	s.mux.Add(ogc.New(s.store, s.auth).Routes()...)
	o311 := open311.New(s.store, s.auth)
	o311.KeyedReads = s.cfg.Open311KeyedReads
	s.mux.Add(o311.Routes()...)
	s.mux.Add(inspections.New(s.store, s.auth).Routes()...)
	s.mux.Add(reports.New(s.store, s.auth).Routes()...)
	return nil, nil
}

// Routes lists the patterns of every route the instance serves.
func (s *Server) Routes() []string { return s.mux.Patterns() }

// RouteTable lists every route the instance serves, with its roles and limit
// class.
func (s *Server) RouteTable() []routes.Route { return s.mux.Routes() }

// Handler is the instance's HTTP handler: the request log, the metrics, the
// compression (so the log and the metrics see what goes on the wire), the
// security headers, text checks of the URL (cheap 400s before any waiting),
// the read-your-writes positions (replicawire.go), the limits, the routes.
func (s *Server) Handler() http.Handler {
	h := secureHeaders(respond.CheckURL(s.withPositions(s.limits.Wrap(s.mux))))
	if !s.cfg.HTTP.CompressOff {
		h = compression.Handler(h)
	}
	return logRequests(s.obs.http.Wrap(h))
}

// Close stops the instance's background work, the parts in the reverse order
// of their start.
func (s *Server) Close() {
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i]()
	}
	s.stops = nil
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	respond.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz says whether the instance can serve: its database answers with every
// migration, and its live stream follows the changes feed (an instance cut off
// from the feed would serve /live clients nothing). It shows the read
// replicas' lag too, but a replica down or behind leaves the instance ready:
// its reads go to the primary. A failing WAL archiver is mentioned, not
// counted against readiness either (archiverWarning).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	feed := s.obs.live.Feed()
	answer := map[string]any{"feed": feed}
	if replicas := s.store.Replicas(); replicas != nil {
		answer["replicas"] = replicas
	}
	notReady := func(msg string) {
		answer["error"] = respond.Errorf(http.StatusServiceUnavailable, "not_ready", msg)
		respond.JSON(w, http.StatusServiceUnavailable, answer)
	}
	if err := s.store.Ready(ctx); err != nil {
		notReady(err.Error())
		return
	}
	if !feed.Following {
		notReady("not following the changes feed: the live stream is reconnecting or behind")
		return
	}
	answer["status"] = "ready"
	if warn := s.archiverWarning(); warn != nil {
		answer["archiver"] = warn // ready all the same: archiverWarning says why
	}
	respond.JSON(w, http.StatusOK, answer)
}

// statusWriter remembers the status and size of an answer for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and Hijack underneath.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		level := slog.LevelInfo
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			level = slog.LevelDebug
		}
		slog.Log(r.Context(), level, "http", "method", r.Method, "path", r.URL.Path,
			"status", sw.status, "bytes", sw.bytes, "duration", time.Since(start))
	})
}
