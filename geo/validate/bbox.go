package validate

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"citymap/invalid"
)

// ParseBBox reads the numbers of a bbox query parameter, "minx,miny,maxx,maxy"
// (or with heights, when the caller takes six): every one must be a finite
// number, since strconv reads NaN and Inf, which no comparison refuses. The
// error's Message is the message; Field is empty (the caller names its
// parameter).
func ParseBBox(s string, counts ...int) ([]float64, error) {
	parts := strings.Split(s, ",")
	if len(counts) == 0 {
		counts = []int{4}
	}
	ok := false
	for _, n := range counts {
		ok = ok || len(parts) == n
	}
	if !ok {
		return nil, &invalid.Error{Message: fmt.Sprintf("a bbox is %s numbers, got %d", orList(counts), len(parts))}
	}
	v := make([]float64, len(parts))
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, &invalid.Error{Message: fmt.Sprintf("%q in the bbox is not a finite number", p)}
		}
		v[i] = f
	}
	return v, nil
}

// BBox checks a WGS-84 box: finite, longitudes within ±180, latitudes within
// ±90, and its lower corner first (boxes across the antimeridian are not
// supported). A box may be a point or a line: clients zoomed onto one feature
// send those.
func BBox(b orb.Bound) error {
	for _, p := range []orb.Point{b.Min, b.Max} {
		if err := Point(p); err != nil {
			return &invalid.Error{Message: "bbox: " + err.Error()}
		}
	}
	if b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
		return &invalid.Error{Message: "bbox is west,south,east,north with west <= east and south <= north " +
			"(boxes across the antimeridian are not supported)"}
	}
	return nil
}

func orList(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, " or ")
}
