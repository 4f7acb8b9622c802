package store

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/sync/singleflight"
)

// The numberMatched of OGC pages, counted once per query rather than once per
// page. A count is kept with the feed stamp of the snapshot it was taken in,
// and served again only after the database confirms that no change of the
// collection's layers has been committed since: the confirmation is one
// statement on the feed's primary key, where the count scans every matching
// row. Every write to a cached collection appends to the feed in its own
// transaction (changes.go), so a change the stamp does not cover is a change
// the count may have missed. Whatever cannot be confirmed this way is counted
// afresh: collections written without the feed (inspections) and filters
// whose answer moves with the clock (the queryables marked volatile).

// ogcCountCap bounds the cache; a full cache drops an arbitrary entry, which
// costs one recount of a query nobody may be paging any more.
const ogcCountCap = 1024

// feedStamp says where the feed stood in the snapshot of a count. The row
// versions (xmin) of the counter and of the change at seq tell a feed that
// moved on, or was restarted by a reseed, from the one the count saw.
type feedStamp struct {
	seq         int64
	counterXmin int64
	changeXmin  int64 // 0 when seq is 0 or that change is pruned
}

type ogcCount struct {
	n     int64
	stamp feedStamp
}

// ogcCounts is the cache; its zero value is ready to use.
type ogcCounts struct {
	mu     sync.Mutex
	m      map[string]ogcCount
	flight singleflight.Group
}

func (c *ogcCounts) get(key string) (ogcCount, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	return e, ok
}

func (c *ogcCounts) put(key string, e ogcCount) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]ogcCount{}
	}
	if _, ok := c.m[key]; !ok && len(c.m) >= ogcCountCap {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[key] = e
}

// xid to bigint: xmin has no cast of its own to a number.
const stampSQL = `c.seq, c.xmin::text::bigint,
	coalesce((SELECT x.xmin::text::bigint FROM changes x WHERE x.seq = c.seq), 0)`

// freshSQL holds when nothing wrote the feed since the stamp, or when the
// change at the stamp is still the one the count saw (no reseed, and since
// pruning removes a prefix of the feed, every later change is still kept)
// and none of the later ones is of these layers.
const freshSQL = `SELECT c.xmin::text::bigint = $2::bigint OR ($1::bigint > 0
	AND EXISTS (SELECT 1 FROM changes x WHERE x.seq = $1 AND x.xmin::text::bigint = $3::bigint)
	AND NOT EXISTS (SELECT 1 FROM changes x WHERE x.seq > $1 AND x.layer = ANY($4::text[]))),
	` + stampSQL + `
	FROM change_counter c`

// ogcCountQuery is a count that may be served from the cache.
type ogcCountQuery struct {
	key    string   // the collection, the compiled WHERE (scope included) and its arguments
	layers []string // the feed layers whose changes invalidate it
	from   string   // FROM and WHERE of the count
	args   []any
}

// matched returns the count, from the cache when the feed confirms it is
// still exact. Concurrent callers of one query share one count: a caller whose
// request may have begun after that count's snapshot confirms it like a
// cached one and counts itself when it no longer holds.
func (s *Store) ogcMatched(ctx context.Context, q ogcCountQuery) (int64, error) {
	if q.layers == nil {
		e, err := s.ogcCount(ctx, q)
		return e.n, err
	}
	if e, ok := s.ogcCounts.get(q.key); ok {
		fresh, err := s.ogcFresh(ctx, q, e)
		if err != nil || fresh {
			return e.n, err
		}
	}
	// the count goes on for the callers sharing it when the first one leaves
	shared := context.WithoutCancel(ctx)
	v, err, joined := s.ogcCounts.flight.Do(q.key, func() (any, error) {
		return s.ogcCount(shared, q)
	})
	if err != nil {
		return 0, err
	}
	e := v.(ogcCount)
	if joined {
		fresh, err := s.ogcFresh(ctx, q, e)
		if err != nil {
			return 0, err
		}
		if !fresh {
			if e, err = s.ogcCount(ctx, q); err != nil {
				return 0, err
			}
		}
	}
	return e.n, nil
}

// ogcCount counts and stamps in one statement, hence one snapshot.
func (s *Store) ogcCount(ctx context.Context, q ogcCountQuery) (ogcCount, error) {
	var e ogcCount
	err := s.reads(ctx).QueryRow(ctx, fmt.Sprintf(`SELECT (SELECT count(*) FROM %s), %s FROM change_counter c`, q.from, stampSQL),
		q.args...).Scan(&e.n, &e.stamp.seq, &e.stamp.counterXmin, &e.stamp.changeXmin)
	if err == nil && q.layers != nil {
		s.ogcCounts.put(q.key, e)
	}
	return e, err
}

// ogcFresh confirms a count. A confirmed count moves on to the feed's
// position of the check, so that the next check reads only the changes
// since, not every change since the count was taken.
func (s *Store) ogcFresh(ctx context.Context, q ogcCountQuery, e ogcCount) (bool, error) {
	var fresh bool
	var now feedStamp
	err := s.reads(ctx).QueryRow(ctx, freshSQL, e.stamp.seq, e.stamp.counterXmin, e.stamp.changeXmin, q.layers).
		Scan(&fresh, &now.seq, &now.counterXmin, &now.changeXmin)
	if err == nil && fresh && now != e.stamp {
		s.ogcCounts.put(q.key, ogcCount{n: e.n, stamp: now})
	}
	return fresh, err
}
