package server

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"time"

	"citymap/server/store"
)

// archiverMemo is how long one reading of pg_stat_archiver serves: a scrape
// reads every series of it, and that is one query.
const archiverMemo = time.Second

// archiver reads the database's WAL archiving state for /metrics and /readyz.
type archiver struct {
	st   *store.Store
	mu   sync.Mutex
	at   time.Time // when last read
	last store.ArchiverStatus
	err  error
}

// status is the archiver's state, read at most once per archiverMemo.
func (a *archiver) status() (store.ArchiverStatus, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if time.Since(a.at) >= archiverMemo {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		a.last, a.err = a.st.ArchiverStatus(ctx)
		a.at = time.Now()
		if a.err != nil {
			slog.Warn("metrics: could not read pg_stat_archiver", "err", a.err)
		}
	}
	return a.last, a.err
}

// startArchiver exposes the WAL archiver's state (pg_stat_archiver) in
// /metrics, read at each scrape: the alert that a backup could not restore
// to now belongs there (scripts/backup.sh, docs/BACKUP.md).
func (s *Server) startArchiver(context.Context) (func(), error) {
	s.archiver = &archiver{st: s.store}
	reg := s.obs.registry
	read := func(f func(store.ArchiverStatus) float64) func() float64 {
		return func() float64 {
			a, err := s.archiver.status()
			if err != nil {
				return math.NaN()
			}
			return f(a)
		}
	}
	reg.GaugeFunc("citymap_wal_archive_enabled", "1 when the database archives its WAL (archive_mode), 0 when not.",
		read(func(a store.ArchiverStatus) float64 { return boolGauge(a.Enabled) }))
	reg.CounterFunc("citymap_wal_archived_total", "WAL segments the database has archived (pg_stat_archiver).",
		read(func(a store.ArchiverStatus) float64 { return float64(a.Archived) }))
	reg.CounterFunc("citymap_wal_archive_failures_total", "Failed attempts to archive a WAL segment (pg_stat_archiver).",
		read(func(a store.ArchiverStatus) float64 { return float64(a.Failed) }))
	reg.GaugeFunc("citymap_wal_archive_last_success_age_seconds",
		"Seconds since the last WAL segment was archived; NaN when none ever was.",
		read(func(a store.ArchiverStatus) float64 { return age(a.LastArchived) }))
	reg.GaugeFunc("citymap_wal_archive_last_failure_age_seconds",
		"Seconds since the last failed attempt to archive a WAL segment; NaN when none failed.",
		read(func(a store.ArchiverStatus) float64 { return age(a.LastFailed) }))
	reg.GaugeFunc("citymap_wal_archive_failing",
		"1 when the archiver's latest attempt failed: a restore cannot reach past the last segment archived.",
		read(func(a store.ArchiverStatus) float64 { return boolGauge(a.Failing()) }))
	return nil, nil
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// age is the seconds since t, NaN when there is no t.
func age(t *time.Time) float64 {
	if t == nil {
		return math.NaN()
	}
	return time.Since(*t).Seconds()
}

// archiverWarning is what /readyz says about a failing archiver, nil when it
// is not failing (or archiving is off). It does not make the instance unready:
// the instance serves and loses nothing while the database keeps the WAL it
// could not archive, and taking every instance out of the load balancer would
// turn a backup problem into an outage.
func (s *Server) archiverWarning() map[string]any {
	a, err := s.archiver.status()
	if err != nil || !a.Failing() {
		return nil
	}
	reach := "the last segment archived"
	if a.LastArchived != nil {
		reach = a.LastArchived.Format(time.RFC3339)
	}
	return map[string]any{"failing": true, "status": a,
		"message": "WAL archiving is failing: a restore cannot reach past " + reach +
			" until it archives again (scripts/backup.sh check)"}
}
