package liveload

import (
	"context"
	"math/rand/v2"
	"time"

	"citymap/server/store"
)

// written is one committed change: when its transaction's COMMIT returned, and
// where the issue is.
type written struct {
	seq  int64
	at   int64 // unix nanoseconds
	x, y float64
}

// writer commits changes to random issues at a steady rate, a batch per tick: a
// transaction per change would measure PostgreSQL's commit rate on two cores
// rather than the stream, and real intake batches too.
type writer struct {
	st      *store.Store
	issues  []store.IssuePoint
	rng     *rand.Rand
	changes []written
	txs     int
}

// run writes for d, keeping to the rate on average: each tick commits what the
// schedule owes, so a late tick is made up by the next.
func (w *writer) run(ctx context.Context, rate float64, tick, d time.Duration) error {
	t := time.NewTicker(tick)
	defer t.Stop()
	start := time.Now()
	perTick := max(1, int(rate*tick.Seconds()))
	for {
		elapsed := time.Since(start)
		if elapsed >= d {
			return nil
		}
		owed := int(rate*elapsed.Seconds()) - len(w.changes)
		if owed > 0 {
			// after a stall, catch up over a few ticks rather than in one huge commit
			if err := w.commit(ctx, min(owed, 4*perTick)); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (w *writer) commit(ctx context.Context, n int) error {
	picked := w.pick(n)
	ids := make([]int64, len(picked))
	for i, p := range picked {
		ids[i] = p.ID
	}
	last, err := w.st.TouchIssues(ctx, ids)
	if err != nil {
		return err
	}
	at := time.Now().UnixNano()
	w.txs++
	for i, p := range picked {
		w.changes = append(w.changes, written{seq: last - int64(len(ids)) + 1 + int64(i), at: at, x: p.X, y: p.Y})
	}
	return nil
}

// pick chooses n distinct issues.
func (w *writer) pick(n int) []store.IssuePoint {
	n = min(n, len(w.issues))
	seen := make(map[int]bool, n)
	out := make([]store.IssuePoint, 0, n)
	for len(out) < n {
		i := w.rng.IntN(len(w.issues))
		if !seen[i] {
			seen[i] = true
			out = append(out, w.issues[i])
		}
	}
	return out
}
