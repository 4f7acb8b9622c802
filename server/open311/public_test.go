package open311_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"citymap/server"
	"citymap/server/access"
	"citymap/server/apitest"
)

// TestPublicReads: by default every read works without a key and shows the
// whole city's requests (a scoped key's read stays the key's), a stored photo
// left out; POST still needs a key. With KeyedReads every endpoint needs one.
func TestPublicReads(t *testing.T) {
	e := newEnv(t)
	inLon, inLat := e.PointIn(e.GridIn)
	outLon, outLat := e.PointIn(e.GridOut)
	body, ctype := multipartForm(t, url.Values{}, "photo", pngBytes(t))
	var photo struct{ ID, URL string }
	if err := json.Unmarshal(e.Call("POST", "/api/v1/photos", access.Reporter, body, "Content-Type", ctype).
		Want(t, http.StatusCreated).Body, &photo); err != nil {
		t.Fatal(err)
	}
	post := func(lon, lat float64, media string) string {
		form := url.Values{"service_code": {"trash_bin"}, "lat": {ftoa(lat)}, "long": {ftoa(lon)}, "media_url": {media}}
		return requestsOf(t, e.post("/open311/v2/requests.json", access.Reporter, form).Want(t, http.StatusCreated), "json")[0].ID
	}
	in, out := post(inLon, inLat, e.URL+photo.URL), post(outLon, outLat, "https://img.example.com/out.jpg")
	both := url.Values{"service_request_id": {in + "," + out}}

	for _, f := range []string{"json", "xml"} {
		for _, doc := range []string{"discovery", "services", "services/noise", "requests", "requests/" + in, "tokens/" + in} {
			e.get("/open311/v2/"+doc+"."+f, "", nil).Want(t, http.StatusOK)
		}
		rs := requestsOf(t, e.get("/open311/v2/requests."+f, "", both).Want(t, http.StatusOK), f)
		if got := ids(rs); len(got) != 2 || got[0] != out || got[1] != in {
			t.Errorf("%s: a public read lists %v, want the whole city's %s, %s", f, got, out, in)
		}
		for _, r := range rs {
			if want := map[string]string{in: "", out: "https://img.example.com/out.jpg"}[r.ID]; r.MediaURL != want {
				t.Errorf("%s: %s shows media_url %q to a public read, want %q", f, r.ID, r.MediaURL, want)
			}
		}
	}
	// a key given is the key's view: the grid manager's community only
	if got := ids(requestsOf(t, e.get("/open311/v2/requests.json", access.GridManager, both).Want(t, http.StatusOK), "json")); len(got) != 1 || got[0] != in {
		t.Errorf("the grid manager's key lists %v, want %s", got, in)
	}
	// a bad key is refused on a read too, and POST needs a key
	e.get("/open311/v2/services.json", "", url.Values{"api_key": {"cm_nope"}}).Want(t, http.StatusForbidden)
	form := url.Values{"service_code": {"trash_bin"}, "lat": {ftoa(inLat)}, "long": {ftoa(inLon)}}
	e.post("/open311/v2/requests.json", "", form).Want(t, http.StatusForbidden)

	keyed := &env{apitest.NewWith(t, server.Config{Open311KeyedReads: true})}
	for _, doc := range []string{"discovery.json", "services.xml", "services/noise.json", "requests.json", "requests/" + in + ".json"} {
		r := keyed.get("/open311/v2/"+doc, "", nil).Want(t, http.StatusForbidden)
		if !strings.Contains(string(r.Body), "api_key was not provided") {
			t.Errorf("keyed reads, %s without a key: %s", doc, r.Body)
		}
	}
	keyed.get("/open311/v2/services.json", access.Viewer, nil).Want(t, http.StatusOK)
}

// TestContactKept: the citizen's contact fields of a POST are kept for the
// call-back and shown in the detail to dispatchers, admins and the
// partner whose case it is; no other read shows them, Open311's least of all.
func TestContactKept(t *testing.T) {
	e := newEnv(t)
	const marker = "contact-marker-7f3a9"
	lon, lat := e.PointIn(e.GridIn)
	form := url.Values{"service_code": {"trash_bin"}, "lat": {ftoa(lat)}, "long": {ftoa(lon)},
		"description": {"public text"}}
	for _, name := range []string{"email", "first_name", "last_name", "phone", "device_id", "account_id"} {
		form.Set(name, marker+"-"+name)
	}
	res := e.post("/open311/v2/requests.json", access.Reporter, form).Want(t, http.StatusCreated)
	if bytes.Contains(res.Body, []byte(marker)) {
		t.Errorf("the POST's answer shows the contact: %s", res.Body)
	}
	id := requestsOf(t, res, "json")[0].ID
	if n := e.Int(`SELECT count(*) FROM issue_contacts WHERE issue_id = $1::bigint AND contact->>'phone' = $2`, id, marker+"-phone"); n != 1 {
		t.Errorf("%d contact rows kept", n)
	}
	if n := e.Int(`SELECT count(*) FROM issue_events WHERE data::text LIKE '%' || $1 || '%'`, marker); n != 0 {
		t.Errorf("%d events keep the contact", n)
	}
	// the detail, to those who call back
	for _, role := range access.Roles {
		r := e.Call("GET", "/api/v1/issues/"+id, role, nil)
		shows := bytes.Contains(r.Body, []byte(marker+"-email"))
		want := role == access.Admin || role == access.Dispatcher || role == access.Reporter
		if shows != want {
			t.Errorf("issue detail as %s (%d): contact shown %v, want %v", role, r.Status, shows, want)
		}
	}
	// every other read, as every role and without a key
	reads := []string{
		"/open311/v2/requests/" + id + ".json", "/open311/v2/requests/" + id + ".xml",
		"/open311/v2/requests.json?service_request_id=" + id, "/open311/v2/requests.xml?service_request_id=" + id,
		"/open311/v2/tokens/" + id + ".json",
		"/api/v1/issues?q=public+text", "/api/v1/issues?limit=1000&format=csv",
		"/ogc/collections/issues/items?limit=1000&filter=" + url.QueryEscape("description = 'public text'"),
		"/ogc/collections/issues/items/" + id,
	}
	for _, role := range append([]string{""}, access.Roles...) {
		for _, p := range reads {
			if r := e.Call("GET", p, role, nil); bytes.Contains(r.Body, []byte(marker)) {
				t.Errorf("GET %s as %q shows the contact: %.300s", p, role, r.Body)
			}
		}
	}
}
