// Package partitions keeps the month partitions of the time-partitioned tables
// (issues, issue_events, changes, parking_readings; migration 0028) ahead of
// the clock, and exposes what there is as metrics. Every instance runs it:
// the database serialises them, and a month created twice is created once.
package partitions

import (
	"context"
	"log/slog"
	"time"

	"citymap/server/metrics"
	"citymap/server/store"
)

// Ahead is how many months past the current one must have their partitions:
// an instance that cannot reach the database for weeks still leaves the rows
// of the coming months a partition of their own (and the DEFAULT partition
// takes any that would find none).
const Ahead = 3

// Config tunes the keeper; zero fields take the defaults.
type Config struct {
	// MaintainEvery is how often the months ahead are made (1 hour).
	MaintainEvery time.Duration
	// ReadEvery is how often the metrics are read again (1 minute): the feed's
	// pruner drops months between two maintenances.
	ReadEvery time.Duration
	// Logger receives the keeper's log lines; nil is slog's default.
	Logger *slog.Logger
}

// Keeper maintains the partitions in the background.
type Keeper struct {
	cfg    Config
	st     *store.Store
	months metrics.GaugeVec
	oldest metrics.GaugeVec
	newest metrics.GaugeVec
	made   metrics.Counter
	failed metrics.Counter
	cancel context.CancelFunc
	done   chan struct{}
}

// New registers the keeper's metrics in reg; Start runs it.
func New(cfg Config, st *store.Store, reg *metrics.Registry) *Keeper {
	if cfg.MaintainEvery <= 0 {
		cfg.MaintainEvery = time.Hour
	}
	if cfg.ReadEvery <= 0 {
		cfg.ReadEvery = time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Keeper{cfg: cfg, st: st,
		months: reg.GaugeVec("citymap_partitions",
			"Month partitions of a time-partitioned table (its DEFAULT partition not counted).", "table"),
		oldest: reg.GaugeVec("citymap_partitions_oldest_month_seconds",
			"Start of the oldest month a time-partitioned table holds, as a Unix time.", "table"),
		newest: reg.GaugeVec("citymap_partitions_newest_month_seconds",
			"End of the newest month a time-partitioned table has a partition for, as a Unix time.", "table"),
		made: reg.Counter("citymap_partitions_created_total",
			"Month partitions this instance created ahead of the clock."),
		failed: reg.Counter("citymap_partitions_maintenance_failures_total",
			"Rounds of partition maintenance that failed (each is tried again at the next)."),
	}
}

// Start maintains the partitions now, then every MaintainEvery, and reads the
// metrics every ReadEvery, until Close.
func (k *Keeper) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	k.cancel, k.done = cancel, make(chan struct{})
	go func() {
		defer close(k.done)
		k.Maintain(ctx)
		maintain, read := time.NewTicker(k.cfg.MaintainEvery), time.NewTicker(k.cfg.ReadEvery)
		defer maintain.Stop()
		defer read.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-maintain.C:
				k.Maintain(ctx)
			case <-read.C:
				k.read(ctx)
			}
		}
	}()
}

// Close stops the keeper and waits for it.
func (k *Keeper) Close() {
	if k.cancel != nil {
		k.cancel()
		<-k.done
	}
}

// Maintain makes the months up to Ahead, then reads the metrics.
func (k *Keeper) Maintain(ctx context.Context) {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	n, err := k.st.MaintainPartitions(qctx, Ahead)
	cancel()
	switch {
	case ctx.Err() != nil:
		return
	case err != nil:
		k.failed.Inc()
		k.cfg.Logger.Error("partitions: could not make the months ahead", "err", err)
	case n > 0:
		k.made.Add(float64(n))
		k.cfg.Logger.Info("partitions: made the months ahead", "created", n)
	}
	k.read(ctx)
}

func (k *Keeper) read(ctx context.Context) {
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tables, err := k.st.PartitionedTables(qctx)
	if err != nil {
		if ctx.Err() == nil {
			k.cfg.Logger.Warn("partitions: could not read them", "err", err)
		}
		return
	}
	for _, t := range tables {
		k.months.With(t.Table).Set(float64(t.Months))
		if t.Months > 0 {
			k.oldest.With(t.Table).Set(float64(t.Oldest.Unix()))
			k.newest.With(t.Table).Set(float64(t.Newest.Unix()))
		}
	}
}
