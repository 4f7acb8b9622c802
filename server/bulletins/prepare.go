package bulletins

import (
	"context"
	"log/slog"
	"time"

	"citymap/server/period"
	"citymap/server/store"
)

// PreparedBy is who the scheduler's drafts name as their author.
const PreparedBy = "citymap:scheduler"

// Prepare stores the draft bulletin of every kind's period that ended last
// before now (the city's time), unless it has one already; it answers the
// ids it stored. Every instance may run it: the unique period of a
// bulletin lets one draft in, the others' inserts do nothing.
func Prepare(ctx context.Context, st *store.Store, now time.Time, th Thresholds) ([]int64, error) {
	ids := []int64{}
	for _, kind := range Kinds {
		cur, _ := period.Of(kind, now)
		rng := cur.Previous()
		has, err := st.HasBulletin(ctx, kind, rng.From)
		if err != nil {
			return ids, err
		}
		if has {
			continue
		}
		f, err := Assemble(ctx, st, rng, now, th)
		if err != nil {
			return ids, err
		}
		b, err := Stored(rng, f, "", "", now, PreparedBy)
		if err != nil {
			return ids, err
		}
		id, created, err := st.PrepareBulletin(ctx, b)
		if err != nil {
			return ids, err
		}
		if created {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// Run prepares the drafts at once and then every interval until ctx ends.
func (a *API) Run(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		ids, err := Prepare(ctx, a.store, a.now(), a.th)
		switch {
		case err != nil && ctx.Err() == nil:
			slog.Error("bulletins: prepare", "err", err)
		case len(ids) > 0:
			slog.Info("bulletins: drafts prepared", "ids", ids)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
