package replica

import (
	"context"
	"sync"
)

// Read is a request's permission to read from a replica, and the choice,
// made at its first read and kept for the rest, so that every statement of
// one request sees the same server.
type Read struct {
	// Need is the WAL position of the reader's last write: a replica must
	// have replayed it.
	Need   LSN
	once   sync.Once
	server int
	reason Reason
}

type readKey struct{}

// WithRead lets the reads of ctx that tolerate staleness go to a replica that
// has replayed need. Contexts without it (writes, background work, commands)
// read the primary.
func WithRead(ctx context.Context, need LSN) context.Context {
	return context.WithValue(ctx, readKey{}, &Read{Need: need})
}

// OnPrimary makes every read of ctx go to the primary.
func OnPrimary(ctx context.Context) context.Context {
	return context.WithValue(ctx, readKey{}, (*Read)(nil))
}

// From returns the permission of ctx, nil when its reads go to the primary.
func From(ctx context.Context) *Read {
	r, _ := ctx.Value(readKey{}).(*Read)
	return r
}

// Server returns the server of the request's reads, choosing it with pick at
// the first call: a replica's index, or -1 for the primary.
func (r *Read) Server(pick func(need LSN) (int, Reason)) (int, Reason) {
	r.once.Do(func() { r.server, r.reason = pick(r.Need) })
	return r.server, r.reason
}
