package democity

import (
	"iter"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/paulmach/orb"
)

// Issue is a case (案卷) with the events that brought it to its status.
type Issue struct {
	ID          int64
	Source      string
	ExternalID  string // "" is NULL
	Category    string
	Description string
	Address     string
	Photos      []string
	Reporter    string
	At          orb.Point
	Grid        int // index in City.Areas
	Status      string
	Unit        string
	Created     time.Time
	Deadline    time.Time
	Dispatched  time.Time // zero is NULL, as for Resolved and Closed
	Resolved    time.Time
	Closed      time.Time
	Rework      int
	DuplicateOf int64 // 0 is NULL, as for Inspection and Point
	Inspection  int64
	Point       int64
	Version     int
	Updated     time.Time
	Events      []Event
}

// Event is one transition of an issue.
type Event struct {
	ID     int64
	Issue  int64
	Action string
	From   string // "" is NULL (the report)
	To     string
	Actor  string
	Note   string
	Data   []byte // JSON object
	At     time.Time
}

// IssueDays is how far back issues go.
const IssueDays = 365

// InspectionShare is the share of issues that come from inspection findings (at
// most one per finding).
const InspectionShare = 0.04

// IssueCount is the number of issues at the city's scale.
func (c *City) IssueCount() int { return int(math.Round(BaseIssues * c.Opt.Scale)) }

// Issues streams the issues in chunks of at least size (the last may be smaller),
// in id order, which is creation order; every issue carries its events. Each call
// starts over and yields the same issues.
func (c *City) Issues(size int) iter.Seq[[]Issue] {
	return func(yield func([]Issue) bool) {
		g := newIssueGen(c)
		var chunk []Issue
		for day := range IssueDays {
			chunk = g.day(day, chunk)
			if len(chunk) >= size || day == IssueDays-1 && len(chunk) > 0 {
				if !yield(chunk) {
					return
				}
				chunk = nil
			}
		}
	}
}

// finding is an inspection deduction that becomes an issue.
type finding struct {
	inspection int // index in City.Inspections
	deduction  int
	at         time.Time
}

// slot is an issue to make: when, and from which source or finding.
type slot struct {
	at      time.Time
	source  int
	finding int // index in issueGen.findings, or -1
}

// dupCandidate is a recent issue a later report may duplicate.
type dupCandidate struct {
	id      int64
	cat     int
	cell    int32
	created time.Time
}

type issueGen struct {
	c         *City
	r         *rand.Rand
	start     time.Time
	perDay    []int
	findings  []finding
	nextFind  int
	sourceW   weighted
	hourW     []weighted
	catW      [][12]weighted
	anchorW   []weighted
	anchorPts [][]int
	nextIssue int64
	nextEvent int64
	external  map[string]int // per source and year: last external number (lookups only)
	recent    []dupCandidate
	offices   map[string]string
	staff     [3][]string // intake, dispatch, verify
}

func newIssueGen(c *City) *issueGen {
	g := &issueGen{c: c, r: newRand(c.Opt.Seed, "issues"), nextIssue: 1, nextEvent: 1,
		external: map[string]int{}, offices: map[string]string{}}
	g.start = c.Opt.Now.Add(-IssueDays * 24 * time.Hour)
	g.findings = c.pickFindings(newRand(c.Opt.Seed, "findings"), int(math.Round(float64(c.IssueCount())*InspectionShare)))
	g.perDay = apportion(c.IssueCount()-len(g.findings), g.dayWeights())
	g.initTables()
	for _, u := range c.Units {
		g.offices[u.Code] = u.Name
	}
	for k := range g.staff {
		for range 6 {
			g.staff[k] = append(g.staff[k], personName(g.r))
		}
	}
	return g
}

// pickFindings chooses n deductions that open issues, in time order.
func (c *City) pickFindings(r *rand.Rand, n int) []finding {
	var all []finding
	for i, in := range c.Inspections {
		for k, d := range in.Deductions {
			if d.Category != "" {
				all = append(all, finding{i, k, in.At.Add(time.Duration(between(r, 10, 90)) * time.Minute)})
			}
		}
	}
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	all = all[:min(n, len(all))]
	sort.SliceStable(all, func(i, j int) bool { return all[i].at.Before(all[j].at) })
	return all
}

// dayWeights: more issues lately, fewer on rest days and over the Spring Festival,
// more in summer.
func (g *issueGen) dayWeights() []float64 {
	w := make([]float64, IssueDays)
	for k := range w {
		mid := g.start.Add(time.Duration(k)*24*time.Hour + 12*time.Hour).In(local)
		w[k] = 0.55 + 0.45*float64(k)/float64(IssueDays-1)
		if g.c.restDay(mid) {
			w[k] *= 0.8
		}
		if d, ok := g.c.holiday[mid.Format(time.DateOnly)]; ok && d.Name == "春节" && d.Kind == "holiday" {
			w[k] *= 0.6
		}
		w[k] *= [...]float64{0.9, 0.85, 0.95, 1, 1.05, 1.1, 1.15, 1.15, 1.05, 1, 0.95, 0.9}[mid.Month()-1]
	}
	return w
}

// initTables precomputes the weighted draws: sources, intake hours, categories by
// source and month, anchor points by category.
func (g *issueGen) initTables() {
	shares := make([]float64, len(issueSources))
	h0 := g.start.In(local).Hour()
	for s, src := range issueSources {
		if src.code != "inspection" {
			shares[s] = src.share
		}
		hours := make([]float64, 24)
		for k := range hours {
			hours[k] = float64(src.hours[(h0+k)%24] - '0')
		}
		g.hourW = append(g.hourW, newWeighted(hours))
		g.catW = append(g.catW, monthlyCategories(src))
	}
	g.sourceW = newWeighted(shares)
	for _, cat := range issueCats {
		var pts []int
		var w []float64
		for i, p := range g.c.Points {
			if contains(cat.anchors, p.Category) {
				pts, w = append(pts, i), append(w, p.Heat*(0.3+g.c.density[p.Cell]))
			}
		}
		g.anchorPts, g.anchorW = append(g.anchorPts, pts), append(g.anchorW, newWeighted(w))
	}
}

// monthlyCategories weighs a source's categories for each month.
func monthlyCategories(src issueSource) [12]weighted {
	var months [12]weighted
	for m := range months {
		w := make([]float64, len(issueCats))
		for i, cat := range issueCats {
			if src.weights != nil {
				w[i] = src.weights[i] * seasonal(cat.code, m+1)
			}
		}
		months[m] = newWeighted(w)
	}
	return months
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// day appends the issues created in the k-th day window to out.
func (g *issueGen) day(k int, out []Issue) []Issue {
	from := g.start.Add(time.Duration(k) * 24 * time.Hour)
	to := from.Add(24 * time.Hour)
	slots := make([]slot, 0, g.perDay[k]+8)
	for range g.perDay[k] {
		s := g.sourceW.pick(g.r)
		at := from.Add(time.Duration(g.hourW[s].pick(g.r))*time.Hour + time.Duration(g.r.IntN(3600))*time.Second)
		slots = append(slots, slot{at: at, source: s, finding: -1})
	}
	for ; g.nextFind < len(g.findings) && g.findings[g.nextFind].at.Before(to); g.nextFind++ {
		slots = append(slots, slot{at: g.findings[g.nextFind].at, source: sourceIndex("inspection"), finding: g.nextFind})
	}
	sort.SliceStable(slots, func(i, j int) bool { return slots[i].at.Before(slots[j].at) })
	for _, s := range slots {
		out = append(out, g.issue(s))
	}
	return out
}

func sourceIndex(code string) int {
	for i, s := range issueSources {
		if s.code == code {
			return i
		}
	}
	panic("democity: unknown source " + code)
}
