package tile

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// TestCoveringRectAgrees checks that a range holds exactly the covering's tiles,
// so a cache may test its keys against the range instead of enumerating.
func TestCoveringRectAgrees(t *testing.T) {
	bounds := []orb.Bound{
		yixing.Bound(),
		pointBound(westEdgeLon, southEdgeLat),
		{Min: orb.Point{119.55, 31.15}, Max: orb.Point{119.96, 31.56}},
		{Min: orb.Point{179.99, 10}, Max: orb.Point{180, 10.01}},
	}
	for _, b := range bounds {
		for z := maptile.Zoom(0); z <= 16; z++ {
			r, ok := CoveringRect(b, z, mvtBuffer)
			if !ok {
				t.Fatalf("%v z%d: no range", b, z)
			}
			cover := Covering(b, z, mvtBuffer)
			if uint64(len(cover)) != r.Count() {
				t.Errorf("%v z%d: range of %d tiles, covering of %d", b, z, r.Count(), len(cover))
			}
			for _, c := range cover {
				if !r.Contains(c.X, c.Y) {
					t.Errorf("%v z%d: range %+v lacks %v", b, z, r, c)
				}
			}
		}
	}
	if _, ok := CoveringRect(orb.Bound{Min: orb.Point{1, 1}, Max: orb.Point{0, 0}}, 3, 0); ok {
		t.Error("an inverted bound has a range")
	}
	if _, ok := CoveringRect(yixing.Bound(), MaxZoom+1, 0); ok {
		t.Error("a zoom beyond MaxZoom has a range")
	}
}
