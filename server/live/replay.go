package live

import (
	"context"
	"errors"
	"fmt"

	"citymap/server/store"
)

// Replay: a client that subscribes with since first receives the matching changes
// after since, read from the ring or, when they are older, from the feed; when
// its replay reaches what the hub has published it joins the live stream at that
// very sequence number (joinAt), so it sees each change once and in order.

const (
	// ringScan bounds the changes one replay step examines under the hub's read
	// lock, so that publishing never waits long for a replaying client.
	ringScan = 4096
	// dbPage is how many changes one replay step reads from the feed.
	dbPage = 1000
)

var (
	// errPruned says the feed no longer holds the changes a replay needs.
	errPruned = errors.New("live: the changes to replay are no longer kept")
	// errSlow says a client catching up fell out of the ring: it is too slow.
	errSlow = errors.New("live: the client fell behind the ring of recent changes")
	// errReplay says the database could not serve a replay.
	errReplay = errors.New("live: replay")
)

// replay sends the matching changes after since, then joins the live stream; a
// since that the feed no longer covers (or never reached) gets a reset instead.
//
// What is covered is the feed's answer, the same on every instance: its oldest
// change kept and its head. What this instance's ring holds does not count: an
// instance up for long holds changes that the feed has pruned since, and one
// just started does not, so the ring would answer differently from instance to
// instance. A since ahead of this instance is fine (another was faster), one
// beyond the feed's head is not (a database restored from an older backup).
func (c *client) replay(since int64) error {
	c.pos = since
	ctx, cancel := context.WithTimeout(c.context(), queryTimeout)
	oldest, head, err := c.hub.st.FeedBounds(ctx)
	cancel()
	if err != nil {
		return fmt.Errorf("%w: %v", errReplay, err)
	}
	if since+1 < oldest || since > head {
		return c.reset()
	}
	err = c.replayFrom(since, true)
	if errors.Is(err, errPruned) {
		return c.reset()
	}
	return err
}

// catchUp brings a client whose queue overflowed back into the live stream: it
// writes what was queued, then replays from the ring, never from the database (a
// client that falls out of the ring is too slow, and is closed).
func (c *client) catchUp() error {
	if !c.hub.overflowed(c) {
		return nil // a stale signal: a new subscription has replaced that stream
	}
	// what is queued precedes the change that did not fit, and nothing was queued
	// after it
	for n := len(c.queue); n > 0; n-- {
		if err := c.send(<-c.queue); err != nil {
			return err
		}
	}
	return c.replayFrom(c.pos, false)
}

// replayFrom writes the matching changes after cursor until it can join the live
// stream; fromFeed allows reading what the ring no longer holds from the database.
func (c *client) replayFrom(cursor int64, fromFeed bool) error {
	for !c.interrupted() {
		page, next, err := c.hub.replayPage(c.context(), c.filter, cursor, fromFeed)
		if err != nil {
			return err
		}
		for _, ch := range page {
			if err := c.writeChange(ch); err != nil {
				return err
			}
		}
		cursor, c.pos = next, next
		if c.hub.joinAt(c, cursor) {
			return nil
		}
	}
	return nil
}

// reset tells the client to reload its snapshot and streams live from the head.
func (c *client) reset() error {
	c.pos = c.hub.joinNow(c)
	c.hub.m.resets.Inc()
	return c.write(seqFrame("reset", c.pos))
}

// replayPage returns the changes after cursor that f matches, and the sequence
// number up to which it looked. Without fromFeed, changes older than the ring are
// errSlow.
func (h *Hub) replayPage(ctx context.Context, f *filter, cursor int64, fromFeed bool) ([]*Change, int64, error) {
	h.mu.RLock()
	published := h.published
	if cursor >= published {
		h.mu.RUnlock()
		return nil, cursor, nil
	}
	if h.ring.covers(cursor + 1) {
		end := min(published, cursor+ringScan)
		var page []*Change
		for seq := cursor + 1; seq <= end; seq++ {
			if ch := h.ring.get(seq); f.match(ch) {
				page = append(page, ch)
			}
		}
		h.mu.RUnlock()
		h.m.replayed.With("memory").Add(float64(end - cursor))
		return page, end, nil
	}
	h.mu.RUnlock()
	if !fromFeed {
		return nil, 0, errSlow
	}
	page, next, err := h.replayFromFeed(ctx, f, cursor, published)
	if err != nil && !errors.Is(err, errPruned) {
		err = fmt.Errorf("%w: %v", errReplay, err)
	}
	return page, next, err
}

// replayFromFeed reads one page of the feed after cursor, up to what the hub has
// published.
func (h *Hub) replayFromFeed(ctx context.Context, f *filter, cursor, upto int64) ([]*Change, int64, error) {
	select {
	case h.dbSem <- struct{}{}:
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	}
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	rows, err := store.ChangesSince(qctx, h.st.Pool, cursor, upto, dbPage)
	cancel()
	<-h.dbSem
	if err != nil {
		return nil, 0, err
	}
	// pruning deletes a prefix, so a replay that lost anything misses its start
	if len(rows) == 0 || rows[0].Seq != cursor+1 {
		return nil, 0, errPruned
	}
	var page []*Change
	for i, r := range rows {
		if r.Seq != cursor+1+int64(i) {
			return nil, 0, errPruned
		}
		if ch := newChange(r); f.match(ch) {
			page = append(page, ch)
		}
	}
	h.m.replayed.With("database").Add(float64(len(rows)))
	return page, rows[len(rows)-1].Seq, nil
}
