package validate

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"

	"citymap/invalid"
)

// SelfIntersectionLimit is the longest ring (in positions) checked for
// self-intersection. The check sweeps edges sorted by longitude (about 2 ms
// for a ring this long) but is quadratic in the worst case, so longer rings —
// rare outside imported district boundaries — are left to PostGIS
// ST_IsValid rather than stalling a request.
const SelfIntersectionLimit = 10000

// zeroAreaTolerance is relative to the squared extent of the ring, so that
// rounding in collinear rings of any size counts as zero area.
const zeroAreaTolerance = 1e-12

func checkRing(r orb.Ring) error {
	if err := checkPositions(r); err != nil {
		return err
	}
	if len(r) < 4 {
		return &invalid.Error{Message: fmt.Sprintf("ring has %d positions, needs at least 4", len(r))}
	}
	if r[0] != r[len(r)-1] {
		return &invalid.Error{Message: "ring is not closed: first and last positions differ"}
	}
	segs := segments(r)
	if len(segs) < 3 {
		return &invalid.Error{Message: "ring needs at least 3 distinct positions"}
	}
	if len(r) <= SelfIntersectionLimit {
		if err := checkSimple(segs); err != nil {
			return err
		}
	}
	if zeroArea(r) {
		return &invalid.Error{Message: "ring has zero area"}
	}
	return nil
}

// segment is a ring edge from position i to the next distinct position.
type segment struct {
	a, b orb.Point
	i, j int // indexes of a and b in the ring, for messages
}

// segments skips repeated consecutive positions, which are valid in
// PostGIS but would make neighbouring edges look like they cross.
func segments(r orb.Ring) []segment {
	var segs []segment
	start := 0
	for k := 1; k < len(r); k++ {
		if r[k] != r[start] {
			segs = append(segs, segment{a: r[start], b: r[k], i: start, j: k})
			start = k
		}
	}
	return segs
}

// checkSimple reports the first pair of edges that touch or cross other than
// at their shared vertex, and edges that double back on their predecessor.
// Edges are swept in order of their west end, so typical rings cost close to
// n log n; a ring whose edges all overlap in longitude is n².
func checkSimple(segs []segment) error {
	n := len(segs)
	for k := range segs {
		if err := checkTurn(segs[(k+n-1)%n], segs[k]); err != nil {
			return err
		}
	}
	order := make([]int, n)
	for k := range order {
		order[k] = k
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(minX(segs[a]), minX(segs[b])) })
	for oi, k := range order {
		for _, m := range order[oi+1:] {
			if minX(segs[m]) > maxX(segs[k]) {
				break
			}
			if adjacent(k, m, n) || !intersects(segs[k], segs[m]) {
				continue
			}
			s, t := segs[min(k, m)], segs[max(k, m)]
			return &invalid.Error{Message: fmt.Sprintf("ring self-intersects: edge from position %d to %d meets edge from %d to %d", s.i, s.j, t.i, t.j)}
		}
	}
	return nil
}

// checkTurn catches spikes: consecutive edges that are collinear and run
// back over each other, which the non-adjacent test cannot see.
func checkTurn(prev, next segment) error {
	d1 := orb.Point{prev.b[0] - prev.a[0], prev.b[1] - prev.a[1]}
	d2 := orb.Point{next.b[0] - next.a[0], next.b[1] - next.a[1]}
	if d1[0]*d2[1]-d1[1]*d2[0] == 0 && d1[0]*d2[0]+d1[1]*d2[1] < 0 {
		return &invalid.Error{Message: fmt.Sprintf("ring doubles back on itself at position %d", next.i)}
	}
	return nil
}

func adjacent(k, m, n int) bool {
	d := k - m
	return d == 1 || d == -1 || d == n-1 || d == 1-n
}

func minX(s segment) float64 { return math.Min(s.a[0], s.b[0]) }
func maxX(s segment) float64 { return math.Max(s.a[0], s.b[0]) }

// intersects is the textbook orientation test, including touching and
// collinear overlap. Plain float arithmetic can misjudge nearly collinear
// edges; PostGIS's robust predicates settle those cases.
func intersects(s, t segment) bool {
	d1, d2 := orient(t.a, t.b, s.a), orient(t.a, t.b, s.b)
	d3, d4 := orient(s.a, s.b, t.a), orient(s.a, s.b, t.b)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true
	}
	return (d1 == 0 && within(t, s.a)) || (d2 == 0 && within(t, s.b)) ||
		(d3 == 0 && within(s, t.a)) || (d4 == 0 && within(s, t.b))
}

func orient(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

// within reports whether p, known to be collinear with s, lies on s.
func within(s segment, p orb.Point) bool {
	return math.Min(s.a[0], s.b[0]) <= p[0] && p[0] <= math.Max(s.a[0], s.b[0]) &&
		math.Min(s.a[1], s.b[1]) <= p[1] && p[1] <= math.Max(s.a[1], s.b[1])
}

// zeroArea uses the shoelace formula relative to the first position, which
// keeps rounding proportional to the ring's size rather than to its
// distance from the origin.
func zeroArea(r orb.Ring) bool {
	o := r[0]
	var area2 float64
	b := r.Bound()
	for k := 1; k+1 < len(r); k++ {
		ax, ay := r[k][0]-o[0], r[k][1]-o[1]
		bx, by := r[k+1][0]-o[0], r[k+1][1]-o[1]
		area2 += ax*by - ay*bx
	}
	w, h := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	return math.Abs(area2) <= zeroAreaTolerance*(w*w+h*h)
}
