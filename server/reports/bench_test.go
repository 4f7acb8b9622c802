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
	"citymap/server/auth"
	"citymap/server/store"
)

// EnvBenchURL names the database BenchmarkReports reads: the demo city at scale
// 20 (about a million issues), which scripts/bench-reports.sh builds once and
// reuses. The benchmark only reads, so it runs on that database itself rather
// than on a clone.
const EnvBenchURL = "CITYMAP_BENCH_DATABASE_URL"

// BenchmarkReports answers each report end to end through the HTTP handler
// (token, parameters, SQL, encoding) for the last month of the data, the range
// a planner asks for most. The target is under a second each at scale 20.
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
	srv := server.New(server.Config{DataDir: b.TempDir()}, st)
	defer srv.Close()
	h := srv.Handler()
	for _, c := range benchCases(b, st) {
		b.Run(c.name, func(b *testing.B) {
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

type benchCase struct{ name, path string }

// benchCases are the reports over the month before the data's last day.
func benchCases(b *testing.B, st *store.Store) []benchCase {
	var last time.Time
	if err := st.Pool.QueryRow(context.Background(), `SELECT date_trunc('day', max(created_at)) FROM issues`).Scan(&last); err != nil {
		b.Fatal(err)
	}
	month := url.Values{"from": {last.AddDate(0, -1, 0).Format(time.RFC3339)}, "to": {last.Format(time.RFC3339)}}.Encode()
	r := "/api/v1/reports/"
	return []benchCase{
		{"areas/street", r + "areas?level=street&" + month},
		{"areas/grid.geojson", r + "areas?level=grid&format=geojson&" + month},
		{"areas/community.csv", r + "areas?level=community&format=csv&" + month},
		{"hotspots/hexagon500", r + "hotspots?size=500&" + month},
		{"hotspots/hexagon100.geojson", r + "hotspots?size=100&format=geojson&" + month},
		{"hotspots/grid", r + "hotspots?by=grid&" + month},
		{"categories", r + "categories?" + month},
		{"trends/day", r + "trends?interval=day&" + month},
		{"trends/week-category", r + "trends?interval=week&category=exposed_garbage&" + month},
		{"redblack/points", r + "redblack?entity=points&" + month},
		{"redblack/units-closure", r + "redblack?entity=units&metric=closure_rate&" + month},
		{"redblack/communities-ontime", r + "redblack?entity=areas&level=community&metric=on_time_rate&" + month},
		{"parking/hour", r + "parking?" + month},
		{"parking/zone", r + "parking?by=zone&" + month},
		{"points/overdue", "/api/v1/points/overdue"},
		{"inspections/list", "/api/v1/inspections?limit=100"},
	}
}

// benchToken creates an admin token for the run; remove deletes it, so that
// runs leave the database as they found it.
func benchToken(b *testing.B, st *store.Store) (token string, remove func()) {
	tok, hash, err := auth.NewToken()
	if err != nil {
		b.Fatal(err)
	}
	name := "bench-reports-" + time.Now().Format("150405.000000")
	if _, err := st.CreateToken(context.Background(), name, auth.Admin, nil, hash, nil); err != nil {
		b.Fatal(err)
	}
	return tok, func() {
		_, _ = st.Pool.Exec(context.Background(), `DELETE FROM api_tokens WHERE name = $1`, name)
	}
}
