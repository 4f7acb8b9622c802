// Package server assembles citymap's HTTP surface: it wires the packages that serve
// each part of the contract onto one mux, behind request logging.
package server

import (
	"context"
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
}

// Server is one citymap instance.
type Server struct {
	cfg    Config
	store  *store.Store
	auth   *auth.Authenticator
	mux    *routes.Recorder
	obs    instrumentation  // /live and /metrics, livewire.go
	limits *limit.Limiter   // limitswire.go
	park   *parking.Parking // parkingwire.go
	tiles  *tiles.Tiles     // tileswire.go
	// stopRules ends the task rules (campaignwire.go)
	stopRules func()
	hooks     *webhooks.Dispatcher // webhookwire.go
	// stopDeclarations ends the declarations' checks (declarationswire.go)
	stopDeclarations func()
	// stopCalendar ends the calendar's check (calendarwire.go)
	stopCalendar func()
	// stopBulletins ends the bulletins' scheduler (bulletinswire.go)
	stopBulletins func()
	cube          *reportcube.Cube // reportcubewire.go
}

// New builds the instance's routes.
func New(cfg Config, st *store.Store) *Server {
	s := &Server{cfg: cfg, store: st, auth: auth.NewAuthenticator(st.TokenByHash), mux: routes.NewRecorder()}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.routeDebug()
	s.routeWebmap()
	s.startLive()
	s.startAuth()
	s.startLimits()
	s.startTiles()
	s.startReplicaMetrics()
	s.startReportCube()
	api.New(st, s.auth, cfg.DataDir).Register(s.mux)
	ogc.New(st, s.auth).Register(s.mux)
	o311 := open311.New(st, s.auth)
	o311.KeyedReads = cfg.Open311KeyedReads
	o311.Register(s.mux)
	inspections.New(st, s.auth).Register(s.mux)
	reports.New(st, s.auth).Register(s.mux)
	s.startCampaign()
	s.startDeclarations()
	s.startSurveys()
	s.startBulletins()
	s.startActivities()
	s.startParking()
	s.startWebhooks()
	s.startCalendar()
	return s
}

// Routes lists the patterns of every route the instance serves.
func (s *Server) Routes() []string { return s.mux.Patterns() }

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

// Close stops the instance's background work.
func (s *Server) Close() {
	s.stopWebhooks()
	s.stopParking()
	s.stopReportCube()
	s.stopLive()
	s.stopTiles()
	s.stopAuth()
	s.stopRules()
	s.stopDeclarations()
	s.stopCalendar()
	s.stopBulletins()
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	respond.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz says whether the instance can serve: its database answers with every
// migration, and its live stream follows the changes feed (an instance cut off
// from the feed would serve /live clients nothing). It shows the read
// replicas' lag too, but a replica down or behind leaves the instance ready:
// its reads go to the primary.
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
