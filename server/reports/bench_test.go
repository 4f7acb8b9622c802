package reports_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"
	"time"

	"citymap/server"
	"citymap/server/access"
	"citymap/server/auth"
	"citymap/server/period"
	"citymap/server/reportcube"
	"citymap/server/store"
	"citymap/server/table"
)

// EnvBenchURL names the database BenchmarkReports reads: the demo city at scale
// 20 (about a million issues), which scripts/bench-reports.sh builds once and
// reuses. The benchmark only reads, so it runs on that database itself rather
// than on a clone.
const EnvBenchURL = "CITYMAP_BENCH_DATABASE_URL"

// BenchmarkReports answers each report end to end through the HTTP handler
// (token, parameters, SQL, encoding) for the last month and the last year
// (366 days) of the data, those of evaluation figures and hexagons once with
// their SQL and once with the report cube, in the same run. The target is
// under 300 ms a report over a year at scale 20.
//
//	scripts/bench-reports.sh    (or: CITYMAP_BENCH_DATABASE_URL=… go test -run '^$' -bench Reports ./server/reports/)
func BenchmarkReports(b *testing.B) {
	dbURL := os.Getenv(EnvBenchURL)
	if dbURL == "" {
		b.Skipf("%s is not set: scripts/bench-reports.sh builds the scale-20 city and runs this benchmark", EnvBenchURL)
	}
	defer slog.SetLogLoggerLevel(slog.SetLogLoggerLevel(slog.LevelWarn))
	ctx := context.Background()
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	token, remove := benchToken(b, st)
	defer remove()
	cfg := reportcube.DefaultConfig
	srv, err := server.New(context.Background(), server.Config{DataDir: b.TempDir(), ReportCube: &cfg}, st)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	cube := waitCube(b, srv)
	h := srv.Handler()
	for _, c := range benchCases(b, st) {
		for _, path := range []string{"sql", "cube"} {
			if path == "cube" && !c.cube {
				continue
			}
			b.Run(c.name+"/"+path, func(b *testing.B) {
				st.Figures = nil
				if path == "cube" {
					st.Figures = cube
				}
				defer func() { st.Figures = cube }()
				var size int
				for b.Loop() {
					req := httptest.NewRequest("GET", c.path, nil)
					req.Header.Set("Authorization", "Bearer "+token)
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req)
					if w.Code != http.StatusOK {
						b.Fatalf("%s: %d %s", c.path, w.Code, w.Body.Bytes())
					}
					size = w.Body.Len()
				}
				b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/report")
				b.ReportMetric(float64(size), "bytes")
			})
		}
	}
	b.Run("year/hotspots/hexagon100.geojson/cube-cold", func(b *testing.B) {
		coldHexagons(b, dbURL, cube, 100)
	})
}

// coldHexagons measures the hotspot report of the last year in hexagons of
// edge size as GeoJSON on a store that keeps no shapes yet (the first such
// report of an instance): the store's report and its encoding, without the
// HTTP handler. Opening the store is not timed.
func coldHexagons(b *testing.B, dbURL string, cube *reportcube.Cube, size float64) {
	ctx := context.Background()
	var last time.Time
	var cells int
	for b.Loop() {
		b.StopTimer()
		st, err := store.Open(ctx, dbURL)
		if err != nil {
			b.Fatal(err)
		}
		st.Figures = cube
		if last.IsZero() {
			if err := st.Pool.QueryRow(ctx, `SELECT date_trunc('day', max(created_at)) FROM issues`).Scan(&last); err != nil {
				b.Fatal(err)
			}
		}
		f := store.ReportFilter{From: last.AddDate(0, 0, -366), To: last, Zone: period.ZoneName, Geometry: true}
		b.StartTimer()
		t, err := st.HexagonReport(ctx, size, f)
		if err == nil {
			err = table.Write(httptest.NewRecorder(), table.GeoJSON, t, "")
		}
		b.StopTimer()
		st.Close()
		if err != nil {
			b.Fatal(err)
		}
		cells = len(t.Rows)
		b.StartTimer()
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/report")
	b.ReportMetric(float64(cells), "cells")
}

// waitCube waits for the instance's report cube to load and reports what the
// load took.
func waitCube(b *testing.B, srv *server.Server) *reportcube.Cube {
	cube := srv.ReportCube()
	for {
		if ok, _ := cube.Loaded(); ok {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	s := cube.Stats()
	b.Logf("report cube: %d issues, %d events, loaded in %v, %d MB (%.0f bytes an issue)", s.Issues, s.Events,
		s.Load.Round(time.Millisecond), s.Bytes>>20, float64(s.Bytes)/float64(max(1, s.Issues)))
	return cube
}

// benchCase is one report; cube: whether it runs with the report cube too.
type benchCase struct {
	name, path string
	cube       bool
}

// benchCases are the reports over the month before the data's last day, and
// over the year (366 days) up to it; those of evaluation figures run with the
// report cube as well as with their SQL.
func benchCases(b *testing.B, st *store.Store) []benchCase {
	var last time.Time
	if err := st.Pool.QueryRow(context.Background(), `SELECT date_trunc('day', max(created_at)) FROM issues`).Scan(&last); err != nil {
		b.Fatal(err)
	}
	month := url.Values{"from": {last.AddDate(0, -1, 0).Format(time.RFC3339)}, "to": {last.Format(time.RFC3339)}}.Encode()
	year := url.Values{"from": {last.AddDate(0, 0, -366).Format(time.RFC3339)}, "to": {last.Format(time.RFC3339)}}.Encode()
	r := "/api/v1/reports/"
	var out []benchCase
	for _, span := range []struct{ name, q string }{{"month", month}, {"year", year}} {
		for _, c := range []benchCase{
			{"areas/street", r + "areas?level=street&", true},
			{"areas/grid.geojson", r + "areas?level=grid&format=geojson&", true},
			{"areas/community.csv", r + "areas?level=community&format=csv&", true},
			{"areas/district-category", r + "areas?level=district&category=exposed_garbage&", true},
			{"hotspots/hexagon500", r + "hotspots?size=500&", true},
			{"hotspots/hexagon100.geojson", r + "hotspots?size=100&format=geojson&", true},
			{"hotspots/hexagon2000", r + "hotspots?size=2000&", true},
			{"hotspots/grid", r + "hotspots?by=grid&", true},
			{"categories", r + "categories?", true},
			{"trends/day", r + "trends?interval=day&", true},
			{"trends/week-category", r + "trends?interval=week&category=exposed_garbage&", true},
			{"redblack/points", r + "redblack?entity=points&", false},
			{"redblack/units-closure", r + "redblack?entity=units&metric=closure_rate&", true},
			{"redblack/communities-ontime", r + "redblack?entity=areas&level=community&metric=on_time_rate&", true},
			{"redblack/units-score", r + "redblack?entity=units&metric=score&", false},
			{"units", r + "units?", true},
			{"parking/hour", r + "parking?", false},
			{"parking/zone", r + "parking?by=zone&", false},
			{"declarations", r + "declarations?", false},
			{"activities", r + "activities?", false},
		} {
			c.name, c.path = span.name+"/"+c.name, c.path+span.q
			out = append(out, c)
		}
	}
	return append(out, benchCase{"points/overdue", "/api/v1/points/overdue", false},
		benchCase{"inspections/list", "/api/v1/inspections?limit=100", false})
}

// benchToken creates an admin token for the run; remove deletes it, so that
// runs leave the database as they found it.
func benchToken(b *testing.B, st *store.Store) (token string, remove func()) {
	tok, hash, err := auth.NewToken()
	if err != nil {
		b.Fatal(err)
	}
	name := "bench-reports-" + time.Now().Format("150405.000000")
	if _, err := st.CreateToken(context.Background(), name, access.Admin, nil, hash, nil); err != nil {
		b.Fatal(err)
	}
	return tok, func() {
		_, _ = st.Pool.Exec(context.Background(), `DELETE FROM api_tokens WHERE name = $1`, name)
	}
}
