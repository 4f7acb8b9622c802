package api_test

import (
	"net/http"
	"testing"
)

// GET /api/v1/calendar answers a year's days as the store holds them, for any
// role, and names a bad parameter.
func TestCalendar(t *testing.T) {
	e := newEnv(t)
	e.Exec(`DELETE FROM calendar_days WHERE day >= '2040-01-01' AND day < '2041-01-01'`)
	e.Exec(`INSERT INTO calendar_days (day, kind, name) VALUES ('2040-01-01', 'holiday', '元旦'), ('2040-02-11', 'workday', '春节调休上班')`)
	var got struct {
		Year  int   `json:"year"`
		Held  bool  `json:"held"`
		Years []int `json:"years"`
		Days  []struct {
			Date, Kind, Name string
		} `json:"days"`
	}
	e.Must(http.StatusOK, "GET", "/api/v1/calendar?year=2040", "reporter", nil).Decode(t, &got)
	if got.Year != 2040 || !got.Held || len(got.Days) != 2 ||
		got.Days[0].Date != "2040-01-01" || got.Days[0].Kind != "holiday" || got.Days[1].Name != "春节调休上班" {
		t.Errorf("2040: %+v", got)
	}
	e.Must(http.StatusOK, "GET", "/api/v1/calendar?year=2041", "viewer", nil).Decode(t, &got)
	if got.Held || len(got.Days) != 0 {
		t.Errorf("2041: %+v", got)
	}
	for _, q := range []string{"year=20x0", "year=1800", "month=1"} {
		if code, _ := e.Must(http.StatusBadRequest, "GET", "/api/v1/calendar?"+q, "viewer", nil).ErrorOf(t); code == "" {
			t.Errorf("%s: no error code", q)
		}
	}
	e.Must(http.StatusUnauthorized, "GET", "/api/v1/calendar", "", nil)
}
