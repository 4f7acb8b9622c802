package open311_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"citymap/server/access"
	"citymap/server/store"
)

// TestReporterReadsItsOwn: a reporter's key reads the requests of its own
// source only (without a source, those it submitted), a hotline's key submits
// under its hotline, and a request's photo downloads only with a key that may
// read the request.
func TestReporterReadsItsOwn(t *testing.T) {
	e := newEnv(t)
	e.Tokens["hotline"] = e.TokenFor(store.Token{Name: "hotline-12345", Role: access.Reporter, Source: "hotline_12345"})
	lon, lat := e.PointIn(e.GridIn)
	form := func() url.Values {
		return url.Values{"service_code": {"trash_bin"}, "lat": {ftoa(lat)}, "long": {ftoa(lon)}}
	}
	submit := func(key string, f url.Values) string {
		return requestsOf(t, e.post("/open311/v2/requests.json", key, f).Want(t, http.StatusCreated), "json")[0].ID
	}
	mine := submit("hotline", form())
	var source string
	e.Scan(`SELECT source FROM issues WHERE id = $1::bigint`, []any{mine}, &source)
	if source != "hotline_12345" {
		t.Errorf("a hotline's request has source %q", source)
	}
	// another reporter's request, with a photo
	body, ctype := multipartForm(t, url.Values{}, "photo", pngBytes(t))
	var photo struct{ ID, URL string }
	up := e.Call("POST", "/api/v1/photos", access.Reporter, body, "Content-Type", ctype).Want(t, http.StatusCreated)
	if err := json.Unmarshal(up.Body, &photo); err != nil {
		t.Fatal(err)
	}
	f := form()
	f.Set("media_url", e.URL+photo.URL)
	theirs := submit(access.Reporter, f)

	both := url.Values{"service_request_id": {mine + "," + theirs}}
	for key, want := range map[string][]string{"hotline": {mine}, access.Reporter: {theirs}, access.Viewer: {theirs, mine}} {
		if got := ids(requestsOf(t, e.get("/open311/v2/requests.json", key, both).Want(t, http.StatusOK), "json")); !slices.Equal(got, want) {
			t.Errorf("%s lists %v, want %v", key, got, want)
		}
	}
	e.get("/open311/v2/requests/"+theirs+".json", "hotline", nil).Want(t, http.StatusNotFound)
	e.get("/open311/v2/tokens/"+theirs+".json", "hotline", nil).Want(t, http.StatusNotFound)
	e.Call("GET", photo.URL, "hotline", nil).Want(t, http.StatusNotFound)
	e.Call("GET", photo.URL, access.Reporter, nil).Want(t, http.StatusOK)
	// a hotline's key does not pass itself off as another source either
	e.Call("POST", "/api/v1/issues", "hotline", map[string]any{"category": "trash_bin", "source": "open311",
		"location": map[string]any{"type": "Point", "coordinates": []float64{lon, lat}}}).Want(t, http.StatusForbidden)
}
