package declarations_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"testing"

	"citymap/server/access"
)

// setState puts a declaration of the test in a state, as if its history had
// happened (submitted and accepted at the times given, city dates).
func (e *env) setState(indicator, period, status, submitted string, returned int) {
	e.T.Helper()
	e.Exec(`UPDATE declarations SET status = $3, times_returned = $5,
			submitted_at = CASE WHEN $4 = '' THEN NULL ELSE ($4 || ' 12:00:00+08')::timestamptz END,
			accepted_at = CASE WHEN $3 = 'accepted' THEN ($4 || ' 18:00:00+08')::timestamptz END,
			returned_by = CASE WHEN $5 > 0 THEN 'reviewer' END
		WHERE indicator_code = $1 AND period = $2`, indicator, period, status, submitted, returned)
}

// TestCompletenessReport: the figures of a quarter per unit and per
// indicator against data the test counts by hand, the ranks against the
// quarter before, a unit's own row only, CSV for the meeting.
func TestCompletenessReport(t *testing.T) {
	e := newEnv(t)
	e.open() // at 2031-03-15 10:00
	// 2031-Q1: the unit (cgj) owes TD.1 of January, February, March and TD.2
	// of Q1; the other unit (zjj) TD.3 of the three months
	e.setState("TD.1", "2031-01", "accepted", "2031-02-05", 0) // on time (due 02-11)
	e.setState("TD.1", "2031-02", "returned", "2031-03-01", 2) // returned, past due 03-11: late
	e.setState("TD.2", "2031-Q1", "submitted", "2031-03-14", 0)
	e.setState("TD.3", "2031-01", "accepted", "2031-02-12", 0) // after its deadline: late
	e.setState("TD.3", "2031-02", "accepted", "2031-03-01", 0)
	// 2030-Q4: the unit accepted all four on time, the other none
	for _, p := range []string{"2030-10", "2030-11", "2030-12"} {
		e.setState("TD.1", p, "accepted", p+"-28", 0)
	}
	e.setState("TD.2", "2030-Q4", "accepted", "2030-12-28", 0)
	type figures struct {
		rank, owed, submitted, accepted, returned, times, late int
		rate                                                   float64
		prevRank, change                                       any
	}
	for _, c := range []struct {
		query, role string
		want        map[string]figures
	}{
		{"period=quarter&date=2031-02-15", access.Reviewer, map[string]figures{
			otherUnit: {1, 3, 2, 2, 0, 0, 1, 0.6667, 2.0, 1.0},
			"cgj":     {2, 4, 3, 1, 1, 2, 1, 0.25, 1.0, -1.0},
		}},
		{"period=quarter&date=2031-02-15&by=indicator", access.Reviewer, map[string]figures{
			"TD.3": {1, 3, 2, 2, 0, 0, 1, 0.6667, 3.0, 2.0},
			"TD.1": {2, 3, 2, 1, 1, 2, 1, 0.3333, 1.0, -1.0},
			"TD.2": {3, 1, 1, 0, 0, 0, 0, 0, 1.0, -2.0},
		}},
		// a unit's staff see their own row, ranked among all
		{"period=quarter&date=2031-02-15", access.Unit, map[string]figures{
			"cgj": {2, 4, 3, 1, 1, 2, 1, 0.25, 1.0, -1.0},
		}},
		// February: TD.1 and TD.3 of the month, against the 28 days before
		// (January's: both accepted, the other unit's late)
		{"from=2031-02-01&to=2031-02-28", access.Admin, map[string]figures{
			otherUnit: {1, 1, 1, 1, 0, 0, 0, 1, 2.0, 1.0},
			"cgj":     {2, 1, 1, 0, 1, 2, 1, 0, 1.0, -1.0},
		}},
	} {
		var out struct {
			Rows []map[string]any
			Meta map[string]any
		}
		e.Get("/api/v1/reports/declarations?"+c.query, c.role).Decode(t, &out)
		got := map[string]figures{}
		for _, r := range out.Rows {
			key, _ := r["unit"].(string)
			if ind, ok := r["indicator"].(string); ok {
				key = ind
			}
			if key != "cgj" && key != otherUnit && key[:2] != "TD" {
				continue // the demo city's, of other periods: none expected
			}
			rate, _ := r["completion_rate"].(float64)
			got[key] = figures{int(r["rank"].(float64)), int(r["owed"].(float64)), int(r["submitted"].(float64)),
				int(r["accepted"].(float64)), int(r["returned"].(float64)), int(r["times_returned"].(float64)),
				int(r["late"].(float64)), rate, r["previous_rank"], r["rank_change"]}
		}
		if len(got) != len(c.want) || len(out.Rows) != len(c.want) {
			t.Errorf("?%s as %s: %d rows %v, want %v", c.query, c.role, len(out.Rows), got, c.want)
		}
		for k, w := range c.want {
			if got[k] != w {
				t.Errorf("?%s as %s: %s = %+v, want %+v", c.query, c.role, k, got[k], w)
			}
		}
	}
	r := e.Get("/api/v1/reports/declarations?period=quarter&date=2031-02-15&format=csv", access.Reviewer)
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\xef\xbb\xbf")))).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][0] != "rank" || rows[1][1] != otherUnit {
		t.Errorf("CSV %v: %v\n%s", err, rows, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("CSV Content-Type %s", ct)
	}
}

// TestListCSV: the list as CSV for Excel, the unit's own.
func TestListCSV(t *testing.T) {
	e := newEnv(t)
	e.open()
	r := e.Must(http.StatusOK, "GET", "/api/v1/declarations?format=csv&period=2031-02", access.Unit, nil)
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\xef\xbb\xbf")))).ReadAll()
	if err != nil || len(rows) != 2 || rows[0][0] != "id" || rows[1][1] != "TD.1" {
		t.Errorf("CSV %v: %v", err, rows)
	}
}
