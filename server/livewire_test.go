package server_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"citymap/server/apitest"
)

// TestMetricsExposition: an instance's /metrics, with every part's series and the
// Go runtime's and process's, is one exposition that Prometheus's parser reads.
func TestMetricsExposition(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	e.Must(http.StatusOK, "GET", "/healthz", "", nil) // a request to count
	r := e.Must(http.StatusOK, "GET", "/metrics", "", nil)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	for _, name := range []string{"citymap_http_requests_total", "citymap_live_subscribers",
		"citymap_live_slow_closed_total", "citymap_live_write_timeouts_total",
		"go_goroutines", "go_memstats_heap_inuse_bytes", "process_open_fds", "process_resident_memory_bytes"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}
