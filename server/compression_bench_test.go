package server_test

import (
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzhttp/writer/gzkp"
	"github.com/klauspost/compress/gzhttp/writer/zstdkp"
	"github.com/klauspost/compress/zstd"

	"citymap/server/access"
	"citymap/server/apitest"
)

// Real answers that compression is chosen on: a 1,000-feature OGC issues
// page, as a client paging the issues gets it, and the biggest CSV export,
// the areas report by grid over a fixed year.
const (
	ogcPage   = "/ogc/collections/issues/items?limit=1000"
	csvExport = "/api/v1/reports/areas?level=grid&format=csv&from=2025-01-01T00:00:00%2B08:00&to=2026-01-01T00:00:00%2B08:00"
)

// codecs are the codings and levels compared: gzip and zstd through the
// writers the server uses (gzhttp's), brotli (not served: see
// docs/BENCHMARKS.md) through andybalholm's encoder.
var codecs = []struct {
	name string
	new  func(io.Writer) io.WriteCloser
}{
	{"gzip-1", func(w io.Writer) io.WriteCloser { return gzkp.NewWriter(w, 1) }},
	{"gzip-3", func(w io.Writer) io.WriteCloser { return gzkp.NewWriter(w, 3) }},
	{"gzip-5", func(w io.Writer) io.WriteCloser { return gzkp.NewWriter(w, 5) }},
	{"gzip-7", func(w io.Writer) io.WriteCloser { return gzkp.NewWriter(w, 7) }},
	{"zstd-fastest", func(w io.Writer) io.WriteCloser { return zstdkp.NewWriter(w, int(zstd.SpeedFastest)) }},
	{"zstd-default", func(w io.Writer) io.WriteCloser { return zstdkp.NewWriter(w, int(zstd.SpeedDefault)) }},
	{"zstd-better", func(w io.Writer) io.WriteCloser {
		return zstdkp.NewWriter(w, int(zstd.SpeedBetterCompression))
	}},
	{"brotli-0", func(w io.Writer) io.WriteCloser { return brotli.NewWriterLevel(w, 0) }},
	{"brotli-1", func(w io.Writer) io.WriteCloser { return brotli.NewWriterLevel(w, 1) }},
	{"brotli-2", func(w io.Writer) io.WriteCloser { return brotli.NewWriterLevel(w, 2) }},
	{"brotli-4", func(w io.Writer) io.WriteCloser { return brotli.NewWriterLevel(w, 4) }},
}

// BenchmarkCompression compresses each answer with each codec: MB/s of the
// raw answer, the CPU time per answer, and the compressed size as a share of
// the raw one (%size).
func BenchmarkCompression(b *testing.B) {
	e := apitest.New(b)
	for _, a := range []struct{ name, path string }{{"ogc-page", ogcPage}, {"csv-export", csvExport}} {
		raw := e.Get(a.path, access.Admin).Body
		b.Logf("%s: %d bytes", a.name, len(raw))
		for _, c := range codecs {
			b.Run(a.name+"/"+c.name, func(b *testing.B) {
				var out counter
				b.SetBytes(int64(len(raw)))
				cpu := cpuTime(b)
				for b.Loop() {
					out = 0
					zw := c.new(&out)
					if _, err := zw.Write(raw); err != nil {
						b.Fatal(err)
					}
					if err := zw.Close(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(cpuTime(b)-cpu)/float64(b.N), "cpu-ns/op")
				b.ReportMetric(100*float64(out)/float64(len(raw)), "%size")
			})
		}
	}
}

// cpuTime is the CPU time the process has used: on a machine shared with
// other work it is steadier than the wall time, and it is what the server's
// two cores pay.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// counter is a writer that keeps only the count of what it is given.
type counter int

func (c *counter) Write(p []byte) (int, error) {
	*c += counter(len(p))
	return len(p), nil
}
