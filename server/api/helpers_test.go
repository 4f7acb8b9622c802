package api_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"testing"

	"citymap/server/access"
	"citymap/server/apitest"
)

// env is a running instance on its own database, with one token per role and the
// fixture codes the tests need, discovered from the database so that the tests
// pass on the demo city as well as on a small fixture.
type env struct{ *apitest.Env }

type reply = apitest.Reply

func newEnv(t testing.TB) *env { return &env{apitest.New(t)} }

// far is a point outside every grid of any Jiangsu city.
var far = [2]float64{100.0, 40.0}

// counts is how many rows the tables an issue write touches hold.
type counts struct{ issues, events, changes, seq int }

func (e *env) counts() counts {
	e.T.Helper()
	var c counts
	e.Scan(`SELECT (SELECT count(*) FROM issues), (SELECT count(*) FROM issue_events),
		(SELECT count(*) FROM changes), (SELECT seq FROM change_counter)`, nil, &c.issues, &c.events, &c.changes, &c.seq)
	return c
}

// feature is an issue as the API returns it.
type feature struct {
	ID       int64           `json:"id"`
	Geometry json.RawMessage `json:"geometry"`
	Props    struct {
		Status      string   `json:"status"`
		Source      string   `json:"source"`
		Category    string   `json:"category"`
		Description string   `json:"description"`
		Grid        *string  `json:"grid"`
		Community   *string  `json:"community"`
		Street      *string  `json:"street"`
		Unit        *string  `json:"unit"`
		Deadline    string   `json:"deadline"`
		CreatedAt   string   `json:"created_at"`
		Dispatched  *string  `json:"dispatched_at"`
		Resolved    *string  `json:"resolved_at"`
		Closed      *string  `json:"closed_at"`
		Overdue     bool     `json:"overdue"`
		Rework      int      `json:"rework_count"`
		DuplicateOf *int64   `json:"duplicate_of"`
		Photos      []string `json:"photos"`
		Version     int      `json:"version"`
		DistanceM   *float64 `json:"distance_m"`
	} `json:"properties"`
	Duplicates []feature `json:"possible_duplicates"`
	Timeline   []struct {
		Action string         `json:"action"`
		From   *string        `json:"from"`
		To     string         `json:"to"`
		Actor  string         `json:"actor"`
		Note   string         `json:"note"`
		Data   map[string]any `json:"data"`
	} `json:"timeline"`
}

// featureOf decodes an answer as a feature.
func featureOf(t testing.TB, r reply) feature {
	t.Helper()
	var f feature
	r.Decode(t, &f)
	return f
}

// newIssue is an intake body at lon, lat.
func newIssue(category string, lon, lat float64, extra ...any) map[string]any {
	m := map[string]any{
		"category": category, "source": "grid_patrol", "description": "test issue",
		"location": map[string]any{"type": "Point", "coordinates": []float64{lon, lat}},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i].(string)] = extra[i+1]
	}
	return m
}

// create takes in an issue as the dispatcher and returns it.
func (e *env) create(body map[string]any) feature {
	e.T.Helper()
	return featureOf(e.T, e.Must(http.StatusCreated, "POST", "/api/v1/issues", access.Dispatcher, body))
}

// act takes an action as role and expects status.
func (e *env) act(status int, id int64, role string, body map[string]any, headers ...string) reply {
	e.T.Helper()
	return e.Must(status, "POST", fmt.Sprintf("/api/v1/issues/%d/actions", id), role, body, headers...)
}

// offset moves a point by metres east and north (small distances).
func offset(lon, lat, east, north float64) (float64, float64) {
	const m = 111320.0
	return lon + east/(m*cosDeg(lat)), lat + north/m
}

func cosDeg(d float64) float64 { return math.Cos(d * math.Pi / 180) }
