package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"citymap/server/tileload"
)

// loadTiles runs the vector tile benchmark against running servers and, with
// --baseline, the common tile servers' query against their database, with
// --peer-url another tile server, with --ceiling-url the bare HTTP ceiling.
func loadTiles(ctx context.Context, args []string) error {
	fs := newFlags("load tiles")
	var cfg tileload.Config
	fs.StringVar(&cfg.ColdURL, "url", "", "a server with its tile cache off (serve --tile-cache-mb 0), e.g. http://127.0.0.1:8080")
	fs.StringVar(&cfg.WarmURL, "warm-url", "", "a server with its tile cache on, filled before it is measured")
	fs.StringVar(&cfg.Token, "token", os.Getenv("CITYMAP_TOKEN"), "a viewer (or stronger) token (env CITYMAP_TOKEN)")
	fs.StringVar(&cfg.BaselineDSN, "baseline", "", "the servers' database: also run the plain ST_AsMVT(ST_AsMVTGeom(...)) query there")
	fs.BoolVar(&cfg.BaselineHTTP, "baseline-http", true,
		"with --baseline, also serve that query over HTTP from a process of its own (baseline+http)")
	fs.StringVar(&cfg.PeerURL, "peer-url", "",
		"another tile server to measure, as a URL template of {z}, {x}, {y} and {layer} or {table} (the layer's table), "+
			"e.g. http://127.0.0.1:7800/public.{table}/{z}/{x}/{y}.pbf for pg_tileserv")
	fs.StringVar(&cfg.PeerName, "peer-name", "peer", "the name of --peer-url's mode in the report")
	fs.StringVar(&cfg.CeilingURL, "ceiling-url", "",
		"a URL fetched instead of each tile with the same clients, the bare HTTP ceiling, e.g. http://127.0.0.1:8080/healthz")
	layers := fs.String("layers", "issues,points", "comma-separated tile layers")
	zooms := fs.String("zooms", "12-16", "zoom range")
	conc := fs.String("concurrency", "1,32", "comma-separated numbers of concurrent clients")
	fs.DurationVar(&cfg.Duration, "duration", 20*time.Second, "how long each mode runs with each concurrency")
	fs.IntVar(&cfg.TilesPerZoom, "tiles-per-zoom", 200, "tiles picked at random over the city at each zoom")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "random seed of the tile list")
	fs.IntVar(&cfg.Runs, "runs", 1, "repeat the whole run; the table gives the medians")
	if err := parse(fs, args); err != nil {
		return err
	}
	if (cfg.ColdURL != "" || cfg.WarmURL != "") && cfg.Token == "" {
		return errors.New("--token is required (citymap token create --role viewer --name load)")
	}
	if _, err := fmt.Sscanf(*zooms, "%d-%d", &cfg.MinZoom, &cfg.MaxZoom); err != nil {
		return fmt.Errorf("--zooms: want MIN-MAX, e.g. 12-16")
	}
	cfg.Layers = trimAll(*layers)
	for _, c := range trimAll(*conc) {
		n, err := strconv.Atoi(c)
		if err != nil || n <= 0 {
			return fmt.Errorf("--concurrency: %q is not a positive number", c)
		}
		cfg.Concurrency = append(cfg.Concurrency, n)
	}
	r, err := tileload.Run(ctx, cfg, os.Stderr)
	if err != nil {
		return err
	}
	fmt.Printf("citymap load tiles --zooms %s --concurrency %s --duration %s --tiles-per-zoom %d --runs %d (%s): medians\n\n",
		*zooms, *conc, cfg.Duration, cfg.TilesPerZoom, r.Runs, strings.Join(cfg.Layers, ", "))
	r.Print(os.Stdout)
	return nil
}

// serveTileBaseline is the baseline tile server that load tiles starts as a
// process of its own; its database is DATABASE_URL.
func serveTileBaseline(ctx context.Context, args []string) error {
	fs := newFlags("load " + tileload.BaselineServerCommand)
	layer := fs.String("layer", "issues", "the layer to serve")
	if err := parse(fs, args); err != nil {
		return err
	}
	return tileload.ServeBaseline(ctx, os.Getenv("DATABASE_URL"), *layer)
}
