package compression

import (
	"net/http"
	"strings"
)

// gzipSuffix marks the entity tag of a gzip answer ("7" becomes "7-gzip");
// gzhttp makes it -zstd for zstd. A compressed representation must not share
// a strong tag with the identity one (RFC 9110 8.8.3): a cache or a Range
// request would take the one's bytes for the other's.
const gzipSuffix = "-gzip"

var codingSuffixes = []string{gzipSuffix, "-zstd"}

// unsuffixed lets the handlers compare validators with the tags they set,
// which carry no suffix: a client sends back the tag it was given (If-Match
// before an edit, If-None-Match to revalidate), so the suffix is taken off
// both. A 304 then names the tag the client holds, suffix and all, as the
// answer it confirms would have.
func unsuffixed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inm, suffix := stripSuffixes(r.Header.Get("If-None-Match"))
		im, imSuffix := stripSuffixes(r.Header.Get("If-Match"))
		if suffix != "" || imSuffix != "" {
			r = r.Clone(r.Context())
			setOrKeep(r.Header, "If-None-Match", inm)
			setOrKeep(r.Header, "If-Match", im)
		}
		if suffix != "" {
			w = &notModified{ResponseWriter: w, suffix: suffix}
		}
		next.ServeHTTP(w, r)
	})
}

// stripSuffixes takes the coding suffixes off the entity tags of an
// If-None-Match or If-Match list, and says which one it found.
func stripSuffixes(list string) (string, string) {
	if list == "" {
		return "", ""
	}
	found := ""
	tags := strings.Split(list, ",")
	for i, tag := range tags {
		tag = strings.TrimSpace(tag)
		for _, s := range codingSuffixes {
			if t, ok := strings.CutSuffix(tag, s+`"`); ok {
				tag, found = t+`"`, s
				break
			}
		}
		tags[i] = tag
	}
	return strings.Join(tags, ", "), found
}

func setOrKeep(h http.Header, key, value string) {
	if value != "" {
		h.Set(key, value)
	}
}

// notModified gives a 304 the suffixed tag of the representation that the
// client revalidates.
type notModified struct {
	http.ResponseWriter
	suffix string
}

func (w *notModified) WriteHeader(code int) {
	if tag := w.Header().Get("ETag"); code == http.StatusNotModified && strings.HasSuffix(tag, `"`) &&
		!strings.HasSuffix(tag, w.suffix+`"`) {
		w.Header().Set("ETag", tag[:len(tag)-1]+w.suffix+`"`)
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController (gzhttp's Flush and Hijack) reach the
// writer underneath.
func (w *notModified) Unwrap() http.ResponseWriter { return w.ResponseWriter }
