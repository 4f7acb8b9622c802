package democity

import "time"

// CalendarDay is a day off the weekly rhythm: a public holiday, or a weekend day
// worked to make up for one (调休).
type CalendarDay struct {
	Day  time.Time // midnight UTC of the date
	Kind string    // holiday or workday
	Name string
}

// holidaySpan is one holiday period and its make-up workdays, after the State
// Council's schedules for 2025 and 2026.
type holidaySpan struct {
	name     string
	from, to string
	workdays []string
}

var holidaySpans = []holidaySpan{
	{"元旦", "2025-01-01", "2025-01-01", nil},
	{"春节", "2025-01-28", "2025-02-04", []string{"2025-01-26", "2025-02-08"}},
	{"清明节", "2025-04-04", "2025-04-06", nil},
	{"劳动节", "2025-05-01", "2025-05-05", []string{"2025-04-27"}},
	{"端午节", "2025-05-31", "2025-06-02", nil},
	{"国庆节、中秋节", "2025-10-01", "2025-10-08", []string{"2025-09-28", "2025-10-11"}},
	{"元旦", "2026-01-01", "2026-01-03", []string{"2026-01-04"}},
	{"春节", "2026-02-15", "2026-02-23", []string{"2026-02-14", "2026-02-28"}},
	{"清明节", "2026-04-04", "2026-04-06", nil},
	{"劳动节", "2026-05-01", "2026-05-05", []string{"2026-05-09"}},
	{"端午节", "2026-06-19", "2026-06-21", nil},
	{"中秋节", "2026-09-25", "2026-09-27", nil},
	{"国庆节", "2026-10-01", "2026-10-07", []string{"2026-09-20", "2026-10-10"}},
}

func (c *City) buildCalendar() {
	c.Calendar = calendarDays()
	c.holiday = make(map[string]CalendarDay, len(c.Calendar))
	for _, d := range c.Calendar {
		c.holiday[d.Day.Format(time.DateOnly)] = d
	}
}

// calendarDays lists the holidays and make-up workdays in date order of their
// periods.
func calendarDays() []CalendarDay {
	var out []CalendarDay
	for _, h := range holidaySpans {
		for _, w := range h.workdays {
			if w < h.from {
				out = append(out, CalendarDay{mustDate(w), "workday", h.name + "调休上班"})
			}
		}
		for d := mustDate(h.from); !d.After(mustDate(h.to)); d = d.AddDate(0, 0, 1) {
			out = append(out, CalendarDay{d, "holiday", h.name})
		}
		for _, w := range h.workdays {
			if w > h.to {
				out = append(out, CalendarDay{mustDate(w), "workday", h.name + "调休上班"})
			}
		}
	}
	return out
}

func mustDate(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// dayType says how a local date is lived: "holiday", "weekend" (a rest day that
// is no holiday) or "workday".
func (c *City) dayType(t time.Time) string {
	t = t.In(local)
	if d, ok := c.holiday[t.Format(time.DateOnly)]; ok {
		return d.Kind
	}
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return "weekend"
	}
	return "workday"
}

// restDay is true on weekends and holidays that are not make-up workdays.
func (c *City) restDay(t time.Time) bool { return c.dayType(t) != "workday" }
