package validate

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// square returns a closed counter-clockwise square ring near Yixing.
func square(x, y, size float64) orb.Ring {
	return orb.Ring{{x, y}, {x + size, y}, {x + size, y + size}, {x, y + size}, {x, y}}
}

var (
	grid = square(119.82, 31.36, 0.01)
	hole = square(119.822, 31.362, 0.002)
	// bowTie crosses itself between its 2nd and 4th edges.
	bowTie = orb.Ring{{119.80, 31.30}, {119.81, 31.31}, {119.81, 31.30}, {119.80, 31.32}, {119.80, 31.30}}
)

func reversed(r orb.Ring) orb.Ring {
	c := r.Clone()
	c.Reverse()
	return c
}

// circle is a valid ring with n+1 positions.
func circle(n int) orb.Ring {
	r := make(orb.Ring, 0, n+1)
	for k := range n {
		a := 2 * math.Pi * float64(k) / float64(n)
		r = append(r, orb.Point{119.82 + 0.01*math.Cos(a), 31.36 + 0.01*math.Sin(a)})
	}
	return append(r, r[0])
}

func TestGeometry(t *testing.T) {
	tests := []struct {
		name    string
		g       orb.Geometry
		allowed []string
		field   string // "" valid, "*" whole geometry
	}{
		{"point", orb.Point{119.82, 31.36}, nil, ""},
		{"point allowed", orb.Point{119.82, 31.36}, []string{"Point"}, ""},
		{"point not allowed", orb.Point{119.82, 31.36}, []string{"Polygon", "MultiPolygon"}, "type"},
		{"polygon", orb.Polygon{grid}, []string{"Polygon"}, ""},
		{"polygon with hole", orb.Polygon{grid, hole}, nil, ""},
		{"clockwise polygon", orb.Polygon{reversed(grid)}, nil, ""},
		{"repeated positions", orb.Polygon{{{0, 0}, {0, 0}, {1, 0}, {1, 1}, {1, 1}, {0, 1}, {0, 0}, {0, 0}}}, nil, ""},
		{"multipolygon", orb.MultiPolygon{{grid}, {square(119.9, 31.3, 0.01)}}, []string{"MultiPolygon"}, ""},
		{"large valid ring", orb.Polygon{circle(5000)}, nil, ""},
		{"ring", grid, []string{"Polygon"}, ""},
		{"bound", orb.Bound{Min: orb.Point{1, 1}, Max: orb.Point{2, 2}}, nil, ""},
		{"line", orb.LineString{{0, 0}, {1, 1}}, nil, ""},
		{"self-crossing line is fine", orb.LineString{{0, 0}, {1, 1}, {1, 0}, {0, 1}}, nil, ""},
		{"multipoint", orb.MultiPoint{{0, 0}}, nil, ""},
		{"collection", orb.Collection{orb.Point{1, 1}, orb.Polygon{grid}}, nil, ""},

		{"nil", nil, nil, "*"},
		{"point out of range", orb.Point{200, 31}, nil, "coordinates"},
		{"point NaN", orb.Point{119, math.NaN()}, nil, "coordinates"},
		{"polygon bad position", orb.Polygon{{{0, 0}, {1, 0}, {1, 95}, {0, 0}}}, nil, "coordinates[0][2]"},
		{"empty polygon", orb.Polygon{}, nil, "coordinates"},
		{"empty ring", orb.Polygon{{}}, nil, "coordinates[0]"},
		{"unclosed ring", orb.Polygon{grid[:4]}, nil, "coordinates[0]"},
		{"too few positions", orb.Polygon{{{0, 0}, {1, 0}, {0, 0}}}, nil, "coordinates[0]"},
		{"two distinct positions", orb.Polygon{{{0, 0}, {1, 0}, {1, 0}, {0, 0}}}, nil, "coordinates[0]"},
		{"bow-tie", orb.Polygon{bowTie}, nil, "coordinates[0]"},
		{"bow-tie in hole", orb.Polygon{grid, square(119.822, 31.362, 0.002), bowTie}, nil, "coordinates[2]"},
		{"symmetric bow-tie", orb.Polygon{{{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}}}, nil, "coordinates[0]"},
		{"self-touching ring", orb.Polygon{{{0, 0}, {2, 0}, {1, 1}, {2, 2}, {0, 2}, {1, 1}, {0, 0}}}, nil, "coordinates[0]"},
		{"spike", orb.Polygon{{{0, 0}, {2, 0}, {2, 2}, {2, 3}, {2, 1}, {0, 2}, {0, 0}}}, nil, "coordinates[0]"},
		{"collinear ring", orb.Polygon{{{0, 0}, {1, 1}, {2, 2}, {0, 0}}}, nil, "coordinates[0]"},
		{"bad part of multipolygon", orb.MultiPolygon{{grid}, {bowTie}}, nil, "coordinates[1][0]"},
		{"empty multipolygon", orb.MultiPolygon{}, nil, "coordinates"},
		{"empty line", orb.LineString{}, nil, "coordinates"},
		{"one-position line", orb.LineString{{1, 1}}, nil, "coordinates"},
		{"degenerate line", orb.LineString{{1, 1}, {1, 1}}, nil, "coordinates"},
		{"bad line in multiline", orb.MultiLineString{{{0, 0}, {1, 1}}, {{0, 0}, {0, -91}}}, nil, "coordinates[1][1]"},
		{"empty multipoint", orb.MultiPoint{}, nil, "coordinates"},
		{"empty collection", orb.Collection{}, nil, "geometries"},
		{"nil in collection", orb.Collection{orb.Point{1, 1}, nil}, nil, "geometries[1]"},
		{"bad collection member", orb.Collection{orb.Point{1, 1}, orb.Polygon{bowTie}}, nil, "geometries[1].coordinates[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, Geometry(tc.g, tc.allowed...), tc.field)
		})
	}
}

func TestZeroArea(t *testing.T) {
	// A ring too long for the self-intersection test still has its area
	// checked: this one runs out and back along a line.
	n := SelfIntersectionLimit
	r := make(orb.Ring, 0, n+2)
	for k := range n / 2 {
		r = append(r, orb.Point{119.8 + float64(k)*1e-5, 31.3 + float64(k)*1e-5})
	}
	for k := n/2 - 2; k > 0; k-- {
		r = append(r, orb.Point{119.8 + float64(k)*1e-5, 31.3 + float64(k)*1e-5})
	}
	r = append(r, r[0], r[0], r[0], r[0])
	if len(r) <= SelfIntersectionLimit {
		t.Fatalf("test ring has %d positions, must exceed %d", len(r), SelfIntersectionLimit)
	}
	err := Geometry(orb.Polygon{r})
	wantErr(t, err, "coordinates[0]")
	if got := err.Error(); got != "coordinates[0]: ring has zero area" {
		t.Errorf("got %q", got)
	}
}

func TestLargeRingSkipsSelfIntersection(t *testing.T) {
	r := circle(SelfIntersectionLimit + 10)
	r[1], r[2] = r[2], r[1] // a tiny bow-tie: left to PostGIS
	wantErr(t, Geometry(orb.Polygon{r}), "")
	wantErr(t, Geometry(orb.Polygon{circle(SelfIntersectionLimit - 10)}), "")
	small := circle(100)
	small[1], small[2] = small[2], small[1]
	wantErr(t, Geometry(orb.Polygon{small}), "coordinates[0]")
}

func BenchmarkRingCheck(b *testing.B) {
	p := orb.Polygon{circle(SelfIntersectionLimit - 1)}
	for b.Loop() {
		if err := Geometry(p); err != nil {
			b.Fatal(err)
		}
	}
}
