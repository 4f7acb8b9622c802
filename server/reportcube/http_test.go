package reportcube_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"testing"
	"time"

	"citymap/server"
	"citymap/server/access"
	"citymap/server/apitest"
	"citymap/server/period"
	"citymap/server/reportcube"
	"citymap/server/store"
)

// cubeEnv starts an instance with a report cube, waits for it to load and
// adds the clock cases through the feed.
func cubeEnv(t *testing.T) (*apitest.Env, *reportcube.Cube, *world) {
	t.Helper()
	cfg := testConfig
	e := apitest.NewWith(t, server.Config{ReportCube: &cfg})
	c := e.Server.ReportCube()
	for ok, _ := c.Loaded(); !ok; ok, _ = c.Loaded() {
		time.Sleep(10 * time.Millisecond)
	}
	return e, c, addCases(t, e.Store, 20260602, 1500)
}

// fetch answers path for the token with the cube on or off, as raw bytes.
func fetch(t *testing.T, e *apitest.Env, c *reportcube.Cube, cube bool, path, token string) []byte {
	t.Helper()
	e.Store.Figures = nil
	if cube {
		e.Store.Figures = c
	}
	defer func() { e.Store.Figures = c }()
	req, _ := http.NewRequest("GET", e.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(res.Body); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", path, res.StatusCode, b.Bytes())
	}
	return b.Bytes()
}

// randomPath draws a report request of evaluation figures over a past range
// of the cases' window (so that both answers are judged at its end), in one
// of the formats the report offers.
func randomPath(r *rand.Rand, w *world) string {
	q := url.Values{}
	from := caseWindow.Add(time.Duration(r.Int64N(int64(caseDays * 24 * time.Hour)))).Truncate(time.Microsecond)
	to := from.Add(time.Duration(1 + r.Int64N(int64(60*24*time.Hour))))
	if r.IntN(2) == 0 {
		q.Set("from", from.In(period.Zone).Format("2006-01-02"))
		q.Set("to", to.In(period.Zone).Format("2006-01-02"))
	} else {
		q.Set("from", from.Format(time.RFC3339Nano))
		q.Set("to", to.Format(time.RFC3339Nano))
	}
	if r.IntN(3) == 0 {
		q.Set("category", w.categories[r.IntN(len(w.categories))])
	}
	if r.IntN(4) == 0 {
		q.Set("source", store.IssueSources[r.IntN(len(store.IssueSources))])
	}
	if r.IntN(3) == 0 {
		q.Set("area", w.grids[r.IntN(len(w.grids))][:6])
	}
	geo := []string{"json", "csv", "geojson"}
	flat := geo[:2]
	var path string
	switch r.IntN(7) {
	case 0:
		level := []string{"district", "street", "community", "grid"}[r.IntN(4)]
		q.Set("level", level)
		q.Set("format", geo[r.IntN(3)])
		path = "areas"
	case 1:
		q.Set("format", flat[r.IntN(2)])
		path = "categories"
	case 2:
		q.Set("interval", store.TrendIntervals[r.IntN(2)])
		q.Set("format", flat[r.IntN(2)])
		path = "trends"
	case 3:
		q.Set("by", "grid")
		q.Set("format", geo[r.IntN(3)])
		path = "hotspots"
	case 4:
		q.Set("size", fmt.Sprint(50+r.IntN(5000)))
		q.Set("format", geo[r.IntN(3)])
		path = "hotspots"
	case 5:
		q.Set("entity", []string{store.RankUnits, store.RankAreas}[r.IntN(2)])
		if q.Get("entity") == store.RankAreas {
			q.Set("level", []string{"street", "community", "grid"}[r.IntN(3)])
		}
		q.Set("metric", []string{store.MetricClosure, store.MetricOnTime, store.MetricRework}[r.IntN(3)])
		q.Set("format", flat[r.IntN(2)])
		path = "redblack"
	default:
		q.Set("format", flat[r.IntN(2)])
		path = "units"
	}
	return "/api/v1/reports/" + path + "?" + q.Encode()
}

// TestReportsOverHTTP compares whole answers (JSON, CSV, GeoJSON) with the
// cube and without it, for a planner and for grid managers of one and of
// several areas.
func TestReportsOverHTTP(t *testing.T) {
	e, c, w := cubeEnv(t)
	street := e.Community[:9]
	var other string
	e.Scan(`SELECT min(code) FROM areas WHERE level = 'community' AND left(code, 9) <> $1`, []any{street}, &other)
	tokens := map[string]string{
		"planner":      e.Tokens[access.Planner],
		"one area":     e.Token("cube-one", access.GridManager, []string{e.Community}),
		"several":      e.Token("cube-several", access.GridManager, []string{street, other, e.GridOut}),
		"a grid alone": e.Token("cube-grid", access.GridManager, []string{e.GridIn}),
	}
	r := rand.New(rand.NewPCG(11, 3))
	before, _ := c.Answers()
	for range 60 {
		path := randomPath(r, w)
		for who, token := range tokens {
			want := fetch(t, e, c, false, path, token)
			if got := fetch(t, e, c, true, path, token); !bytes.Equal(got, want) {
				t.Errorf("%s as %s:\n cube %s\n sql  %s", path, who, got, want)
			}
		}
	}
	if after, declined := c.Answers(); after-before < 100 || 10*declined > after-before {
		t.Errorf("the cube answered %d and declined %d", after-before, declined)
	}
}

// TestWriteReflected: a write the caller made is in the next report — a new
// issue in today's figures, a rejection in a past month's — and the cube,
// not the SQL, answered.
func TestWriteReflected(t *testing.T) {
	e, c, _ := cubeEnv(t)
	token := e.Tokens[access.Planner]
	today := "/api/v1/reports/categories?category=exposed_garbage&from=" +
		url.QueryEscape(time.Now().Add(-time.Hour).Format(time.RFC3339)) + "&to=" +
		url.QueryEscape(time.Now().Add(24*time.Hour).Format(time.RFC3339))
	count := func() float64 {
		var a struct{ Rows []map[string]any }
		e.Get(today, access.Planner).Decode(t, &a)
		return a.Rows[0]["new"].(float64)
	}
	n := count()
	lon, lat := e.PointIn(e.GridIn)
	e.Must(http.StatusCreated, "POST", "/api/v1/issues", access.Dispatcher, map[string]any{
		"category": "exposed_garbage", "source": "grid_patrol", "description": "cube write",
		"location": map[string]any{"type": "Point", "coordinates": []float64{lon, lat}}})
	if got := count(); got != n+1 {
		t.Errorf("new = %v after one more issue, want %v", got, n+1)
	}

	// an overdue case of the window, rejected now: no longer due in its month
	var id int64
	var month time.Time
	e.Scan(`SELECT id, date_trunc('month', created_at AT TIME ZONE 'Asia/Shanghai') FROM issues
		WHERE description = 'cube case' AND status = 'reported' AND extensions + suspensions = 0 AND grid_code IS NOT NULL
			AND deadline < date_trunc('month', created_at AT TIME ZONE 'Asia/Shanghai') + interval '1 month'
		ORDER BY id LIMIT 1`, nil, &id, &month)
	path := fmt.Sprintf("/api/v1/reports/areas?level=district&from=%s&to=%s", month.Format("2006-01-02"),
		month.AddDate(0, 1, -1).Format("2006-01-02"))
	before := fetch(t, e, c, true, path, token)
	e.Must(http.StatusOK, "POST", fmt.Sprintf("/api/v1/issues/%d/actions", id), access.Dispatcher,
		map[string]any{"action": "reject"})
	_, declinedBefore := c.Answers()
	after := fetch(t, e, c, true, path, token)
	if bytes.Equal(before, after) {
		t.Errorf("the rejection did not change %s", path)
	}
	if want := fetch(t, e, c, false, path, token); !bytes.Equal(after, want) {
		t.Errorf("after the rejection:\n cube %s\n sql  %s", after, want)
	}
	if _, declined := c.Answers(); declined != declinedBefore {
		t.Errorf("the cube declined a report right after a write")
	}
}
