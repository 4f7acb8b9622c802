package reportcube

import "testing"

func TestMedianSeconds(t *testing.T) {
	for _, c := range []struct {
		name string
		us   []int64
		want float64 // seconds
		none bool
	}{
		{"none", nil, 0, true},
		{"one", []int64{1_500_000}, 1.5, false},
		{"odd", []int64{9, 1, 5, 7, 3}, 5e-6, false},
		{"even interpolates", []int64{4_000_000, 1_000_000, 2_000_000, 3_000_000}, 2.5, false},
		{"ties", []int64{7, 7, 7, 7, 1, 9}, 7e-6, false},
		{"negative", []int64{-3_000_000, 1_000_000}, -1, false},
		// in float8 as PostgreSQL interpolates, not the exact 0.15
		{"float8 interpolation", []int64{100_000, 200_000}, lerp(0.1, 0.2), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := medianSeconds(append([]int64(nil), c.us...))
			switch {
			case c.none:
				if got != nil {
					t.Errorf("median %v, want none", *got)
				}
			case got == nil || *got != c.want:
				t.Errorf("median %v, want %v", got, c.want)
			}
		})
	}
}

// lerp is PostgreSQL's float8_lerp at 0.5, computed at run time.
func lerp(lo, hi float64) float64 { return lo + 0.5*(hi-lo) }
