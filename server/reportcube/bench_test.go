package reportcube_test

import (
	"context"
	"os"
	"testing"
	"time"

	"citymap/server/period"
	"citymap/server/reportcube"
	"citymap/server/store"
)

// BenchmarkFigures computes a year's figures by street in the cube of the
// database CITYMAP_BENCH_DATABASE_URL names (scripts/bench-reports.sh builds
// the scale-20 city), without the SQL that shapes a report.
func BenchmarkFigures(b *testing.B) {
	url := os.Getenv("CITYMAP_BENCH_DATABASE_URL")
	if url == "" {
		b.Skip("CITYMAP_BENCH_DATABASE_URL is not set")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	c := reportcube.New(st, reportcube.DefaultConfig)
	c.Start()
	defer c.Close()
	for ok, _ := c.Loaded(); !ok; ok, _ = c.Loaded() {
		time.Sleep(20 * time.Millisecond)
	}
	s := c.Stats()
	b.Logf("%d issues, %d events, loaded in %v, %d bytes (%.1f an issue)", s.Issues, s.Events, s.Load, s.Bytes,
		float64(s.Bytes)/float64(s.Issues))
	var last time.Time
	if err := st.Pool.QueryRow(ctx, `SELECT date_trunc('day', max(created_at)) FROM issues`).Scan(&last); err != nil {
		b.Fatal(err)
	}
	f := store.ReportFilter{From: last.AddDate(0, 0, -366), To: last, At: last, Zone: period.ZoneName}
	for _, key := range []store.FigureKey{{By: store.ByGrid, Digits: 9}, {By: store.ByCategory}} {
		b.Run(key.By, func(b *testing.B) {
			for b.Loop() {
				if _, ok := c.Figures(ctx, f, key); !ok {
					b.Fatal("the cube declined")
				}
			}
		})
	}
}
