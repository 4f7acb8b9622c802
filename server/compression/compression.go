// Package compression compresses citymap's answers for the clients that
// accept it: zstd or gzip, as each request's Accept-Encoding prefers, for
// every text-like answer (JSON, GeoJSON, CSV, XML, HTML, JavaScript, CSS,
// SVG) of MinSize or more. It is one middleware over the whole HTTP surface,
// built on klauspost's gzhttp, which streams (a handler's Flush flushes the
// compressor), drops Content-Length, leaves alone an answer that already has a
// Content-Encoding (the tiles) or a Content-Range, and marks the compressed
// entity tags.
package compression

import (
	"mime"
	"net/http"
	"strings"

	"github.com/klauspost/compress/gzhttp"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// MinSize is the smallest answer compressed: below a kilobyte a gzip or zstd
// frame saves a few hundred bytes at most, less than a TCP packet.
const MinSize = 1 << 10

// The levels are the fastest of each, as the server has two cores: about 2 ms
// of CPU for a 1,000-feature OGC page (0.15 of a core at 80 pages a second),
// which they bring under 15 % of its size; the slower levels gain a few
// points for 1.5 to 3 times the CPU (BenchmarkCompression, docs/BENCHMARKS.md).
const (
	GzipLevel = gzip.BestSpeed
	ZstdLevel = zstd.SpeedFastest
)

// Handler compresses next's answers. Websocket upgrades pass untouched: the
// connection is hijacked and carries no HTTP body to compress.
func Handler(next http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(
		gzhttp.MinSize(MinSize),
		gzhttp.CompressionLevel(GzipLevel),
		gzhttp.ZstdCompressionLevel(int(ZstdLevel)),
		gzhttp.ContentTypeFilter(compressible),
		gzhttp.SuffixETag(gzipSuffix),
		gzhttp.AcceptWildcards(true), // RFC 9110: "*" is any coding not named
	)
	if err != nil {
		panic(err) // the options are constants: only a programming error gets here
	}
	compressed := unsuffixed(wrap(next))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r)
			return
		}
		compressed.ServeHTTP(w, r)
	})
}

// compressible reports whether answers of the media type ct gain from
// compression: text and the JSON and XML types, SVG among them. Images,
// PDFs, office documents, archives and vector tiles are compressed already.
func compressible(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"), strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return true
	}
	switch mt {
	case "application/json", "application/xml", "application/javascript", "application/x-ndjson":
		return true
	}
	return false
}
