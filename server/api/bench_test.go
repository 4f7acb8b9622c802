package api_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"citymap/server/access"
)

// BenchmarkBatchIntake measures hotline batch intake end to end: HTTP, JSON,
// validation, grid assignment by point-in-polygon, issues, events and the
// changes feed, in issues per second. Points are spread over the grids' extent,
// so most land in a grid (and some in none, which costs the same lookup).
//
//	CITYMAP_TEST_DATABASE_URL=... CITYMAP_TEST_TEMPLATE=... \
//	  go test -run '^$' -bench BatchIntake -benchtime 20x ./server/api/
func BenchmarkBatchIntake(b *testing.B) {
	// a request log line per batch would interleave with the results
	defer slog.SetLogLoggerLevel(slog.SetLogLoggerLevel(slog.LevelWarn))
	for _, size := range []int{1000, 5000, 10000} {
		b.Run(fmt.Sprintf("items=%d", size), func(b *testing.B) {
			e := newEnv(b)
			var box [4]float64
			e.Scan(`SELECT ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x)
				FROM (SELECT ST_Extent(geom) AS x FROM areas WHERE level = 'grid') s`, nil, &box[0], &box[1], &box[2], &box[3])
			var categories []string
			rows, err := e.Store.Pool.Query(b.Context(), `SELECT code FROM issue_categories ORDER BY code`)
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
				var c string
				_ = rows.Scan(&c)
				categories = append(categories, c)
			}
			rnd := rand.New(rand.NewPCG(1, uint64(size)))
			var elapsed time.Duration
			for i := 0; b.Loop(); i++ {
				body := batchBody(rnd, box, categories, size, fmt.Sprintf("bench-%d-%d", size, i))
				start := time.Now()
				r := e.Call("POST", "/api/v1/issues/batch", access.Dispatcher, body)
				elapsed += time.Since(start)
				if r.Status != http.StatusOK {
					b.Fatalf("batch: %d %s", r.Status, r.Body)
				}
				var a batchAnswer
				if err := json.Unmarshal(r.Body, &a); err != nil || a.Created != size {
					b.Fatalf("batch created %d of %d: %v", a.Created, size, err)
				}
			}
			b.ReportMetric(float64(size*b.N)/elapsed.Seconds(), "issues/s")
		})
	}
}

// batchBody is a hotline batch of n items with unique external ids.
func batchBody(rnd *rand.Rand, box [4]float64, categories []string, n int, prefix string) []byte {
	items := make([]map[string]any, n)
	for i := range items {
		items[i] = map[string]any{
			"category":    categories[rnd.IntN(len(categories))],
			"source":      "hotline_12345",
			"external_id": fmt.Sprintf("%s-%d", prefix, i),
			"description": "市民来电反映：小区门口道路两侧有流动摊贩占道经营，影响通行，请相关部门处理。",
			"address":     "宜城街道人民南路与解放东路交叉口东北侧",
			"lon":         box[0] + rnd.Float64()*(box[2]-box[0]),
			"lat":         box[1] + rnd.Float64()*(box[3]-box[1]),
		}
	}
	body, _ := json.Marshal(map[string]any{"items": items})
	return body
}
