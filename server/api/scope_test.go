package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"citymap/server/access"
	"citymap/server/store"
)

// scopedEnv adds the tokens of the scope tests: a reporter of the 12345 hotline
// ("hotline"), a reporter without a source ("lot") and a dispatcher of the
// grid manager's community ("local").
func scopedEnv(t *testing.T) *env {
	e := newEnv(t)
	e.Tokens["hotline"] = e.TokenFor(store.Token{Name: "hotline-12345", Role: access.Reporter, Source: "hotline_12345"})
	e.Tokens["lot"] = e.TokenFor(store.Token{Name: "lot-system", Role: access.Reporter})
	e.Tokens["local"] = e.TokenFor(store.Token{Name: "local", Role: access.Dispatcher, Areas: []string{e.Community}})
	return e
}

// A reporter tied to a source reports under it only, and reads that source's
// cases only.
func TestReporterSource(t *testing.T) {
	e := scopedEnv(t)
	lon, lat := e.PointIn(e.GridIn)
	before := e.counts()
	r := e.Must(http.StatusForbidden, "POST", "/api/v1/issues", "hotline", newIssue("noise", lon, lat, "source", "hotline_12319"))
	if code, fields := r.ErrorOf(t); code != store.CodeForeignSource || fields["source"] == nil {
		t.Errorf("another source: %s", r.Body)
	}
	if after := e.counts(); after != before {
		t.Errorf("a refused report wrote: %+v → %+v", before, after)
	}
	// without a source, the token's
	body := newIssue("noise", lon, lat)
	delete(body, "source")
	own := featureOf(t, e.Must(http.StatusCreated, "POST", "/api/v1/issues", "hotline", body))
	if own.Props.Source != "hotline_12345" {
		t.Errorf("source %q, want the token's", own.Props.Source)
	}
	a := e.batch("hotline", []any{body, newIssue("noise", lon, lat, "source", "citizen_app")})
	if a.Results[0].Status != "created" || a.Results[1].Status != "rejected" || a.Results[1].Error.Code != store.CodeForeignSource {
		t.Errorf("batch: %+v", a.Results)
	}
	// it reads its source's cases, whoever took them in, and no other
	byDispatcher := e.create(newIssue("noise", lon, lat, "source", "hotline_12345"))
	other := e.create(newIssue("noise", lon, lat, "source", "hotline_12319"))
	for id, want := range map[int64]int{own.ID: 200, byDispatcher.ID: 200, other.ID: 403} {
		e.Must(want, "GET", fmt.Sprintf("/api/v1/issues/%d", id), "hotline", nil)
	}
	// a reporter without a source reads what it reported only
	lots := featureOf(t, e.Must(http.StatusCreated, "POST", "/api/v1/issues", "lot", newIssue("noise", lon, lat, "source", "sensor")))
	e.Must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/issues/%d", lots.ID), "lot", nil)
	e.Must(http.StatusForbidden, "GET", fmt.Sprintf("/api/v1/issues/%d", byDispatcher.ID), "lot", nil)
}

// A retried (source, external_id) answers in full only a case the caller may
// read; a guessed one of another reporter tells that it is taken, nothing more.
func TestReplayAnswersOnlyWhatTheCallerSees(t *testing.T) {
	e := scopedEnv(t)
	lon, lat := e.PointIn(e.GridIn)
	body := newIssue("noise", lon, lat, "source", "hotline_12345", "external_id", "12345-2026-000042",
		"description", "市民张三 13800000000 反映")
	first := e.create(body)
	before := e.counts()
	r := e.Must(http.StatusConflict, "POST", "/api/v1/issues", "lot", body)
	if code, _ := r.ErrorOf(t); code != "external_id_taken" || strings.Contains(string(r.Body), "13800000000") {
		t.Errorf("another reporter's replay: %s", r.Body)
	}
	if a := e.batch("lot", []any{body}); a.Results[0].Status != "rejected" || a.Results[0].ID != 0 ||
		a.Results[0].Error.Code != "external_id_taken" {
		t.Errorf("another reporter's batch replay: %+v", a.Results[0])
	}
	// the hotline's own system reads its case back
	if again := featureOf(t, e.Must(http.StatusOK, "POST", "/api/v1/issues", "hotline", body)); again.ID != first.ID {
		t.Errorf("the hotline's replay: issue %d, want %d", again.ID, first.ID)
	}
	if after := e.counts(); after != before {
		t.Errorf("replays wrote: %+v → %+v", before, after)
	}
	// a reporter without a source reads back what it reported itself, also
	// when a batch repeats an item
	mine := newIssue("noise", lon, lat, "source", "sensor", "external_id", "lot-7")
	if a := e.batch("lot", []any{mine, mine}); a.Results[0].Status != "created" || a.Results[1].Status != "existing" ||
		a.Results[1].ID != a.Results[0].ID {
		t.Errorf("a batch repeating its own item: %+v", a.Results)
	}
	e.Must(http.StatusOK, "POST", "/api/v1/issues", "lot", mine)
}

// Possible duplicates list only cases the caller may read.
func TestDuplicatesAreVisibleOnes(t *testing.T) {
	e := scopedEnv(t)
	lon, lat := e.PointIn(e.GridIn)
	hotline := e.create(newIssue("illegal_posting", lon, lat, "source", "hotline_12345"))
	patrol := e.create(newIssue("illegal_posting", lon, lat, "source", "grid_patrol"))
	lon2, lat2 := offset(lon, lat, 10, 0)
	ids := func(f feature) []int64 {
		var out []int64
		for _, d := range f.Duplicates {
			out = append(out, d.ID)
		}
		slices.Sort(out)
		return out
	}
	for tok, want := range map[string][]int64{
		access.Dispatcher: {hotline.ID, patrol.ID},
		"hotline":         {hotline.ID},
		"lot":             nil,
	} {
		body := newIssue("illegal_posting", lon2, lat2)
		delete(body, "source")
		if tok != "hotline" {
			body["source"] = "citizen_app"
		}
		f := featureOf(t, e.Must(http.StatusCreated, "POST", "/api/v1/issues", tok, body))
		got := slices.DeleteFunc(ids(f), func(id int64) bool { return id != hotline.ID && id != patrol.ID })
		if !slices.Equal(got, want) {
			t.Errorf("duplicates for %s: %v, want %v", tok, got, want)
		}
	}
}

// A photo follows the case or inspection it belongs to.
func TestPhotoScope(t *testing.T) {
	e := scopedEnv(t)
	inLon, inLat := e.PointIn(e.GridIn)
	outLon, outLat := e.PointIn(e.GridOut)
	photo := func(role string, seed uint8) string {
		return e.upload(http.StatusCreated, "/api/v1/photos", role, "photo", pngBytes(t, seed)).JSON(t)["id"].(string)
	}
	in, out, loose, lots := photo(access.Dispatcher, 30), photo(access.Dispatcher, 31), photo(access.Dispatcher, 32), photo("lot", 33)
	e.create(newIssue("noise", inLon, inLat, "source", "hotline_12345", "photos", []string{in}))
	e.create(newIssue("noise", outLon, outLat, "source", "hotline_12319", "photos", []string{out}))
	for _, c := range []struct {
		photo string
		who   map[string]int
	}{
		{in, map[string]int{access.Viewer: 200, access.GridManager: 200, "local": 200, "hotline": 200, "lot": 404}},
		{out, map[string]int{access.Viewer: 200, access.GridManager: 404, "local": 404, "hotline": 404, "lot": 404}},
		// a photo of no case: the uploader's, and of those limited in nothing
		{loose, map[string]int{access.Viewer: 200, access.Dispatcher: 200, access.GridManager: 404, "hotline": 404}},
		{lots, map[string]int{"lot": 200, "hotline": 404, access.GridManager: 404}},
	} {
		for who, want := range c.who {
			e.Must(want, "GET", "/api/v1/photos/"+c.photo, who, nil)
		}
	}
	// nor can a photo one may not see be borrowed into a case one may: it is
	// as unknown as one never uploaded
	r := e.Must(http.StatusBadRequest, "POST", "/api/v1/issues", access.GridManager,
		newIssue("noise", inLon, inLat, "photos", []string{out}))
	if code, _ := r.ErrorOf(t); code != "unknown_photo" {
		t.Errorf("borrowing a photo: %s", r.Body)
	}
}

// A dispatcher of some areas merges only cases of its areas into cases of its
// areas.
func TestMergeScope(t *testing.T) {
	e := scopedEnv(t)
	inLon, inLat := e.PointIn(e.GridIn)
	outLon, outLat := e.PointIn(e.GridOut)
	in, in2 := e.create(newIssue("noise", inLon, inLat)), e.create(newIssue("noise", inLon, inLat))
	out := e.create(newIssue("noise", outLon, outLat))
	merge := func(into int64) map[string]any { return map[string]any{"action": "merge", "duplicate_of": into} }
	r := e.act(http.StatusForbidden, in.ID, "local", merge(out.ID))
	if code, fields := r.ErrorOf(t); code != "out_of_scope" || fields["duplicate_of"] == nil {
		t.Errorf("merging into a case outside: %s", r.Body)
	}
	e.act(http.StatusForbidden, out.ID, "local", merge(in.ID))
	e.act(http.StatusOK, in2.ID, "local", merge(in.ID))
	// the city-wide dispatcher merges across areas
	e.act(http.StatusOK, out.ID, access.Dispatcher, merge(in.ID))
}
