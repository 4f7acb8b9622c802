package validate

import (
	"testing"

	"github.com/paulmach/orb"
)

func TestParseBBox(t *testing.T) {
	cases := []struct {
		in     string
		counts []int
		ok     bool
	}{
		{"119.8,31.3,119.9,31.4", nil, true},
		{" 119.8, 31.3 ,119.9,31.4", nil, true},
		{"1,2,3", nil, false},
		{"1,2,0,3,4,0", nil, false},
		{"1,2,0,3,4,0", []int{4, 6}, true},
		{"NaN,31,120,32", nil, false},
		{"119,31,Inf,32", nil, false},
		{"119,31,-Infinity,32", nil, false},
		{"119,31,1e400,32", nil, false},
		{"a,b,c,d", nil, false},
	}
	for _, c := range cases {
		_, err := ParseBBox(c.in, c.counts...)
		if (err == nil) != c.ok {
			t.Errorf("%q: error %v, want ok=%v", c.in, err, c.ok)
		}
	}
}

func TestBBox(t *testing.T) {
	cases := []struct {
		b  orb.Bound
		ok bool
	}{
		{orb.Bound{Min: orb.Point{119, 31}, Max: orb.Point{120, 32}}, true},
		{orb.Bound{Min: orb.Point{119, 31}, Max: orb.Point{119, 31}}, true}, // a point
		{orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}, true},
		{orb.Bound{Min: orb.Point{120, 31}, Max: orb.Point{119, 32}}, false}, // west > east
		{orb.Bound{Min: orb.Point{119, 32}, Max: orb.Point{120, 31}}, false},
		{orb.Bound{Min: orb.Point{-181, 31}, Max: orb.Point{120, 32}}, false},
		{orb.Bound{Min: orb.Point{119, 31}, Max: orb.Point{120, 91}}, false},
	}
	for _, c := range cases {
		if err := BBox(c.b); (err == nil) != c.ok {
			t.Errorf("%v: error %v, want ok=%v", c.b, err, c.ok)
		}
	}
}
