package server

import "net/http"

// apiPolicy is the Content-Security-Policy of every answer that is not one of
// the web map's (webmap.Policy) or the OGC API's HTML page: JSON, GeoJSON,
// CSV, tiles and photos are data, never documents to run anything in, nor to
// be framed. A photo opened by itself still shows; an uploaded file that a
// browser would render as a document could run nothing.
const apiPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// secureHeaders sets the headers every answer carries: no MIME sniffing (a
// CSV or JSON answer is never taken for HTML or script), no framing, no
// Referer sent on (a page's address may hold ?token= until its script removes
// it), and the API's policy, which the pages' and OGC's handlers replace with
// their own.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", apiPolicy)
		next.ServeHTTP(w, r)
	})
}
