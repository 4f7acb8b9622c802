package reportcube

import "sync"

// dict numbers the distinct values of a text column (grid codes, units,
// categories, sources), so that a fact holds a small index and a report
// decides its filters once per value rather than once per issue. Values are
// only ever added: a report reads a snapshot of the names while the follower
// adds more, and every fact it sees was numbered before it looked.
type dict struct {
	mu    sync.Mutex
	names []string
	index map[string]int32
}

func newDict() *dict { return &dict{index: map[string]int32{}} }

// id is b's index, added when new. The lookup by string(b) does not allocate.
func (d *dict) id(b []byte) int32 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if i, ok := d.index[string(b)]; ok {
		return i
	}
	s := string(b)
	i := int32(len(d.names))
	d.names = append(d.names, s)
	d.index[s] = i
	return i
}

// snapshot is the names numbered so far; their indexes never change.
func (d *dict) snapshot() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.names[:len(d.names):len(d.names)]
}
