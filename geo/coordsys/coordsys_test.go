package coordsys

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

// Published reference pairs: eviltransform's test table (Shanghai, Shenzhen,
// Beijing), coordtransform's README point and the Tiananmen pair quoted in
// both; the Yixing points were computed with the same algorithm and agree
// with the others' implementation of it.
var wgsGCJPairs = []struct {
	name     string
	wgs, gcj orb.Point
}{
	{"eviltransform shanghai", orb.Point{121.5272106, 31.1774276}, orb.Point{121.531541859215, 31.17530398364597}},
	{"eviltransform shenzhen", orb.Point{113.912316, 22.543847}, orb.Point{113.9171764808363, 22.540796131694766}},
	{"eviltransform beijing", orb.Point{116.377817, 39.911954}, orb.Point{116.38404722455657, 39.91334545536069}},
	{"coordtransform beijing", orb.Point{116.404, 39.915}, orb.Point{116.41024449916938, 39.91640428150164}},
	{"tiananmen", orb.Point{116.397428, 39.90923}, orb.Point{116.403672, 39.910634}},
	{"yixing centre", orb.Point{119.82, 31.36}, orb.Point{119.824840492927, 31.357928480066}},
	{"yixing station", orb.Point{119.8236, 31.3405}, orb.Point{119.828427919071, 31.338415213923}},
}

// closeTo compares to 1e-6 degrees (about 0.1 m), the precision of the
// published pairs with the fewest digits.
func closeTo(a, b orb.Point) bool {
	return math.Abs(a[0]-b[0]) < 1e-6 && math.Abs(a[1]-b[1]) < 1e-6
}

func TestWGS84ToGCJ02(t *testing.T) {
	for _, tc := range wgsGCJPairs {
		t.Run(tc.name, func(t *testing.T) {
			if got := WGS84ToGCJ02(tc.wgs); !closeTo(got, tc.gcj) {
				t.Errorf("WGS84ToGCJ02(%v) = %v, want %v", tc.wgs, got, tc.gcj)
			}
		})
	}
}

func TestGCJ02ToWGS84(t *testing.T) {
	for _, tc := range wgsGCJPairs {
		t.Run(tc.name, func(t *testing.T) {
			got := GCJ02ToWGS84(tc.gcj)
			if d := geo.Distance(got, tc.wgs); d > 0.1 {
				t.Errorf("GCJ02ToWGS84(%v) = %v, %.3f m from %v", tc.gcj, got, d, tc.wgs)
			}
		})
	}
}

func TestGCJ02ToWGS84BeatsOneStepInverse(t *testing.T) {
	// coordtransform's one-step inverse of (116.404, 39.915); ours must
	// land near it but map back onto the input far more exactly.
	in := orb.Point{116.404, 39.915}
	oneStep := orb.Point{116.39775550083061, 39.91359571849836}
	got := GCJ02ToWGS84(in)
	if d := geo.Distance(got, oneStep); d > 5 {
		t.Errorf("GCJ02ToWGS84(%v) = %v, %.2f m from the one-step inverse", in, got, d)
	}
	back := WGS84ToGCJ02(got)
	if math.Abs(back[0]-in[0]) >= 1e-7 || math.Abs(back[1]-in[1]) >= 1e-7 {
		t.Errorf("WGS84ToGCJ02(GCJ02ToWGS84(%v)) = %v, want within 1e-7 deg", in, back)
	}
}

func TestBD09(t *testing.T) {
	// coordtransform's published pairs.
	tests := []struct {
		name      string
		fn        func(orb.Point) orb.Point
		in, want  orb.Point
		tolMetres float64
	}{
		{"gcj02 to bd09", GCJ02ToBD09, orb.Point{116.404, 39.915}, orb.Point{116.41036949371029, 39.92133699351021}, 0.01},
		// coordtransform uses the approximate inverse; ours refines it by a few centimetres.
		{"bd09 to gcj02", BD09ToGCJ02, orb.Point{116.404, 39.915}, orb.Point{116.39762729119315, 39.90865673957631}, 0.5},
		{"wgs84 to bd09 yixing", WGS84ToBD09, orb.Point{119.82, 31.36}, orb.Point{119.831449265923, 31.363585122605}, 0.01},
		{"bd09 to wgs84 yixing", BD09ToWGS84, orb.Point{119.831449265923, 31.363585122605}, orb.Point{119.82, 31.36}, 0.01},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.fn(tc.in)
			if d := geo.Distance(got, tc.want); d > tc.tolMetres {
				t.Errorf("got %v, %.3f m from %v", got, d, tc.want)
			}
		})
	}
}

func TestRoundTrips(t *testing.T) {
	points := []orb.Point{
		{119.82, 31.36},     // Yixing
		{119.90, 31.25},     // Yixing, Dingshu
		{119.56, 31.45},     // Yixing, west
		{118.7969, 32.0603}, // Nanjing
		{120.5853, 31.2990}, // Suzhou
		{121.5272106, 31.1774276},
		{113.912316, 22.543847},
		{126.6, 45.75}, // Harbin, far from the offset's origin
	}
	for _, p := range points {
		for _, sys := range []System{WGS84, GCJ02, BD09} {
			back := ToWGS84(sys, FromWGS84(sys, p))
			if d := geo.Distance(p, back); d >= 1 {
				t.Errorf("%s round trip of %v = %v, %.3f m off", sys, p, back, d)
			}
		}
	}
}

func TestOutsideChinaUnchanged(t *testing.T) {
	for _, p := range []orb.Point{
		{2.3522, 48.8566},   // Paris
		{-74.006, 40.7128},  // New York
		{139.6917, 35.6895}, // Tokyo, east of the box
		{71.9, 39.0},        // just west of the box
		{100.0, 0.5},        // just south of the box
	} {
		if got := WGS84ToGCJ02(p); got != p {
			t.Errorf("WGS84ToGCJ02(%v) = %v, want unchanged", p, got)
		}
		if got := GCJ02ToWGS84(p); got != p {
			t.Errorf("GCJ02ToWGS84(%v) = %v, want unchanged", p, got)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    System
		wantErr bool
	}{
		{"", WGS84, false},
		{"wgs84", WGS84, false},
		{"WGS84", WGS84, false},
		{"GCJ02", GCJ02, false},
		{" bd09 ", BD09, false},
		{"bd-09", "", true},
		{"epsg:4326", "", true},
	}
	for _, tc := range tests {
		got, err := Parse(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("Parse(%q) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestGeometry(t *testing.T) {
	a, b, c := orb.Point{119.82, 31.36}, orb.Point{119.83, 31.36}, orb.Point{119.82, 31.37}
	ring := func(sys System) orb.Ring {
		return orb.Ring{FromWGS84(sys, a), FromWGS84(sys, b), FromWGS84(sys, c), FromWGS84(sys, a)}
	}
	tests := []struct {
		name     string
		sys      System
		in, want orb.Geometry
	}{
		{"point gcj", GCJ02, FromWGS84(GCJ02, a), a},
		{"polygon gcj", GCJ02, orb.Polygon{ring(GCJ02)}, orb.Polygon{ring(WGS84)}},
		{"multipolygon bd", BD09, orb.MultiPolygon{{ring(BD09)}}, orb.MultiPolygon{{ring(WGS84)}}},
		{"collection bd", BD09,
			orb.Collection{FromWGS84(BD09, a), orb.LineString{FromWGS84(BD09, b), FromWGS84(BD09, c)}},
			orb.Collection{a, orb.LineString{b, c}}},
		{"wgs84 unchanged", WGS84, orb.LineString{a, b}, orb.LineString{a, b}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := orb.Clone(tc.in)
			got := Geometry(tc.sys, tc.in)
			if !orb.Equal(tc.in, before) {
				t.Fatalf("input modified")
			}
			if !equalWithin(got, tc.want, 0.01) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if Geometry(GCJ02, nil) != nil {
		t.Errorf("nil geometry should stay nil")
	}
}

// equalWithin compares geometries of the same shape vertex by vertex.
func equalWithin(g1, g2 orb.Geometry, metres float64) bool {
	p1, p2 := points(g1), points(g2)
	if g1.GeoJSONType() != g2.GeoJSONType() || len(p1) != len(p2) {
		return false
	}
	for i := range p1 {
		if geo.Distance(p1[i], p2[i]) > metres {
			return false
		}
	}
	return true
}

func points(g orb.Geometry) []orb.Point {
	switch g := g.(type) {
	case orb.Point:
		return []orb.Point{g}
	case orb.LineString:
		return g
	case orb.Ring:
		return g
	case orb.Polygon:
		var ps []orb.Point
		for _, r := range g {
			ps = append(ps, r...)
		}
		return ps
	case orb.MultiPolygon:
		var ps []orb.Point
		for _, p := range g {
			ps = append(ps, points(p)...)
		}
		return ps
	case orb.Collection:
		var ps []orb.Point
		for _, c := range g {
			ps = append(ps, points(c)...)
		}
		return ps
	}
	panic("unexpected geometry in test")
}
