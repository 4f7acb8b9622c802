package tile

import (
	"errors"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// Yixing, Jiangsu, and the tiles containing it; expected values were
// computed independently with the textbook slippy-map formulas.
var (
	yixing   = orb.Point{119.82, 31.36}
	yixing12 = maptile.New(3411, 1671, 12)
	yixing14 = maptile.New(13645, 6687, 14)
)

func TestParse(t *testing.T) {
	tests := []struct {
		z, x, y string
		want    maptile.Tile
		wantErr bool
	}{
		{"0", "0", "0", maptile.New(0, 0, 0), false},
		{"12", "3411", "1671", yixing12, false},
		{"24", "16777215", "16777215", maptile.New(1<<24-1, 1<<24-1, 24), false},
		{"0", "1", "0", maptile.Tile{}, true},
		{"1", "0", "2", maptile.Tile{}, true},
		{"25", "0", "0", maptile.Tile{}, true},
		{"-1", "0", "0", maptile.Tile{}, true},
		{"3", "+1", "0", maptile.Tile{}, true},
		{"3", "1e0", "0", maptile.Tile{}, true},
		{"3", "", "0", maptile.Tile{}, true},
		{"3", "1", "0.5", maptile.Tile{}, true},
		{"99999999999999999999", "0", "0", maptile.Tile{}, true},
	}
	for _, tc := range tests {
		got, err := Parse(tc.z, tc.x, tc.y)
		if tc.wantErr {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Parse(%q, %q, %q) error = %v, want ErrInvalid", tc.z, tc.x, tc.y, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q, %q, %q) = %v, %v; want %v", tc.z, tc.x, tc.y, got, err, tc.want)
		}
	}
}

func TestBounds3857(t *testing.T) {
	const w = 20037508.342789244
	tests := []struct {
		tile maptile.Tile
		want [4]float64
	}{
		{maptile.New(0, 0, 0), [4]float64{-w, -w, w, w}},
		{maptile.New(1, 0, 1), [4]float64{0, 0, w, w}},
		{maptile.New(0, 1, 1), [4]float64{-w, -w, 0, 0}},
		{yixing12, [4]float64{13335509.70274499, 3678761.297308963, 13345293.642365493, 3688545.236929465}},
		{yixing14, [4]float64{13337955.687650114, 3678761.297308963, 13340401.672555242, 3681207.2822140884}},
	}
	for _, tc := range tests {
		minx, miny, maxx, maxy := Bounds3857(tc.tile)
		got := [4]float64{minx, miny, maxx, maxy}
		for i := range got {
			if math.Abs(got[i]-tc.want[i]) > 1e-6 {
				t.Errorf("Bounds3857(%v) = %v, want %v", tc.tile, got, tc.want)
				break
			}
		}
	}
}

func TestBoundsAgree(t *testing.T) {
	// The WGS-84 bound from maptile and our 3857 envelope must describe the
	// same square, or SQL filters and cache invalidation drift apart.
	for _, tl := range []maptile.Tile{yixing12, yixing14, maptile.New(0, 0, 0), maptile.New(5, 3, 3)} {
		minx, miny, maxx, maxy := Bounds3857(tl)
		b := tl.Bound()
		lo, hi := ToMercator(b.Min), ToMercator(b.Max)
		if math.Abs(lo[0]-minx) > 1e-3 || math.Abs(lo[1]-miny) > 1e-3 ||
			math.Abs(hi[0]-maxx) > 1e-3 || math.Abs(hi[1]-maxy) > 1e-3 {
			t.Errorf("%v: 3857 [%f %f %f %f], WGS-84 bound projects to %v %v", tl, minx, miny, maxx, maxy, lo, hi)
		}
	}
}

func TestMercator(t *testing.T) {
	tests := []struct {
		in, want orb.Point
	}{
		{orb.Point{0, 0}, orb.Point{0, 0}},
		{orb.Point{180, MaxLat}, orb.Point{WorldHalf, WorldHalf}},
		{orb.Point{-180, -MaxLat}, orb.Point{-WorldHalf, -WorldHalf}},
		{yixing, orb.Point{13338301.386850039, 3679590.7815380953}},
		{orb.Point{10, 90}, orb.Point{1113194.9079327357, WorldHalf}},   // clamped
		{orb.Point{10, -90}, orb.Point{1113194.9079327357, -WorldHalf}}, // clamped
	}
	for _, tc := range tests {
		got := ToMercator(tc.in)
		if math.Abs(got[0]-tc.want[0]) > 1e-3 || math.Abs(got[1]-tc.want[1]) > 1e-3 {
			t.Errorf("ToMercator(%v) = %v, want %v", tc.in, got, tc.want)
		}
		if math.Abs(tc.in[1]) > MaxLat {
			continue
		}
		if back := FromMercator(got); math.Abs(back[0]-tc.in[0]) > 1e-9 || math.Abs(back[1]-tc.in[1]) > 1e-9 {
			t.Errorf("FromMercator(ToMercator(%v)) = %v", tc.in, back)
		}
	}
}
