package parking_test

import (
	"context"
	"testing"
	"time"

	"citymap/server/parking/tidal"
)

// ruleInstants are the instants at which the SQL and Go rules are compared: every
// 47 minutes through the National Day holidays of 2026 and their make-up
// workdays, and each local day's edges (midnight, a microsecond before it,
// the usual opening and closing times and a microsecond before them).
func ruleInstants() []time.Time {
	from := time.Date(2026, 9, 17, 0, 0, 0, 0, shanghai)
	to := time.Date(2026, 10, 13, 0, 0, 0, 0, shanghai)
	var out []time.Time
	for t := from; t.Before(to); t = t.Add(47 * time.Minute) {
		out = append(out, t)
	}
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		for _, hm := range [][2]int{{0, 0}, {7, 0}, {7, 30}, {8, 0}, {17, 30}, {18, 0}, {19, 0}, {20, 0}} {
			edge := time.Date(d.Year(), d.Month(), d.Day(), hm[0], hm[1], 0, 0, shanghai)
			out = append(out, edge, edge.Add(-time.Microsecond))
		}
	}
	return out
}

// TestRuleSQLAgreesWithGo checks that parking_open_at (SQL, used by the
// available search, the features and the tiles) and package tidal (Go, used
// for closes_at and the zone view) open and close every tidal zone of the demo
// city at the same instants.
func TestRuleSQLAgreesWithGo(t *testing.T) {
	e := newEnv(t)
	e.addZone("T-MON", "tidal", 10, 0, 0, "1 20:00 24:00")
	ctx := context.Background()
	instants := ruleInstants()
	rows, err := e.Store.Pool.Query(ctx, `SELECT z.id, t, parking_open_at(z.id, t, 'Asia/Shanghai'),
			parking_open_at(z.id, t)
		FROM parking_zones z, unnest($1::timestamptz[]) AS t WHERE z.kind = 'tidal'`, instants)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	schedules := e.schedules(instants[0], instants[len(instants)-1])
	var checked, open, mismatches int
	for rows.Next() {
		var id int64
		var at time.Time
		var sqlOpen, sqlDefault bool
		if err := rows.Scan(&id, &at, &sqlOpen, &sqlDefault); err != nil {
			t.Fatal(err)
		}
		goOpen := schedules[id].OpenAt(at)
		if sqlOpen != goOpen || sqlDefault != goOpen {
			if mismatches++; mismatches <= 10 {
				t.Errorf("zone %d at %s: SQL says %v (default zone %v), Go says %v", id, at.In(shanghai), sqlOpen, sqlDefault, goOpen)
			}
		}
		checked++
		if goOpen {
			open++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if checked < 50000 || open == 0 || open == checked {
		t.Errorf("%d checks, %d open: the fixture does not exercise the rule", checked, open)
	}
}

// schedules builds the Go schedule of every tidal zone, with the calendar
// between two instants.
func (e *env) schedules(from, to time.Time) map[int64]tidal.Schedule {
	e.T.Helper()
	ctx := context.Background()
	var ids []int64
	rows, err := e.Store.Pool.Query(ctx, `SELECT id FROM parking_zones WHERE kind = 'tidal'`)
	if err != nil {
		e.T.Fatal(err)
	}
	for rows.Next() {
		var id int64
		_ = rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	openings, err := e.Store.ParkingOpenings(ctx, ids)
	if err != nil {
		e.T.Fatal(err)
	}
	days, err := e.Store.CalendarDays(ctx, from.In(shanghai), to.In(shanghai))
	if err != nil {
		e.T.Fatal(err)
	}
	cal := tidal.Calendar{}
	for _, d := range days {
		cal[tidal.DateOf(d.Day)] = tidal.Kind(d.Kind)
	}
	out := map[int64]tidal.Schedule{}
	for _, id := range ids {
		s := tidal.Schedule{Calendar: cal, Location: shanghai}
		for _, o := range openings[id] {
			s.Windows = append(s.Windows, tidal.Window{Weekday: o.Weekday, Opens: o.Opens, Closes: o.Closes})
		}
		out[id] = s
	}
	return out
}
