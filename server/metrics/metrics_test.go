package metrics

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func scrape(t *testing.T, r *Registry) string {
	t.Helper()
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
	return rec.Body.String()
}

func TestExposition(t *testing.T) {
	r := NewRegistry()
	c := r.Counter("b_total", "Things.\nSecond line.")
	c.Add(2)
	c.Inc()
	g := r.Gauge("a_depth", "Depth.")
	g.Set(5)
	g.Add(-1.5)
	r.GaugeFunc("c_now", "Computed.", func() float64 { return 7 })
	v := r.CounterVec("d_total", "By label.", "route", "code")
	v.With(`GET /x/{id}`, "200").Inc()
	v.With(`say "hi"\`, "500").Add(4)
	h := r.Histogram("e_seconds", "Latency.", []float64{0.1, 1})
	for _, x := range []float64{0.05, 0.1, 0.5, 3} {
		h.Observe(x)
	}
	want := `# HELP a_depth Depth.
# TYPE a_depth gauge
a_depth 3.5
# HELP b_total Things.\nSecond line.
# TYPE b_total counter
b_total 3
# HELP c_now Computed.
# TYPE c_now gauge
c_now 7
# HELP d_total By label.
# TYPE d_total counter
d_total{route="GET /x/{id}",code="200"} 1
d_total{route="say \"hi\"\\",code="500"} 4
# HELP e_seconds Latency.
# TYPE e_seconds histogram
e_seconds_bucket{le="0.1"} 2
e_seconds_bucket{le="1"} 3
e_seconds_bucket{le="+Inf"} 4
e_seconds_sum 3.65
e_seconds_count 4
`
	if got := scrape(t, r); got != want {
		t.Errorf("exposition:\n%s\nwant:\n%s", got, want)
	}
}

func TestDuplicateNamePanics(t *testing.T) {
	r := NewRegistry()
	r.Counter("x_total", "")
	defer func() {
		if recover() == nil {
			t.Error("registering x_total twice did not panic")
		}
	}()
	r.Gauge("x_total", "")
}

// respond404 is what net/http's ServeMux answers an unknown path with.
const respond404 = "404 page not found\n"

func TestHTTPByPattern(t *testing.T) {
	r := NewRegistry()
	m := NewHTTP(r)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, "tea")
	})
	mux.HandleFunc("GET /coded", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = io.WriteString(w, "12345")
	})
	ts := httptest.NewServer(m.Wrap(mux))
	defer ts.Close()
	for _, path := range []string{"/items/1", "/items/2", "/nowhere", "/coded"} {
		res, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	out := scrape(t, r)
	for _, line := range []string{
		`citymap_http_requests_total{route="GET /items/{id}",code="418"} 2`,
		`citymap_http_requests_total{route="unmatched",code="404"} 1`,
		`citymap_http_request_duration_seconds_count{route="GET /items/{id}"} 2`,
		fmt.Sprintf(`citymap_http_response_bytes_total{coding="identity"} %d`, 2*len("tea")+len(respond404)),
		`citymap_http_response_bytes_total{coding="gzip"} 5`,
	} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("exposition lacks %q:\n%s", line, out)
		}
	}
}

// TestRuntime: the client library's Go runtime and process series follow the
// registry's own, and the whole is one exposition that Prometheus's own text
// parser reads (a family twice, or a malformed line, would fail it).
func TestRuntime(t *testing.T) {
	r := NewRegistry()
	r.Counter("a_total", "Things.").Inc()
	r.HistogramVec("b_seconds", "Latency.", []float64{1}, "route").With("GET /x").Observe(0.5)
	r.AddRuntime()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(scrape(t, r)))
	if err != nil {
		t.Fatalf("the exposition does not parse: %v", err)
	}
	for _, name := range []string{"a_total", "b_seconds", "go_goroutines", "go_memstats_heap_alloc_bytes",
		"go_gc_duration_seconds", "process_open_fds", "process_max_fds", "process_resident_memory_bytes"} {
		f, ok := fams[name]
		if !ok || len(f.GetMetric()) == 0 {
			t.Errorf("no %s", name)
		}
	}
	if g := fams["go_goroutines"].GetMetric()[0].GetGauge().GetValue(); g < 1 {
		t.Errorf("go_goroutines %v", g)
	}
}

// TestVecFuncs: series listed at scrape time, sorted by their labels, and
// gone when their owner no longer lists them.
func TestVecFuncs(t *testing.T) {
	r := NewRegistry()
	pools := []Sample{{Labels: []string{"replica", "tiles"}, Value: 3}, {Labels: []string{"primary", "queries"}, Value: 20}}
	r.GaugeVecFunc("f_connections", "Pools.", func() []Sample { return pools }, "server", "pool")
	r.CounterVecFunc("g_total", "Reads.", func() []Sample { return []Sample{{Labels: []string{"primary"}, Value: 2}} }, "server")
	want := `# HELP f_connections Pools.
# TYPE f_connections gauge
f_connections{server="primary",pool="queries"} 20
f_connections{server="replica",pool="tiles"} 3
# HELP g_total Reads.
# TYPE g_total counter
g_total{server="primary"} 2
`
	if got := scrape(t, r); got != want {
		t.Errorf("exposition:\n%s\nwant:\n%s", got, want)
	}
	pools = pools[1:]
	if got := scrape(t, r); strings.Contains(got, `"replica"`) {
		t.Errorf("a series its owner dropped is still there:\n%s", got)
	}
}
