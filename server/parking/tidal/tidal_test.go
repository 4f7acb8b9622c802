package tidal

import (
	"testing"
	"time"
)

var shanghai = mustLocation("Asia/Shanghai")

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func hm(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }

// officeWeek opens a staff lot from 18:00 each working evening to 08:00 the next
// morning and from Friday 18:00 to Monday 08:00, stored as the schema stores it:
// split at midnight.
func officeWeek() []Window {
	var ws []Window
	for wd := 1; wd <= 5; wd++ {
		ws = append(ws, Window{wd, hm(18, 0), Day})
	}
	for wd := 2; wd <= 5; wd++ {
		ws = append(ws, Window{wd, 0, hm(8, 0)})
	}
	return append(ws, Window{6, 0, Day}, Window{7, 0, Day}, Window{1, 0, hm(8, 0)})
}

// calendar2026 holds the National Day holidays of 2026 and their make-up
// workdays: 20 September (a Sunday) and 10 October (a Saturday) are worked.
var calendar2026 = Calendar{
	{2026, 9, 20}: Workday,
	{2026, 10, 1}: Holiday, {2026, 10, 2}: Holiday, {2026, 10, 3}: Holiday, {2026, 10, 4}: Holiday,
	{2026, 10, 5}: Holiday, {2026, 10, 6}: Holiday, {2026, 10, 7}: Holiday,
	{2026, 10, 10}: Workday,
}

func office() Schedule {
	return Schedule{Windows: officeWeek(), Calendar: calendar2026, Location: shanghai}
}

// mondayNights is open on Mondays from 20:00 to midnight only.
func mondayNights() Schedule {
	return Schedule{Windows: []Window{{1, hm(20, 0), Day}}, Calendar: calendar2026, Location: shanghai}
}

func local(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestWeekday(t *testing.T) {
	for _, c := range []struct {
		date Date
		want int
	}{
		{Date{2026, 11, 23}, 1}, // an ordinary Monday
		{Date{2026, 11, 28}, 6}, // an ordinary Saturday
		{Date{2026, 11, 29}, 7}, // an ordinary Sunday
		{Date{2026, 10, 1}, 7},  // National Day, a Thursday: a holiday is a Sunday
		{Date{2026, 10, 3}, 7},  // a holiday on a Saturday is a Sunday
		{Date{2026, 10, 5}, 7},  // a holiday on a Monday is a Sunday too
		{Date{2026, 10, 8}, 4},  // the first Thursday after the holidays
		{Date{2026, 10, 10}, 1}, // a worked Saturday is a Monday
		{Date{2026, 10, 11}, 7}, // the Sunday after it is a Sunday
		{Date{2026, 9, 20}, 1},  // a worked Sunday is a Monday
		{Date{2026, 1, 1}, 4},   // a holiday the calendar does not hold is an ordinary day
		{Date{2024, 2, 29}, 4},  // leap day
		{Date{2027, 1, 1}, 5},   // past the calendar's end
	} {
		if got := calendar2026.Weekday(c.date); got != c.want {
			t.Errorf("Weekday(%s) = %d, want %d", c.date, got, c.want)
		}
	}
}

func TestOpenAt(t *testing.T) {
	for _, c := range []struct {
		name string
		s    Schedule
		at   time.Time
		want bool
	}{
		// a weekday window
		{"Monday noon, between windows", office(), local("2026-11-23 12:00:00"), false},
		{"Monday 18:00, the window opens", office(), local("2026-11-23 18:00:00"), true},
		{"Monday a second before", office(), local("2026-11-23 17:59:59"), false},
		{"Monday 20:00", office(), local("2026-11-23 20:00:00"), true},
		{"Monday 03:00, the weekend's morning", office(), local("2026-11-23 03:00:00"), true},
		{"Wednesday 03:00, Tuesday night's morning", office(), local("2026-11-25 03:00:00"), true},
		{"Wednesday 08:00, the window has closed", office(), local("2026-11-25 08:00:00"), false},
		{"Wednesday a nanosecond before 08:00", office(), local("2026-11-25 07:59:59.999999999"), true},
		{"Saturday noon", office(), local("2026-11-28 12:00:00"), true},
		{"Sunday noon", office(), local("2026-11-29 12:00:00"), true},
		// crossing midnight: the window is two rows
		{"Monday 23:59", office(), local("2026-11-23 23:59:00"), true},
		{"Tuesday 00:00", office(), local("2026-11-24 00:00:00"), true},
		{"Monday-nights zone, Monday 23:59:59", mondayNights(), local("2026-11-23 23:59:59"), true},
		{"Monday-nights zone, Tuesday 00:00", mondayNights(), local("2026-11-24 00:00:00"), false},
		// a holiday follows the Sunday windows
		{"National Day (Thursday) noon", office(), local("2026-10-01 12:00:00"), true},
		{"the Thursday after, noon", office(), local("2026-10-08 12:00:00"), false},
		{"a Monday holiday follows Sunday, not Monday", mondayNights(), local("2026-10-05 21:00:00"), false},
		// a make-up workday follows the Monday windows
		{"worked Saturday noon", office(), local("2026-10-10 12:00:00"), false},
		{"worked Saturday 03:00", office(), local("2026-10-10 03:00:00"), true},
		{"worked Saturday 20:00", office(), local("2026-10-10 20:00:00"), true},
		{"worked Sunday noon", office(), local("2026-09-20 12:00:00"), false},
		{"worked Saturday evening, Monday-nights zone", mondayNights(), local("2026-10-10 21:00:00"), true},
		// the time zone decides the date and the time of day, not UTC
		{"15:59Z is Monday 23:59 local", mondayNights(), utc("2026-11-23T15:59:00Z"), true},
		{"16:00Z is Tuesday 00:00 local", mondayNights(), utc("2026-11-23T16:00:00Z"), false},
		{"Sunday 17:00Z is Monday 01:00 local", office(), utc("2026-11-22T17:00:00Z"), true},
		{"Monday 04:00Z is Monday noon local", office(), utc("2026-11-23T04:00:00Z"), false},
		{"a UTC offset other than +08:00", office(), utc("2026-11-23T05:00:00-05:00"), true}, // 18:00 local
		{"30 September 23:59 local, an ordinary Wednesday night", office(), utc("2026-09-30T15:59:00Z"), true},
		{"1 October 00:00 local is a holiday", mondayNights(), utc("2026-09-30T16:00:00Z"), false},
		// no windows, never open
		{"no windows", Schedule{Location: shanghai}, local("2026-11-23 20:00:00"), false},
	} {
		if got := c.s.OpenAt(c.at); got != c.want {
			t.Errorf("%s: OpenAt(%s) = %v, want %v", c.name, c.at.In(shanghai), got, c.want)
		}
	}
}

func TestClosesAt(t *testing.T) {
	allWeek := Schedule{Location: shanghai}
	for wd := 1; wd <= 7; wd++ {
		allWeek.Windows = append(allWeek.Windows, Window{wd, 0, Day})
	}
	split := Schedule{Windows: []Window{{1, hm(8, 0), hm(12, 0)}, {1, hm(12, 0), hm(14, 0)}}, Location: shanghai}
	for _, c := range []struct {
		name string
		s    Schedule
		at   time.Time
		want string // local time, "" for none
	}{
		{"Monday evening to Tuesday morning", office(), local("2026-11-23 20:00:00"), "2026-11-24 08:00"},
		{"Friday evening to Monday morning", office(), local("2026-11-27 20:00:00"), "2026-11-30 08:00"},
		{"the eve of the holidays to the Thursday after", office(), local("2026-09-30 20:00:00"), "2026-10-08 08:00"},
		{"a worked Saturday's morning closes as a Monday's", office(), local("2026-10-10 03:00:00"), "2026-10-10 08:00"},
		{"the Friday before a worked Saturday closes at midnight", office(), local("2026-10-09 20:00:00"), "2026-10-10 08:00"},
		{"a window at midnight", mondayNights(), local("2026-11-23 21:00:00"), "2026-11-24 00:00"},
		{"adjacent windows of a day", split, local("2026-11-23 09:00:00"), "2026-11-23 14:00"},
		{"closed", office(), local("2026-11-23 12:00:00"), ""},
		{"always open", allWeek, local("2026-11-23 12:00:00"), ""},
	} {
		got, ok := c.s.ClosesAt(c.at)
		if c.want == "" {
			if ok {
				t.Errorf("%s: ClosesAt = %s, want none", c.name, got.In(shanghai))
			}
			continue
		}
		if !ok || !got.Equal(local(c.want+":00")) {
			t.Errorf("%s: ClosesAt = %s (%v), want %s", c.name, got.In(shanghai), ok, c.want)
		}
	}
}

func TestNextOpen(t *testing.T) {
	for _, c := range []struct {
		name string
		s    Schedule
		at   time.Time
		want string
	}{
		{"open now", office(), local("2026-11-23 20:00:00"), "2026-11-23 20:00"},
		{"Monday noon", office(), local("2026-11-23 12:00:00"), "2026-11-23 18:00"},
		{"worked Saturday noon", office(), local("2026-10-10 12:00:00"), "2026-10-10 18:00"},
		{"Monday nights from a Tuesday", mondayNights(), local("2026-11-24 12:00:00"), "2026-11-30 20:00"},
		{"Monday nights from the holidays: the worked Saturday comes first", mondayNights(), local("2026-10-05 21:00:00"), "2026-10-10 20:00"},
		{"never", Schedule{Location: shanghai}, local("2026-11-23 12:00:00"), ""},
	} {
		got, ok := c.s.NextOpen(c.at)
		if c.want == "" {
			if ok {
				t.Errorf("%s: NextOpen = %s, want none", c.name, got.In(shanghai))
			}
			continue
		}
		if !ok || !got.Equal(local(c.want+":00")) {
			t.Errorf("%s: NextOpen = %s (%v), want %s", c.name, got.In(shanghai), ok, c.want)
		}
	}
}
