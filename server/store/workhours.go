package store

import (
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultWorkHours is the city's working day unless configured: the periods
// within which working-hour deadlines run (city_work_periods, migration 0023).
const DefaultWorkHours = "08:30-12:00,13:30-17:30"

// ParseWorkHours checks a working day given as "HH:MM-HH:MM,..." (periods in
// ascending order, each opening before it closes, none overlapping the next;
// 24:00 closes at midnight) and returns it as the database reads it.
func ParseWorkHours(spec string) (string, error) {
	spec = strings.ReplaceAll(spec, " ", "")
	if spec == "" {
		return "", fmt.Errorf("work hours: empty (e.g. %s)", DefaultWorkHours)
	}
	var last time.Duration = -1
	for _, p := range strings.Split(spec, ",") {
		o, c, ok := strings.Cut(p, "-")
		opens, err1 := clockOf(o)
		closes, err2 := clockOf(c)
		switch {
		case !ok || err1 != nil || err2 != nil:
			return "", fmt.Errorf("work hours: %q is not HH:MM-HH:MM", p)
		case opens >= closes:
			return "", fmt.Errorf("work hours: %q closes before it opens", p)
		case opens < last:
			return "", fmt.Errorf("work hours: %q overlaps or precedes the period before it", p)
		}
		last = closes
	}
	return spec, nil
}

// clockOf reads HH:MM as a time of day; 24:00 is midnight at the end.
func clockOf(s string) (time.Duration, error) {
	if s == "24:00" {
		return 24 * time.Hour, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, fmt.Errorf("not HH:MM: %q", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// WorkHours makes spec (checked by ParseWorkHours) the working day of every
// connection (the setting citymap.work_hours), so that every deadline the
// database computes counts it; empty leaves the database's own setting (ALTER
// DATABASE … SET citymap.work_hours) or the default.
func WorkHours(spec string) Option {
	return func(c *pgxpool.Config) {
		if spec != "" {
			c.ConnConfig.RuntimeParams["citymap.work_hours"] = spec
		}
	}
}
