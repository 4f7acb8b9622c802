package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"citymap/server/access"
)

type batchAnswer struct {
	Created, Existing, Rejected int
	Results                     []struct {
		Index  int    `json:"index"`
		Status string `json:"status"`
		ID     int64  `json:"id"`
		Error  *struct {
			Code   string            `json:"code"`
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
}

func (e *env) batch(role string, items []any) batchAnswer {
	e.T.Helper()
	r := e.Must(http.StatusOK, "POST", "/api/v1/issues/batch", role, map[string]any{"items": items})
	var a batchAnswer
	if err := json.Unmarshal(r.Body, &a); err != nil {
		e.T.Fatalf("batch answer: %v\n%s", err, r.Body)
	}
	if len(a.Results) != len(items) {
		e.T.Fatalf("%d results for %d items", len(a.Results), len(items))
	}
	for i, res := range a.Results {
		if res.Index != i {
			e.T.Fatalf("result %d has index %d", i, res.Index)
		}
	}
	return a
}

// hotlineItems is a batch as a 12345 hotline system sends it: lat/lon in GCJ-02
// would be typical, WGS-84 keeps the test simple.
func hotlineItems(e *env, n int, prefix string) []any {
	lon, lat := e.PointIn(e.GridIn)
	items := make([]any, n)
	for i := range items {
		items[i] = map[string]any{"category": "noise", "source": "hotline_12345", "external_id": fmt.Sprintf("%s-%d", prefix, i),
			"description": "夜间施工噪声扰民", "lat": lat, "lon": lon + float64(i)*1e-6}
	}
	return items
}

func TestBatchIdempotent(t *testing.T) {
	e := newEnv(t)
	items := hotlineItems(e, 200, "B")
	// without an external id an item is always new; a repeated id within the batch is one issue
	items = append(items,
		map[string]any{"category": "noise", "source": "hotline_12345", "lat": far[1], "lon": far[0]},
		map[string]any{"category": "noise", "source": "hotline_12345", "external_id": "B-0", "lat": far[1], "lon": far[0]},
		map[string]any{"category": "no_such_category", "source": "hotline_12345", "lat": 31, "lon": 120},
		map[string]any{"category": "noise", "source": "hotline_12345", "lat": 95, "lon": 120},
		map[string]any{"category": "noise", "source": "hotline_12345", "lat": 31, "lon": 120, "colour": "red"},
		"not an object",
	)
	before := e.counts()
	first := e.batch(access.Reporter, items)
	if first.Created != 201 || first.Existing != 1 || first.Rejected != 4 {
		t.Fatalf("first batch: %d created, %d existing, %d rejected", first.Created, first.Existing, first.Rejected)
	}
	wantRejected := map[int][2]string{
		202: {"unknown_category", "category"},
		203: {"out_of_range", "lat"},
		204: {"unknown_field", "colour"},
		205: {"invalid_type", "item"},
	}
	for i, want := range wantRejected {
		res := first.Results[i]
		if res.Status != "rejected" || res.Error == nil || res.Error.Code != want[0] || res.Error.Fields[want[1]] == "" {
			t.Errorf("item %d: %+v, want rejected %v", i, res, want)
		}
	}
	if first.Results[201].Status != "existing" || first.Results[201].ID != first.Results[0].ID {
		t.Errorf("repeated external id: %+v, first %+v", first.Results[201], first.Results[0])
	}
	mid := e.counts()
	if mid.issues != before.issues+201 || mid.events != before.events+201 || mid.seq != before.seq+201 {
		t.Errorf("counts %+v → %+v: want 201 issues, events and changes", before, mid)
	}
	var gridded int
	e.Scan(`SELECT count(*) FROM issues WHERE external_id LIKE 'B-%' AND grid_code = $1`, []any{e.GridIn}, &gridded)
	if gridded != 200 {
		t.Errorf("%d of 200 hotline items assigned to grid %s", gridded, e.GridIn)
	}

	// the same batch again: nothing new but the item without an external id
	second := e.batch(access.Reporter, items)
	if second.Created != 1 || second.Existing != 201 || second.Rejected != 4 {
		t.Fatalf("second batch: %d created, %d existing, %d rejected", second.Created, second.Existing, second.Rejected)
	}
	for i := range 200 {
		if second.Results[i].Status != "existing" || second.Results[i].ID != first.Results[i].ID {
			t.Fatalf("item %d: %+v, first time %+v", i, second.Results[i], first.Results[i])
		}
	}
	if after := e.counts(); after.issues != mid.issues+1 {
		t.Errorf("second batch added %d issues", after.issues-mid.issues)
	}
}

func TestBatchGridManagerScope(t *testing.T) {
	e := newEnv(t)
	inLon, inLat := e.PointIn(e.GridIn)
	outLon, outLat := e.PointIn(e.GridOut)
	items := []any{
		newIssue("noise", inLon, inLat, "external_id", "S-1"),
		newIssue("noise", outLon, outLat, "external_id", "S-2"),
		newIssue("noise", far[0], far[1]),
	}
	// an issue outside its areas that exists already is not revealed either
	e.Must(http.StatusCreated, "POST", "/api/v1/issues", access.Dispatcher, items[1])
	a := e.batch(access.GridManager, items)
	if a.Results[0].Status != "created" {
		t.Errorf("in its community: %+v", a.Results[0])
	}
	for _, res := range a.Results[1:] {
		if res.Status != "rejected" || res.Error.Code != "out_of_scope" || res.ID != 0 {
			t.Errorf("out of its community: %+v", res)
		}
	}
}

func TestBatchLimits(t *testing.T) {
	e := newEnv(t)
	before := e.counts()
	tooMany := make([]any, 10001)
	for i := range tooMany {
		tooMany[i] = map[string]any{}
	}
	for name, tc := range map[string]struct {
		body   any
		status int
		code   string
		field  string
	}{
		"no items":      {map[string]any{}, 400, "required", "items"},
		"items null":    {`{"items": null}`, 400, "required", "items"},
		"items empty":   {`{"items": []}`, 400, "required", "items"},
		"too many":      {map[string]any{"items": tooMany}, 400, "too_many", "items"},
		"unknown field": {map[string]any{"items": []any{}, "mode": "fast"}, 400, "unknown_field", "mode"},
		"broken JSON":   {`{"items": [`, 400, "invalid_json", ""},
		"items object":  {`{"items": {}}`, 400, "invalid_type", "items"},
		"over 16 MiB":   {`{"items": [{"description": "` + strings.Repeat("x", 16<<20) + `"}]}`, 413, "body_too_large", ""},
	} {
		r := e.Call("POST", "/api/v1/issues/batch", access.Dispatcher, tc.body)
		code, fields := r.ErrorOf(t)
		if r.Status != tc.status || code != tc.code || (tc.field != "" && fields[tc.field] == nil) {
			t.Errorf("%s: %d %s %v, want %d %s naming %q", name, r.Status, code, fields, tc.status, tc.code, tc.field)
		}
	}
	if after := e.counts(); after != before {
		t.Errorf("refused batches wrote: %+v → %+v", before, after)
	}
}

// Two hotline gateways sending the same items at once, in opposite orders, still
// create each issue once, and neither waits for the other forever: batches this
// large deadlock reliably unless every writer inserts in one key order.
func TestConcurrentBatches(t *testing.T) {
	e := newEnv(t)
	items := hotlineItems(e, 3000, "C")
	reversed := slices.Clone(items)
	slices.Reverse(reversed)
	answers := make([]batchAnswer, 2)
	var wg sync.WaitGroup
	for i, batch := range [][]any{items, reversed} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.Call("POST", "/api/v1/issues/batch", access.Reporter, map[string]any{"items": batch})
			if r.Status != http.StatusOK {
				t.Errorf("batch %d: %d %s", i, r.Status, r.Body)
			}
			_ = json.Unmarshal(r.Body, &answers[i])
		}()
	}
	wg.Wait()
	if answers[0].Created+answers[1].Created != 3000 || answers[0].Existing+answers[1].Existing != 3000 {
		t.Errorf("created %d+%d, existing %d+%d; want 300 of each in all", answers[0].Created, answers[1].Created,
			answers[0].Existing, answers[1].Existing)
	}
	for i := range 3000 {
		if a, b := answers[0].Results[i].ID, answers[1].Results[2999-i].ID; a != b || a == 0 {
			t.Fatalf("item %d: ids %d and %d", i, a, b)
		}
	}
	if n := e.Int(`SELECT count(*) FROM issues WHERE external_id LIKE 'C-%'`); n != 3000 {
		t.Errorf("%d issues for 300 items", n)
	}
}
