package bulletins_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"citymap/server"
	"citymap/server/bulletins"
	"citymap/server/period"
)

// The accountability list follows the thresholds: over March 2020 (see the
// fixture) 乙 is the worst unit (black_n=1) in February and March,
// 甲 lost 7 points and is late with its declaration, cgj closed half its
// cases on time; the red list's best
// not proposed for an interview is proposed for a reward.
func TestThresholds(t *testing.T) {
	e := withFixture(t, server.Config{})
	march, _ := period.Of(period.Month, fixedNow.AddDate(0, -1, 0))
	base := bulletins.Thresholds{ListLength: 10, BlackN: 1, Reward: 1, MinCases: 4}
	for _, c := range []struct {
		name      string
		th        func(*bulletins.Thresholds)
		interview map[string][]string
		reward    []string
	}{
		{"none", func(*bulletins.Thresholds) {}, map[string][]string{}, []string{"fxa"}},
		{"black twice", func(th *bulletins.Thresholds) { th.BlackTwice = true },
			map[string][]string{"fxb": {"连续两期列入黑榜后1名"}}, []string{"fxa"}},
		{"points lost", func(th *bulletins.Thresholds) { th.PointsLost = 6.5 },
			map[string][]string{"fxa": {"丢分7分，超过6.5分"}}, []string{}},
		{"on time", func(th *bulletins.Thresholds) { th.OnTimeRate = 0.6 },
			map[string][]string{"cgj": {"按期结案率50%，低于60%"}}, []string{"fxa"}},
		{"on time, too few cases", func(th *bulletins.Thresholds) { th.OnTimeRate = 0.6; th.MinCases = 5 },
			map[string][]string{}, []string{"fxa"}},
		{"no reward", func(th *bulletins.Thresholds) { th.Reward = 0 }, map[string][]string{}, []string{}},
		{"declarations", func(th *bulletins.Thresholds) { th.CompletionRate = 0.5 },
			map[string][]string{"fxa": {"申报完成率0%，低于50%，逾期1项"}}, []string{}},
	} {
		th := base
		c.th(&th)
		f, err := bulletins.Assemble(context.Background(), e.Store, march, fixedNow, th)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]string{}
		for _, p := range f.Accountable.Interview {
			// the demo city's units are far from 2020: only the fixture's count
			if p.Unit == "fxa" || p.Unit == "fxb" || p.Unit == "cgj" {
				got[p.Unit] = p.Reasons
			}
		}
		rewarded := []string{}
		for _, p := range f.Accountable.Reward {
			rewarded = append(rewarded, p.Unit)
		}
		if !reflect.DeepEqual(got, c.interview) || !reflect.DeepEqual(rewarded, c.reward) {
			t.Errorf("%s: interview %v reward %v, want %v and %v", c.name, got, rewarded, c.interview, c.reward)
		}
		raw, _ := json.Marshal(f)
		var back struct {
			Thresholds bulletins.Thresholds `json:"thresholds"`
		}
		if json.Unmarshal(raw, &back); back.Thresholds != th {
			t.Errorf("%s: the figures keep thresholds %+v, want %+v", c.name, back.Thresholds, th)
		}
	}
}

func TestParseThresholds(t *testing.T) {
	th, err := bulletins.ParseThresholds("")
	if err != nil || th != bulletins.DefaultThresholds {
		t.Errorf("empty: %+v %v", th, err)
	}
	th, err = bulletins.ParseThresholds(" on_time_rate=0.75, points_lost=12.5,black_twice=false,black_n=2,n=5,reward=2,min_cases=3,completion_rate=0.9 ")
	want := bulletins.Thresholds{OnTimeRate: 0.75, PointsLost: 12.5, BlackN: 2, ListLength: 5, Reward: 2, MinCases: 3, CompletionRate: 0.9}
	if err != nil || th != want {
		t.Errorf("set: %+v %v, want %+v", th, err, want)
	}
	for _, bad := range []string{"on_time_rate=1.5", "n=0", "n=101", "black_n=0", "points_lost=-1", "colour=red", "reward", "black_twice=perhaps"} {
		if _, err := bulletins.ParseThresholds(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
