package live

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"citymap/server/access"
	"citymap/server/auth"
	"citymap/server/store"
)

func change(layer string, x, y float64, category string, codes ...string) *Change {
	return newChange(store.Change{Seq: 1, Layer: layer, Op: "upsert", ObjectID: "1",
		Feature: []byte(`{"type":"Feature"}`), Bounded: true,
		Bound: orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x, y}}, Codes: codes, Category: category})
}

func TestFilterMatch(t *testing.T) {
	issueA := change("issues", 119.80, 31.30, "manhole_cover", "32028210100101", "320282101001", "320282101")
	issueB := change("issues", 119.90, 31.40, "street_vending", "32028210200101", "320282102001", "320282102")
	area := change("areas", 119.80, 31.30, "", "320282101")
	deleted := newChange(store.Change{Seq: 2, Layer: "issues", Op: "delete", ObjectID: "9"})
	scoped := &auth.Principal{Role: access.GridManager, Areas: []string{"320282101001"}}

	tests := []struct {
		name string
		sub  string
		who  *auth.Principal
		ch   *Change
		want bool
	}{
		{"empty matches all", `{}`, nil, issueA, true},
		{"layer", `{"layers":["issues"]}`, nil, area, false},
		{"layer hit", `{"layers":["areas","issues"]}`, nil, area, true},
		{"bbox hit", `{"bbox":[119.7,31.2,119.85,31.35]}`, nil, issueA, true},
		{"bbox miss", `{"bbox":[119.7,31.2,119.85,31.35]}`, nil, issueB, false},
		{"bbox edge counts", `{"bbox":[119.8,31.3,119.85,31.35]}`, nil, issueA, true},
		{"street", `{"areas":["320282102"]}`, nil, issueB, true},
		{"other street", `{"areas":["320282102"]}`, nil, issueA, false},
		{"grid", `{"areas":["32028210100101"]}`, nil, issueA, true},
		{"area below the filter", `{"areas":["320282"]}`, nil, area, true},
		{"area above the filter", `{"areas":["32028210100101"]}`, nil, area, false},
		{"category", `{"categories":["manhole_cover"]}`, nil, issueA, true},
		{"category miss", `{"categories":["manhole_cover"]}`, nil, issueB, false},
		{"category spares layers without", `{"categories":["manhole_cover"]}`, nil, area, true},
		{"scope", `{}`, scoped, issueA, true},
		{"out of scope", `{}`, scoped, issueB, false},
		{"scope beats areas", `{"areas":["320282102"]}`, scoped, issueB, false},
		{"delete without geometry passes bbox", `{"bbox":[0,0,1,1]}`, nil, deleted, true},
		{"delete without codes misses areas", `{"areas":["320282"]}`, nil, deleted, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := `{"type":"subscribe"}`
			if tc.sub != "{}" {
				msg = `{"type":"subscribe",` + tc.sub[1:]
			}
			req := parseRequest([]byte(msg), tc.who)
			if req.err != nil {
				t.Fatalf("parse %s: %v", tc.sub, req.err)
			}
			if got := req.filter.match(tc.ch); got != tc.want {
				t.Errorf("match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseRequest(t *testing.T) {
	req := parseRequest([]byte(`{"type":"subscribe","layers":["issues"],"bbox":[119,31,120,32],
		"areas":["320282"],"categories":["noise"],"since":42}`), nil)
	if req.err != nil || req.since == nil || *req.since != 42 || !req.filter.hasBBox ||
		!req.filter.layers["issues"] || !req.filter.categories["noise"] || req.filter.areas[0] != "320282" {
		t.Fatalf("parsed %+v %+v", req, req.filter)
	}
	if req := parseRequest([]byte(`{"type":"subscribe"}`), nil); req.err != nil || req.since != nil {
		t.Fatalf("no since: %+v", req)
	}
	if req := parseRequest([]byte(`{"type":"subscribe"} {}`), nil); req.err == nil || req.err.code != "invalid_json" {
		t.Fatalf("trailing data: %+v", req.err)
	}
	if req := parseRequest([]byte(`{"type":"subscribe","bbox":[0,0,1e400,1]}`), nil); req.err == nil {
		t.Fatal("an overflowing number passed")
	}
}

func TestFrames(t *testing.T) {
	ch := newChange(store.Change{Seq: 7, Layer: "issues", Op: "upsert", ObjectID: `a"b`,
		Feature: []byte(`{"type": "Feature", "id": 1}`), CommittedAt: time.Now()})
	var f struct {
		Type, Layer, Op, ID string
		Seq                 int64
		Feature             map[string]any
	}
	if err := json.Unmarshal(ch.frame, &f); err != nil {
		t.Fatalf("%s: %v", ch.frame, err)
	}
	if f.Type != "change" || f.Seq != 7 || f.Layer != "issues" || f.Op != "upsert" || f.ID != `a"b` || f.Feature["id"] != 1.0 {
		t.Errorf("frame %s", ch.frame)
	}
	del := newChange(store.Change{Seq: 8, Layer: "points", Op: "delete", ObjectID: "P1"})
	if string(del.frame) != `{"type":"change","seq":8,"layer":"points","op":"delete","id":"P1","feature":null}` {
		t.Errorf("delete frame %s", del.frame)
	}
	if r := closeReason("shutdown", math.MaxInt64); len(r) > 123 || !json.Valid([]byte(r)) {
		t.Errorf("close reason %q", r)
	}
}

func TestRing(t *testing.T) {
	r := newRing(3)
	if r.covers(1) {
		t.Fatal("an empty ring covers 1")
	}
	for seq := int64(5); seq <= 9; seq++ {
		r.push(&Change{Seq: seq})
	}
	for seq, want := range map[int64]bool{6: false, 7: true, 9: true, 10: false} {
		if r.covers(seq) != want {
			t.Errorf("covers(%d) = %v", seq, !want)
		}
	}
	if r.get(8).Seq != 8 {
		t.Errorf("get(8) = %d", r.get(8).Seq)
	}
	r.push(&Change{Seq: 20}) // not contiguous: starts over
	if r.covers(9) || !r.covers(20) {
		t.Errorf("after a jump: first %d last %d", r.first, r.last)
	}
	r.push(resetChange(21))
	if r.covers(20) || r.covers(21) {
		t.Errorf("after a reset: first %d last %d", r.first, r.last)
	}
}
