package simulate

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"citymap/server/workflow"
)

// testCity is a small city of its own, so that the plan's tests need no
// database.
func testCity() City {
	c := City{Categories: []Category{{Code: "noise", Name: "噪声扰民", Required: map[string][]string{"time_of_day": {"day", "night"}}},
		{Code: "trash_bin", Name: "垃圾桶"}, {Code: "exposed_garbage", Name: "暴露垃圾"}},
		Indicators: []Indicator{{Code: "A1", Name: "环境卫生", MaxPoints: 2, Categories: []string{"park"}},
			{Code: "A2", Name: "秩序", MaxPoints: 0.5, Categories: []string{"market"}}}}
	for i := range 40 {
		cat := []string{"park", "market", "school"}[i%3]
		c.Places = append(c.Places, Place{Code: fmt.Sprintf("P%02d", i), Name: fmt.Sprintf("点位%d", i), Category: cat,
			Lon: 119.8 + float64(i)*0.001, Lat: 31.36})
	}
	for i := range 10 {
		c.Zones = append(c.Zones, Zone{Code: fmt.Sprintf("Z%d", i), Capacity: 50 + i*10})
	}
	return c
}

var day0 = time.Date(2026, 5, 12, 0, 0, 0, 0, cityTime)

// TestPlanDeterministic: a seed plans the same day every time, another seed
// another day, whatever the window.
func TestPlanDeterministic(t *testing.T) {
	for _, tt := range []struct {
		name      string
		seed      uint64
		from      time.Time
		duration  time.Duration
		minEvents int
	}{
		{"a day", 42, day0, 24 * time.Hour, 200},
		{"an afternoon", 7, day0.Add(13 * time.Hour), 4 * time.Hour, 50},
		{"a night from a quarter past", 1, day0.Add(22*time.Hour + 15*time.Minute), 6 * time.Hour, 50},
		{"seed 0", 0, day0.Add(9 * time.Hour), time.Hour, 10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := Options{Seed: tt.seed, From: tt.from, Duration: tt.duration}
			a, err := Plan(testCity(), o)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := Plan(testCity(), o)
			if !reflect.DeepEqual(a, b) {
				t.Error("the same seed planned two different days")
			}
			o.Seed++
			if c, _ := Plan(testCity(), o); reflect.DeepEqual(a, c) {
				t.Errorf("seeds %d and %d planned the same day", tt.seed, o.Seed)
			}
			if len(a) < tt.minEvents {
				t.Errorf("%d events, want at least %d", len(a), tt.minEvents)
			}
		})
	}
}

// TestPlanWindow: every event lies in the window asked for, in time order,
// and a window of busy hours holds every kind of event.
func TestPlanWindow(t *testing.T) {
	for _, tt := range []struct {
		name     string
		from     time.Time
		duration time.Duration
		kinds    []Kind // that must appear
	}{
		{"a whole day", day0, 24 * time.Hour, []Kind{Hotline, Open311, Patrol, Action, Parking, Inspection}},
		{"the morning's peak", day0.Add(9 * time.Hour), 2 * time.Hour, []Kind{Hotline, Open311, Patrol, Action, Parking, Inspection}},
		{"from half past, across midnight", day0.Add(23*time.Hour + 30*time.Minute), 3 * time.Hour, []Kind{Parking}},
		{"ten minutes", day0.Add(15 * time.Hour), 10 * time.Minute, []Kind{Parking}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			events, err := Plan(testCity(), Options{Seed: 7, From: tt.from, Duration: tt.duration, CasesPerDay: 500})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[Kind]bool{}
			for i, e := range events {
				seen[e.Kind] = true
				if e.At.Before(tt.from) || !e.At.Before(tt.from.Add(tt.duration)) {
					t.Fatalf("event %d at %s, outside the window", i, e.At)
				}
				if i > 0 && e.At.Before(events[i-1].At) {
					t.Fatalf("event %d out of order", i)
				}
			}
			for _, k := range tt.kinds {
				if !seen[k] {
					t.Errorf("no %s event", k)
				}
			}
		})
	}
}

// TestPlanLateSteps: with LateSteps, what falls after the window is only the
// workflow steps of cases reported in it, which CaseBase numbers.
func TestPlanLateSteps(t *testing.T) {
	end := day0.Add(20 * time.Hour)
	events, err := Plan(testCity(), Options{Seed: 9, From: day0.Add(16 * time.Hour), Duration: 4 * time.Hour,
		CasesPerDay: 800, LateSteps: true, CaseBase: 2_000_000})
	if err != nil {
		t.Fatal(err)
	}
	reported := map[int]bool{}
	late := 0
	for _, e := range events {
		for _, c := range e.Cases {
			reported[c.N] = true
			if c.N <= 2_000_000 {
				t.Fatalf("case numbered %d, at or below the base", c.N)
			}
		}
		if e.At.Before(end) {
			continue
		}
		late++
		if e.Kind != Action || !reported[e.Case] {
			t.Fatalf("after the window: %s on case %d", e.Kind, e.Case)
		}
		if h := e.At.In(cityTime).Hour(); e.Step.Role == "grid_manager" && (h < 7 || h >= 21) {
			t.Errorf("a late %s at %s", e.Step.Action, e.At.In(cityTime))
		}
	}
	if late == 0 {
		t.Error("no step of the evening's cases falls after the window")
	}
}

// TestPlanDayCurve: the busy hours (9–11, 14–17) bring several times the
// cases of the night.
func TestPlanDayCurve(t *testing.T) {
	events, err := Plan(testCity(), Options{Seed: 3, From: day0, Duration: 24 * time.Hour, CasesPerDay: 3000})
	if err != nil {
		t.Fatal(err)
	}
	var perHour [24]int
	for _, e := range events {
		if e.Kind != Action && e.Kind != Parking && e.Kind != Inspection {
			perHour[e.At.In(cityTime).Hour()] += len(e.Cases)
		}
	}
	busy := perHour[9] + perHour[10] + perHour[14] + perHour[15] + perHour[16]
	night := perHour[1] + perHour[2] + perHour[3] + perHour[4] + perHour[5]
	if busy < 5*night || busy == 0 {
		t.Errorf("busy hours %d cases, night hours %d: %v", busy, night, perHour)
	}
	for _, e := range events {
		if h := e.At.In(cityTime).Hour(); e.Kind == Inspection && (h < 8 || h >= 18) {
			t.Errorf("an inspection at %s", e.At.In(cityTime))
		}
	}
}

// TestPlanWorkflow: each case's steps follow server/workflow from reported,
// by roles that may take them, the field steps in working hours; some cases
// are rejected, some verifications fail and are done again.
func TestPlanWorkflow(t *testing.T) {
	city := testCity()
	events, err := Plan(city, Options{Seed: 11, From: day0, Duration: 24 * time.Hour, CasesPerDay: 800})
	if err != nil {
		t.Fatal(err)
	}
	status := map[int]workflow.Status{}
	var rejected, reworks, closed int
	for _, e := range events {
		for _, c := range e.Cases {
			status[c.N] = workflow.Reported
			checkCase(t, city, e.Kind, c)
		}
		if e.Kind == Inspection {
			checkVisit(t, city, e.Inspection)
		}
		if e.Kind != Action {
			continue
		}
		s, ok := status[e.Case]
		if !ok {
			t.Fatalf("a step on case %d before it was reported", e.Case)
		}
		next, err := workflow.Next(s, e.Step.Action, e.Step.Passed)
		if err != nil {
			t.Fatalf("case %d: %v", e.Case, err)
		}
		if !workflow.RoleMay(e.Step.Role, e.Step.Action) {
			t.Errorf("case %d: a %s may not %s", e.Case, e.Step.Role, e.Step.Action)
		}
		if h := e.At.In(cityTime).Hour(); e.Step.Role == "grid_manager" && (h < 7 || h >= 21) {
			t.Errorf("case %d: %s at %s, outside working hours", e.Case, e.Step.Action, e.At.In(cityTime))
		}
		rejected += count(next == workflow.Rejected)
		reworks += count(workflow.IsRework(e.Step.Action, e.Step.Passed))
		closed += count(next == workflow.Closed)
		status[e.Case] = next
	}
	if rejected == 0 || reworks == 0 || closed == 0 {
		t.Errorf("%d rejected, %d reworks, %d closed of %d cases", rejected, reworks, closed, len(status))
	}
}

func count(b bool) int {
	if b {
		return 1
	}
	return 0
}

// checkCase: a case is of a category of the city, near one of its places,
// through its channel's source; an Open311 one answers the required attributes.
func checkCase(t *testing.T, city City, kind Kind, c Case) {
	t.Helper()
	i := slices.IndexFunc(city.Categories, func(x Category) bool { return x.Code == c.Category })
	want := map[Kind]string{Hotline: "hotline_12345", Open311: "hotline_12319", Patrol: "grid_patrol"}[kind]
	if i < 0 || c.Source != want || c.Description == "" || c.Place == "" {
		t.Fatalf("%s case %+v", kind, c)
	}
	if !slices.ContainsFunc(city.Places, func(p Place) bool {
		return p.Name == c.Place && abs(p.Lon-c.Lon) < 0.001 && abs(p.Lat-c.Lat) < 0.001
	}) {
		t.Errorf("case %d lies far from %s", c.N, c.Place)
	}
	if kind != Open311 {
		return
	}
	for code, values := range city.Categories[i].Required {
		if !slices.Contains(values, c.Attributes[code]) {
			t.Errorf("Open311 case %d of %s: attribute %s = %q", c.N, c.Category, code, c.Attributes[code])
		}
	}
	if len(c.Phone) != 11 {
		t.Errorf("Open311 case %d: phone %q", c.N, c.Phone)
	}
}

// checkVisit: an inspection deducts on indicators checked at its point's
// category, no more than they are worth.
func checkVisit(t *testing.T, city City, v *Visit) {
	t.Helper()
	pi := slices.IndexFunc(city.Places, func(p Place) bool { return p.Code == v.Point })
	if pi < 0 {
		t.Fatalf("inspection of unknown point %s", v.Point)
	}
	for _, d := range v.Deductions {
		ii := slices.IndexFunc(city.Indicators, func(in Indicator) bool { return in.Code == d.Indicator })
		if ii < 0 || !slices.Contains(city.Indicators[ii].Categories, city.Places[pi].Category) ||
			d.Points <= 0 || d.Points > city.Indicators[ii].MaxPoints || d.Category == "" {
			t.Errorf("deduction %+v at %+v", d, city.Places[pi])
		}
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// TestPlanRefuses: a city with nothing to report, or no time, is an error.
func TestPlanRefuses(t *testing.T) {
	for name, c := range map[string]struct {
		city City
		d    time.Duration
	}{"no places": {City{Categories: testCity().Categories}, time.Hour}, "no time": {testCity(), 0}} {
		if _, err := Plan(c.city, Options{From: day0, Duration: c.d}); err == nil {
			t.Errorf("%s: planned", name)
		}
	}
}
