package open311_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"citymap/server/access"
)

// TestErrors: each refusal in both formats, with the specification's status and
// error list, and nothing written.
func TestErrors(t *testing.T) {
	e := newEnv(t)
	lon, lat := e.PointIn(e.GridIn)
	at := func(kv ...string) url.Values {
		v := url.Values{"service_code": {"trash_bin"}, "lat": {ftoa(lat)}, "long": {ftoa(lon)}}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				v.Del(kv[i])
			} else {
				v.Set(kv[i], kv[i+1])
			}
		}
		return v
	}
	tests := []struct {
		name   string
		method string // GET takes form as the query
		path   string // %s is the format
		role   string
		form   url.Values
		status int
		want   string // in the description
	}{
		{"POST without api_key", "POST", "requests.%s", "", at(), 403, "api_key was not provided"},
		{"POST with a bad api_key", "POST", "requests.%s", "", at("api_key", "cm_nope"), 403, "api_key is invalid"},
		{"POST with a viewer's key", "POST", "requests.%s", access.Viewer, at(), 403, "may read but not submit"},
		{"GET services with a bad key", "GET", "services.%s", "", url.Values{"api_key": {"x"}}, 403, "invalid"},
		{"no service_code", "POST", "requests.%s", access.Reporter, at("service_code", ""), 400, "service_code was not provided"},
		{"unknown service_code", "POST", "requests.%s", access.Reporter, at("service_code", "ufo"), 400, `"ufo" not found`},
		{"no location", "POST", "requests.%s", access.Reporter, at("lat", "", "long", ""), 400, "lat and long, or address_string"},
		{"lat without long", "POST", "requests.%s", access.Reporter, at("long", ""), 400, "together"},
		{"lat out of range", "POST", "requests.%s", access.Reporter, at("lat", "91"), 400, "lat is a WGS-84 latitude"},
		{"lat NaN", "POST", "requests.%s", access.Reporter, at("lat", "NaN"), 400, "lat is"},
		{"long not a number", "POST", "requests.%s", access.Reporter, at("long", "east"), 400, "long is"},
		{"bad coord_sys", "POST", "requests.%s", access.Reporter, at("coord_sys", "osgb"), 400, "coord_sys"},
		{"address not found", "POST", "requests.%s", access.Reporter, at("lat", "", "long", "", "address_string", "zzqq nowhere"), 400, "could not be located"},
		{"required attribute missing", "POST", "requests.%s", access.Reporter, at("service_code", "noise"), 400, "attribute[time_of_day] is required"},
		{"bad list key", "POST", "requests.%s", access.Reporter, at("service_code", "noise", "attribute[time_of_day]", "dusk"), 400, "one of day, night"},
		{"bad number", "POST", "requests.%s", access.Reporter, at("service_code", "waterlogging", "attribute[depth_cm]", "deep"), 400, "is a number"},
		{"number out of range", "POST", "requests.%s", access.Reporter, at("service_code", "waterlogging", "attribute[depth_cm]", "1000"), 400, "from 1 to 300"},
		{"unknown attribute", "POST", "requests.%s", access.Reporter, at("attribute[colour]", "red"), 400, "not an attribute of service trash_bin"},
		{"relative media_url", "POST", "requests.%s", access.Reporter, at("media_url", "photo.jpg"), 400, "media_url"},
		{"unknown photo", "POST", "requests.%s", access.Reporter, at("media_url", "/api/v1/photos/"+strings.Repeat("ab", 32)), 400, "media_url"},
		{"description too long", "POST", "requests.%s", access.Reporter, at("description", strings.Repeat("长", 4001)), 400, "description"},
		{"contact too long", "POST", "requests.%s", access.Reporter, at("email", strings.Repeat("a", 201)), 400, "email"},
		{"other jurisdiction", "POST", "requests.%s", access.Reporter, at("jurisdiction_id", "sf.gov"), 404, "jurisdiction_id"},
		{"unknown service definition", "GET", "services/ufo.%s", access.Reporter, nil, 404, `"ufo" not found`},
		{"unknown request", "GET", "requests/999999999.%s", access.Reporter, nil, 404, "not found"},
		{"request id not a number", "GET", "requests/abc.%s", access.Reporter, nil, 404, "not found"},
		{"unknown token", "GET", "tokens/999999999.%s", access.Reporter, nil, 404, "not found"},
		{"more than 90 days", "GET", "requests.%s", access.Reporter, url.Values{"start_date": {"2026-01-01"}, "end_date": {"2026-04-02"}}, 400, "90 days"},
		{"end before start", "GET", "requests.%s", access.Reporter, url.Values{"start_date": {"2026-02-01"}, "end_date": {"2026-01-01"}}, 400, "before"},
		{"bad start_date", "GET", "requests.%s", access.Reporter, url.Values{"start_date": {"yesterday"}}, 400, "W3C datetime"},
		{"page_size 0", "GET", "requests.%s", access.Reporter, url.Values{"page_size": {"0"}}, 400, "page_size"},
		{"page_size too big", "GET", "requests.%s", access.Reporter, url.Values{"page_size": {"1001"}}, 400, "page_size"},
		{"page not a number", "GET", "requests.%s", access.Reporter, url.Values{"page": {"two"}}, 400, "page is"},
		{"bad status", "GET", "requests.%s", access.Reporter, url.Values{"status": {"pending"}}, 400, "status is open or closed"},
		{"unknown service_code filter", "GET", "requests.%s", access.Reporter, url.Values{"service_code": {"ufo"}}, 400, "not found"},
		{"bad service_request_id", "GET", "requests.%s", access.Reporter, url.Values{"service_request_id": {"1,x"}}, 400, "service_request_id"},
	}
	before := e.written()
	for _, f := range []string{"json", "xml"} {
		for _, tt := range tests {
			form := url.Values{}
			for k, v := range tt.form {
				form[k] = v
			}
			path := "/open311/v2/" + strings.Replace(tt.path, "%s", f, 1)
			var r reply
			if tt.method == "POST" {
				r = e.post(path, tt.role, form)
			} else {
				r = e.get(path, tt.role, form)
			}
			errs := errorsOf(t, r, f)
			if r.Status != tt.status || len(errs) == 0 || errs[0].Code != tt.status || !strings.Contains(errs[0].Description, tt.want) {
				t.Errorf("%s (%s): %d %s, want %d with %q", tt.name, f, r.Status, r.Body, tt.status, tt.want)
			}
		}
	}
	if after := e.written(); after != before {
		t.Errorf("refused requests wrote: %v → %v", before, after)
	}
}

// TestBodyErrors: bodies that are not forms, and a form that lists every
// problem at once.
func TestBodyErrors(t *testing.T) {
	e := newEnv(t)
	before := e.written()
	r := e.Call("POST", "/open311/v2/requests.json", "", []byte(`{"service_code":"noise"}`),
		"Content-Type", "application/json", "Authorization", "Bearer "+e.Tokens[access.Reporter])
	if errs := errorsOf(t, r, "json"); r.Status != 400 || !strings.Contains(errs[0].Description, "x-www-form-urlencoded") {
		t.Errorf("JSON body: %d %s", r.Status, r.Body)
	}
	body, ctype := multipartForm(t, url.Values{"api_key": {e.Tokens[access.Reporter]}, "service_code": {"noise"}}, "media", pngBytes(t))
	r = e.Call("POST", "/open311/v2/requests.xml", "", body, "Content-Type", ctype)
	if errs := errorsOf(t, r, "xml"); r.Status != 400 || !strings.Contains(errs[0].Description, "media files") {
		t.Errorf("media file: %d %s", r.Status, r.Body)
	}
	big := url.Values{"api_key": {e.Tokens[access.Reporter]}, "description": {strings.Repeat("x", 2<<20)}}
	if r = e.post("/open311/v2/requests.json", "", big); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB form: %d %s", r.Status, r.Body)
	}
	form := url.Values{"service_code": {"noise"}, "lat": {"95"}, "long": {"119.8"},
		"attribute[time_of_day]": {"dusk"}, "attribute[colour]": {"red"}}
	errs := errorsOf(t, e.post("/open311/v2/requests.json", access.Reporter, form).Want(t, 400), "json")
	if len(errs) != 3 {
		t.Errorf("want the unknown attribute, the bad key and lat at once: %+v", errs)
	}
	if after := e.written(); after != before {
		t.Errorf("refused requests wrote: %v → %v", before, after)
	}
}
