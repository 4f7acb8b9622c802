package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"citymap/server"
	"citymap/server/reportcube"
	"citymap/server/store"
	"citymap/server/surveys"
)

func init() {
	register("serve", "serve the web map and the APIs (migrates first)", runServe)
}

// shutdownGrace is how long in-flight requests get to finish after SIGTERM.
const shutdownGrace = 15 * time.Second

func runServe(ctx context.Context, args []string) error {
	fs := newFlags("serve")
	addr := fs.String("addr", envOr("CITYMAP_ADDR", ":8080"), "listen address (env CITYMAP_ADDR)")
	dataDir := fs.String("data-dir", envOr("CITYMAP_DATA_DIR", ".data"), "directory for uploaded photos (env CITYMAP_DATA_DIR)")
	liveOpts := addLiveFlags(fs)
	parkOpts := addParkingFlags(fs)
	tileOpts := addTileFlags(fs)
	httpOpts := addHTTPFlags(fs)
	limitOpts := addLimitFlags(fs)
	taskOpts := addTaskFlags(fs)
	surveyRate := fs.Float64("survey-rate", envFloat("CITYMAP_SURVEY_RATE", surveys.DefaultPerMinute),
		"answers a minute one client address may post to the public questionnaires; negative is no limit (env CITYMAP_SURVEY_RATE)")
	surveyForwarded := fs.Bool("survey-forwarded-for", envOr("CITYMAP_SURVEY_FORWARDED_FOR", "") == "true",
		"count the questionnaires' rate by the last X-Forwarded-For address (behind a load balancer; env CITYMAP_SURVEY_FORWARDED_FOR)")
	keyedEnv, keyedErr := strconv.ParseBool(envOr("CITYMAP_OPEN311_KEYED_READS", "false"))
	keyedReads := fs.Bool("open311-keyed-reads", keyedEnv,
		"Open311 reads (discovery, services, requests) need a key too; by default only POST does (env CITYMAP_OPEN311_KEYED_READS=true)")
	cubeEnv, cubeErr := strconv.ParseBool(envOr("CITYMAP_REPORT_CUBE", "true"))
	reportCube := fs.Bool("report-cube", cubeEnv,
		"keep the issues in memory for the reports' figures and hexagons (about 85 bytes an issue); false runs their SQL (env CITYMAP_REPORT_CUBE)")
	hookOpts := addWebhookFlags(fs)
	declOpts := addDeclarationFlags(fs)
	workHours := fs.String("work-hours", "", "the working day of working-hour deadlines, e.g. "+store.DefaultWorkHours+
		" (env CITYMAP_WORK_HOURS; default the database's citymap.work_hours, else "+store.DefaultWorkHours+")")
	bullOpts := addBulletinFlags(fs)
	replicaOpts := addReplicaFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if keyedErr != nil {
		return fmt.Errorf("CITYMAP_OPEN311_KEYED_READS: %w", keyedErr)
	}
	if cubeErr != nil {
		return fmt.Errorf("CITYMAP_REPORT_CUBE: %w", cubeErr)
	}
	var cubeCfg *reportcube.Config
	if *reportCube {
		cubeCfg = &reportcube.DefaultConfig
	}
	var workOpts []store.Option
	if *workHours != "" {
		spec, err := store.ParseWorkHours(*workHours)
		if err != nil {
			return fmt.Errorf("--work-hours: %w", err)
		}
		workOpts = append(workOpts, store.WorkHours(spec))
	}
	httpCfg, err := httpConfig(fs, httpOpts)
	if err != nil {
		return err
	}
	taskRules, err := taskOpts.interval(fs)
	if err != nil {
		return err
	}
	declChecks, err := declOpts.interval(fs)
	if err != nil {
		return err
	}
	bullChecks, bullTh, err := bullOpts.config(fs)
	if err != nil {
		return err
	}
	limits, err := limitOpts.config(fs)
	if err != nil {
		return err
	}
	tileCfg, err := tileOpts.config(fs)
	if err != nil {
		return err
	}
	cityTZ, err := parkOpts.location()
	if err != nil {
		return err
	}
	liveCfg, err := liveOpts.config(fs)
	if err != nil {
		return err
	}
	hookCfg, err := hookOpts.config(fs)
	if err != nil {
		return err
	}
	surveyCfg, err := surveyConfig(*dataDir, *surveyRate, *surveyForwarded)
	if err != nil {
		return err
	}
	replicaCfg, err := replicaOpts.config(fs)
	if err != nil {
		return err
	}
	slog.Debug("open file limit", "files", raiseFileLimit())
	st, err := openStore(ctx, append(workOpts, store.MaxConns(store.DefaultMaxConns),
		store.StatementTimeout(limitOpts.statementTimeout))...)
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) > 0 {
		slog.Info("migrated", "applied", applied)
	}
	if err := st.OpenReplicas(ctx, replicaCfg); err != nil {
		return err
	}
	srv, err := server.New(ctx, server.Config{DataDir: *dataDir, Live: liveCfg,
		MQTTURL: parkOpts.mqttURL, MQTTClientID: parkOpts.clientID, Timezone: cityTZ, Tiles: tileCfg,
		HTTP: httpCfg, Limits: limits, TaskRules: taskRules, Open311KeyedReads: *keyedReads,
		Webhooks: hookCfg, DeclarationChecks: declChecks, Surveys: surveyCfg,
		BulletinChecks: bullChecks, BulletinThresholds: bullTh, Chromium: *bullOpts.chromium,
		ReportCube: cubeCfg}, st)
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := srv.HTTPServer()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	slog.Info("serving", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// surveyConfig is the questionnaires' configuration: the secret of the
// respondents' keys from CITYMAP_SURVEY_SECRET, else kept in the data
// directory (made once), resolved now so that a data directory that cannot
// hold it stops serve.
func surveyConfig(dataDir string, perMinute float64, forwarded bool) (surveys.Config, error) {
	cfg := surveys.Config{Secret: os.Getenv("CITYMAP_SURVEY_SECRET"), DataDir: dataDir, PerMinute: perMinute,
		Burst: surveys.DefaultBurst, ForwardedFor: forwarded}
	secret, err := surveys.LoadSecret(cfg)
	if err != nil {
		return cfg, fmt.Errorf("survey secret: %w", err)
	}
	cfg.Secret = secret
	return cfg, nil
}

// envFloat is a number from the environment, def when unset or not a number.
func envFloat(key string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(key), 64); err == nil {
		return v
	}
	return def
}
