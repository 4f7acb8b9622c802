package store

import (
	"context"
	"time"
)

// ArchiverStatus is the state of the database's WAL archiving, from
// pg_stat_archiver: what point-in-time recovery can reach (docs/BACKUP.md).
type ArchiverStatus struct {
	// Enabled is archive_mode: off, the server archives nothing.
	Enabled bool `json:"enabled"`
	// Archived and Failed count the segments archived and the failed attempts
	// since the statistics were last reset.
	Archived int64 `json:"archived_count"`
	Failed   int64 `json:"failed_count"`
	// LastArchivedWAL and LastArchived are the last segment archived and when;
	// LastFailedWAL and LastFailed the last failure. Empty and nil: never.
	LastArchivedWAL string     `json:"last_archived_wal,omitempty"`
	LastArchived    *time.Time `json:"last_archived_time,omitempty"`
	LastFailedWAL   string     `json:"last_failed_wal,omitempty"`
	LastFailed      *time.Time `json:"last_failed_time,omitempty"`
}

// Failing is whether the archiver's latest attempt failed: a failure after the
// last success. The server retries the segment until archive_command succeeds,
// keeping the WAL meanwhile, so a failing archiver loses nothing yet, but a
// restore cannot reach past the last segment archived.
func (a ArchiverStatus) Failing() bool {
	return a.LastFailed != nil && (a.LastArchived == nil || a.LastFailed.After(*a.LastArchived))
}

// ArchiverStatus reads the archiver's state on the primary, through the
// connection of the health checks: /metrics and /readyz answer however busy
// the pool is.
func (s *Store) ArchiverStatus(ctx context.Context) (ArchiverStatus, error) {
	var a ArchiverStatus
	err := s.probePool().QueryRow(ctx, `SELECT current_setting('archive_mode') <> 'off', archived_count, failed_count,
		coalesce(last_archived_wal, ''), last_archived_time, coalesce(last_failed_wal, ''), last_failed_time
		FROM pg_stat_archiver`).Scan(&a.Enabled, &a.Archived, &a.Failed,
		&a.LastArchivedWAL, &a.LastArchived, &a.LastFailedWAL, &a.LastFailed)
	return a, err
}
