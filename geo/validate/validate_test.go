package validate

import (
	"errors"
	"math"
	"testing"

	"github.com/paulmach/orb"

	"citymap/invalid"
)

// wantErr checks err against an expected field; want "" means no error and
// "*" means an *invalid.Error for the geometry as a whole.
func wantErr(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var e *invalid.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want *invalid.Error for %q", err, want)
	}
	if want == "*" {
		want = ""
	}
	if e.Field != want {
		t.Fatalf("error field %q (%v), want %q", e.Field, err, want)
	}
	if e.Message == "" {
		t.Fatalf("error for %q has no reason", e.Field)
	}
}

func TestPoint(t *testing.T) {
	tests := []struct {
		name string
		p    orb.Point
		ok   bool
	}{
		{"yixing", orb.Point{119.82, 31.36}, true},
		{"corner", orb.Point{-180, 90}, true},
		{"corner", orb.Point{180, -90}, true},
		{"lon too big", orb.Point{180.0001, 0}, false},
		{"lat too small", orb.Point{0, -90.5}, false},
		{"swapped lat/lon", orb.Point{31.36, 119.82}, false},
		{"NaN", orb.Point{math.NaN(), 0}, false},
		{"Inf", orb.Point{0, math.Inf(1)}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := "*"
			if tc.ok {
				want = ""
			}
			wantErr(t, Point(tc.p), want)
		})
	}
}
