package reportcube

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"
	"unsafe"

	"github.com/jackc/pgx/v5"

	"citymap/server/store"
)

// errPruned says the feed no longer holds every change after the cube's
// position: only a full load can bring it up to date.
var errPruned = errors.New("report cube: the feed was pruned past the cube's position")

// maxCatchUp is the most issues one catch-up re-reads; a larger backlog is
// read by a full load.
const maxCatchUp = 200_000

// load reads every issue.
func (c *Cube) load(ctx context.Context) error {
	start := time.Now()
	return c.st.CubeSnapshot(ctx, func(tx pgx.Tx, head int64) error {
		snap, err := c.read(ctx, tx, nil)
		if err != nil {
			return err
		}
		stats := Stats{Issues: len(snap.facts), Load: time.Since(start), Bytes: sizeOf(snap)}
		for _, evs := range snap.events {
			stats.Events += len(evs)
		}
		c.mu.Lock()
		c.facts, c.events, c.loaded, c.stats = snap.facts, snap.events, true, stats
		c.advanceLocked(head)
		c.mu.Unlock()
		slog.Info("report cube: loaded", "issues", stats.Issues, "events", stats.Events,
			"took", stats.Load.Round(time.Millisecond), "MB", stats.Bytes>>20, "feed", head)
		return nil
	})
}

// sizeOf estimates the memory of a snapshot: the facts' array, and for the
// events a map entry (key, slice header, bucket overhead) and the events.
func sizeOf(s *snapshot) int64 {
	n := int64(cap(s.facts)) * int64(unsafe.Sizeof(fact{}))
	for _, evs := range s.events {
		n += 48 + int64(cap(evs))*int64(unsafe.Sizeof(event{}))
	}
	return n
}

// catchUp applies the changes of the feed after the cube's position: it
// re-reads the issues they name from the database (so the cube holds the
// database's values, not the feed's rendering of them).
func (c *Cube) catchUp(ctx context.Context) error {
	_, applied := c.Loaded()
	return c.st.CubeSnapshot(ctx, func(tx pgx.Tx, head int64) error {
		if head <= applied {
			return nil
		}
		count, changed, err := store.ChangedIssues(ctx, tx, applied, head)
		if err != nil {
			return err
		}
		if count != head-applied || len(changed) > maxCatchUp {
			return errPruned
		}
		var snap *snapshot
		if len(changed) > 0 {
			if snap, err = c.read(ctx, tx, changed); err != nil {
				return err
			}
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if snap != nil {
			c.replaceLocked(changed, snap)
		}
		c.advanceLocked(head)
		return nil
	})
}

// replaceLocked puts the snapshot's issues in place of the cube's issues of
// ids; an id the snapshot lacks was deleted. An issue is found where its
// created_at puts it: no code path changes an issue's created_at.
func (c *Cube) replaceLocked(ids []int64, snap *snapshot) {
	fresh := make(map[int64]fact, len(snap.facts))
	for _, x := range snap.facts {
		fresh[x.id] = x
	}
	for _, id := range ids {
		delete(c.events, id)
		if evs := snap.events[id]; len(evs) > 0 {
			c.events[id] = evs
		}
		x, ok := fresh[id]
		if !ok {
			c.deleteLocked(id)
			continue
		}
		i, found := slices.BinarySearchFunc(c.facts, x, compareFacts)
		if found {
			c.facts[i] = x
		} else {
			c.facts = slices.Insert(c.facts, i, x) // at the end for a new issue
		}
	}
}

// deleteLocked removes issue id, which the database no longer has.
func (c *Cube) deleteLocked(id int64) {
	if i := slices.IndexFunc(c.facts, func(x fact) bool { return x.id == id }); i >= 0 {
		c.facts = slices.Delete(c.facts, i, i+1)
	}
}

// fresh waits until the cube holds every change committed before now, at most
// MaxWait, and reports whether it does.
func (c *Cube) fresh(ctx context.Context) bool {
	head, err := store.FeedHead(ctx, c.st.Pool)
	if err != nil {
		return false
	}
	timeout := time.NewTimer(c.cfg.MaxWait)
	defer timeout.Stop()
	for {
		c.mu.RLock()
		loaded, applied, progress := c.loaded, c.applied, c.progress
		c.mu.RUnlock()
		switch {
		case !loaded:
			return false
		case applied >= head:
			return true
		}
		c.Nudge()
		select {
		case <-progress:
		case <-timeout.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}
