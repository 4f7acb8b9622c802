package ogc_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"citymap/server/access"
	"citymap/server/ogc"
)

// BenchmarkItemsPage1000 measures features served per second in pages of
// 1,000 through the HTTP handler (authentication, parameters, SQL, streaming),
// without the network. Each run pages through the collection the way clients
// do, following next links and starting over at the end, so deep pages count
// as much as the first.
func BenchmarkItemsPage1000(b *testing.B) {
	e := newEnv(b)
	for _, c := range []struct{ name, query string }{
		{"points", "/ogc/collections/points/items?limit=1000"},
		{"issues", "/ogc/collections/issues/items?limit=1000"},
		{"issues-filtered", "/ogc/collections/issues/items?limit=1000&filter=" +
			url.QueryEscape("status IN ('closed', 'resolved') AND rework_count = 0")},
	} {
		b.Run(c.name, func(b *testing.B) {
			items, size := 0, 0
			next := c.query
			for b.Loop() {
				req := httptest.NewRequest("GET", next, nil)
				req.Header.Set("Authorization", "Bearer "+e.Tokens[access.Viewer])
				w := &tailWriter{header: http.Header{}}
				e.Handler.ServeHTTP(w, req)
				if w.status != http.StatusOK {
					b.Fatalf("%s: %d %s", next, w.status, w.tail)
				}
				n, links := w.members(b)
				items += n
				size += w.n
				if next = nextPath(links); next == "" {
					next = c.query
				}
			}
			b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
			b.ReportMetric(float64(size)/float64(b.N), "bytes/page")
		})
	}
}

// tailWriter discards the body but its end, where a page keeps numberReturned
// and its links: the benchmark measures the server, not a client's parsing.
type tailWriter struct {
	header http.Header
	status int
	n      int
	tail   []byte
}

const tailSize = 16 << 10

func (w *tailWriter) Header() http.Header { return w.header }

func (w *tailWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *tailWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(p)
	w.tail = append(w.tail, p[max(0, len(p)-tailSize):]...)
	if len(w.tail) > tailSize {
		w.tail = w.tail[len(w.tail)-tailSize:]
	}
	return len(p), nil
}

// members decodes what follows the features: numberReturned and links.
func (w *tailWriter) members(b *testing.B) (returned int, links []ogc.Link) {
	i := bytes.LastIndex(w.tail, []byte(`],"numberReturned":`))
	if i < 0 {
		b.Fatalf("no numberReturned at the end of the page: %s", w.tail)
	}
	var m struct {
		NumberReturned int
		Links          []ogc.Link
	}
	if err := json.Unmarshal(append([]byte("{"), w.tail[i+2:]...), &m); err != nil {
		b.Fatalf("page end %s: %v", w.tail[i:], err)
	}
	return m.NumberReturned, m.Links
}

// nextPath is the next link's path and query ("" on the last page).
func nextPath(links []ogc.Link) string {
	for _, l := range links {
		if l.Rel == "next" {
			return l.Href[strings.Index(l.Href, "/ogc/"):]
		}
	}
	return ""
}
