package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/paulmach/orb"

	"citymap/server/liveload"
	"citymap/server/tileload"
)

func init() {
	register("load", "load generators for benchmarks (load live, load tiles)", runLoad)
}

func runLoad(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "tiles" {
		return loadTiles(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == tileload.BaselineServerCommand {
		return serveTileBaseline(ctx, args[1:])
	}
	if len(args) == 0 || args[0] != "live" {
		return errors.New("usage: citymap load live|tiles [flags]   (the live stream or the vector tiles; -h for flags)")
	}
	return loadLive(ctx, args[1:])
}

// loadLive runs the live-stream load test against a running server; the writer
// commits through DATABASE_URL, the server's database.
func loadLive(ctx context.Context, args []string) error {
	fs := newFlags("load live")
	var cfg liveload.Config
	fs.StringVar(&cfg.URL, "url", "ws://127.0.0.1:8080/live", "websocket URL of /live")
	fs.StringVar(&cfg.Token, "token", os.Getenv("CITYMAP_TOKEN"), "a viewer (or stronger) token, which every subscriber uses: the server's "+
		"--live-max-per-token must allow --subscribers sockets (env CITYMAP_TOKEN)")
	fs.IntVar(&cfg.Subscribers, "subscribers", 1000, "websocket subscribers")
	fs.Float64Var(&cfg.Rate, "rate", 100, "changes committed per second")
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "how long to write")
	fs.Float64Var(&cfg.BBoxKm, "bbox-size-km", 3, "side of each subscriber's box")
	fs.DurationVar(&cfg.Tick, "tick", 10*time.Millisecond, "the writer commits one transaction of the changes due every tick")
	fs.DurationVar(&cfg.Drain, "drain", 30*time.Second, "how long to wait for deliveries after writing")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "random seed of the boxes and the issues touched")
	extent := fs.String("extent", "", "w,s,e,n to spread boxes over (default: the districts' extent)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if cfg.Token == "" {
		return errors.New("--token is required (citymap token create --role viewer --name load)")
	}
	if *extent != "" {
		var w, s, e, n float64
		if _, err := fmt.Sscanf(*extent, "%g,%g,%g,%g", &w, &s, &e, &n); err != nil {
			return fmt.Errorf("--extent: %w", err)
		}
		cfg.Extent = orb.Bound{Min: orb.Point{w, s}, Max: orb.Point{e, n}}
	}
	fmt.Fprintf(os.Stderr, "open files: %d\n", raiseFileLimit())
	st, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := liveload.Run(ctx, st, cfg, os.Stderr)
	if err != nil {
		return err
	}
	r.Print(os.Stdout)
	if r.Missing > 0 {
		return fmt.Errorf("%d deliveries missing", r.Missing)
	}
	return nil
}
