package survey

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"citymap/invalid"
)

// Answers are one respondent's answers by question id, as stored: an option
// id (single), option ids (multiple), a whole number (rating) or a text.
type Answers map[string]any

// CheckAnswers reads raw answers against the definition: every key a
// question, every value of its kind, options among the question's, ratings
// on its scale, texts at most MaxText characters, every required question
// answered. Unanswered questions (null, "", []) are left out.
func (d *Definition) CheckAnswers(raw map[string]json.RawMessage) (Answers, error) {
	out := Answers{}
	for id, v := range raw {
		q := d.Question(id)
		if q == nil {
			return nil, invalid.Field("answers."+id, "unknown_question", "the survey has no question %q", id)
		}
		a, err := q.read(v)
		if err != nil {
			return nil, err
		}
		if a != nil {
			out[id] = a
		}
	}
	for i, q := range d.Questions {
		if _, ok := out[q.ID]; q.Required && !ok {
			return nil, invalid.Field("answers."+q.ID, "required", "请回答第%d题 (question %s must be answered)", i+1, q.ID)
		}
	}
	return out, nil
}

// read is one answer to q, nil when it is blank.
func (q *Question) read(v json.RawMessage) (any, error) {
	at := "answers." + q.ID
	if bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
		return nil, nil
	}
	switch q.Kind {
	case Single:
		var s string
		if json.Unmarshal(v, &s) != nil {
			return nil, invalid.Field(at, "invalid_type", "the answer to %s is one option id", q.ID)
		}
		if s == "" {
			return nil, nil
		}
		if q.option(s) == nil {
			return nil, invalid.Field(at, "unknown_option", "question %s has no option %q", q.ID, s)
		}
		return s, nil
	case Multiple:
		var ids []string
		if json.Unmarshal(v, &ids) != nil {
			return nil, invalid.Field(at, "invalid_type", "the answer to %s is a list of option ids", q.ID)
		}
		seen := map[string]bool{}
		for _, s := range ids {
			if q.option(s) == nil {
				return nil, invalid.Field(at, "unknown_option", "question %s has no option %q", q.ID, s)
			}
			if seen[s] {
				return nil, invalid.Field(at, "duplicate", "option %q is chosen twice", s)
			}
			seen[s] = true
		}
		if len(ids) == 0 {
			return nil, nil
		}
		return ids, nil
	case Rating:
		var n json.Number
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		if dec.Decode(&n) != nil {
			return nil, invalid.Field(at, "invalid_type", "the answer to %s is a whole number from 1 to %d", q.ID, q.Scale)
		}
		r, err := n.Int64()
		if err != nil || r < 1 || r > int64(q.Scale) {
			return nil, invalid.Field(at, "out_of_range", "the answer to %s is a whole number from 1 to %d", q.ID, q.Scale)
		}
		return int(r), nil
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return nil, invalid.Field(at, "invalid_type", "the answer to %s is a text", q.ID)
	}
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return nil, nil
	case utf8.RuneCountInString(s) > MaxText:
		return nil, invalid.Field(at, "too_long", "the answer to %s is at most %d characters", q.ID, MaxText)
	case strings.ContainsRune(s, 0):
		return nil, invalid.Field(at, "invalid", "the answer to %s holds a NUL character", q.ID)
	}
	return s, nil
}
