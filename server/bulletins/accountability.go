package bulletins

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"citymap/server/store"
	"citymap/server/table"
)

// Thresholds decide who the accountability list proposes for an interview
// (约谈) and for a reward (奖补). They are a server setting
// (CITYMAP_BULLETIN_THRESHOLDS, serve's --bulletin-thresholds) and each
// bulletin keeps the ones it was assembled with.
type Thresholds struct {
	// BlackTwice: among the BlackN worst of the units' black list (by
	// score) in this period and the one before.
	BlackTwice bool `json:"black_twice"`
	BlackN     int  `json:"black_n"`
	// OnTimeRate: cases closed on time below this share, with at least
	// MinCases cases due.
	OnTimeRate float64 `json:"on_time_rate"`
	MinCases   int     `json:"min_cases"`
	// PointsLost: more points lost than this at its points; 0 is off (the
	// sum grows with how many points a unit answers for: set it per city).
	PointsLost float64 `json:"points_lost"`
	// CompletionRate: late declarations and accepted below this share of
	// those owed.
	CompletionRate float64 `json:"completion_rate"`
	// Reward: how many of the best units (the red list by score, none
	// proposed for an interview nor among the BlackN worst) are proposed
	// for a reward.
	Reward int `json:"reward"`
	// ListLength is the length of each red and black list.
	ListLength int `json:"n"`
}

// DefaultThresholds are what a city starts with.
var DefaultThresholds = Thresholds{BlackTwice: true, BlackN: 3, OnTimeRate: 0.6, MinCases: 5,
	CompletionRate: 0.5, Reward: 3, ListLength: 10}

// ParseThresholds reads "key=value,…" over the defaults: black_twice=true|false,
// black_n=3, on_time_rate=0.6, min_cases=5, points_lost=0 (off),
// completion_rate=0.5, reward=3, n=10. An empty string is the defaults.
func ParseThresholds(s string) (Thresholds, error) {
	th := DefaultThresholds
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return th, fmt.Errorf("bulletin thresholds: %q is not key=value", part)
		}
		if err := th.set(strings.TrimSpace(k), strings.TrimSpace(v)); err != nil {
			return th, fmt.Errorf("bulletin thresholds: %s: %w", k, err)
		}
	}
	return th, nil
}

func (th *Thresholds) set(k, v string) error {
	rate := func(dst *float64) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			return fmt.Errorf("%q is not a rate from 0 to 1", v)
		}
		*dst = f
		return nil
	}
	count := func(dst *int, lo, hi int) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("%q is not a whole number from %d to %d", v, lo, hi)
		}
		*dst = n
		return nil
	}
	switch k {
	case "black_twice":
		b, err := strconv.ParseBool(v)
		th.BlackTwice = b
		return err
	case "on_time_rate":
		return rate(&th.OnTimeRate)
	case "completion_rate":
		return rate(&th.CompletionRate)
	case "min_cases":
		return count(&th.MinCases, 0, 100000)
	case "black_n":
		return count(&th.BlackN, 1, 100)
	case "reward":
		return count(&th.Reward, 0, 100)
	case "n":
		return count(&th.ListLength, 1, 100)
	case "points_lost":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || math.IsInf(f, 0) {
			return fmt.Errorf("%q is not a number of points", v)
		}
		th.PointsLost = f
		return nil
	}
	return fmt.Errorf("unknown threshold (black_twice, black_n, on_time_rate, min_cases, points_lost, completion_rate, reward, n)")
}

// Accountability is who the bulletin proposes for an interview and for a
// reward, with the reasons.
type Accountability struct {
	Interview []Proposal `json:"interview"`
	Reward    []Proposal `json:"reward"`
}

// Proposal is a unit and why it is named.
type Proposal struct {
	Unit     string   `json:"unit"`
	UnitName string   `json:"unit_name"`
	Reasons  []string `json:"reasons"`
}

// proposals collects reasons per unit in the order units are first named.
type proposals struct {
	order []string
	by    map[string]*Proposal
}

func (p *proposals) add(unit, name, reason string) {
	if unit == "" {
		return
	}
	if p.by == nil {
		p.by = map[string]*Proposal{}
	}
	q, ok := p.by[unit]
	if !ok {
		q = &Proposal{Unit: unit, UnitName: name}
		p.by[unit] = q
		p.order = append(p.order, unit)
	}
	q.Reasons = append(q.Reasons, reason)
}

func (p *proposals) list() []Proposal {
	out := []Proposal{}
	for _, u := range p.order {
		out = append(out, *p.by[u])
	}
	return out
}

// unitKey names a unit of the units' red/black list: its code, or the name
// the points give when no unit has it.
func unitKey(t *table.Table, r []any) (string, string) {
	name := fmt.Sprint(val(t, r, "unit"))
	if c, ok := val(t, r, "code").(string); ok && c != "" {
		return c, name
	}
	return name, name
}

// accountability proposes the units under the thresholds for an interview
// and the best of the rest for a reward.
func accountability(ctx context.Context, b *builder) error {
	var iv proposals
	units := b.tables["units"]
	if b.th.BlackTwice {
		rk, f := b.ranking(store.RankUnits, "", b.rng.Previous())
		prev, err := b.st.RankingReport(ctx, rk, f)
		if err != nil {
			return err
		}
		before := map[string]bool{}
		for _, r := range worst(prev, b.th.BlackN) {
			k, _ := unitKey(prev, r)
			before[k] = true
		}
		for _, r := range worst(units, b.th.BlackN) {
			if k, name := unitKey(units, r); before[k] {
				iv.add(k, name, fmt.Sprintf("连续两期列入黑榜后%d名", b.th.BlackN))
			}
		}
	}
	losses := b.tables["unit_losses"]
	for _, r := range losses.Rows {
		k, name := fmt.Sprint(val(losses, r, "unit")), fmt.Sprint(val(losses, r, "name"))
		if lost := num(losses, r, "points_lost"); b.th.PointsLost > 0 && lost > b.th.PointsLost {
			iv.add(k, name, fmt.Sprintf("丢分%s分，超过%s分", trim(lost), trim(b.th.PointsLost)))
		}
		if rate, ok := val(losses, r, "on_time_rate").(float64); ok && num(losses, r, "cases_due") >= float64(b.th.MinCases) &&
			rate < b.th.OnTimeRate {
			iv.add(k, name, fmt.Sprintf("按期结案率%s，低于%s", percent(rate), percent(b.th.OnTimeRate)))
		}
	}
	decl := b.tables["declarations"]
	for _, r := range decl.Rows {
		rate, ok := val(decl, r, "completion_rate").(float64)
		if ok && num(decl, r, "late") > 0 && rate < b.th.CompletionRate {
			iv.add(fmt.Sprint(val(decl, r, "unit")), fmt.Sprint(val(decl, r, "unit_name")),
				fmt.Sprintf("申报完成率%s，低于%s，逾期%d项", percent(rate), percent(b.th.CompletionRate), int(num(decl, r, "late"))))
		}
	}
	// a reward goes to the best of the red list, none of them proposed for
	// an interview nor among the worst this period (a short list holds
	// every unit on both)
	worstNow := map[string]bool{}
	for _, r := range worst(units, b.th.BlackN) {
		k, _ := unitKey(units, r)
		worstNow[k] = true
	}
	var rw proposals
	for _, r := range units.Rows {
		k, name := unitKey(units, r)
		if val(units, r, "list") != "red" || len(rw.order) >= b.th.Reward || iv.by[k] != nil || worstNow[k] {
			continue
		}
		rw.add(k, name, fmt.Sprintf("红榜第%d名，平均得分%s", int(num(units, r, "rank")), trim(num(units, r, "value"))))
	}
	b.f.Accountable = Accountability{Interview: iv.list(), Reward: rw.list()}
	return nil
}

// worst is the first n rows of a red/black list's black list (worst first).
func worst(t *table.Table, n int) [][]any {
	var out [][]any
	for _, r := range t.Rows {
		if val(t, r, "list") == "black" && len(out) < n {
			out = append(out, r)
		}
	}
	return out
}

func trim(f float64) string { return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64) }

func percent(f float64) string { return trim(f*100) + "%" }
