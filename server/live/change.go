package live

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/paulmach/orb"

	"citymap/server/store"
)

// Change is one change of the feed as the stream sends it: decoded once, shared by
// every client it goes to, never modified after it is built.
type Change struct {
	Seq     int64
	Layer   string
	bound   orb.Bound
	bounded bool
	// boxes are the geometry's bounds after and before the change (see
	// store.Change.Boxes); bound spans them
	boxes    []orb.Bound
	codes    []string
	category string
	unit     string // the object's responsible unit, for unit tokens
	// frame is the whole text frame sent to clients
	frame     []byte
	committed time.Time
	// reset marks a frame that tells clients to reload rather than a change
	reset bool
}

// newChange builds the frame of a feed row:
// {"type":"change","seq":N,"layer":"issues","op":"upsert","id":"...","feature":{...}}.
func newChange(c store.Change) *Change {
	b := make([]byte, 0, len(c.Feature)+96+len(c.ObjectID))
	b = append(b, `{"type":"change","seq":`...)
	b = strconv.AppendInt(b, c.Seq, 10)
	b = append(b, `,"layer":`...)
	b = appendString(b, c.Layer)
	b = append(b, `,"op":`...)
	b = appendString(b, c.Op)
	b = append(b, `,"id":`...)
	b = appendString(b, c.ObjectID)
	b = append(b, `,"feature":`...)
	if c.Feature == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, c.Feature...)
	}
	b = append(b, '}')
	return &Change{Seq: c.Seq, Layer: c.Layer, bound: c.Bound, bounded: c.Bounded, boxes: c.Boxes,
		codes: c.Codes, category: c.Category, unit: c.Unit, frame: b, committed: c.CommittedAt}
}

// resetChange tells every live client that the changes before seq+1 are lost to
// this instance (the feed was pruned while it could not read it).
func resetChange(seq int64) *Change {
	return &Change{Seq: seq, frame: seqFrame("reset", seq), reset: true}
}

func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// seqFrame is a control frame that carries a sequence number.
func seqFrame(typ string, seq int64) []byte {
	b := append([]byte(`{"type":"`), typ...)
	b = append(b, `","seq":`...)
	b = strconv.AppendInt(b, seq, 10)
	return append(b, '}')
}

// errorFrame reports a bad request in the error shape of the REST API.
func errorFrame(code, message string) []byte {
	b, _ := json.Marshal(map[string]any{"type": "error",
		"error": map[string]string{"code": code, "message": message}})
	return b
}

// closeReason tells a closed client where to resume:
// {"type":"slow","resume_since":N}. It stays far below the 123 bytes a close
// reason may hold.
func closeReason(typ string, seq int64) string {
	b := append([]byte(`{"type":"`), typ...)
	b = append(b, `","resume_since":`...)
	b = strconv.AppendInt(b, seq, 10)
	return string(append(b, '}'))
}
