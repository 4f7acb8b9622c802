// Package simulate plays a day of the demo city through the real interfaces
// of a running server: hotline batches, Open311 posts, grid-patrol reports
// with photos, the case workflow by the roles, parking sensor readings and
// inspections. Plan makes the day (a pure function of the city and a seed);
// Runner plays it at a chosen speed.
package simulate

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"citymap/server/workflow"
)

// City is what the plan draws from, as the server lists it.
type City struct {
	Categories []Category
	Places     []Place // inspection points, where cases happen
	Zones      []Zone  // smart parking lots, which have sensors
	Indicators []Indicator
}

// Category is an issue category (an Open311 service); Required are the
// attributes Open311 asks for, with their allowed values.
type Category struct {
	Code, Name string
	Required   map[string][]string
}

// Place is an inspection point: where a case is reported and what is inspected.
type Place struct {
	Code, Name, Category string
	Lon, Lat             float64
}

// Zone is a smart parking lot.
type Zone struct {
	Code     string
	Capacity int
}

// Indicator is a field indicator of the catalogue: checked at points of
// Categories, worth MaxPoints.
type Indicator struct {
	Code       string
	Name       string
	MaxPoints  float64
	Categories []string
}

// Options shape the day.
type Options struct {
	Seed     uint64
	From     time.Time     // the simulated instant the plan starts at
	Duration time.Duration // how much simulated time it covers
	// CasesPerDay is the day's cases over all channels (0: DefaultCasesPerDay).
	CasesPerDay float64
	// InspectionsPerDay (0: DefaultInspectionsPerDay).
	InspectionsPerDay float64
	// LateSteps keeps the workflow steps that fall after the window, of the
	// cases reported in it, for the next window to play (a run of many days).
	LateSteps bool
	// CaseBase numbers the cases from CaseBase+1, so that the cases of
	// several plans, which their steps name, stay apart.
	CaseBase int
}

// Defaults: about what the demo city's year holds per day, and the
// inspection teams' rounds.
const (
	DefaultCasesPerDay       = 240
	DefaultInspectionsPerDay = 30
	// batchEvery is how often the 12345 hotline pushes the cases it took.
	batchEvery = 10 * time.Minute
	// readingsEvery is how often a lot's sensors report, and the share of
	// lots that report in each round.
	readingsEvery = 5 * time.Minute
	readingShare  = 0.3
)

// Kind is what an event does.
type Kind string

// The kinds of event, each through its own interface.
const (
	Hotline    Kind = "hotline"    // POST /api/v1/issues/batch as the 12345 hotline
	Open311    Kind = "open311"    // POST /open311/v2/requests.json as the 12319 hotline
	Patrol     Kind = "patrol"     // a photo, then POST /api/v1/issues as a grid manager
	Action     Kind = "action"     // POST /api/v1/issues/{id}/actions as the role of the step
	Parking    Kind = "parking"    // sensor readings, over MQTT or HTTP
	Inspection Kind = "inspection" // POST /api/v1/inspections with deductions
)

// Event is one step of the day.
type Event struct {
	At   time.Time
	Kind Kind
	// Cases are the new cases of a hotline batch (several), an Open311 post
	// or a patrol report (one each).
	Cases []Case
	// Step is a workflow action on the planned case Case.
	Case int
	Step Step
	// Readings of a parking round.
	Readings []Reading
	// Inspection of a point.
	Inspection *Visit
}

// Case is a new case; N numbers it in the plan, which the workflow steps name.
type Case struct {
	N           int
	Source      string
	Category    string
	Place       string // the point's name, as the address
	Lon, Lat    float64
	Description string
	Attributes  map[string]string // Open311's required attributes
	Phone       string            // the citizen's, for the call-back (Open311)
}

// Step is a workflow action and the role that takes it.
type Step struct {
	Action workflow.Action
	Role   string // dispatcher (command centre) or grid_manager (field)
	Passed bool   // of a verification
	Note   string
}

// Reading is a lot's occupancy.
type Reading struct {
	Zone     string
	Occupied int
}

// Visit is an inspection of a point and what it deducts.
type Visit struct {
	Point      string
	Deductions []Deduction
	Note       string
}

// Deduction is points lost on an indicator, and the case it opens.
type Deduction struct {
	Indicator string
	Points    float64
	Category  string
}

// dayCurve is the relative volume of cases per hour of the day: quiet at
// night, busy 9–11 and 14–17, a dip at lunch.
var dayCurve = [24]float64{
	0.10, 0.06, 0.05, 0.05, 0.06, 0.10, 0.25, 0.55, 0.85, 1.00, 1.00, 0.95,
	0.60, 0.65, 0.95, 1.00, 1.00, 0.95, 0.70, 0.55, 0.45, 0.35, 0.25, 0.15,
}

// occupancyCurve is the share of a lot's places taken per hour.
var occupancyCurve = [24]float64{
	0.35, 0.32, 0.30, 0.30, 0.30, 0.32, 0.40, 0.60, 0.80, 0.90, 0.92, 0.90,
	0.85, 0.85, 0.90, 0.92, 0.90, 0.85, 0.75, 0.70, 0.65, 0.55, 0.45, 0.40,
}

// curveSum is the day's total of dayCurve.
func curveSum() float64 {
	s := 0.0
	for _, v := range dayCurve {
		s += v
	}
	return s
}

// cityTime is the demo city's zone, in which the day's hours are read.
var cityTime = time.FixedZone("CST", 8*3600)

// Channels' shares of the day's cases.
var channels = []struct {
	kind   Kind
	source string
	share  float64
}{{Hotline, "hotline_12345", 0.45}, {Open311, "hotline_12319", 0.15}, {Patrol, "grid_patrol", 0.40}}

// Plan makes the day: the same city, options and seed give the same events,
// in time order. It needs categories and places; without zones or
// indicators there are no parking rounds or inspections.
func Plan(city City, o Options) ([]Event, error) {
	if len(city.Categories) == 0 || len(city.Places) == 0 {
		return nil, fmt.Errorf("the city has %d categories and %d places: nothing to report", len(city.Categories), len(city.Places))
	}
	if o.Duration <= 0 {
		return nil, fmt.Errorf("the duration is %s: nothing to play", o.Duration)
	}
	o.CasesPerDay = cmp.Or(o.CasesPerDay, DefaultCasesPerDay)
	o.InspectionsPerDay = cmp.Or(o.InspectionsPerDay, DefaultInspectionsPerDay)
	p := &planner{city: city, o: o, r: rand.New(rand.NewPCG(o.Seed, o.Seed^0x5eedc17e)), n: o.CaseBase}
	p.cases()
	p.parking()
	p.inspections()
	end := o.From.Add(o.Duration)
	in := func(e Event) bool { return !e.At.Before(o.From) && e.At.Before(end) }
	reported := map[int]bool{} // the cases reported in the window
	for _, e := range p.events {
		for _, c := range e.Cases {
			reported[c.N] = in(e)
		}
	}
	out := slices.DeleteFunc(p.events, func(e Event) bool {
		if e.Kind == Action {
			return !reported[e.Case] || (!in(e) && !o.LateSteps)
		}
		return !in(e)
	})
	slices.SortStableFunc(out, func(a, b Event) int { return a.At.Compare(b.At) })
	return out, nil
}

type planner struct {
	city   City
	o      Options
	r      *rand.Rand
	events []Event
	n      int // cases planned so far
}

// hours calls f for each hour the plan covers, with its start and the
// curve's weight there.
func (p *planner) hours(f func(start time.Time, weight float64)) {
	first := p.o.From.In(cityTime).Truncate(time.Hour)
	for h := first; h.Before(p.o.From.Add(p.o.Duration)); h = h.Add(time.Hour) {
		f(h, dayCurve[h.Hour()])
	}
}

// within is an instant drawn uniformly in the hour from start.
func (p *planner) within(start time.Time) time.Time {
	return start.Add(time.Duration(p.r.Int64N(int64(time.Hour))))
}

// cases plans each channel's cases hour by hour after the day curve, the
// hotline's in batches, and each case's workflow.
func (p *planner) cases() {
	perWeight := p.o.CasesPerDay / curveSum()
	var pending []Case // the hotline's cases waiting for the next batch
	var batchAt time.Time
	flush := func() {
		if len(pending) > 0 {
			p.events = append(p.events, Event{At: batchAt, Kind: Hotline, Cases: pending})
			pending = nil
		}
	}
	p.hours(func(start time.Time, w float64) {
		var hour []Event
		for _, ch := range channels {
			for range poisson(p.r, perWeight*w*ch.share) {
				hour = append(hour, Event{At: p.within(start), Kind: ch.kind, Cases: []Case{p.newCase(ch.kind, ch.source)}})
			}
		}
		slices.SortStableFunc(hour, func(a, b Event) int { return a.At.Compare(b.At) })
		for _, e := range hour {
			c := e.Cases[0]
			if e.Kind == Hotline {
				// the hotline pushes what it took at the next round
				at := e.At.Truncate(batchEvery).Add(batchEvery)
				if !at.Equal(batchAt) {
					flush()
				}
				batchAt, e.At = at, at
				pending = append(pending, c)
			} else {
				p.events = append(p.events, e)
			}
			p.workflow(c.N, e.At)
		}
	})
	flush()
}

// newCase draws a case at a place, of a category.
func (p *planner) newCase(kind Kind, source string) Case {
	pl := p.city.Places[p.r.IntN(len(p.city.Places))]
	cat := p.city.Categories[p.r.IntN(len(p.city.Categories))]
	p.n++
	// within some 50 m of the point
	c := Case{N: p.n, Source: source, Category: cat.Code, Place: pl.Name,
		Lon: pl.Lon + (p.r.Float64()-0.5)*0.001, Lat: pl.Lat + (p.r.Float64()-0.5)*0.0008}
	switch kind {
	case Hotline:
		c.Description = fmt.Sprintf("市民来电反映：%s附近%s，请尽快处理。", pl.Name, cat.Name)
	case Open311:
		c.Description = fmt.Sprintf("%s附近%s", pl.Name, cat.Name)
		c.Phone = fmt.Sprintf("139%08d", p.r.IntN(1e8))
		for _, code := range sortedKeys(cat.Required) {
			if vs := cat.Required[code]; len(vs) > 0 {
				if c.Attributes == nil {
					c.Attributes = map[string]string{}
				}
				c.Attributes[code] = vs[p.r.IntN(len(vs))]
			}
		}
	default:
		c.Description = fmt.Sprintf("网格巡查发现：%s%s。", pl.Name, cat.Name)
	}
	return c
}

// workflow plans the steps of case n reported at t: the command centre
// registers and dispatches around the clock; the field steps (start,
// resolve, verify) happen in working hours. One case in twenty is rejected,
// one verification in eight fails and the case is done again.
func (p *planner) workflow(n int, t time.Time) {
	add := func(at time.Time, s Step) time.Time {
		p.events = append(p.events, Event{At: at, Kind: Action, Case: n, Step: s})
		return at
	}
	desk := func(a workflow.Action, after, spread time.Duration) {
		t = add(t.Add(after+time.Duration(p.r.Int64N(int64(spread)))), Step{Action: a, Role: "dispatcher"})
	}
	field := func(a workflow.Action, after, spread time.Duration, passed bool, note string) {
		t = add(workingHours(t.Add(after+time.Duration(p.r.Int64N(int64(spread)))), p.r),
			Step{Action: a, Role: "grid_manager", Passed: passed, Note: note})
	}
	if p.r.Float64() < 0.05 {
		desk(workflow.Reject, 5*time.Minute, 30*time.Minute)
		return
	}
	desk(workflow.Register, 3*time.Minute, 25*time.Minute)
	desk(workflow.Dispatch, 5*time.Minute, 40*time.Minute)
	rework := p.r.Float64() < 0.125
	field(workflow.Start, 15*time.Minute, 90*time.Minute, false, "")
	field(workflow.Resolve, 45*time.Minute, 4*time.Hour, false, "已处置")
	if rework {
		field(workflow.Verify, 20*time.Minute, time.Hour, false, "核查未通过，返工")
		field(workflow.Start, 15*time.Minute, time.Hour, false, "")
		field(workflow.Resolve, 30*time.Minute, 2*time.Hour, false, "已重新处置")
	}
	field(workflow.Verify, 20*time.Minute, time.Hour, true, "已核查，结案")
}

// workingHours moves an instant at night to the next morning, 07:30 to 09:00:
// the field teams work by day.
func workingHours(t time.Time, r *rand.Rand) time.Time {
	l := t.In(cityTime)
	if h := l.Hour(); h >= 7 && h < 21 {
		return t
	}
	day := time.Date(l.Year(), l.Month(), l.Day(), 7, 30, 0, 0, cityTime)
	if l.Hour() >= 21 {
		day = day.AddDate(0, 0, 1)
	}
	return day.Add(time.Duration(r.Int64N(int64(90 * time.Minute))))
}

// parking plans a round of sensor readings every few minutes: a share of the
// lots report their occupancy after the hour's curve, with some noise.
func (p *planner) parking() {
	if len(p.city.Zones) == 0 {
		return
	}
	first := p.o.From.Truncate(readingsEvery)
	for t := first; t.Before(p.o.From.Add(p.o.Duration)); t = t.Add(readingsEvery) {
		share := occupancyCurve[t.In(cityTime).Hour()]
		var rs []Reading
		for _, z := range p.city.Zones {
			if p.r.Float64() >= readingShare {
				continue
			}
			occ := float64(z.Capacity) * (share + (p.r.Float64()-0.5)*0.2)
			rs = append(rs, Reading{Zone: z.Code, Occupied: clamp(int(math.Round(occ)), 0, z.Capacity)})
		}
		if len(rs) > 0 {
			p.events = append(p.events, Event{At: t.Add(time.Duration(p.r.Int64N(int64(time.Minute)))), Kind: Parking, Readings: rs})
		}
	}
}

// inspections plans the teams' visits in working hours (08:00–18:00) after
// the day curve: a point, and on two visits in five one or two deductions on
// the indicators checked at its category, each opening a case.
func (p *planner) inspections() {
	if len(p.city.Indicators) == 0 {
		return
	}
	sum := 0.0
	for h := 8; h < 18; h++ {
		sum += dayCurve[h]
	}
	p.hours(func(start time.Time, w float64) {
		if h := start.In(cityTime).Hour(); h < 8 || h >= 18 {
			return
		}
		for range poisson(p.r, p.o.InspectionsPerDay*w/sum) {
			if v := p.visit(); v != nil {
				p.events = append(p.events, Event{At: p.within(start), Kind: Inspection, Inspection: v})
			}
		}
	})
}

// visit draws a point that some indicator is checked at, and its deductions.
func (p *planner) visit() *Visit {
	for range 20 {
		pl := p.city.Places[p.r.IntN(len(p.city.Places))]
		var apt []Indicator
		for _, in := range p.city.Indicators {
			if slices.Contains(in.Categories, pl.Category) {
				apt = append(apt, in)
			}
		}
		if len(apt) == 0 {
			continue
		}
		v := &Visit{Point: pl.Code, Note: "例行督查"}
		if p.r.Float64() < 0.4 {
			for range 1 + p.r.IntN(2) {
				in := apt[p.r.IntN(len(apt))]
				pts := math.Round(min(in.MaxPoints, 0.5+p.r.Float64()*2)*10) / 10
				cat := p.city.Categories[p.r.IntN(len(p.city.Categories))]
				v.Deductions = append(v.Deductions, Deduction{Indicator: in.Code, Points: pts, Category: cat.Code})
			}
			v.Note = "督查发现问题，已扣分"
		}
		return v
	}
	return nil
}

// poisson draws a Poisson count of mean lambda (Knuth's method, in pieces so
// that large means do not underflow).
func poisson(r *rand.Rand, lambda float64) int {
	n := 0
	for lambda > 0 {
		part := min(lambda, 30)
		lambda -= part
		limit, prod := math.Exp(-part), r.Float64()
		for prod > limit {
			n++
			prod *= r.Float64()
		}
	}
	return n
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
