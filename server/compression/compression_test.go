package compression_test

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"citymap/server/compression"
)

// text is an answer big enough to be compressed.
var text = strings.Repeat(`{"type":"Feature","properties":{"status":"open"}},`, 100)

// decode undoes the content coding of a body.
func decode(t *testing.T, coding string, body io.Reader) []byte {
	t.Helper()
	out, err := io.ReadAll(decoder(t, coding, body))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// decoder reads body decoded as it arrives.
func decoder(t *testing.T, coding string, body io.Reader) io.Reader {
	t.Helper()
	switch coding {
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			t.Fatal(err)
		}
		return zr
	case "zstd":
		zr, err := zstd.NewReader(body)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(zr.Close)
		return zr
	case "":
		return body
	}
	t.Fatalf("unexpected coding %q", coding)
	return nil
}

// wireLength reads the body as it came and checks that a Content-Length,
// if any, is its own: the handler's, of the identity body, must be gone.
func wireLength(t *testing.T, res *http.Response) []byte {
	t.Helper()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if cl := res.Header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(raw)) {
		t.Errorf("Content-Length %s of a %d-byte body", cl, len(raw))
	}
	return raw
}

// get sends a request to h with these headers (pairs); the client leaves
// the coding alone.
func get(t *testing.T, h http.Handler, method string, headers ...string) *http.Response {
	t.Helper()
	ts := httptest.NewServer(compression.Handler(h))
	t.Cleanup(ts.Close)
	req, _ := http.NewRequest(method, ts.URL, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func serve(ctype, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = io.WriteString(w, body)
	})
}

// The coding follows Accept-Encoding: zstd or gzip by q-value, zstd on a tie
// (faster, smaller), none when neither is acceptable.
func TestNegotiation(t *testing.T) {
	for _, c := range []struct{ accept, want string }{
		{"", ""},
		{"gzip", "gzip"},
		{"zstd", "zstd"},
		{"gzip, deflate, br, zstd", "zstd"},
		{"gzip, deflate, br", "gzip"},
		{"gzip;q=1.0, zstd;q=0.5", "gzip"},
		{"zstd;q=0, gzip", "gzip"},
		{"gzip;q=0", ""},
		{"br", ""},
		{"identity;q=0", ""},
		{"identity;q=0, gzip", "gzip"},
		{"*", "zstd"},
		{"*, zstd;q=0", "gzip"},
		{"*;q=0", ""},
	} {
		t.Run(c.accept, func(t *testing.T) {
			res := get(t, serve("application/json", text), "GET", "Accept-Encoding", c.accept)
			if got := res.Header.Get("Content-Encoding"); got != c.want {
				t.Fatalf("Content-Encoding %q, want %q", got, c.want)
			}
			raw := wireLength(t, res)
			if body := decode(t, c.want, bytes.NewReader(raw)); string(body) != text {
				t.Errorf("decoded %d bytes, not the %d written", len(body), len(text))
			}
			if !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("Vary %q", res.Header.Get("Vary"))
			}
		})
	}
}

// Only text-like answers of MinSize or more are compressed; the formats that
// are compressed already and answers coded by their handler go as they are.
func TestWhatIsCompressed(t *testing.T) {
	for _, c := range []struct {
		ctype, body string
		want        bool
	}{
		{"application/json", text, true},
		{"application/geo+json", text, true},
		{"application/vnd.oai.openapi+json;version=3.0", text, true},
		{"text/csv; charset=utf-8", text, true},
		{"text/xml; charset=utf-8", text, true},
		{"text/html; charset=utf-8", text, true},
		{"text/javascript; charset=utf-8", text, true},
		{"text/css; charset=utf-8", text, true},
		{"image/svg+xml", text, true},
		{"application/json", text[:compression.MinSize-1], false},
		{"image/png", text, false},
		{"image/jpeg", text, false},
		{"image/webp", text, false},
		{"application/pdf", text, false},
		{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", text, false},
		{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", text, false},
		{"application/zip", text, false},
		{"application/vnd.mapbox-vector-tile", text, false},
	} {
		t.Run(c.ctype+" "+strconv.Itoa(len(c.body)), func(t *testing.T) {
			res := get(t, serve(c.ctype, c.body), "GET", "Accept-Encoding", "gzip")
			if got := res.Header.Get("Content-Encoding") == "gzip"; got != c.want {
				t.Fatalf("compressed %v, want %v", got, c.want)
			}
			if !c.want && res.Header.Get("Content-Length") != strconv.Itoa(len(c.body)) {
				t.Errorf("Content-Length %q of %d bytes", res.Header.Get("Content-Length"), len(c.body))
			}
		})
	}
}

// An answer its handler coded (a gzipped tile) is never coded twice.
func TestAlreadyCoded(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = io.WriteString(zw, text)
	_ = zw.Close()
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(gz.Bytes())
	})
	for _, accept := range []string{"gzip", "zstd", "gzip, zstd"} {
		res := get(t, h, "GET", "Accept-Encoding", accept)
		if ce := res.Header.Get("Content-Encoding"); ce != "gzip" {
			t.Fatalf("%s: Content-Encoding %q", accept, ce)
		}
		if body := decode(t, "gzip", res.Body); string(body) != text {
			t.Errorf("%s: the tile was coded again", accept)
		}
	}
}

// A streamed answer is compressed as it goes: what the handler flushes
// reaches the client while the handler still has rows to write.
func TestStreaming(t *testing.T) {
	first, rest := text, strings.Repeat("[1,2,3],", 500)
	for _, coding := range []string{"gzip", "zstd"} {
		t.Run(coding, func(t *testing.T) {
			release := make(chan struct{})
			h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, first)
				if err := http.NewResponseController(w).Flush(); err != nil {
					t.Error(err)
				}
				<-release // the last rows wait until the client has the first
				_, _ = io.WriteString(w, rest)
			})
			res := get(t, h, "GET", "Accept-Encoding", coding)
			if ce := res.Header.Get("Content-Encoding"); ce != coding {
				t.Fatalf("Content-Encoding %q", ce)
			}
			zr := decoder(t, coding, res.Body)
			got := make([]byte, len(first))
			if _, err := io.ReadFull(zr, got); err != nil || string(got) != first {
				t.Fatalf("the first rows: %q, %v", got[:20], err)
			}
			close(release)
			tail, err := io.ReadAll(zr)
			if err != nil || string(tail) != rest {
				t.Errorf("the rest: %d bytes of %d, %v", len(tail), len(rest), err)
			}
		})
	}
}

// A file served with an entity tag and ranges (the photo and document
// stores' way): the compressed answer has its own tag, which revalidates and
// matches If-Match; a Range, a HEAD and a 304 go uncompressed.
func TestFileSemantics(t *testing.T) {
	var ifMatch string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ifMatch = r.Header.Get("If-Match")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("ETag", `"f1"`)
		http.ServeContent(w, r, "", time.Time{}, strings.NewReader(text))
	})
	res := get(t, h, "GET", "Accept-Encoding", "gzip")
	if res.Header.Get("Content-Encoding") != "gzip" || res.Header.Get("ETag") != `"f1-gzip"` ||
		res.Header.Get("Accept-Ranges") != "" {
		t.Fatalf("compressed file: %v", res.Header)
	}
	if body := decode(t, "gzip", bytes.NewReader(wireLength(t, res))); string(body) != text {
		t.Error("the compressed file differs")
	}
	if res := get(t, h, "GET"); res.Header.Get("ETag") != `"f1"` || res.Header.Get("Content-Encoding") != "" {
		t.Errorf("identity file: %v", res.Header)
	}
	for _, c := range []struct {
		name    string
		headers []string
		status  int
		etag    string
	}{
		{"revalidated gzip", []string{"Accept-Encoding", "gzip", "If-None-Match", `"f1-gzip"`}, http.StatusNotModified, `"f1-gzip"`},
		{"revalidated zstd", []string{"Accept-Encoding", "zstd", "If-None-Match", `W/"f1-zstd"`}, http.StatusNotModified, `"f1-zstd"`},
		{"revalidated identity", []string{"If-None-Match", `"f1"`}, http.StatusNotModified, `"f1"`},
		{"changed", []string{"Accept-Encoding", "gzip", "If-None-Match", `"f0-gzip"`}, http.StatusOK, `"f1-gzip"`},
		{"range", []string{"Accept-Encoding", "gzip", "Range", "bytes=0-9"}, http.StatusPartialContent, `"f1"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := get(t, h, "GET", c.headers...)
			if res.StatusCode != c.status || res.Header.Get("ETag") != c.etag {
				t.Fatalf("%d %v; want %d with ETag %s", res.StatusCode, res.Header, c.status, c.etag)
			}
			if c.status == http.StatusPartialContent {
				if body, _ := io.ReadAll(res.Body); res.Header.Get("Content-Encoding") != "" || string(body) != text[:10] {
					t.Errorf("range: %q coded %q", body, res.Header.Get("Content-Encoding"))
				}
			}
		})
	}
	res = get(t, h, "HEAD", "Accept-Encoding", "gzip")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "" ||
		res.Header.Get("Content-Length") != strconv.Itoa(len(text)) {
		t.Errorf("HEAD: %d %v", res.StatusCode, res.Header)
	}
	get(t, h, "GET", "Accept-Encoding", "gzip", "If-Match", `"f1-gzip"`)
	if ifMatch != `"f1"` {
		t.Errorf("the handler saw If-Match %s", ifMatch)
	}
}

// A 204 stays empty; a websocket upgrade reaches its handler with the
// connection to hijack.
func TestNoBody(t *testing.T) {
	empty := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	if res := get(t, empty, "GET", "Accept-Encoding", "gzip"); res.StatusCode != http.StatusNoContent ||
		res.Header.Get("Content-Encoding") != "" {
		t.Errorf("204: %d %v", res.StatusCode, res.Header)
	}
	upgrade := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		conn, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nraw")
		_ = rw.Flush()
	})
	ts := httptest.NewServer(compression.Handler(upgrade))
	defer ts.Close()
	req, _ := http.NewRequest("GET", ts.URL, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(bufio.NewReader(res.Body))
	if res.StatusCode != http.StatusSwitchingProtocols || res.Header.Get("Content-Encoding") != "" || string(body) != "raw" {
		t.Errorf("upgrade: %d %v %q", res.StatusCode, res.Header, body)
	}
}

// An answer its handler aborts halfway (an OGC page whose query fails after
// the first rows) stays cut short when compressed: the client gets an error,
// never a body that ends cleanly.
func TestAbort(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/geo+json")
		_, _ = io.WriteString(w, text)
		_ = http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler)
	})
	for _, coding := range []string{"", "gzip", "zstd"} {
		t.Run("coding "+coding, func(t *testing.T) {
			res := get(t, h, "GET", "Accept-Encoding", coding)
			if _, err := io.ReadAll(decoder(t, coding, res.Body)); err == nil {
				t.Error("the cut answer reads as complete")
			}
		})
	}
}
