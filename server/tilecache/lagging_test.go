package tilecache

import (
	"context"
	"testing"
)

// asOf renders a tile drawn from a snapshot whose feed head is seq, as a
// replica's or the primary's rendering would be.
func asOf(seq int64) Render {
	return func(context.Context) (Tile, error) { return Tile{Body: []byte("mvt"), Seq: seq}, nil }
}

// TestLaggingRenderingIsNotStored: a rendering from a snapshot before a change
// the cache has applied to its tile (a replica behind the feed) is served but
// not stored; one that shows the change, or whose tile the change missed, is.
func TestLaggingRenderingIsNotStored(t *testing.T) {
	c := armed(1 << 20)
	k := yixingTile(15)
	far := key("issues", 15, 0, 0)
	c.Invalidate(5, "issues", yixing.Bound(), buffer)
	c.InvalidateLayer(6, "parking")
	cases := []struct {
		name string
		k    Key
		seq  int64
		want bool
	}{
		{"before the change of its tile", k, 4, false},
		{"at the change", k, 5, true},
		{"after it", k, 7, true},
		{"a tile the change missed", far, 4, true},
		{"before a change of its whole layer", key("parking", 12, 1, 1), 5, false},
		{"another layer's tile", key("points", 15, k.X, k.Y), 0, true},
	}
	for _, tc := range cases {
		if got := c.Current(tc.k, tc.seq); got != tc.want {
			t.Errorf("%s: Current = %v, want %v", tc.name, got, tc.want)
		}
	}
	if out := get(t, c, k, asOf(4)); out != Miss {
		t.Fatalf("first request: %v", out)
	}
	if out := get(t, c, k, asOf(4)); out != Miss {
		t.Errorf("a rendering from before the change was stored (%v)", out)
	}
	get(t, c, k, asOf(5))
	if out := get(t, c, k, asOf(5)); out != Hit {
		t.Errorf("a rendering that shows the change was not stored (%v)", out)
	}
}

// TestResetSetsTheFloor: after a reset at the feed's head, renderings from
// before it cannot be judged (the changes in between were never applied) and
// are not stored.
func TestResetSetsTheFloor(t *testing.T) {
	c := New(1 << 20)
	c.Reset(100)
	k := key("points", 14, 3, 3)
	if c.Current(k, 99) || !c.Current(k, 100) {
		t.Errorf("Current around the reset: %v %v", c.Current(k, 99), c.Current(k, 100))
	}
	get(t, c, k, asOf(99))
	if out := get(t, c, k, asOf(99)); out != Miss {
		t.Errorf("a rendering from before the reset was stored (%v)", out)
	}
}

// TestLogOverflowRaisesTheFloor: when the log of invalidations is full, its
// oldest half goes, and renderings older than what is left cannot be judged.
func TestLogOverflowRaisesTheFloor(t *testing.T) {
	c := armed(1 << 20)
	k := key("points", 14, 3, 3)
	for seq := int64(1); seq <= logSize; seq++ {
		c.Invalidate(seq, "issues", yixing.Bound(), buffer) // never k's layer
	}
	if !c.Current(k, 1) {
		t.Fatal("a full log forgot an old snapshot too soon")
	}
	c.Invalidate(logSize+1, "issues", yixing.Bound(), buffer)
	if c.Current(k, 1) || !c.Current(k, logSize/2) {
		t.Errorf("after the overflow: Current(1) %v, Current(%d) %v", c.Current(k, 1), logSize/2, c.Current(k, logSize/2))
	}
}

func TestDisabledCacheCallsEveryRenderingCurrent(t *testing.T) {
	if c := New(0); !c.Current(key("issues", 1, 0, 0), 0) {
		t.Error("a disabled cache judged a rendering")
	}
}
