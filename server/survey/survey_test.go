package survey

import (
	"encoding/json"
	"testing"
)

func TestSatisfied(t *testing.T) {
	for _, c := range []struct {
		r, scale int
		want     bool
	}{{4, 5, true}, {5, 5, true}, {3, 5, false}, {8, 10, true}, {7, 10, false}, {3, 3, true}, {2, 3, false}, {2, 2, true}, {1, 2, false}} {
		if got := Satisfied(c.r, c.scale); got != c.want {
			t.Errorf("Satisfied(%d, %d) = %v", c.r, c.scale, got)
		}
	}
}

// TestTally: a multiple choice counts as aware when any chosen option is
// positive, once per answer; unanswered questions count in no rate.
func TestTally(t *testing.T) {
	aware, sat := Awareness, Satisfaction
	d := &Definition{Questions: []Question{
		{ID: "A", Kind: Multiple, Measure: &aware, Options: []Option{{ID: "x", Positive: true}, {ID: "y"}}},
		{ID: "S", Kind: Single, Measure: &sat, Options: []Option{{ID: "good", Positive: true}, {ID: "bad"}}},
		{ID: "R", Kind: Rating, Scale: 10},
	}}
	tl := NewTally(d)
	for _, a := range []string{`{"A": ["y", "x"], "S": "bad", "R": 10}`, `{"A": ["y"], "R": 5}`, `{"S": "good"}`} {
		if err := tl.Add("g", []byte(a)); err != nil {
			t.Fatal(err)
		}
	}
	g := tl.Groups()["g"]
	if g.Respondents != 3 || *g.AwarenessRate() != 0.5 || *g.SatisfactionRate() != 0.5 || *g.AverageRating() != 3.75 {
		t.Errorf("respondents %d, awareness %v, satisfaction %v, average %v", g.Respondents, *g.AwarenessRate(),
			*g.SatisfactionRate(), *g.AverageRating())
	}
	q := tl.Questions()
	if b, _ := json.Marshal(q[0].Options); string(b) != `[{"id":"x","text":"","positive":true,"count":1,"share":0.5},{"id":"y","text":"","positive":false,"count":2,"share":1}]` {
		t.Errorf("options of A: %s", b)
	}
	if q[2].Ratings["10"] != 1 || q[2].Ratings["5"] != 1 || *q[2].Average != 7.5 {
		t.Errorf("ratings of R: %v %v", q[2].Ratings, *q[2].Average)
	}
}
