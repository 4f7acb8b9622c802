package parking

import (
	"context"
	"fmt"
	"time"

	"citymap/server/parking/tidal"
	"citymap/server/store"
)

// schedules holds what deciding about some tidal zones around one time needs:
// their windows and the calendar of the days ahead.
type schedules struct {
	loc      *time.Location
	calendar tidal.Calendar
	windows  map[int64][]store.ParkingOpening
}

// schedules loads the windows of the tidal zones among zones and the calendar
// from the day before at to the tidal horizon after it.
func (p *Parking) schedules(ctx context.Context, zones []store.ParkingZone, at time.Time) (*schedules, error) {
	s := &schedules{loc: p.loc, calendar: tidal.Calendar{}}
	var ids []int64
	for _, z := range zones {
		if z.Kind == "tidal" {
			ids = append(ids, z.ID)
		}
	}
	if len(ids) == 0 {
		return s, nil
	}
	var err error
	if s.windows, err = p.store.ParkingOpenings(ctx, ids); err != nil {
		return nil, err
	}
	local := at.In(p.loc)
	days, err := p.store.CalendarDays(ctx, local.AddDate(0, 0, -1), local.AddDate(0, 0, tidal.Horizon+2))
	if err != nil {
		return nil, err
	}
	for _, d := range days {
		s.calendar[tidal.DateOf(d.Day)] = tidal.Kind(d.Kind)
	}
	return s, nil
}

// schedule is the tidal schedule of a zone.
func (s *schedules) schedule(z store.ParkingZone) tidal.Schedule {
	ws := s.windows[z.ID]
	out := make([]tidal.Window, len(ws))
	for i, w := range ws {
		out[i] = tidal.Window{Weekday: w.Weekday, Opens: w.Opens, Closes: w.Closes}
	}
	return tidal.Schedule{Windows: out, Calendar: s.calendar, Location: s.loc}
}

// closesAt is when the zone's current opening ends, in the city's time; nil
// for a smart lot, which does not close, and for a zone that is closed or open
// beyond the horizon.
func (s *schedules) closesAt(z store.ParkingZone, at time.Time) *string {
	if z.Kind != "tidal" {
		return nil
	}
	t, ok := s.schedule(z).ClosesAt(at)
	return s.format(t, ok)
}

// status says whether the zone is open at t and until when, or when it opens
// next.
func (s *schedules) status(z store.ParkingZone, t time.Time) map[string]any {
	if z.Kind != "tidal" {
		return map[string]any{"open_now": true, "closes_at": nil, "opens_at": nil}
	}
	sch := s.schedule(z)
	open := sch.OpenAt(t)
	out := map[string]any{"open_now": open, "closes_at": nil, "opens_at": nil}
	if open {
		out["closes_at"] = s.format(sch.ClosesAt(t))
	} else {
		out["opens_at"] = s.format(sch.NextOpen(t))
	}
	return out
}

func (s *schedules) format(t time.Time, ok bool) *string {
	if !ok {
		return nil
	}
	v := t.In(s.loc).Format(time.RFC3339)
	return &v
}

// windowOut is a weekly window as the API shows it.
type windowOut struct {
	Weekday int    `json:"weekday"` // ISO: 1 = Monday
	Opens   string `json:"opens"`   // "HH:MM" local time
	Closes  string `json:"closes"`  // "HH:MM", "24:00" at midnight
}

// windowsOf lists the zone's weekly windows (none for a smart lot).
func (s *schedules) windowsOf(z store.ParkingZone) []windowOut {
	out := []windowOut{}
	for _, w := range s.windows[z.ID] {
		out = append(out, windowOut{w.Weekday, clock(w.Opens), clock(w.Closes)})
	}
	return out
}

// clock formats a time of day as HH:MM, with seconds only when it has them.
func clock(d time.Duration) string {
	h, m, sec := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	if sec != 0 {
		return fmt.Sprintf("%02d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%02d:%02d", h, m)
}
