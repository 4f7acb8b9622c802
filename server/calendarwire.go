package server

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"citymap/server/calendar"
	"citymap/server/parking"
)

// calendarCheck is how often the instance looks for a missing calendar year:
// a year's schedule comes once, so twice a day is plenty.
const calendarCheck = 12 * time.Hour

// startCalendar warns, in the log and as the gauge
// citymap_calendar_missing_years, while the holiday calendar lacks the current
// year, or from December the next: deadlines would then count weekends only
// (citymap calendar import).
func (s *Server) startCalendar(context.Context) (func(), error) {
	var missing atomic.Int64
	s.obs.registry.GaugeFunc("citymap_calendar_missing_years",
		"Years the holiday calendar should hold and does not (the current one, and from December the next).",
		func() float64 { return float64(missing.Load()) })
	ctx, cancel := context.WithCancel(context.Background())
	zone := s.cfg.Timezone
	if zone == nil {
		zone, _ = time.LoadLocation(parking.DefaultTimezone) // embedded by time/tzdata
	}
	check := func() {
		held, err := s.store.CalendarYears(ctx)
		if err != nil {
			if ctx.Err() == nil {
				slog.Warn("calendar: could not read the years held", "err", err)
			}
			return
		}
		gone := calendar.Missing(held, time.Now(), zone)
		missing.Store(int64(len(gone)))
		if len(gone) > 0 {
			slog.Warn("calendar: the holiday calendar lacks years; deadlines in them count weekends only "+
				"(citymap calendar import FILE)", "missing", gone, "held", held)
		}
	}
	go func() {
		check()
		t := time.NewTicker(calendarCheck)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				check()
			}
		}
	}()
	return cancel, nil
}
