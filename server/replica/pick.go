package replica

import "time"

// Status is what the last check saw of one replica.
type Status struct {
	// Name tells the replica apart in /readyz and /metrics (host:port).
	Name string `json:"name"`
	// Up: it answered the last check and is in recovery (a standby). A
	// server that has been promoted is no replica of this primary any more.
	Up bool `json:"up"`
	// Error is why it is not up.
	Error string `json:"error,omitempty"`
	// Replayed is the WAL position it has replayed.
	Replayed LSN `json:"replayed"`
	// LagBytes is how far its replay is behind the primary's WAL.
	LagBytes int64 `json:"lag_bytes"`
	// Lag is how long ago the primary was where the replica is now;
	// LagSeconds says the same in seconds.
	Lag        time.Duration `json:"-"`
	LagSeconds float64       `json:"lag_seconds"`
	// InUse: it may serve reads (up and within the bound).
	InUse     bool      `json:"in_use"`
	CheckedAt time.Time `json:"checked_at"`
}

// Bound is how far behind the primary a replica may be and still serve reads.
type Bound struct {
	MaxLag   time.Duration
	MaxBytes int64
}

// Usable says whether a replica in state s may serve reads.
func (b Bound) Usable(s Status) bool {
	return s.Up && (b.MaxLag <= 0 || s.Lag <= b.MaxLag) && (b.MaxBytes <= 0 || s.LagBytes <= b.MaxBytes)
}

// Reason says why a read went where it went.
type Reason string

// Reasons of Pick.
const (
	OnReplica Reason = "replica"     // a usable replica had replayed what the reader must see
	NoReplica Reason = "unavailable" // no replica is usable (down, or too far behind)
	Behind    Reason = "behind"      // usable replicas have not replayed the reader's last write
)

// Pick chooses the replica a read goes to: among those usable under b that
// have replayed need, the first from turn on (callers pass a counter, which
// spreads reads round robin). It returns -1 for the primary, and why.
func Pick(replicas []Status, b Bound, need LSN, turn uint64) (int, Reason) {
	reason := NoReplica
	n := len(replicas)
	for k := range n {
		i := int((turn + uint64(k)) % uint64(n))
		s := replicas[i]
		if !b.Usable(s) {
			continue
		}
		if s.Replayed < need {
			reason = Behind
			continue
		}
		return i, OnReplica
	}
	return -1, reason
}
