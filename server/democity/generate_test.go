package democity

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"regexp"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 11, 26, 20, 0, 0, 0, local)

// cities caches generated cities: generating one takes a fraction of a second,
// but several tests share them.
var cities = map[string]*City{}

func city(t *testing.T, seed uint64, scale float64) *City {
	t.Helper()
	key := fmt.Sprint(seed, scale)
	if c, ok := cities[key]; ok {
		return c
	}
	c := Generate(Options{Scale: scale, Seed: seed, Now: testNow})
	cities[key] = c
	return c
}

func TestAreaCodes(t *testing.T) {
	c := city(t, 1, 0.05)
	tests := []struct {
		level    string
		digits   int
		parent   string
		atLeast  int
		nameLike *regexp.Regexp
	}{
		{"district", 6, "", 1, regexp.MustCompile(`^宜兴市$`)},
		{"street", 9, "district", 6, regexp.MustCompile(`(街道|镇|环科园)$`)},
		{"community", 12, "street", 40, regexp.MustCompile(`^\p{Han}{2,3}(社区|村)$`)},
		{"grid", 14, "community", 400, regexp.MustCompile(`^\p{Han}+(社区|村)第\d{2}网格$`)},
	}
	codes := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			n := 0
			for _, a := range c.Areas {
				if a.Level != tt.level {
					continue
				}
				n++
				checkArea(t, c, a, tt.digits, tt.parent, tt.nameLike)
				if codes[a.Code] {
					t.Errorf("code %s twice", a.Code)
				}
				codes[a.Code] = true
			}
			if n < tt.atLeast {
				t.Errorf("%d %s areas, want at least %d", n, tt.level, tt.atLeast)
			}
		})
	}
}

var digitsOnly = regexp.MustCompile(`^[0-9]+$`)

func checkArea(t *testing.T, c *City, a Area, digits int, parent string, name *regexp.Regexp) {
	t.Helper()
	if len(a.Code) != digits || !digitsOnly.MatchString(a.Code) || !strings.HasPrefix(a.Code, CountyCode) {
		t.Errorf("%s %q: want %d digits starting %s", a.Level, a.Code, digits, CountyCode)
	}
	if parent != "" {
		p := c.Areas[a.Parent]
		if p.Level != parent || !strings.HasPrefix(a.Code, p.Code) {
			t.Errorf("%s %s: parent %s %s", a.Level, a.Code, p.Level, p.Code)
		}
	}
	if !name.MatchString(a.Name) {
		t.Errorf("%s %s: name %q", a.Level, a.Code, a.Name)
	}
	if a.Level == "grid" {
		street, comm := c.Areas[c.street(a.Parent)], c.Areas[a.Parent]
		if !strings.HasPrefix(a.Name, street.Name+comm.Name) || a.Manager == "" || len(a.Phone) != 11 {
			t.Errorf("grid %s: %q, manager %q %q", a.Code, a.Name, a.Manager, a.Phone)
		}
	}
	if a.Cells == 0 {
		t.Errorf("%s %s has no cells", a.Level, a.Code)
	}
}

// Every grid is one 4-connected piece of cells inside its community, and cells
// belong to exactly one grid.
func TestGridsAreContiguous(t *testing.T) {
	c := city(t, 1, 0.05)
	for _, seed := range []uint64{1, 2, 99} {
		c := c
		if seed != 1 {
			c = Generate(Options{Seed: seed, Now: testNow})
		}
		seen := make([]int, len(c.Areas))
		for _, cell := range c.cells {
			g := c.gridOf[cell]
			if seen[g] > 0 {
				continue
			}
			seen[g] = floodSize(c, cell)
			if seen[g] != c.Areas[g].Cells {
				t.Errorf("seed %d: grid %s has %d cells but %d connected", seed, c.Areas[g].Code, c.Areas[g].Cells, seen[g])
			}
		}
	}
}

func floodSize(c *City, start int32) int {
	g := c.gridOf[start]
	mark := map[int32]bool{start: true}
	queue := []int32{start}
	for k := 0; k < len(queue); k++ {
		for _, n := range c.Lattice.neighbours(queue[k], nil) {
			if !mark[n] && c.gridOf[n] == g {
				mark[n] = true
				queue = append(queue, n)
			}
		}
	}
	return len(queue)
}

func TestPoints(t *testing.T) {
	c := city(t, 1, 0.05)
	if len(c.Points) < 3000 {
		t.Errorf("%d points, want at least 3000", len(c.Points))
	}
	cats, codes := map[string]int{}, map[string]bool{}
	for _, p := range c.Points {
		cats[p.Category]++
		if codes[p.Code] || p.Name == "" || p.Unit == "" || p.Person == "" || p.Phone == "" {
			t.Errorf("point %+v", p)
		}
		codes[p.Code] = true
		if cell := c.Lattice.CellOf(p.At); c.GridCell(cell) != p.Grid {
			t.Errorf("point %s is not in its grid", p.Code)
		}
	}
	if len(cats) != len(pointKinds) {
		t.Errorf("%d categories, want %d", len(cats), len(pointKinds))
	}
}

func TestParking(t *testing.T) {
	c := city(t, 1, 0.05)
	tidal := 0
	for _, z := range c.Zones {
		if len(z.Readings) != ReadingDays*24 || z.Occupied > z.Capacity || !z.OccupancyAt.Equal(testNow) {
			t.Errorf("zone %s: %d readings, %d of %d at %s", z.Code, len(z.Readings), z.Occupied, z.Capacity, z.OccupancyAt)
		}
		for _, r := range z.Readings {
			if r.Occupied < 0 || r.Occupied > z.Capacity {
				t.Fatalf("zone %s: reading %d of %d", z.Code, r.Occupied, z.Capacity)
			}
		}
		if z.Kind == "tidal" {
			tidal++
			if len(z.Windows) == 0 {
				t.Errorf("tidal zone %s has no windows", z.Code)
			}
		}
	}
	if len(c.Zones) < 200 || tidal < 40 {
		t.Errorf("%d zones, %d tidal; want 200 and 40", len(c.Zones), tidal)
	}
	for p := range profiles {
		for _, s := range profiles[p] {
			if len(s) != 48 || !digitsOnly.MatchString(s) {
				t.Errorf("profile %d: %q", p, s)
			}
		}
	}
}

func TestWeekWindows(t *testing.T) {
	tests := []struct {
		name string
		in   [][2]int
		want []Window
	}{
		{"one day", [][2]int{{60, 120}}, []Window{{1, 60, 120}}},
		{"past midnight", [][2]int{{1080, 1920}}, []Window{{1, 1080, 1440}, {2, 0, 480}}},
		{"overlapping merge", [][2]int{{100, 300}, {200, 400}, {400, 500}}, []Window{{1, 100, 500}}},
		{"whole Sunday", [][2]int{{6 * 1440, 7 * 1440}}, []Window{{7, 0, 1440}}},
		{"unsorted", [][2]int{{1440, 1500}, {0, 10}}, []Window{{1, 0, 10}, {2, 0, 60}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := weekWindows(tt.in); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	week := officeWeek()
	want := "[{1 0 480} {1 1080 1440} {2 0 480} {2 1080 1440} {3 0 480} {3 1080 1440} {4 0 480} {4 1080 1440} {5 0 480} {5 1080 1440} {6 0 1440} {7 0 1440}]"
	if fmt.Sprint(week) != want {
		t.Errorf("office week %v", week)
	}
}

func TestCalendar(t *testing.T) {
	seen := map[string]bool{}
	holidays2026 := 0
	for _, d := range calendarDays() {
		key := d.Day.Format(time.DateOnly)
		if seen[key] || d.Name == "" {
			t.Errorf("day %s %q", key, d.Name)
		}
		seen[key] = true
		wd := d.Day.Weekday()
		if d.Kind == "workday" && wd != time.Saturday && wd != time.Sunday {
			t.Errorf("make-up workday %s is a %s", key, wd)
		}
		if d.Kind == "holiday" && d.Day.Year() == 2026 {
			holidays2026++
		}
	}
	if holidays2026 != 33 {
		t.Errorf("%d holidays in 2026, want 33", holidays2026)
	}
}

func TestApportion(t *testing.T) {
	tests := []struct {
		total int
		w     []float64
		want  string
	}{
		{10, []float64{1, 1}, "[5 5]"},
		{10, []float64{1, 1, 1}, "[4 3 3]"},
		{7, []float64{0, 1, 3}, "[0 2 5]"},
		{0, []float64{1, 2}, "[0 0]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(apportion(tt.total, tt.w)); got != tt.want {
			t.Errorf("apportion(%d, %v) = %s, want %s", tt.total, tt.w, got, tt.want)
		}
	}
}

// digest hashes everything generated, issues included.
func digest(c *City) string {
	h := sha256.New()
	for _, a := range c.Areas {
		fmt.Fprintln(h, a.Code, a.Name, a.Manager, a.Phone, a.Cells)
	}
	for _, cell := range c.cells {
		fmt.Fprint(h, cell, c.gridOf[cell], ";")
	}
	for _, p := range c.Points {
		fmt.Fprintln(h, p.Code, p.Name, p.Address, p.Unit, p.Person, p.Phone, p.Geom)
	}
	for _, in := range c.Inspections {
		fmt.Fprintln(h, in.Point, in.At.UnixNano(), in.Inspector, in.Deductions, in.Score)
	}
	for _, z := range c.Zones {
		fmt.Fprintln(h, z.Code, z.Name, z.Capacity, z.Geom, z.Windows, z.Readings)
	}
	for chunk := range c.Issues(997) {
		hashIssues(h, chunk)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func hashIssues(h hash.Hash, chunk []Issue) {
	for _, is := range chunk {
		fmt.Fprintln(h, is.ID, is.Source, is.ExternalID, is.Category, is.Description, is.At, is.Status,
			is.Created.UnixNano(), is.Closed.UnixNano(), is.DuplicateOf, is.Inspection)
		for _, e := range is.Events {
			fmt.Fprintln(h, e.ID, e.Action, e.Actor, e.Note, string(e.Data), e.At.UnixNano())
		}
	}
}

func TestDeterminism(t *testing.T) {
	a := digest(Generate(Options{Scale: 0.1, Seed: 42, Now: testNow}))
	b := digest(Generate(Options{Scale: 0.1, Seed: 42, Now: testNow}))
	c := digest(Generate(Options{Scale: 0.1, Seed: 43, Now: testNow}))
	d := digest(Generate(Options{Scale: 0.1, Seed: 42, Now: testNow.Add(time.Hour)}))
	if a != b {
		t.Error("the same seed and now gave different cities")
	}
	if a == c {
		t.Error("different seeds gave the same city")
	}
	if a == d {
		t.Error("a different now gave the same city")
	}
}

// The map does not depend on the scale: only the issues do.
func TestScaleKeepsMap(t *testing.T) {
	small, large := city(t, 1, 0.05), city(t, 1, 0.2)
	if len(small.Areas) != len(large.Areas) || small.Areas[len(small.Areas)-1].Code != large.Areas[len(large.Areas)-1].Code ||
		len(small.Points) != len(large.Points) || small.Points[100].Name != large.Points[100].Name {
		t.Error("the map changed with the scale")
	}
	if small.IssueCount() != 2600 || large.IssueCount() != 10400 {
		t.Errorf("issue counts %d and %d", small.IssueCount(), large.IssueCount())
	}
}
