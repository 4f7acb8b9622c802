package live

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"citymap/server/store"
)

// Tailing: one dedicated connection LISTENs on the feed's channel and reads the
// feed by sequence number whenever a notification arrives (and every PollEvery in
// case one is lost). Notifications only wake the tailer; the sequence numbers it
// reads are the truth, so a connection lost at any moment costs nothing: the next
// connection reads on from the last change published.

const (
	tailBatch  = 500
	minBackoff = 100 * time.Millisecond
	// maxBackoff keeps reconnecting cheap while the database is down (a connection
	// attempt or two a second) and the stream back within a second once it is up.
	maxBackoff   = 500 * time.Millisecond
	queryTimeout = 10 * time.Second
	// gapGrace is how long a hole in the feed may last before the tailer asks
	// whether pruning made it; a hole should never happen (see catchUp).
	gapGrace = 2 * time.Second
)

func (h *Hub) tail(ctx context.Context) {
	backoff := minBackoff
	var lost time.Time // when the feed connection went, zero while it is up
	attempts := 0
	for {
		err := h.tailSession(ctx, func() {
			backoff = minBackoff
			if !lost.IsZero() {
				h.logger().Info("live: feed connection restored", "after", time.Since(lost).Round(time.Millisecond),
					"attempts", attempts)
				lost, attempts = time.Time{}, 0
			}
		})
		h.caughtUpAt.Store(0)
		if ctx.Err() != nil {
			return
		}
		// jitter spreads the reconnects of many instances after a database restart
		d := backoff/2 + rand.N(backoff/2+1)
		if lost.IsZero() {
			lost = time.Now()
			h.logger().Warn("live: feed connection lost, reconnecting", "err", err, "in", d.Round(time.Millisecond))
		} else {
			h.logger().Debug("live: feed still unreachable", "err", err, "in", d.Round(time.Millisecond))
		}
		attempts++
		h.m.reconnects.Inc()
		h.pause(ctx, d)
		backoff = min(2*backoff, maxBackoff)
	}
}

// tailSession connects, listens and reads the feed until the connection fails.
func (h *Hub) tailSession(ctx context.Context, connected func()) error {
	cctx, cancel := context.WithTimeout(ctx, queryTimeout)
	conn, err := h.st.Connect(cctx)
	cancel()
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	// listen before reading, so that nothing committed after the read goes unheard
	if err := store.Listen(ctx, conn); err != nil {
		return err
	}
	select {
	case <-h.ready:
		if err := h.resume(ctx, conn); err != nil {
			return err
		}
	default:
		if err := h.start(ctx, conn); err != nil {
			return err
		}
	}
	connected()
	for {
		if err := h.catchUp(ctx, conn); err != nil {
			return err
		}
		h.caughtUpAt.Store(time.Now().UnixNano())
		if err := h.await(ctx, conn); err != nil {
			return err
		}
		if err := h.st.CheckPrimary(conn); err != nil {
			return err // a fenced primary: the feed goes on elsewhere
		}
	}
}

// start positions a fresh hub at the feed's head, loading the ring with what
// precedes it so that clients of an instance that restarted can resume here.
func (h *Hub) start(ctx context.Context, conn *pgx.Conn) error {
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	head, err := store.FeedHead(qctx, conn)
	if err != nil {
		return err
	}
	rows, err := store.ChangesSince(qctx, conn, max(0, head-int64(h.cfg.RingSize)), head, h.cfg.RingSize)
	if err != nil {
		return err
	}
	var recent []*Change
	for i, r := range rows {
		if i > 0 && r.Seq != rows[i-1].Seq+1 {
			recent = recent[:0] // keep only the contiguous tail
		}
		recent = append(recent, newChange(r))
	}
	h.announce(head)
	h.initialize(head, recent)
	h.observers.notify([]*Change{resetChange(head)})
	h.logger().Info("live: streaming the changes feed", "head", head, "ring", len(recent))
	return nil
}

// resume checks, on a new connection, that the feed still holds what the hub
// published: a database that fails over to a standby which lacks the last
// commits (asynchronous replication) or is restored from a backup has a head
// behind it, and would hand out those sequence numbers again for other
// changes. The hub then moves back to that head, telling every live client to
// reload, rather than skip the new changes or send two changes under one seq.
func (h *Hub) resume(ctx context.Context, conn *pgx.Conn) error {
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	head, err := store.FeedHead(qctx, conn)
	cancel()
	if err != nil {
		return err
	}
	if last := h.Published(); head < last {
		h.logger().Error("live: the changes feed is behind what was published (a failover lost commits, "+
			"or a restore); clients reset", "head", head, "published", last)
		h.rewind(head)
	}
	return nil
}

// rewind moves the hub back to seq, below what it published: live clients
// hear a reset at seq and then take the changes after it, which are new ones
// under reused numbers. A client still replaying at that moment joins at its
// own cursor, above seq, and resumes from there.
func (h *Hub) rewind(seq int64) {
	h.mu.Lock()
	for _, c := range h.live {
		c.skip = min(c.skip, seq)
	}
	h.mu.Unlock()
	h.announced.Store(seq)
	h.jump(seq)
}

// await waits for a notification or the safety poll.
func (h *Hub) await(ctx context.Context, conn *pgx.Conn) error {
	wctx, cancel := context.WithTimeout(ctx, h.cfg.PollEvery)
	n, err := conn.WaitForNotification(wctx)
	cancel()
	switch {
	case err == nil:
		if seq, perr := strconv.ParseInt(n.Payload, 10, 64); perr == nil {
			h.announce(seq)
		}
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case wctx.Err() != nil && (pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded)):
		return nil // the safety poll
	}
	return err
}

// catchUp reads and publishes the feed after the last published change until it
// is caught up. Sequence numbers are assigned under a row lock held to commit, so
// once N is visible every change before N is too: a hole means something is wrong,
// and the tailer stops before it and reads again rather than skip a change.
func (h *Hub) catchUp(ctx context.Context, conn *pgx.Conn) error {
	var gapSince time.Time
	for {
		last := h.Published()
		qctx, cancel := context.WithTimeout(ctx, queryTimeout)
		rows, err := store.ChangesSince(qctx, conn, last, 0, tailBatch)
		cancel()
		if err != nil {
			return err
		}
		batch := contiguous(rows, last)
		if len(batch) > 0 {
			h.announce(batch[len(batch)-1].Seq)
			h.publish(batch)
			gapSince = time.Time{}
		}
		switch {
		case len(rows) == 0 && h.announced.Load() > last:
			// announced but not there: pruned before this instance read it
			return h.skipPruned(ctx, last)
		case len(batch) < len(rows):
			if gapSince.IsZero() {
				gapSince = time.Now()
			}
			if err := h.onGap(ctx, rows[len(batch)].Seq, time.Since(gapSince)); err != nil {
				return err
			}
		case len(rows) < tailBatch:
			return nil
		}
	}
}

// contiguous decodes the run of rows that follows last without a hole.
func contiguous(rows []store.Change, last int64) []*Change {
	out := make([]*Change, 0, len(rows))
	for _, r := range rows {
		if r.Seq != last+1 {
			break
		}
		out = append(out, newChange(r))
		last = r.Seq
	}
	return out
}

// onGap handles a hole before seq next. Briefly it waits and reads again; when
// the hole persists and the feed no longer holds the changes before next (pruned
// while this instance was cut off for longer than the retention), it moves on to
// next and tells every live client to reload.
func (h *Hub) onGap(ctx context.Context, next int64, lasted time.Duration) error {
	h.m.gaps.Inc()
	last := h.Published()
	if lasted < gapGrace {
		h.logger().Warn("live: hole in the changes feed, reading again", "after", last, "next", next)
		h.pause(ctx, 50*time.Millisecond)
		return ctx.Err()
	}
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	oldest, _, err := h.st.FeedBounds(qctx)
	cancel()
	if err != nil {
		return err
	}
	if oldest <= last+1 {
		h.logger().Error("live: hole in the changes feed persists", "after", last, "next", next)
		h.pause(ctx, time.Second)
		return ctx.Err()
	}
	h.logger().Error("live: changes were pruned before this instance read them; clients reset",
		"after", last, "oldest", oldest)
	h.jump(oldest - 1)
	return nil
}

// skipPruned handles a feed with nothing after last although later changes were
// committed: a prune took them (and everything else) before this instance read
// them, so it moves on to the head like onGap does.
func (h *Hub) skipPruned(ctx context.Context, last int64) error {
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	oldest, _, err := h.st.FeedBounds(qctx)
	cancel()
	if err != nil || oldest <= last+1 {
		return err
	}
	h.m.gaps.Inc()
	h.logger().Error("live: changes were pruned before this instance read them; clients reset",
		"after", last, "oldest", oldest)
	h.jump(oldest - 1)
	return nil
}

// jump moves the hub past changes it can no longer read, sending live clients a
// reset in their stream.
func (h *Hub) jump(seq int64) {
	h.publish([]*Change{resetChange(seq)})
	h.m.resets.Inc()
}

func (h *Hub) announce(seq int64) {
	for {
		old := h.announced.Load()
		if seq <= old || h.announced.CompareAndSwap(old, seq) {
			return
		}
	}
}

// prune drops the months of the feed past the retention now and every PruneEvery.
func (h *Hub) prune(ctx context.Context) {
	for {
		cutoff := time.Now().Add(-h.cfg.Retention)
		qctx, cancel := context.WithTimeout(ctx, time.Minute)
		n, err := h.st.PruneChanges(qctx, cutoff)
		cancel()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			h.logger().Warn("live: pruning the changes feed", "err", err)
		case n > 0:
			h.m.pruned.Add(float64(n))
			h.logger().Info("live: pruned the changes feed", "dropped", n, "months ended before", cutoff)
		}
		h.pause(ctx, h.cfg.PruneEvery)
		if ctx.Err() != nil {
			return
		}
	}
}
