package webmap

import (
	"net/url"
	"regexp"
	"strings"
)

// Policy is the pages' Content-Security-Policy for a request to host, with
// connect as further origins to fetch from. Each directive and why:
//
//   - default-src 'self': nothing from elsewhere unless said below.
//   - script-src 'self': the bundles only. No 'unsafe-inline' (the pages have no
//     inline script or handler attribute) and no 'unsafe-eval', so markup that
//     slipped into the page could not run, nor read the token in localStorage.
//   - style-src 'self'; style-src-attr 'unsafe-inline': style sheets from the
//     bundles only (no <style> element), but style attributes are allowed:
//     ECharts writes its tooltip markup with style="…" through innerHTML, which
//     CSP counts as inline style. Styles cannot run script.
//   - img-src 'self' data: blob: + connect: photos are shown from object URLs
//     (fetched with the token), MapLibre's CSS draws its controls from data:
//     SVGs and decodes images through blobs where ImageBitmap is missing; a
//     raster basemap's tiles come from its origins.
//   - font-src 'self': system fonts and the bundles' own.
//   - connect-src 'self' ws://host wss://host + connect: the API, /live (named
//     explicitly: older browsers do not count a websocket to the same host as
//     'self') and the basemap's origins (its style, tiles, glyphs, sprite).
//   - worker-src 'self': MapLibre's worker is /assets/maplibre-gl-worker.mjs and
//     PDF.js's /assets/pdf.worker.js, each started from its URL (they use a
//     blob: only for a worker on another origin). PDF.js is told not to eval
//     (isEvalSupported: false) and draws onto canvases: no further directive.
//   - object-src 'none': no plugins.
//   - base-uri 'none': no <base> to redirect the relative script URLs.
//   - form-action 'self': the sign-in form submits nowhere (script handles it).
//   - frame-ancestors 'none': no page may frame these (clickjacking); X-Frame-Options
//     says the same to browsers without CSP 2.
func Policy(host string, connect []string) string {
	conn := []string{"'self'"}
	if hostRE.MatchString(host) {
		conn = append(conn, "ws://"+host, "wss://"+host)
	}
	img := []string{"'self'", "data:", "blob:"}
	for _, o := range connect {
		if originRE.MatchString(o) {
			conn = append(conn, o)
			img = append(img, o)
		}
	}
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"style-src-attr 'unsafe-inline'",
		"img-src " + strings.Join(img, " "),
		"font-src 'self'",
		"connect-src " + strings.Join(conn, " "),
		"worker-src 'self'",
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}, "; ")
}

// A Host header goes into the policy only when it is a plain host[:port], so
// that a crafted one cannot add directives; otherwise 'self' must do.
var (
	hostRE   = regexp.MustCompile(`^([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$`)
	originRE = regexp.MustCompile(`^https?://([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$`)
)

// Origin is the scheme://host[:port] of an http(s) URL, or "" when it has none.
func Origin(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	o := u.Scheme + "://" + u.Host
	if !originRE.MatchString(o) {
		return ""
	}
	return o
}
