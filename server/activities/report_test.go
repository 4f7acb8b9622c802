package activities_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"citymap/server/access"
	"citymap/server/period"
)

// reportRow is a row of the JSON report.
type reportRow struct {
	Month, Street, Community                         string
	Activities, Held, Signups, HeldSignups, Attended int
	AttendanceRate                                   *float64
}

func (r *reportRow) UnmarshalJSON(b []byte) error {
	var m struct {
		Month, Street, Community            string
		Activities, Held, Signups, Attended int
		HeldSignups                         int      `json:"held_signups"`
		AttendanceRate                      *float64 `json:"attendance_rate"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*r = reportRow{m.Month, m.Street, m.Community, m.Activities, m.Held, m.Signups, m.HeldSignups, m.Attended, m.AttendanceRate}
	return nil
}

// The monthly count per street, on activities the test builds in its own
// communities, two and three months ahead (so that sign-ups are open), counted
// by hand:
//
//	month A, S1: C1 done (4 signed, 3 attended), C1 planned (2 signed),
//	             C2 cancelled (1 signed) → 2 activities, 1 held, 6 sign-ups,
//	             3 attended of 4 → 0.75
//	month A, S2: C3 done (2 signed, 0 attended) → 1, 1, 2, 0 of 2 → 0
//	month B, S1: nothing → zeros, rate null
//	month B, S2: C3 planned (1 signed) → 1, 0, 1, 0, rate null
func TestReport(t *testing.T) {
	e := newEnv(t)
	now := time.Now().In(period.Zone)
	first := time.Date(now.Year(), now.Month(), 1, 10, 0, 0, 0, period.Zone)
	monthA, monthB := first.AddDate(0, 2, 0), first.AddDate(0, 3, 0)
	addr := 100
	build := func(community string, starts time.Time, signed, attended int, status string) {
		a := e.create(access.Admin, basic(community, starts, 50))
		var ids []int64
		for i := range signed {
			addr++
			st, body := e.signup(from(addr), a.ID, "居民", fmt.Sprintf("1880%03d%04d", addr, i))
			if st != http.StatusCreated {
				t.Fatalf("sign-up: %d %s", st, body)
			}
			var s struct{ ID int64 }
			_ = json.Unmarshal(body, &s)
			ids = append(ids, s.ID)
		}
		if attended > 0 {
			e.Must(http.StatusOK, "POST", fmt.Sprintf("/api/v1/activities/%d/attendance", a.ID), access.Admin,
				map[string]any{"attended": ids[:attended]})
		}
		if status != "planned" {
			e.Must(http.StatusOK, "PATCH", fmt.Sprintf("/api/v1/activities/%d", a.ID), access.Admin, map[string]any{"status": status})
		}
	}
	build(c1, monthA.AddDate(0, 0, 3), 4, 3, "done")
	build(c1, monthA.AddDate(0, 0, 20), 2, 0, "planned")
	build(c2, monthA.AddDate(0, 0, 5), 1, 0, "cancelled")
	build(c3, monthA.AddDate(0, 0, 9), 2, 0, "done")
	build(c3, monthB.AddDate(0, 0, 1), 1, 0, "planned")

	ma, mb := monthA.Format("2006-01"), monthB.Format("2006-01")
	rate := func(x float64) *float64 { return &x }
	want := map[string]reportRow{
		ma + " " + s1: {Activities: 2, Held: 1, Signups: 6, HeldSignups: 4, Attended: 3, AttendanceRate: rate(0.75)},
		ma + " " + s2: {Activities: 1, Held: 1, Signups: 2, HeldSignups: 2, Attended: 0, AttendanceRate: rate(0)},
		mb + " " + s1: {},
		mb + " " + s2: {Activities: 1, Signups: 1},
	}
	// a period of a month and a range of days that spans both months
	q := "from=" + monthA.AddDate(0, 0, 10).Format(time.DateOnly) + "&to=" + monthB.AddDate(0, 0, 5).Format(time.DateOnly)
	var got struct{ Rows []reportRow }
	e.Get("/api/v1/reports/activities?area="+district+"&"+q, access.Planner).Decode(t, &got)
	if len(got.Rows) != 4 {
		t.Fatalf("%d rows, want 2 months × 2 streets: %+v", len(got.Rows), got.Rows)
	}
	for _, r := range got.Rows {
		w, ok := want[r.Month+" "+r.Street]
		if !ok {
			t.Errorf("unexpected row %+v", r)
			continue
		}
		if r.Activities != w.Activities || r.Held != w.Held || r.Signups != w.Signups || r.HeldSignups != w.HeldSignups ||
			r.Attended != w.Attended || fmt.Sprint(deref(r.AttendanceRate)) != fmt.Sprint(deref(w.AttendanceRate)) {
			t.Errorf("%s %s: %+v rate %v, want %+v rate %v", r.Month, r.Street, r, deref(r.AttendanceRate), w, deref(w.AttendanceRate))
		}
	}
	// by community, one month, as a planner of C1: its own community only
	var mine struct{ Rows []reportRow }
	e.Get("/api/v1/reports/activities?by=community&period=month&date="+monthA.Format(time.DateOnly), "planner_c1").Decode(t, &mine)
	if len(mine.Rows) != 1 || mine.Rows[0].Community != c1 || mine.Rows[0].Activities != 2 || mine.Rows[0].Signups != 6 {
		t.Errorf("C1's planner: %+v", mine.Rows)
	}
	// a street's planner of C1 sees S1 counting C1 only
	var street struct{ Rows []reportRow }
	e.Get("/api/v1/reports/activities?period=month&date="+monthA.Format(time.DateOnly), "planner_c1").Decode(t, &street)
	if len(street.Rows) != 1 || street.Rows[0].Street != s1 || street.Rows[0].Activities != 2 || street.Rows[0].Signups != 6 {
		t.Errorf("C1's planner by street: %+v", street.Rows)
	}
	// CSV and GeoJSON (the choropleth)
	csv := e.Get("/api/v1/reports/activities?format=csv&area="+s2+"&"+q, access.Viewer)
	if lines := strings.Split(strings.TrimSpace(string(csv.Body)), "\n"); len(lines) != 3 || !strings.Contains(lines[0], "attendance_rate") {
		t.Errorf("CSV: %s", csv.Body)
	}
	var fc struct {
		Type     string
		Features []struct {
			Geometry   struct{ Type string }
			Properties map[string]any
		}
	}
	e.Get("/api/v1/reports/activities?format=geojson&area="+s1+"&"+q, access.Viewer).Decode(t, &fc)
	if fc.Type != "FeatureCollection" || len(fc.Features) != 2 || fc.Features[0].Geometry.Type != "MultiPolygon" {
		t.Errorf("GeoJSON: %+v", fc)
	}
	for _, bad := range []string{"by=grid", "period=week", "area=x", "from=" + monthA.AddDate(-4, 0, 0).Format(time.DateOnly) + "&to=" + monthA.Format(time.DateOnly), "colour=red"} {
		e.Must(http.StatusBadRequest, "GET", "/api/v1/reports/activities?"+bad, access.Viewer, nil)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
