// Package metrics is a small registry of counters, gauges and histograms that it
// exposes in the Prometheus text format (version 0.0.4) at GET /metrics. It has
// just what citymap measures; the Go runtime's and the process's standard series
// come from the Prometheus client library's collectors (AddRuntime), written
// after citymap's own in the same format.
package metrics

import (
	"bufio"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"
)

// Registry holds an instance's metrics.
type Registry struct {
	mu       sync.Mutex
	families map[string]*family
	// gathered are the client library's families, exposed after the registry's
	gathered []prometheus.Gatherer
}

// AddRuntime exposes the standard go_* and process_* series of the Prometheus
// client library: goroutines, heap and GC, open and maximum file descriptors,
// resident memory, CPU time.
func (r *Registry) AddRuntime() {
	g := prometheus.NewRegistry()
	g.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gathered = append(r.gathered, g)
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{families: map[string]*family{}} }

// family is one metric name with its series, one per combination of label values.
type family struct {
	name, help, kind string
	labels           []string
	buckets          []float64 // histograms only
	mu               sync.Mutex
	series           map[string]*series // by encoded label values
	fn               func() float64     // a value computed at scrape time
	samples          func() []Sample    // series computed at scrape time
}

// Sample is one series that a function registered with GaugeVecFunc or
// CounterVecFunc lists at a scrape: its label values, in the order of the
// names, and its value.
type Sample struct {
	Labels []string
	Value  float64
}

type series struct {
	labels string // rendered {a="x",b="y"}, or ""
	value  atomicFloat
	counts []atomic.Uint64 // histogram buckets, not cumulative
	count  atomic.Uint64
}

// atomicFloat is a float64 updated without locks.
type atomicFloat struct{ bits atomic.Uint64 }

func (f *atomicFloat) Load() float64   { return math.Float64frombits(f.bits.Load()) }
func (f *atomicFloat) Store(v float64) { f.bits.Store(math.Float64bits(v)) }
func (f *atomicFloat) Add(d float64) {
	for {
		old := f.bits.Load()
		if f.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+d)) {
			return
		}
	}
}

func (r *Registry) add(f *family) *family {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.families[f.name]; dup {
		panic("metrics: " + f.name + " registered twice")
	}
	f.series = map[string]*series{}
	r.families[f.name] = f
	return f
}

// Counter only goes up.
type Counter struct{ s *series }

// Add adds d, which must not be negative.
func (c Counter) Add(d float64) { c.s.value.Add(d) }

// Inc adds one.
func (c Counter) Inc() { c.s.value.Add(1) }

// Gauge goes up and down.
type Gauge struct{ s *series }

// Set sets the value.
func (g Gauge) Set(v float64) { g.s.value.Store(v) }

// Add adds d.
func (g Gauge) Add(d float64) { g.s.value.Add(d) }

// Histogram counts observations into buckets.
type Histogram struct {
	s       *series
	buckets []float64
}

// Observe records v.
func (h Histogram) Observe(v float64) {
	i, _ := slices.BinarySearch(h.buckets, v) // first bucket with le >= v
	if i < len(h.buckets) {
		h.s.counts[i].Add(1)
	}
	h.s.count.Add(1)
	h.s.value.Add(v)
}

// CounterVec is a counter with labels.
type CounterVec struct{ f *family }

// With returns the counter for these label values, in the order of the names.
func (v CounterVec) With(values ...string) Counter { return Counter{v.f.get(values)} }

// GaugeVec is a gauge with labels.
type GaugeVec struct{ f *family }

// With returns the gauge for these label values, in the order of the names.
func (v GaugeVec) With(values ...string) Gauge { return Gauge{v.f.get(values)} }

// HistogramVec is a histogram with labels.
type HistogramVec struct{ f *family }

// With returns the histogram for these label values, in the order of the names.
func (v HistogramVec) With(values ...string) Histogram {
	return Histogram{v.f.get(values), v.f.buckets}
}

// Counter registers a counter.
func (r *Registry) Counter(name, help string) Counter {
	return Counter{r.add(&family{name: name, help: help, kind: "counter"}).get(nil)}
}

// CounterVec registers a counter with labels.
func (r *Registry) CounterVec(name, help string, labels ...string) CounterVec {
	return CounterVec{r.add(&family{name: name, help: help, kind: "counter", labels: labels})}
}

// Gauge registers a gauge.
func (r *Registry) Gauge(name, help string) Gauge {
	return Gauge{r.add(&family{name: name, help: help, kind: "gauge"}).get(nil)}
}

// GaugeVec registers a gauge with labels.
func (r *Registry) GaugeVec(name, help string, labels ...string) GaugeVec {
	return GaugeVec{r.add(&family{name: name, help: help, kind: "gauge", labels: labels})}
}

// GaugeFunc registers a gauge whose value fn computes at each scrape.
func (r *Registry) GaugeFunc(name, help string, fn func() float64) {
	r.add(&family{name: name, help: help, kind: "gauge", fn: fn})
}

// CounterFunc registers a counter kept elsewhere that fn reads at each scrape.
func (r *Registry) CounterFunc(name, help string, fn func() float64) {
	r.add(&family{name: name, help: help, kind: "counter", fn: fn})
}

// GaugeVecFunc registers a gauge with labels whose series fn lists at each
// scrape (the connection pools, the replicas: a set that its owner knows).
func (r *Registry) GaugeVecFunc(name, help string, fn func() []Sample, labels ...string) {
	r.add(&family{name: name, help: help, kind: "gauge", labels: labels, samples: fn})
}

// CounterVecFunc registers a counter with labels kept elsewhere, whose series
// fn lists at each scrape.
func (r *Registry) CounterVecFunc(name, help string, fn func() []Sample, labels ...string) {
	r.add(&family{name: name, help: help, kind: "counter", labels: labels, samples: fn})
}

// Histogram registers a histogram with these upper bounds (ascending).
func (r *Registry) Histogram(name, help string, buckets []float64) Histogram {
	return r.HistogramVec(name, help, buckets).With()
}

// HistogramVec registers a histogram with labels.
func (r *Registry) HistogramVec(name, help string, buckets []float64, labels ...string) HistogramVec {
	if !slices.IsSorted(buckets) {
		panic("metrics: buckets of " + name + " are not ascending")
	}
	return HistogramVec{r.add(&family{name: name, help: help, kind: "histogram",
		labels: labels, buckets: slices.Clone(buckets)})}
}

// DefaultBuckets suit request latencies in seconds.
var DefaultBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

func (f *family) get(values []string) *series {
	if len(values) != len(f.labels) {
		panic(fmt.Sprintf("metrics: %s takes %d label values, got %d", f.name, len(f.labels), len(values)))
	}
	key := strings.Join(values, "\xff")
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.series[key]
	if !ok {
		s = &series{labels: renderLabels(f.labels, values)}
		if f.kind == "histogram" {
			s.counts = make([]atomic.Uint64, len(f.buckets))
		}
		f.series[key] = s
	}
	return s
}

func renderLabels(names, values []string) string {
	if len(names) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n)
		b.WriteString(`="`)
		b.WriteString(labelEscaper.Replace(values[i]))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

var (
	labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

// Handler serves the registry in the Prometheus text format.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		bw := bufio.NewWriter(w)
		r.write(bw)
		r.writeGathered(bw)
		_ = bw.Flush()
	})
}

// writeGathered writes the client library's families in the same text format.
// A collector that fails leaves out what it could not read, not the rest.
func (r *Registry) writeGathered(w *bufio.Writer) {
	r.mu.Lock()
	gathered := slices.Clone(r.gathered)
	r.mu.Unlock()
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, g := range gathered {
		mfs, _ := g.Gather()
		for _, mf := range mfs {
			_ = enc.Encode(mf)
		}
	}
}

func (r *Registry) write(w *bufio.Writer) {
	r.mu.Lock()
	fams := make([]*family, 0, len(r.families))
	for _, f := range r.families {
		fams = append(fams, f)
	}
	r.mu.Unlock()
	slices.SortFunc(fams, func(a, b *family) int { return strings.Compare(a.name, b.name) })
	for _, f := range fams {
		f.write(w)
	}
}

func (f *family) write(w *bufio.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", f.name, helpEscaper.Replace(f.help), f.name, f.kind)
	if f.fn != nil {
		fmt.Fprintf(w, "%s %s\n", f.name, formatFloat(f.fn()))
		return
	}
	if f.samples != nil {
		f.writeSamples(w)
		return
	}
	f.mu.Lock()
	all := make([]*series, 0, len(f.series))
	for _, s := range f.series {
		all = append(all, s)
	}
	f.mu.Unlock()
	slices.SortFunc(all, func(a, b *series) int { return strings.Compare(a.labels, b.labels) })
	for _, s := range all {
		if f.kind == "histogram" {
			f.writeHistogram(w, s)
			continue
		}
		fmt.Fprintf(w, "%s%s %s\n", f.name, s.labels, formatFloat(s.value.Load()))
	}
}

func (f *family) writeSamples(w *bufio.Writer) {
	type line struct {
		labels string
		value  float64
	}
	var lines []line
	for _, s := range f.samples() {
		if len(s.Labels) != len(f.labels) {
			panic(fmt.Sprintf("metrics: %s takes %d label values, got %d", f.name, len(f.labels), len(s.Labels)))
		}
		lines = append(lines, line{renderLabels(f.labels, s.Labels), s.Value})
	}
	slices.SortFunc(lines, func(a, b line) int { return strings.Compare(a.labels, b.labels) })
	for _, l := range lines {
		fmt.Fprintf(w, "%s%s %s\n", f.name, l.labels, formatFloat(l.value))
	}
}

func (f *family) writeHistogram(w *bufio.Writer, s *series) {
	// read the total first: buckets observed meanwhile may then exceed it slightly,
	// but +Inf, which is the total, never falls below a finite bucket
	count := s.count.Load()
	sum := s.value.Load()
	var cum uint64
	for i, le := range f.buckets {
		cum += s.counts[i].Load()
		fmt.Fprintf(w, "%s_bucket%s %d\n", f.name, withLabel(s.labels, "le", formatFloat(le)), min(cum, count))
	}
	fmt.Fprintf(w, "%s_bucket%s %d\n", f.name, withLabel(s.labels, "le", "+Inf"), count)
	fmt.Fprintf(w, "%s_sum%s %s\n", f.name, s.labels, formatFloat(sum))
	fmt.Fprintf(w, "%s_count%s %d\n", f.name, s.labels, count)
}

// withLabel appends one label to rendered labels.
func withLabel(labels, name, value string) string {
	l := name + `="` + value + `"`
	if labels == "" {
		return "{" + l + "}"
	}
	return labels[:len(labels)-1] + "," + l + "}"
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
