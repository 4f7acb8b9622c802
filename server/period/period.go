// Package period reads the time ranges that reports and lists cover: from and to
// as RFC 3339 times or as dates of the city's calendar, or a calendar period (a
// week, month or quarter) named by a date in it; and the period before a range,
// which rankings compare against. It does no I/O.
package period

import (
	"fmt"
	"net/url"
	"time"

	"citymap/server/respond"
)

// Zone is the city's time zone: dates without a time are its days, weeks start on
// its Mondays. China has one zone and no daylight saving, so a fixed offset is
// exact and needs no time zone database.
var Zone = time.FixedZone("CST", 8*3600)

// ZoneName is Zone as PostgreSQL names it, for local days in SQL.
const ZoneName = "Asia/Shanghai"

// Limits of a range.
const (
	DefaultDays = 30
	MaxDays     = 366
)

// The dates a client may name lie from Earliest to MaxAhead after now: the
// city's records start long after 2000, planning a period ahead is fine, and a
// date like 9999-12-31 is a typo or a probe (its period would end in the year
// 10000, which no JSON time can say).
var Earliest = time.Date(2000, 1, 1, 0, 0, 0, 0, Zone)

// MaxAhead is how far after now a date may lie.
const MaxAhead = 366 * 24 * time.Hour

// Kinds of calendar period.
const (
	Week    = "week"
	Month   = "month"
	Quarter = "quarter"
	// Year is a bulletin's period only (Of); the reports' ranges span at most
	// MaxDays.
	Year = "year"
)

// Range is the half-open interval [From, To). Kind is the calendar period it is
// ("" for a range given by from and to): the period before a month is the
// previous month, whatever its length.
type Range struct {
	From, To time.Time
	Kind     string
}

// Previous returns the period just before r: the previous calendar period, or a
// range of the same length ending where r begins.
func (r Range) Previous() Range {
	switch r.Kind {
	case Week:
		return Range{From: r.From.AddDate(0, 0, -7), To: r.From, Kind: r.Kind}
	case Month:
		return Range{From: r.From.AddDate(0, -1, 0), To: r.From, Kind: r.Kind}
	case Quarter:
		return Range{From: r.From.AddDate(0, -3, 0), To: r.From, Kind: r.Kind}
	case Year:
		return Range{From: r.From.AddDate(-1, 0, 0), To: r.From, Kind: r.Kind}
	}
	return Range{From: r.From.Add(-r.To.Sub(r.From)), To: r.From}
}

// Calendar returns the week (Monday to Sunday), month or quarter of the city's
// calendar that contains t.
func Calendar(kind string, t time.Time) (Range, error) {
	t = t.In(Zone)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, Zone)
	var from time.Time
	var to time.Time
	switch kind {
	case Week:
		from = day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
		to = from.AddDate(0, 0, 7)
	case Month:
		from = day.AddDate(0, 0, 1-day.Day())
		to = from.AddDate(0, 1, 0)
	case Quarter:
		from = time.Date(day.Year(), (day.Month()-1)/3*3+1, 1, 0, 0, 0, 0, Zone)
		to = from.AddDate(0, 3, 0)
	default:
		return Range{}, fmt.Errorf("unknown period %q", kind)
	}
	return Range{From: from, To: to, Kind: kind}, nil
}

// Of returns the calendar period of this kind that contains t: Calendar's,
// or the calendar year.
func Of(kind string, t time.Time) (Range, error) {
	if kind != Year {
		return Calendar(kind, t)
	}
	t = t.In(Zone)
	from := time.Date(t.Year(), 1, 1, 0, 0, 0, 0, Zone)
	return Range{From: from, To: from.AddDate(1, 0, 0), Kind: Year}, nil
}

// Parse reads a range from the query parameters period and date, or from and
// to. Without any of them the range is the DefaultDays days before now. A date
// as to includes its whole day (to=2026-06-30 ends at July 1st, 00:00). Errors
// are 400 answers that name the parameter.
func Parse(q url.Values, now time.Time) (Range, error) {
	if kind := q.Get("period"); kind != "" {
		if q.Get("from") != "" || q.Get("to") != "" {
			return Range{}, respond.Field("period", "invalid", "give either period (with date) or from and to")
		}
		return parseCalendar(kind, q.Get("date"), now)
	}
	if q.Get("date") != "" {
		return Range{}, respond.Field("date", "invalid", "date names the day of a period: give period too")
	}
	r := Range{To: now}
	if s := q.Get("to"); s != "" {
		t, err := parseTime(s, "to", true, now)
		if err != nil {
			return r, err
		}
		r.To = t
	}
	r.From = r.To.AddDate(0, 0, -DefaultDays)
	if s := q.Get("from"); s != "" {
		t, err := parseTime(s, "from", false, now)
		if err != nil {
			return r, err
		}
		r.From = t
	}
	return r, r.check()
}

func parseCalendar(kind, date string, now time.Time) (Range, error) {
	day := now
	if date != "" {
		t, err := parseTime(date, "date", false, now)
		if err != nil {
			return Range{}, err
		}
		day = t
	}
	r, err := Calendar(kind, day)
	if err != nil {
		return r, respond.Field("period", "invalid", "period is one of week, month, quarter")
	}
	return r, nil
}

func (r Range) check() error {
	if !r.From.Before(r.To) {
		return respond.Field("from", "invalid", "from must be before to")
	}
	if r.To.Sub(r.From) > MaxDays*24*time.Hour {
		return respond.Field("to", "too_long", fmt.Sprintf("a range spans at most %d days", MaxDays))
	}
	return nil
}

// parseTime reads an RFC 3339 time or a date of the city's calendar between
// Earliest and MaxAhead after now; as the end of a range a date means the end
// of that day.
func parseTime(s, name string, end bool, now time.Time) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		if t, err = time.ParseInLocation(time.DateOnly, s, Zone); err != nil {
			return time.Time{}, respond.Field(name, "invalid", name+" is an RFC 3339 time or a date (YYYY-MM-DD)")
		}
		if end {
			t = t.AddDate(0, 0, 1)
		}
	}
	if t.Before(Earliest) || t.After(now.Add(MaxAhead)) {
		return time.Time{}, respond.Field(name, "out_of_range", fmt.Sprintf(
			"%s must lie between %s and a year from now", name, Earliest.Format(time.DateOnly)))
	}
	return t, nil
}

// Time reads one optional time parameter (RFC 3339 or a date, within the
// range parseTime allows); end says whether a date means the end of its day. A
// missing parameter gives the zero time.
func Time(q url.Values, name string, end bool) (time.Time, error) {
	s := q.Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	return parseTime(s, name, end, time.Now())
}
