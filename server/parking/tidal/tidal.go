// Package tidal decides when a tidal parking zone (潮汐车位) is open to the public.
//
// A zone has weekly windows in the city's local time (parking_windows: an ISO
// weekday and opens < closes, closes up to 24:00; a window past midnight is two
// rows). Public holidays and the weekend days worked to make up for them (调休)
// break the weekly rhythm, so each local date follows the windows of its
// effective weekday:
//
//   - a calendar "holiday" follows the zone's Sunday (7) windows: the lots are
//     free on a holiday as on a Sunday;
//   - a calendar "workday" follows its Monday (1) windows: staff use the lots as
//     on any working day;
//   - every other date follows its own ISO weekday.
//
// Each local date is judged on its own, so the after-midnight half of a window
// follows the next date's rule. The SQL function parking_open_at (migration
// 0012) implements the same rule for tiles, features and reports; the tests of
// server/parking check that both agree.
package tidal

import (
	"sort"
	"time"
)

// Day is 24 hours of wall-clock time: the latest a window closes.
const Day = 24 * time.Hour

// Horizon is how many days ClosesAt and NextOpen look ahead: a zone open (or
// closed) for longer than this has no answer worth showing. Calendars given to
// a Schedule should cover them.
const Horizon = 14

// Window is one weekly opening.
type Window struct {
	Weekday int           // ISO: 1 = Monday … 7 = Sunday
	Opens   time.Duration // wall-clock time of day
	Closes  time.Duration // after Opens, at most Day
}

// Kind of a calendar day that breaks the weekly rhythm.
type Kind string

// Calendar day kinds, as calendar_days.kind stores them.
const (
	Holiday Kind = "holiday"
	Workday Kind = "workday"
)

// Date is a local calendar date.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf is the date of t in its own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// String is the date as YYYY-MM-DD.
func (d Date) String() string { return d.midnight(time.UTC).Format(time.DateOnly) }

func (d Date) next() Date { return DateOf(d.midnight(time.UTC).AddDate(0, 0, 1)) }

func (d Date) midnight(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// at is the instant of wall-clock time of day tod on d in loc; 24:00 is the
// next day's midnight.
func (d Date) at(tod time.Duration, loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, int(tod/time.Hour), int(tod%time.Hour/time.Minute),
		int(tod%time.Minute/time.Second), int(tod%time.Second), loc)
}

// isoWeekday is 1 for Monday … 7 for Sunday.
func (d Date) isoWeekday() int {
	wd := int(d.midnight(time.UTC).Weekday())
	if wd == 0 {
		return 7
	}
	return wd
}

// Calendar holds the dates that break the weekly rhythm.
type Calendar map[Date]Kind

// Weekday is the ISO weekday whose windows the date follows.
func (c Calendar) Weekday(d Date) int {
	switch c[d] {
	case Holiday:
		return 7
	case Workday:
		return 1
	}
	return d.isoWeekday()
}

// Schedule is a zone's windows with the calendar and time zone they are read in.
type Schedule struct {
	Windows  []Window
	Calendar Calendar
	Location *time.Location
}

// local splits t into its local date and wall-clock time of day.
func (s Schedule) local(t time.Time) (Date, time.Duration) {
	lt := t.In(s.Location)
	h, m, sec := lt.Clock()
	tod := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(sec)*time.Second + time.Duration(lt.Nanosecond())
	return DateOf(lt), tod
}

// window returns the window of date d that holds time of day tod.
func (s Schedule) window(d Date, tod time.Duration) (Window, bool) {
	wd := s.Calendar.Weekday(d)
	for _, w := range s.Windows {
		if w.Weekday == wd && w.Opens <= tod && tod < w.Closes {
			return w, true
		}
	}
	return Window{}, false
}

// OpenAt reports whether the zone is open to the public at t.
func (s Schedule) OpenAt(t time.Time) bool {
	d, tod := s.local(t)
	_, ok := s.window(d, tod)
	return ok
}

// ClosesAt is when the opening that holds t ends, following windows that
// continue one another (a night past midnight, a holiday weekend); false when
// the zone is closed at t or stays open beyond the horizon.
func (s Schedule) ClosesAt(t time.Time) (time.Time, bool) {
	d, tod := s.local(t)
	w, ok := s.window(d, tod)
	if !ok {
		return time.Time{}, false
	}
	// each step moves strictly forward, to the next day at the latest
	for days := 0; days < Horizon; {
		if w.Closes == Day {
			d, tod, days = d.next(), 0, days+1
		} else {
			tod = w.Closes
		}
		if w, ok = s.window(d, tod); !ok {
			return d.at(tod, s.Location), true
		}
	}
	return time.Time{}, false
}

// NextOpen is when the zone next opens at or after t (t itself when it is
// open); false when it does not open within the horizon.
func (s Schedule) NextOpen(t time.Time) (time.Time, bool) {
	d, tod := s.local(t)
	if _, ok := s.window(d, tod); ok {
		return t, true
	}
	for i := 0; i <= Horizon; i++ {
		if opens, ok := s.firstOpening(d, tod); ok {
			return d.at(opens, s.Location), true
		}
		d, tod = d.next(), 0
	}
	return time.Time{}, false
}

// firstOpening is the earliest time of day at or after from at which a window
// of d opens.
func (s Schedule) firstOpening(d Date, from time.Duration) (time.Duration, bool) {
	wd := s.Calendar.Weekday(d)
	var opens []time.Duration
	for _, w := range s.Windows {
		if w.Weekday == wd && w.Opens >= from {
			opens = append(opens, w.Opens)
		}
	}
	if len(opens) == 0 {
		return 0, false
	}
	sort.Slice(opens, func(i, j int) bool { return opens[i] < opens[j] })
	return opens[0], true
}
