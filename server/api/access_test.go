package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"citymap/server/access"
)

// request builds a fresh request for one cell of the matrix, so that cells that
// change an issue do not disturb each other.
type request func(e *env) (method, path string, body any, headers []string)

// TestAccessMatrix walks every endpoint as every role, and without a token.
func TestAccessMatrix(t *testing.T) {
	e := newEnv(t)
	inLon, inLat := e.PointIn(e.GridIn)
	outLon, outLat := e.PointIn(e.GridOut)
	photo := e.upload(http.StatusCreated, "/api/v1/photos", access.Dispatcher, "photo", pngBytes(t, 99)).JSON(t)["id"].(string)
	byReporter := featureOf(t, e.Must(http.StatusCreated, "POST", "/api/v1/issues", access.Reporter, newIssue("noise", inLon, inLat)))

	// dispatched issues in and out of the grid manager's community
	dispatched := func(lon, lat float64) int64 {
		f := e.create(newIssue("noise", lon, lat))
		e.act(http.StatusOK, f.ID, access.Dispatcher, map[string]any{"action": "register"})
		e.act(http.StatusOK, f.ID, access.Dispatcher, map[string]any{"action": "dispatch"})
		return f.ID
	}
	get := func(path string) request {
		return func(*env) (string, string, any, []string) { return "GET", path, nil, nil }
	}
	post := func(path string, body any) request {
		return func(*env) (string, string, any, []string) { return "POST", path, body, nil }
	}
	startAt := func(lon, lat float64) request {
		return func(e *env) (string, string, any, []string) {
			return "POST", fmt.Sprintf("/api/v1/issues/%d/actions", dispatched(lon, lat)), map[string]any{"action": "start"}, nil
		}
	}
	attachAt := func(lon, lat float64) request {
		return func(e *env) (string, string, any, []string) {
			id := e.create(newIssue("noise", lon, lat)).ID
			body, ctype := multipartBody(t, "photo", pngBytes(t, 98))
			return "POST", fmt.Sprintf("/api/v1/issues/%d/photos", id), body, []string{"Content-Type", ctype}
		}
	}
	upload := func(e *env) (string, string, any, []string) {
		body, ctype := multipartBody(t, "photo", pngBytes(t, 97))
		return "POST", "/api/v1/photos", body, []string{"Content-Type", ctype}
	}
	inIssue, outIssue := e.create(newIssue("noise", inLon, inLat)).ID, e.create(newIssue("noise", outLon, outLat)).ID
	batch := map[string]any{"items": []any{newIssue("noise", inLon, inLat)}}

	const (
		ok, created, unauth, forbidden, notFound = 200, 201, 401, 403, 404
	)
	// columns: admin, dispatcher, grid_manager, planner, viewer, reporter, no token
	roles := []string{access.Admin, access.Dispatcher, access.GridManager, access.Planner, access.Viewer, access.Reporter, ""}
	matrix := []struct {
		name string
		req  request
		want [7]int
	}{
		{"healthz", get("/healthz"), [7]int{ok, ok, ok, ok, ok, ok, ok}},
		{"readyz", get("/readyz"), [7]int{ok, ok, ok, ok, ok, ok, ok}},
		{"create in the community", post("/api/v1/issues", newIssue("noise", inLon, inLat)),
			[7]int{created, created, created, forbidden, forbidden, created, unauth}},
		{"create elsewhere", post("/api/v1/issues", newIssue("noise", outLon, outLat)),
			[7]int{created, created, forbidden, forbidden, forbidden, created, unauth}},
		{"batch", post("/api/v1/issues/batch", batch), [7]int{ok, ok, ok, forbidden, forbidden, ok, unauth}},
		{"list", get("/api/v1/issues?limit=5"), [7]int{ok, ok, ok, ok, ok, forbidden, unauth}},
		{"get in the community", get(fmt.Sprintf("/api/v1/issues/%d", inIssue)),
			[7]int{ok, ok, ok, ok, ok, forbidden, unauth}},
		{"get elsewhere", get(fmt.Sprintf("/api/v1/issues/%d", outIssue)),
			[7]int{ok, ok, forbidden, ok, ok, forbidden, unauth}},
		{"get own report", get(fmt.Sprintf("/api/v1/issues/%d", byReporter.ID)),
			[7]int{ok, ok, ok, ok, ok, ok, unauth}},
		{"action in the community", startAt(inLon, inLat),
			[7]int{ok, ok, ok, forbidden, forbidden, forbidden, unauth}},
		{"action elsewhere", startAt(outLon, outLat),
			[7]int{ok, ok, forbidden, forbidden, forbidden, forbidden, unauth}},
		{"attach photo in the community", attachAt(inLon, inLat),
			[7]int{ok, ok, ok, forbidden, forbidden, forbidden, unauth}},
		{"attach photo elsewhere", attachAt(outLon, outLat),
			[7]int{ok, ok, forbidden, forbidden, forbidden, forbidden, unauth}},
		{"upload photo", upload, [7]int{created, created, created, forbidden, forbidden, created, unauth}},
		// a photo of no case yet: its uploader's, and everyone's who is limited in nothing
		{"get photo", get("/api/v1/photos/" + photo), [7]int{ok, ok, notFound, ok, ok, notFound, unauth}},
		{"categories", get("/api/v1/categories"), [7]int{ok, ok, ok, ok, ok, ok, unauth}},
		{"units", get("/api/v1/units"), [7]int{ok, ok, ok, ok, ok, ok, unauth}},
	}
	for _, row := range matrix {
		for i, role := range roles {
			method, path, body, headers := row.req(e)
			r := e.Call(method, path, role, body, headers...)
			if r.Status != row.want[i] {
				t.Errorf("%s as %q: %d, want %d\n%s", row.name, role, r.Status, row.want[i], r.Body)
			}
		}
	}
}

func TestBadTokens(t *testing.T) {
	e := newEnv(t)
	for _, tok := range []string{"cm_not-a-token", "Basic abc"} {
		r := e.Call("GET", "/api/v1/categories", "", nil, "Authorization", "Bearer "+tok)
		if code, _ := r.ErrorOf(t); r.Status != http.StatusUnauthorized || code != "unauthorized" {
			t.Errorf("token %q: %d %s", tok, r.Status, code)
		}
	}
	// a revoked token stops working (after the authenticator's cache, which a
	// fresh token has not filled yet)
	tok := e.Token("revoked", access.Viewer, nil)
	if _, err := e.Store.RevokeToken(t.Context(), "revoked"); err != nil {
		t.Fatal(err)
	}
	if r := e.Call("GET", "/api/v1/categories", "", nil, "Authorization", "Bearer "+tok); r.Status != http.StatusUnauthorized {
		t.Errorf("revoked token: %d", r.Status)
	}
}

func TestCatalog(t *testing.T) {
	e := newEnv(t)
	cats := e.Must(http.StatusOK, "GET", "/api/v1/categories", access.Viewer, nil).JSON(t)["categories"].([]any)
	found := false
	for _, c := range cats {
		m := c.(map[string]any)
		if m["code"] == "manhole_cover" {
			found = m["deadline_amount"] == float64(4) && m["deadline_unit"] == "urgent" && m["unit"] == "swgs" && m["class"] == "component"
		}
	}
	if !found || len(cats) < 10 {
		t.Errorf("categories: %v", cats)
	}
	units := e.Must(http.StatusOK, "GET", "/api/v1/units", access.Viewer, nil).JSON(t)["units"].([]any)
	offices := 0
	for _, u := range units {
		if m := u.(map[string]any); m["kind"] == "street_office" && m["area"] != nil {
			offices++
		}
	}
	if offices == 0 {
		t.Errorf("no street office among %d units", len(units))
	}
}
