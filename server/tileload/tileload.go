// Package tileload is the load generator of the vector tiles (citymap load
// tiles). It fetches a fixed list of tiles, spread at random over the city at
// each zoom, from running servers and, for comparison, renders the same tiles
// with the single ST_AsMVT(ST_AsMVTGeom(...)) query that the common PostGIS
// tile servers issue, straight to PostgreSQL, fetches them from another tile
// server (a peer such as pg_tileserv, by URL template), and measures the bare
// HTTP round trip of a server (its /healthz) as the ceiling. Each mode runs
// with each number of concurrent clients for a fixed time; the report gives
// tiles per second and latency percentiles, overall and per zoom.
package tileload

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"citymap/server/store"
)

// Config describes one run.
type Config struct {
	// ColdURL is a server with its tile cache off (serve --tile-cache-mb 0):
	// every tile is rendered. WarmURL is one with its cache on, which the run
	// fills with the whole list before measuring. Either may be empty.
	ColdURL, WarmURL string
	Token            string
	// BaselineDSN is the database the servers use; when set, the baseline
	// query runs against it too, and with BaselineHTTP also served over HTTP
	// by a process of its own (this binary's BaselineServerCommand).
	BaselineDSN  string
	BaselineHTTP bool
	// PeerURL is another tile server's URL template: {z}, {x} and {y} are
	// the tile, {layer} the layer's name and {table} the table it reads (as
	// the baseline does), e.g. http://127.0.0.1:7800/public.{table}/{z}/{x}/{y}.pbf.
	// PeerName names its mode in the report.
	PeerURL, PeerName string
	// CeilingURL is fetched instead of each tile, with the same clients: a
	// server's cheapest answer (its /healthz), the most any tile can reach.
	CeilingURL string
	Layers     []string
	MinZoom    int
	MaxZoom    int
	// Concurrency lists the numbers of concurrent clients to run with.
	Concurrency []int
	// Duration is how long each mode runs with each concurrency.
	Duration     time.Duration
	TilesPerZoom int
	Seed         uint64
	// Runs repeats the whole run; the report gives the medians.
	Runs int
}

// tileRef is one tile of the list.
type tileRef struct {
	layer string
	tile  maptile.Tile
}

// fetcher gets one tile and says whether the server's cache answered.
type fetcher func(ctx context.Context, t tileRef) (hit bool, err error)

// Run performs the benchmark, printing progress to log.
func Run(ctx context.Context, cfg Config, log io.Writer) (*Report, error) {
	if cfg.ColdURL == "" && cfg.WarmURL == "" && cfg.BaselineDSN == "" {
		return nil, errors.New("give a server (--url, --warm-url) or a database (--baseline)")
	}
	if cfg.PeerURL != "" && !hasTilePlaceholders(cfg.PeerURL) {
		return nil, fmt.Errorf("peer URL %q: want {z}, {x} and {y} in it", cfg.PeerURL)
	}
	if cfg.Duration <= 0 || len(cfg.Concurrency) == 0 || cfg.TilesPerZoom <= 0 || cfg.MinZoom > cfg.MaxZoom {
		return nil, errors.New("duration, concurrency, tiles per zoom and zooms must make sense")
	}
	extent, err := cityBounds(ctx, cfg)
	if err != nil {
		return nil, err
	}
	var runs [][]Row
	for run := 1; run <= max(1, cfg.Runs); run++ {
		fmt.Fprintf(log, "run %d\n", run)
		var rows []Row
		for _, layer := range cfg.Layers {
			list := tileList(cfg, layer, extent)
			fmt.Fprintf(log, "%s: %d tiles, z%d–z%d over %v\n", layer, len(list), cfg.MinZoom, cfg.MaxZoom, extent)
			for _, m := range modes(cfg) {
				got, err := runMode(ctx, cfg, m, list, log)
				if err != nil {
					return nil, fmt.Errorf("%s %s: %w", layer, m.name, err)
				}
				for i := range got {
					got[i].Layer = layer
				}
				rows = append(rows, got...)
			}
		}
		runs = append(runs, rows)
	}
	rep := &Report{Duration: cfg.Duration, Runs: len(runs), Rows: medians(runs)}
	if cfg.PeerURL != "" {
		rep.Peer = peerName(cfg)
	}
	return rep, nil
}

// medians combines runs with the same rows, in the same order, into one row
// each of their medians.
func medians(runs [][]Row) []Row {
	out := make([]Row, len(runs[0]))
	for i := range out {
		rows := make([]Row, len(runs))
		for r := range runs {
			rows[r] = runs[r][i]
		}
		m := rows[0]
		m.Rate = median(rows, func(r Row) float64 { return r.Rate })
		m.P50 = time.Duration(median(rows, func(r Row) float64 { return float64(r.P50) }))
		m.P99 = time.Duration(median(rows, func(r Row) float64 { return float64(r.P99) }))
		m.ZoomP50 = map[int]time.Duration{}
		for z := range rows[0].ZoomP50 {
			m.ZoomP50[z] = time.Duration(median(rows, func(r Row) float64 { return float64(r.ZoomP50[z]) }))
		}
		for _, r := range rows[1:] {
			m.Tiles += r.Tiles
			m.Hits += r.Hits
			m.Errors += r.Errors
		}
		out[i] = m
	}
	return out
}

func median(rows []Row, f func(Row) float64) float64 {
	vs := make([]float64, len(rows))
	for i, r := range rows {
		vs[i] = f(r)
	}
	slices.Sort(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2]
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
}

// mode is one way of getting tiles.
type mode struct {
	name  string
	open  func(ctx context.Context, layer string, concurrency int) (fetcher, func(), error)
	warm  bool
	cache bool
}

func modes(cfg Config) []mode {
	var out []mode
	if cfg.BaselineDSN != "" {
		out = append(out, mode{name: "baseline", open: baselineFetcher(cfg.BaselineDSN)})
		if cfg.BaselineHTTP {
			out = append(out, mode{name: "baseline+http", open: baselineServer(cfg.BaselineDSN)})
		}
	}
	if cfg.PeerURL != "" {
		out = append(out, mode{name: peerName(cfg), open: httpFetcher(templateURL(cfg.PeerURL), "")})
	}
	if cfg.CeilingURL != "" {
		out = append(out, mode{name: CeilingMode, open: httpFetcher(func(tileRef) string { return cfg.CeilingURL }, cfg.Token)})
	}
	if cfg.ColdURL != "" {
		out = append(out, mode{name: "cache off", open: httpFetcher(citymapURL(cfg.ColdURL), cfg.Token)})
	}
	if cfg.WarmURL != "" {
		out = append(out, mode{name: "cache warm", open: httpFetcher(citymapURL(cfg.WarmURL), cfg.Token), warm: true, cache: true})
	}
	return out
}

func peerName(cfg Config) string { return cmp.Or(cfg.PeerName, "peer") }

// CeilingMode names the mode of Config.CeilingURL.
const CeilingMode = "http ceiling"

// citymapURL is where a citymap server at base serves a tile.
func citymapURL(base string) func(tileRef) string {
	return func(t tileRef) string {
		return fmt.Sprintf("%s/tiles/%s/%d/%d/%d.mvt", base, t.layer, t.tile.Z, t.tile.X, t.tile.Y)
	}
}

// templateURL fills a peer's URL template (Config.PeerURL) for a tile.
func templateURL(template string) func(tileRef) string {
	return func(t tileRef) string {
		return strings.NewReplacer("{layer}", t.layer, "{table}", baselineTables[t.layer],
			"{z}", strconv.Itoa(int(t.tile.Z)), "{x}", strconv.FormatUint(uint64(t.tile.X), 10),
			"{y}", strconv.FormatUint(uint64(t.tile.Y), 10)).Replace(template)
	}
}

func hasTilePlaceholders(template string) bool {
	for _, p := range []string{"{z}", "{x}", "{y}"} {
		if !strings.Contains(template, p) {
			return false
		}
	}
	return true
}

func runMode(ctx context.Context, cfg Config, m mode, list []tileRef, log io.Writer) ([]Row, error) {
	var rows []Row
	for _, n := range cfg.Concurrency {
		fetch, closeFn, err := m.open(ctx, list[0].layer, n)
		if err != nil {
			return nil, err
		}
		if m.warm {
			if err := warm(ctx, fetch, list); err != nil {
				closeFn()
				return nil, err
			}
		}
		row := measure(ctx, fetch, list, n, cfg.Duration)
		closeFn()
		row.Mode, row.Clients, row.Cached = m.name, n, m.cache
		fmt.Fprintf(log, "  %-10s %2d clients: %8.0f tiles/s  p50 %6.2f ms  p99 %7.2f ms  errors %d\n",
			m.name, n, row.Rate, ms(row.P50), ms(row.P99), row.Errors)
		rows = append(rows, row)
	}
	return rows, nil
}

// warm fetches every tile of the list once, eight at a time.
func warm(ctx context.Context, fetch fetcher, list []tileRef) error {
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(len(list)); i = next.Add(1) - 1 {
				if _, err := fetch(ctx, list[i]); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// measure runs n clients for d, each taking the next tile of the list in turn
// (cycling), and records every latency.
func measure(ctx context.Context, fetch fetcher, list []tileRef, n int, d time.Duration) Row {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var next atomic.Int64
	type sample struct {
		z       maptile.Zoom
		latency time.Duration
	}
	results := make([][]sample, n)
	var errs, hits atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t := list[(next.Add(1)-1)%int64(len(list))]
				begin := time.Now()
				hit, err := fetch(ctx, t)
				if ctx.Err() != nil {
					return // cut off by the end of the run: not a sample
				}
				if err != nil {
					errs.Add(1)
					continue
				}
				if hit {
					hits.Add(1)
				}
				results[w] = append(results[w], sample{t.tile.Z, time.Since(begin)})
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	byZoom := map[int][]time.Duration{}
	for _, rs := range results {
		for _, s := range rs {
			all = append(all, s.latency)
			byZoom[int(s.z)] = append(byZoom[int(s.z)], s.latency)
		}
	}
	row := Row{Tiles: len(all), Rate: float64(len(all)) / elapsed.Seconds(), Errors: int(errs.Load()),
		Hits: int(hits.Load()), P50: percentile(all, 0.5), P99: percentile(all, 0.99), ZoomP50: map[int]time.Duration{}}
	for z, ls := range byZoom {
		row.ZoomP50[z] = percentile(ls, 0.5)
	}
	return row
}

func percentile(ls []time.Duration, p float64) time.Duration {
	if len(ls) == 0 {
		return 0
	}
	s := slices.Clone(ls)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

// tileList picks TilesPerZoom tiles at each zoom under uniformly random points
// of the extent, the same for every mode and every run with the same seed.
func tileList(cfg Config, layer string, extent orb.Bound) []tileRef {
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x711e5))
	var out []tileRef
	for z := cfg.MinZoom; z <= cfg.MaxZoom; z++ {
		for range cfg.TilesPerZoom {
			p := orb.Point{
				extent.Min[0] + rng.Float64()*(extent.Max[0]-extent.Min[0]),
				extent.Min[1] + rng.Float64()*(extent.Max[1]-extent.Min[1]),
			}
			out = append(out, tileRef{layer, maptile.At(p, maptile.Zoom(z))})
		}
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// cityBounds reads the city's extent from a server's TileJSON, or from the
// database.
func cityBounds(ctx context.Context, cfg Config) (orb.Bound, error) {
	url := cfg.ColdURL
	if url == "" {
		url = cfg.WarmURL
	}
	if url == "" {
		st, err := store.Open(ctx, cfg.BaselineDSN)
		if err != nil {
			return orb.Bound{}, err
		}
		defer st.Close()
		return st.CityExtent(ctx)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/tiles/areas.json", nil)
	if err != nil {
		return orb.Bound{}, err
	}
	req.Header.Set("Authorization", "Bearer "+cfg.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return orb.Bound{}, err
	}
	defer res.Body.Close()
	var doc struct {
		Bounds [4]float64 `json:"bounds"`
	}
	if res.StatusCode != http.StatusOK {
		return orb.Bound{}, fmt.Errorf("%s/tiles/areas.json: %s", url, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		return orb.Bound{}, err
	}
	b := doc.Bounds
	return orb.Bound{Min: orb.Point{b[0], b[1]}, Max: orb.Point{b[2], b[3]}}, nil
}

// httpFetcher gets tiles from a server as a browser does: with the token, if
// any, in a header, accepting gzip, reading the whole body.
func httpFetcher(urlOf func(tileRef) string, token string) func(context.Context, string, int) (fetcher, func(), error) {
	return func(_ context.Context, _ string, n int) (fetcher, func(), error) {
		tr := &http.Transport{MaxIdleConns: n, MaxIdleConnsPerHost: n, DisableCompression: true}
		client := &http.Client{Transport: tr, Timeout: time.Minute}
		f := func(ctx context.Context, t tileRef) (bool, error) {
			url := urlOf(t)
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return false, err
			}
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			req.Header.Set("Accept-Encoding", "gzip")
			res, err := client.Do(req)
			if err != nil {
				return false, err
			}
			defer res.Body.Close()
			if _, err := io.Copy(io.Discard, res.Body); err != nil {
				return false, err
			}
			if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusNoContent {
				return false, fmt.Errorf("%s: %s", url, res.Status)
			}
			return res.Header.Get("X-Tile-Cache") == "hit", nil
		}
		return f, tr.CloseIdleConnections, nil
	}
}

// baselineTables are the tables the baseline publishes for each layer.
var baselineTables = map[string]string{"issues": "issues", "points": "points", "parking": "parking_zones",
	"areas": "areas", "grids": "areas"}

// baselineFetcher renders tiles with the common tile servers' query straight
// from PostgreSQL.
func baselineFetcher(dsn string) func(context.Context, string, int) (fetcher, func(), error) {
	return func(ctx context.Context, layer string, _ int) (fetcher, func(), error) {
		render, closeDB, err := baselineFetcherTiles(ctx, dsn, layer)
		if err != nil {
			return nil, nil, err
		}
		f := func(ctx context.Context, t tileRef) (bool, error) {
			_, err := render(ctx, uint32(t.tile.Z), t.tile.X, t.tile.Y)
			return false, err
		}
		return f, closeDB, nil
	}
}

// baselineFetcherTiles opens a pool of the default size, as the server's own,
// and the baseline query of layer's table.
func baselineFetcherTiles(ctx context.Context, dsn, layer string) (func(context.Context, uint32, uint32, uint32) ([]byte, error), func(), error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, nil, err
	}
	tiler, err := store.NewBaselineTiler(ctx, pool, baselineTables[layer])
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	render := func(ctx context.Context, z, x, y uint32) ([]byte, error) { return tiler.Render(ctx, pool, z, x, y) }
	return render, pool.Close, nil
}

// baselineServer fetches over HTTP from a separate process that serves the
// baseline query and nothing else, as a tile server without a cache or
// compression would (204 for an empty tile): the same hops (client, server,
// database, each its own process) that citymap's tiles pay, so that the two
// compare like for like. The process is this binary again (see ServeBaseline).
func baselineServer(dsn string) func(context.Context, string, int) (fetcher, func(), error) {
	return func(ctx context.Context, layer string, n int) (fetcher, func(), error) {
		self, err := os.Executable()
		if err != nil {
			return nil, nil, err
		}
		cmd := exec.Command(self, "load", BaselineServerCommand, "--layer", layer)
		cmd.Env = append(os.Environ(), "DATABASE_URL="+dsn)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, nil, err
		}
		stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
		var addr string
		if _, err := fmt.Fscanln(out, &addr); err != nil {
			stop()
			return nil, nil, fmt.Errorf("baseline server: %w", err)
		}
		fetch, closeHTTP, _ := httpFetcher(citymapURL("http://"+addr), "")(ctx, layer, n)
		return fetch, func() { closeHTTP(); stop() }, nil
	}
}

// BaselineServerCommand is the load subcommand that runs ServeBaseline.
const BaselineServerCommand = "tiles-baseline-server"

// ServeBaseline serves /tiles/{layer}/{z}/{x}/{y}.mvt of one layer with the
// baseline query on 127.0.0.1, printing its address on stdout, until ctx ends.
func ServeBaseline(ctx context.Context, dsn, layer string) error {
	render, closeDB, err := baselineFetcherTiles(ctx, dsn, layer)
	if err != nil {
		return err
	}
	defer closeDB()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var z, x, y uint32
		if _, err := fmt.Sscanf(r.URL.Path, "/tiles/"+layer+"/%d/%d/%d.mvt", &z, &x, &y); err != nil {
			http.NotFound(w, r)
			return
		}
		mvt, err := render(r.Context(), z, x, y)
		switch {
		case err != nil:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		case len(mvt) == 0:
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Content-Type", "application/vnd.mapbox-vector-tile")
			_, _ = w.Write(mvt)
		}
	})}
	fmt.Println(ln.Addr().String())
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
