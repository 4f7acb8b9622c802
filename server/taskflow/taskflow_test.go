package taskflow

import (
	"errors"
	"slices"
	"testing"
)

func TestNext(t *testing.T) {
	cases := []struct {
		from   Status
		action Action
		to     Status // "" when not allowed
	}{
		{Open, Start, InProgress},
		{Open, Progress, InProgress},
		{Open, Submit, Submitted},
		{InProgress, Progress, InProgress},
		{InProgress, Submit, Submitted},
		{InProgress, Start, ""},
		{Submitted, Accept, Done},
		{Submitted, Return, Returned},
		{Submitted, Submit, ""},
		{Submitted, Progress, ""},
		{Returned, Start, InProgress},
		{Returned, Submit, Submitted},
		{Returned, Assign, Returned},
		{Open, Assign, Open},
		{Done, Submit, ""},
		{Done, Assign, ""},
		{Open, Accept, ""},
	}
	for _, c := range cases {
		got, err := Next(c.from, c.action)
		var na *NotAllowedError
		switch {
		case c.to == "" && !errors.As(err, &na):
			t.Errorf("%s on %s: %s, %v; want not allowed", c.action, c.from, got, err)
		case c.to != "" && (err != nil || got != c.to):
			t.Errorf("%s on %s: %s, %v; want %s", c.action, c.from, got, err, c.to)
		}
	}
	if _, err := Next(Open, "finish"); err == nil {
		t.Error("an unknown action was allowed")
	}
}

func TestRoles(t *testing.T) {
	cases := []struct {
		role string
		s    Status
		want []Action
	}{
		{"unit", Open, []Action{Start, Progress, Submit}},
		{"unit", Submitted, []Action{}},
		{"reviewer", Submitted, []Action{Accept, Return}},
		{"reviewer", Open, []Action{Assign, Progress}},
		{"admin", Returned, []Action{Assign, Start, Progress, Submit}},
		{"viewer", Open, []Action{}},
		{"dispatcher", Submitted, []Action{}},
	}
	for _, c := range cases {
		if got := AllowedFor(c.role, c.s); !slices.Equal(got, c.want) {
			t.Errorf("%s on %s: %v, want %v", c.role, c.s, got, c.want)
		}
	}
	if !Overdue(Returned) || Overdue(Done) {
		t.Error("Overdue: only done tasks are never overdue")
	}
}
