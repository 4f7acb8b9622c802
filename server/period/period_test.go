package period

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"citymap/server/respond"
)

func local(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, Zone)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParse(t *testing.T) {
	now := local("2026-11-26 15:30")
	cases := []struct {
		query    string
		from, to string
		kind     string
	}{
		{"", "2026-10-27 15:30", "2026-11-26 15:30", ""},
		{"from=2026-11-01&to=2026-11-30", "2026-11-01 00:00", "2026-12-01 00:00", ""},
		{"from=2026-11-01T08:00:00%2B08:00&to=2026-11-02T00:00:00Z", "2026-11-01 08:00", "2026-11-02 08:00", ""},
		{"to=2026-03-31", "2026-03-02 00:00", "2026-04-01 00:00", ""},
		{"period=week&date=2026-11-26", "2026-11-23 00:00", "2026-11-30 00:00", Week}, // a Thursday
		{"period=week&date=2026-11-29", "2026-11-23 00:00", "2026-11-30 00:00", Week}, // a Sunday
		{"period=month", "2026-11-01 00:00", "2026-12-01 00:00", Month},
		{"period=quarter&date=2026-02-10", "2026-01-01 00:00", "2026-04-01 00:00", Quarter},
		{"period=quarter&date=2026-12-31", "2026-10-01 00:00", "2027-01-01 00:00", Quarter},
		{"from=2025-11-25&to=2026-11-25", "2025-11-25 00:00", "2026-11-26 00:00", ""}, // 366 days
	}
	for _, c := range cases {
		q, _ := url.ParseQuery(c.query)
		r, err := Parse(q, now)
		if err != nil {
			t.Errorf("%s: %v", c.query, err)
			continue
		}
		if !r.From.Equal(local(c.from)) || !r.To.Equal(local(c.to)) || r.Kind != c.kind {
			t.Errorf("%s: [%s, %s) %q, want [%s, %s) %q", c.query, r.From, r.To, r.Kind, c.from, c.to, c.kind)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := map[string]string{
		"from=2026-11-30&to=2026-11-01":                     "from",
		"from=2026-11-30T00:00:00Z&to=2026-11-30T00:00:00Z": "from",
		"from=2025-01-01&to=2026-11-01":                     "to",
		"from=2025-11-24&to=2026-11-25":                     "to", // 367 days
		"from=yesterday":                                    "from",
		"to=2026-13-01":                                     "to",
		"period=year":                                       "period",
		"period=month&from=2026-01-01":                      "period",
		"date=2026-01-01":                                   "date",
		"period=month&date=01/02/2026":                      "date",
		"period=month&date=9999-12-31":                      "date", // its period would end in the year 10000
		"period=week&date=1999-12-31":                       "date",
		"to=9999-12-31":                                     "to",
		"from=1999-12-31&to=2000-01-05":                     "from",
		"from=2027-11-28":                                   "from", // more than a year after now
		"to=1970-01-01T00:00:00Z":                           "to",
	}
	for query, field := range cases {
		q, _ := url.ParseQuery(query)
		_, err := Parse(q, local("2026-11-26 15:30"))
		var re *respond.Error
		if !errors.As(err, &re) || re.Status != 400 || re.Fields[field] == "" {
			t.Errorf("%s: %v, want a 400 naming %s", query, err, field)
		}
	}
}

// Time reads the filters of lists with the same limits, around the real now.
func TestTime(t *testing.T) {
	today := time.Now().In(Zone).Format(time.DateOnly)
	for query, ok := range map[string]bool{
		"":                           true,
		"from=" + today:              true,
		"from=2001-02-03T04:05:06Z":  true,
		"from=9999-12-31":            false,
		"from=1999-01-01":            false,
		"from=10000-01-01T00:00:00Z": false,
		"from=2001-02-30":            false,
	} {
		q, _ := url.ParseQuery(query)
		_, err := Time(q, "from", false)
		var re *respond.Error
		if ok != (err == nil) || (!ok && (!errors.As(err, &re) || re.Fields["from"] == "")) {
			t.Errorf("%q: %v, want ok=%v", query, err, ok)
		}
	}
}

func TestPrevious(t *testing.T) {
	cases := []struct {
		r        Range
		from, to string
	}{
		{Range{local("2026-03-01 00:00"), local("2026-04-01 00:00"), Month}, "2026-02-01 00:00", "2026-03-01 00:00"},
		{Range{local("2026-01-01 00:00"), local("2026-04-01 00:00"), Quarter}, "2025-10-01 00:00", "2026-01-01 00:00"},
		{Range{local("2026-11-23 00:00"), local("2026-11-30 00:00"), Week}, "2026-11-16 00:00", "2026-11-23 00:00"},
		{Range{local("2026-11-10 12:00"), local("2026-11-20 12:00"), ""}, "2026-10-31 12:00", "2026-11-10 12:00"},
		{Range{local("2025-01-01 00:00"), local("2026-01-01 00:00"), Year}, "2024-01-01 00:00", "2025-01-01 00:00"},
	}
	for _, c := range cases {
		p := c.r.Previous()
		if !p.From.Equal(local(c.from)) || !p.To.Equal(local(c.to)) || p.Kind != c.r.Kind {
			t.Errorf("before [%s, %s): [%s, %s), want [%s, %s)", c.r.From, c.r.To, p.From, p.To, c.from, c.to)
		}
	}
}

func TestOf(t *testing.T) {
	cases := []struct {
		kind, at, from, to string
	}{
		{Year, "2026-12-31 23:59", "2026-01-01 00:00", "2027-01-01 00:00"},
		{Year, "2026-01-01 00:00", "2026-01-01 00:00", "2027-01-01 00:00"},
		{Month, "2026-02-10 08:00", "2026-02-01 00:00", "2026-03-01 00:00"},
		{Week, "2026-11-29 23:00", "2026-11-23 00:00", "2026-11-30 00:00"},
	}
	for _, c := range cases {
		r, err := Of(c.kind, local(c.at))
		if err != nil || !r.From.Equal(local(c.from)) || !r.To.Equal(local(c.to)) || r.Kind != c.kind {
			t.Errorf("%s of %s: [%s, %s) %v, want [%s, %s)", c.kind, c.at, r.From, r.To, err, c.from, c.to)
		}
	}
	// the year's first instant in UTC is the city's new year already
	if r, _ := Of(Year, time.Date(2025, 12, 31, 16, 0, 0, 0, time.UTC)); r.From.Year() != 2026 {
		t.Errorf("2025-12-31 16:00Z is in the city's %d", r.From.Year())
	}
	if _, err := Of("decade", time.Now()); err == nil {
		t.Error("an unknown kind has a period")
	}
}
