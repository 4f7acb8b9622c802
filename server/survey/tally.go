package survey

import (
	"encoding/json"
	"math"
	"strconv"
)

// Tally counts answers: per question the distribution, per group (a
// community, a street) the respondents and the measures.
type Tally struct {
	def       *Definition
	questions map[string]*QuestionTally
	groups    map[string]*Group
}

// QuestionTally is one question's distribution.
type QuestionTally struct {
	ID       string         `json:"id"`
	Kind     string         `json:"kind"`
	Text     string         `json:"text"`
	Measure  *string        `json:"measure"`
	Answered int            `json:"answered"`
	Options  []OptionCount  `json:"options,omitempty"`
	Ratings  map[string]int `json:"ratings,omitempty"` // "1".."scale"
	Average  *float64       `json:"average,omitempty"` // ratings
	counts   map[string]int
	sum      int
}

// OptionCount is how often an option was chosen, and its share of those
// who answered the question.
type OptionCount struct {
	ID       string  `json:"id"`
	Text     string  `json:"text"`
	Positive bool    `json:"positive"`
	Count    int     `json:"count"`
	Share    float64 `json:"share"`
}

// Group is the figures of one area.
type Group struct {
	Respondents int
	// aware of awareAnswers answers to awareness questions were positive;
	// satisfied of satisfactionAnswers to satisfaction questions
	aware, awareAnswers, satisfied, satisfactionAnswers int
	// ratings, each scaled to 5 points, and their count
	ratingSum   float64
	ratingCount int
}

// NewTally starts a tally of d's answers.
func NewTally(d *Definition) *Tally {
	t := &Tally{def: d, questions: map[string]*QuestionTally{}, groups: map[string]*Group{}}
	for _, q := range d.Questions {
		qt := &QuestionTally{ID: q.ID, Kind: q.Kind, Text: q.Text, Measure: q.Measure, counts: map[string]int{}}
		t.questions[q.ID] = qt
	}
	return t
}

// Add counts one respondent's stored answers in group.
func (t *Tally) Add(group string, raw []byte) error {
	var a map[string]json.RawMessage
	if err := json.Unmarshal(raw, &a); err != nil {
		return err
	}
	g := t.groups[group]
	if g == nil {
		g = &Group{}
		t.groups[group] = g
	}
	g.Respondents++
	for _, q := range t.def.Questions {
		v, ok := a[q.ID]
		if !ok {
			continue
		}
		t.addAnswer(g, &q, v)
	}
	return nil
}

func (t *Tally) addAnswer(g *Group, q *Question, v json.RawMessage) {
	qt := t.questions[q.ID]
	positive, counted := false, false
	switch q.Kind {
	case Single, Multiple:
		var ids []string
		var one string
		if json.Unmarshal(v, &one) == nil {
			ids = []string{one}
		} else if json.Unmarshal(v, &ids) != nil {
			return
		}
		for _, id := range ids {
			qt.counts[id]++
			if o := q.option(id); o != nil && o.Positive {
				positive = true
			}
		}
		counted = true
	case Rating:
		var r int
		if json.Unmarshal(v, &r) != nil || r < 1 || r > q.Scale {
			return
		}
		qt.counts[itoa(r)]++
		qt.sum += r
		g.ratingSum += float64(r) * 5 / float64(q.Scale)
		g.ratingCount++
		positive, counted = Satisfied(r, q.Scale), true
	default:
		counted = false
	}
	qt.Answered++
	if !counted || q.Measure == nil {
		return
	}
	switch *q.Measure {
	case Awareness:
		g.awareAnswers++
		if positive {
			g.aware++
		}
	case Satisfaction:
		g.satisfactionAnswers++
		if positive {
			g.satisfied++
		}
	}
}

// Satisfied reports whether a rating counts as satisfied: at least 4 of 5,
// on other scales at least 80 % of the scale (rounded up).
func Satisfied(r, scale int) bool { return r >= int(math.Ceil(0.8*float64(scale))) }

func itoa(n int) string { return strconv.Itoa(n) }

// Questions returns the distribution of every question, in the survey's order.
func (t *Tally) Questions() []QuestionTally {
	out := make([]QuestionTally, 0, len(t.def.Questions))
	for _, q := range t.def.Questions {
		qt := *t.questions[q.ID]
		switch q.Kind {
		case Single, Multiple:
			for _, o := range q.Options {
				qt.Options = append(qt.Options, OptionCount{ID: o.ID, Text: o.Text, Positive: o.Positive,
					Count: qt.counts[o.ID], Share: share(qt.counts[o.ID], qt.Answered)})
			}
		case Rating:
			qt.Ratings = map[string]int{}
			for r := 1; r <= q.Scale; r++ {
				qt.Ratings[itoa(r)] = qt.counts[itoa(r)]
			}
			if qt.Answered > 0 {
				avg := round(float64(qt.sum) / float64(qt.Answered))
				qt.Average = &avg
			}
		}
		out = append(out, qt)
	}
	return out
}

// Groups returns the figures by group.
func (t *Tally) Groups() map[string]*Group { return t.groups }

// AwarenessRate is 知晓率: the share of the answers to awareness questions
// that were positive; nil without any.
func (g *Group) AwarenessRate() *float64 { return rate(g.aware, g.awareAnswers) }

// SatisfactionRate is 满意率: the share of the answers to satisfaction
// questions that were positive (a rating of 4 or 5 of 5, a positive option).
func (g *Group) SatisfactionRate() *float64 { return rate(g.satisfied, g.satisfactionAnswers) }

// AverageRating is the mean of every rating given, on a scale of 5.
func (g *Group) AverageRating() *float64 {
	if g.ratingCount == 0 {
		return nil
	}
	v := round(g.ratingSum / float64(g.ratingCount))
	return &v
}

func rate(n, of int) *float64 {
	if of == 0 {
		return nil
	}
	v := share(n, of)
	return &v
}

func share(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return round(float64(n) / float64(of))
}

func round(x float64) float64 { return math.Round(x*10000) / 10000 }
