package replica

import "time"

// History keeps the primary's WAL positions of the recent checks, so that a
// replica's lag can be told in time: how long ago the primary had written up
// to where the replica has replayed. pg_last_xact_replay_timestamp() would
// say when the last transaction replayed was committed, which on a quiet
// primary is long ago for a replica that lacks nothing.
type History struct {
	samples []sample // oldest first
	max     int
}

type sample struct {
	at  time.Time
	lsn LSN
}

// NewHistory keeps up to n samples.
func NewHistory(n int) *History { return &History{max: max(n, 2)} }

// Add records that the primary had written up to lsn at at.
func (h *History) Add(at time.Time, lsn LSN) {
	if len(h.samples) == h.max {
		h.samples = append(h.samples[:0], h.samples[1:]...)
	}
	h.samples = append(h.samples, sample{at, lsn})
}

// Lag is how far behind, in time as of now, a replica that has replayed up to
// replayed is: zero when it has everything of the latest sample; else now
// minus the moment the primary passed replayed, interpolated between the
// samples around it (WAL grows about evenly between two checks); a replica
// behind every sample kept is at least as old as the oldest.
func (h *History) Lag(replayed LSN, now time.Time) time.Duration {
	n := len(h.samples)
	if n == 0 || replayed >= h.samples[n-1].lsn {
		return 0
	}
	i := n - 1
	for i > 0 && h.samples[i-1].lsn > replayed {
		i--
	}
	after := h.samples[i]
	if i == 0 {
		return max(0, now.Sub(after.at))
	}
	before := h.samples[i-1]
	frac := float64(replayed-before.lsn) / float64(after.lsn-before.lsn)
	passed := before.at.Add(time.Duration(frac * float64(after.at.Sub(before.at))))
	return max(0, now.Sub(passed))
}
