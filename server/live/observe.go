package live

import (
	"sync"

	"github.com/paulmach/orb"
)

// Observers: other parts of the instance that derive state from the map (the
// tile cache) follow the feed through the hub rather than tailing it again.

// observers are the functions that hear every published change.
type observers struct {
	mu  sync.Mutex
	fns []func(*Change)
}

// Observe calls fn with every change the hub publishes, synchronously and in
// sequence order, after the change committed; fn must be quick, since the
// stream waits for it. fn also hears a reset (IsReset) when the hub starts
// following the feed, and whenever it had to skip changes it could no longer
// read: anything derived from the data before a reset may be stale. Observing a
// hub that already follows the feed starts with a reset too.
func (h *Hub) Observe(fn func(*Change)) {
	h.observers.mu.Lock()
	defer h.observers.mu.Unlock()
	h.observers.fns = append(h.observers.fns, fn)
	select {
	case <-h.ready:
		fn(resetChange(h.Published()))
	default:
	}
}

// notify hands a batch to every observer. The tailer is the only publisher, so
// batches arrive in sequence order; the lock orders them against Observe.
func (o *observers) notify(batch []*Change) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, ch := range batch {
		for _, fn := range o.fns {
			fn(ch)
		}
	}
}

// IsReset reports whether ch is not a change but the news that changes before
// it may have been missed.
func (ch *Change) IsReset() bool { return ch.reset }

// Bounds are the WGS-84 bounds of the changed object's geometry after and
// before the change, each that exists: two far apart for an object that moved.
// A change without any (which the feed does not write) has none.
func (ch *Change) Bounds() []orb.Bound {
	if len(ch.boxes) > 0 || !ch.bounded {
		return ch.boxes
	}
	return []orb.Bound{ch.bound}
}
