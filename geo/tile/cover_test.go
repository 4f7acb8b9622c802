package tile

import (
	"math"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

const mvtBuffer = 64.0 / 4096

// Positions inside the Yixing z12 tile 3411/1671: just east of its west
// edge (x fraction 3411.005) and just north of its south edge.
const (
	westEdgeLon  = 119.79536132812501 // x = 3411.005 at z12
	southEdgeLat = 31.3540            // y ≈ 1671.995 at z12
)

func pointBound(lon, lat float64) orb.Bound {
	return orb.Point{lon, lat}.Bound()
}

func tiles(z maptile.Zoom, xys ...[2]uint32) []maptile.Tile {
	var ts []maptile.Tile
	for _, xy := range xys {
		ts = append(ts, maptile.New(xy[0], xy[1], z))
	}
	return ts
}

func TestCovering(t *testing.T) {
	world := orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}
	tests := []struct {
		name   string
		b      orb.Bound
		z      maptile.Zoom
		buffer float64
		want   []maptile.Tile
	}{
		{"yixing z14", yixing.Bound(), 14, 0, []maptile.Tile{yixing14}},
		{"yixing z12 buffered, away from edges", yixing.Bound(), 12, mvtBuffer, []maptile.Tile{yixing12}},
		{"near west edge, no buffer", pointBound(westEdgeLon, 31.40), 12, 0, []maptile.Tile{yixing12}},
		{"near west edge, buffered", pointBound(westEdgeLon, 31.40), 12, mvtBuffer,
			tiles(12, [2]uint32{3410, 1671}, [2]uint32{3411, 1671})},
		{"near south-west corner, buffered", pointBound(westEdgeLon, southEdgeLat), 12, mvtBuffer,
			tiles(12, [2]uint32{3410, 1671}, [2]uint32{3411, 1671}, [2]uint32{3410, 1672}, [2]uint32{3411, 1672})},
		{"on a tile edge selects both", pointBound(0, 60), 1, 0, tiles(1, [2]uint32{0, 0}, [2]uint32{1, 0})},
		{"whole world z0", world, 0, mvtBuffer, []maptile.Tile{maptile.New(0, 0, 0)}},
		{"antimeridian east clamps", orb.Bound{Min: orb.Point{179.99, 10}, Max: orb.Point{180, 10.01}}, 3, mvtBuffer,
			tiles(3, [2]uint32{7, 3})},
		{"antimeridian west clamps", orb.Bound{Min: orb.Point{-180, 10}, Max: orb.Point{-179.99, 10.01}}, 3, mvtBuffer,
			tiles(3, [2]uint32{0, 3})},
		{"beyond the antimeridian clamps", pointBound(190, 10), 3, 0, tiles(3, [2]uint32{7, 3})},
		{"north pole clamps", pointBound(100, 89.9), 3, mvtBuffer, tiles(3, [2]uint32{6, 0})},
		{"south pole clamps", pointBound(100, -89.9), 3, mvtBuffer, tiles(3, [2]uint32{6, 7})},
		{"south pole, no buffer", pointBound(100, -90), 3, 0, tiles(3, [2]uint32{6, 7})},
		{"NaN bound", pointBound(100, math.NaN()), 3, 0, nil},
		{"inverted bound", orb.Bound{Min: orb.Point{1, 1}, Max: orb.Point{0, 0}}, 3, 0, nil},
		{"negative buffer", yixing.Bound(), 3, -1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Covering(tc.b, tc.z, tc.buffer)
			slices.SortFunc(got, compareTiles)
			slices.SortFunc(tc.want, compareTiles)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Covering = %v, want %v", got, tc.want)
			}
			for _, tl := range got {
				if !tl.Valid() {
					t.Errorf("invalid tile %v", tl)
				}
			}
		})
	}
}

func TestCoveringWholeWorld(t *testing.T) {
	world := orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}
	if got := len(Covering(world, 2, 0)); got != 16 {
		t.Errorf("world at z2: %d tiles, want 16", got)
	}
	if got, want := CoveringCount(world, 0, MaxZoom, 0), uint64((1<<50-1)/3); got != want {
		t.Errorf("CoveringCount(world, 0, %d) = %d, want %d", MaxZoom, got, want)
	}
}

func TestCoveringRange(t *testing.T) {
	b := yixing.Bound()
	var got []maptile.Tile
	for tl := range CoveringRange(b, 12, 14, 0) {
		got = append(got, tl)
	}
	want := []maptile.Tile{yixing12, maptile.New(6822, 3343, 13), yixing14}
	if !slices.Equal(got, want) {
		t.Errorf("CoveringRange = %v, want %v", got, want)
	}
	if n := CoveringCount(b, 12, 14, 0); n != uint64(len(want)) {
		t.Errorf("CoveringCount = %d, want %d", n, len(want))
	}

	// Callers may stop early, e.g. when a budget is exceeded.
	n := 0
	for range CoveringRange(orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}, 0, MaxZoom, 0) {
		n++
		if n == 10 {
			break
		}
	}
	if n != 10 {
		t.Errorf("stopped after %d tiles, want 10", n)
	}

	if n := CoveringCount(b, 23, 40, 0); n != 2 {
		t.Errorf("zooms beyond MaxZoom should be skipped, got %d tiles", n)
	}
}

func compareTiles(a, b maptile.Tile) int {
	if a.Z != b.Z {
		return int(a.Z) - int(b.Z)
	}
	if a.Y != b.Y {
		return int(a.Y) - int(b.Y)
	}
	return int(a.X) - int(b.X)
}
