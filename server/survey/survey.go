// Package survey holds what a questionnaire (问卷调查) is, independent of
// storage and HTTP: its definition and the checks on it, the checks of one
// respondent's answers against it, and the figures of many answers (the
// distribution per question, and per area the 知晓率, 满意率 and average
// rating, as docs/REPORTS.md defines them).
package survey

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"citymap/invalid"
)

// The kinds of question.
const (
	Single   = "single"   // one option
	Multiple = "multiple" // any options
	Rating   = "rating"   // 1..Scale
	Text     = "text"     // free text
)

// The measures a question may count towards.
const (
	Awareness    = "awareness"    // 知晓率
	Satisfaction = "satisfaction" // 满意率
)

// Limits of a definition and of an answer.
const (
	MaxQuestions = 50
	MaxOptions   = 20
	MaxText      = 500 // characters of one free-text answer
	MinScale     = 2
	MaxScale     = 10
	maxTitle     = 200
	maxIntro     = 2000
	maxQuestion  = 500
	maxOption    = 200
)

// Option is a choice of a single or multiple question; Positive marks the
// answers that count as aware or satisfied.
type Option struct {
	ID       string `json:"id"`
	Text     string `json:"text"`
	Positive bool   `json:"positive,omitempty"`
}

// Question is one question of a survey.
type Question struct {
	ID       string   `json:"id"`
	Kind     string   `json:"kind"`
	Text     string   `json:"text"`
	Options  []Option `json:"options,omitempty"`
	Required bool     `json:"required"`
	Scale    int      `json:"scale,omitempty"`
	// Indicator links the question to a questionnaire indicator (C01 …).
	Indicator *string `json:"indicator,omitempty"`
	Measure   *string `json:"measure,omitempty"`
}

// Definition is what POST /api/v1/surveys takes.
type Definition struct {
	Code      string     `json:"code"`
	Title     string     `json:"title"`
	Intro     string     `json:"intro"`
	Questions []Question `json:"questions"`
	Areas     []string   `json:"areas"`
	OpensAt   *time.Time `json:"opens_at"`
	ClosesAt  *time.Time `json:"closes_at"`
}

var (
	codeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$`)
	idRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$`)
)

// ValidCode reports whether s may be a survey's code (its /s/{code} URL).
func ValidCode(s string) bool { return codeRE.MatchString(s) }

// Check validates a definition; indicator reports whether a code is a
// questionnaire indicator. It trims the texts it keeps.
func (d *Definition) Check(indicator func(string) bool) error {
	d.Code, d.Title, d.Intro = strings.TrimSpace(d.Code), strings.TrimSpace(d.Title), strings.TrimSpace(d.Intro)
	switch {
	case !codeRE.MatchString(d.Code):
		return invalid.Field("code", "invalid", "a code is 1 to 40 letters, digits, dashes or underscores")
	case d.Title == "":
		return invalid.Field("title", "required", "title is required")
	case utf8.RuneCountInString(d.Title) > maxTitle:
		return invalid.Field("title", "too_long", "title is at most %d characters", maxTitle)
	case utf8.RuneCountInString(d.Intro) > maxIntro:
		return invalid.Field("intro", "too_long", "intro is at most %d characters", maxIntro)
	case len(d.Questions) == 0:
		return invalid.Field("questions", "required", "a survey has at least one question")
	case len(d.Questions) > MaxQuestions:
		return invalid.Field("questions", "too_many", "a survey has at most %d questions", MaxQuestions)
	case d.OpensAt != nil && d.ClosesAt != nil && !d.ClosesAt.After(*d.OpensAt):
		return invalid.Field("closes_at", "before_opens", "closes_at lies before opens_at")
	}
	if d.Areas == nil {
		d.Areas = []string{}
	}
	seen := map[string]bool{}
	for i := range d.Questions {
		q := &d.Questions[i]
		if err := q.check(fmt.Sprintf("questions[%d]", i), indicator); err != nil {
			return err
		}
		if seen[q.ID] {
			return invalid.Field(fmt.Sprintf("questions[%d].id", i), "duplicate", "question id %q is used twice", q.ID)
		}
		seen[q.ID] = true
	}
	return nil
}

func (q *Question) check(at string, indicator func(string) bool) error {
	q.Text = strings.TrimSpace(q.Text)
	switch {
	case !idRE.MatchString(q.ID):
		return invalid.Field(at+".id", "invalid", "a question id is 1 to 20 letters, digits, dots, dashes or underscores")
	case q.Text == "":
		return invalid.Field(at+".text", "required", "a question has a text")
	case utf8.RuneCountInString(q.Text) > maxQuestion:
		return invalid.Field(at+".text", "too_long", "a question's text is at most %d characters", maxQuestion)
	case q.Indicator != nil && !indicator(*q.Indicator):
		return invalid.Field(at+".indicator", "unknown_indicator", "%q is not a questionnaire indicator", *q.Indicator)
	}
	if q.Measure != nil && *q.Measure != Awareness && *q.Measure != Satisfaction {
		return invalid.Field(at+".measure", "invalid", "measure is awareness, satisfaction or null")
	}
	switch q.Kind {
	case Single, Multiple:
		if q.Scale != 0 {
			return invalid.Field(at+".scale", "not_allowed", "only a rating question has a scale")
		}
		return q.checkOptions(at)
	case Rating:
		if len(q.Options) > 0 {
			return invalid.Field(at+".options", "not_allowed", "a rating question has a scale, not options")
		}
		if q.Scale == 0 {
			q.Scale = 5
		}
		if q.Scale < MinScale || q.Scale > MaxScale {
			return invalid.Field(at+".scale", "out_of_range", "scale is %d to %d", MinScale, MaxScale)
		}
		return nil
	case Text:
		if len(q.Options) > 0 || q.Scale != 0 {
			return invalid.Field(at+".options", "not_allowed", "a text question has neither options nor a scale")
		}
		if q.Measure != nil {
			return invalid.Field(at+".measure", "not_allowed", "free text counts towards no measure")
		}
		return nil
	}
	return invalid.Field(at+".kind", "invalid", "kind is single, multiple, rating or text")
}

func (q *Question) checkOptions(at string) error {
	switch {
	case len(q.Options) < 2:
		return invalid.Field(at+".options", "required", "a choice question has at least two options")
	case len(q.Options) > MaxOptions:
		return invalid.Field(at+".options", "too_many", "a question has at most %d options", MaxOptions)
	}
	seen := map[string]bool{}
	for j := range q.Options {
		o := &q.Options[j]
		o.Text = strings.TrimSpace(o.Text)
		where := fmt.Sprintf("%s.options[%d]", at, j)
		switch {
		case !idRE.MatchString(o.ID):
			return invalid.Field(where+".id", "invalid", "an option id is 1 to 20 letters, digits, dots, dashes or underscores")
		case seen[o.ID]:
			return invalid.Field(where+".id", "duplicate", "option id %q is used twice", o.ID)
		case o.Text == "":
			return invalid.Field(where+".text", "required", "an option has a text")
		case utf8.RuneCountInString(o.Text) > maxOption:
			return invalid.Field(where+".text", "too_long", "an option's text is at most %d characters", maxOption)
		}
		seen[o.ID] = true
	}
	if q.Measure != nil && !slices.ContainsFunc(q.Options, func(o Option) bool { return o.Positive }) {
		return invalid.Field(at+".options", "no_positive", "a question with a measure marks the options that count (\"positive\": true)")
	}
	return nil
}

// Open reports whether answers are taken at now: after opens_at, before closes_at.
func (d *Definition) Open(now time.Time) bool {
	return (d.OpensAt == nil || !now.Before(*d.OpensAt)) && (d.ClosesAt == nil || now.Before(*d.ClosesAt))
}

// Question returns the question with this id.
func (d *Definition) Question(id string) *Question {
	for i := range d.Questions {
		if d.Questions[i].ID == id {
			return &d.Questions[i]
		}
	}
	return nil
}

func (q *Question) option(id string) *Option {
	for i := range q.Options {
		if q.Options[i].ID == id {
			return &q.Options[i]
		}
	}
	return nil
}
