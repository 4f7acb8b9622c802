package live

// ring keeps the most recent changes, contiguous in sequence, for clients that
// resume after a short absence: they replay from memory and the database does
// not see reconnect storms. Its size bounds its memory (the frames are shared
// with the clients' queues).
type ring struct {
	buf         []*Change
	first, last int64 // sequence numbers held; first > last when empty
}

func newRing(size int) ring { return ring{buf: make([]*Change, size), first: 1, last: 0} }

func (r *ring) clear() {
	clear(r.buf)
	r.first, r.last = 1, 0
}

// push appends ch, which must follow the last change held; anything else restarts
// the ring at ch.
func (r *ring) push(ch *Change) {
	if ch.reset {
		r.clear()
		return
	}
	if r.first > r.last || ch.Seq != r.last+1 {
		r.clear()
		r.first = ch.Seq
	}
	r.last = ch.Seq
	r.buf[ch.Seq%int64(len(r.buf))] = ch
	if r.last-r.first >= int64(len(r.buf)) {
		r.first = r.last - int64(len(r.buf)) + 1
	}
}

// covers reports whether the ring holds seq.
func (r *ring) covers(seq int64) bool { return seq >= r.first && seq <= r.last }

func (r *ring) get(seq int64) *Change { return r.buf[seq%int64(len(r.buf))] }
