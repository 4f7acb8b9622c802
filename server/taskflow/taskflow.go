// Package taskflow is the flow of a task of the task list (任务清单) as a pure
// state machine: the 创建办 (reviewer) hands a task to a unit, the unit's staff
// work it and submit it with evidence, the 创建办 accepts it or returns it for
// more work. It does no I/O; the store applies it inside transactions.
package taskflow

import (
	"fmt"
	"slices"
	"strings"
)

// Status is where a task stands.
type Status string

// The statuses of a task.
const (
	Open       Status = "open"        // handed out, not begun
	InProgress Status = "in_progress" // the unit is on it
	Submitted  Status = "submitted"   // the unit says it is done, with evidence
	Done       Status = "done"        // accepted by the 创建办
	Returned   Status = "returned"    // sent back by the 创建办 with a comment
)

// Statuses lists every status.
var Statuses = []Status{Open, InProgress, Submitted, Done, Returned}

// ValidStatus reports whether s names a status.
func ValidStatus(s string) bool { return slices.Contains(Statuses, Status(s)) }

// Action is a step taken on a task.
type Action string

// The actions of POST /api/v1/tasks/{id}/actions.
const (
	Assign   Action = "assign"   // change unit, owner or due date
	Start    Action = "start"    // the unit begins
	Progress Action = "progress" // a note with photos or files, no change of status
	Submit   Action = "submit"   // done, for review
	Accept   Action = "accept"   // the 创建办 accepts: done
	Return   Action = "return"   // the 创建办 sends it back
)

// Actions lists every action in flow order.
var Actions = []Action{Assign, Start, Progress, Submit, Accept, Return}

// ValidAction reports whether a names an action.
func ValidAction(a string) bool { return slices.Contains(Actions, Action(a)) }

var from = map[Action][]Status{
	Assign:   {Open, InProgress, Returned},
	Start:    {Open, Returned},
	Progress: {Open, InProgress, Returned},
	Submit:   {Open, InProgress, Returned},
	Accept:   {Submitted},
	Return:   {Submitted},
}

var target = map[Action]Status{Start: InProgress, Submit: Submitted, Accept: Done, Return: Returned}

// NotAllowedError says the action cannot be taken in the task's status.
type NotAllowedError struct {
	Status Status
	Action Action
}

func (e *NotAllowedError) Error() string {
	names := []string{}
	for _, a := range Allowed(e.Status) {
		names = append(names, string(a))
	}
	return fmt.Sprintf("%s is not allowed on a %s task (allowed: %s)", e.Action, e.Status, strings.Join(names, ", "))
}

// Next returns the status action a leads to from s. Progress keeps the
// status, except that progress on an open task starts it.
func Next(s Status, a Action) (Status, error) {
	if !ValidAction(string(a)) {
		return "", fmt.Errorf("unknown action %q", a)
	}
	if !slices.Contains(from[a], s) {
		return "", &NotAllowedError{Status: s, Action: a}
	}
	if a == Progress && s != InProgress {
		return InProgress, nil
	}
	if t, ok := target[a]; ok {
		return t, nil
	}
	return s, nil
}

// Allowed lists the actions status s allows, in flow order.
func Allowed(s Status) []Action {
	out := []Action{}
	for _, a := range Actions {
		if slices.Contains(from[a], s) {
			out = append(out, a)
		}
	}
	return out
}

// Roles (server/auth's names, repeated so the rules stay free of I/O).
const (
	roleAdmin    = "admin"
	roleReviewer = "reviewer"
	roleUnit     = "unit"
)

// RoleMay reports whether role may take action a at all: a unit works its
// tasks, the 创建办 hands them out and judges them. Which tasks a unit may touch
// is checked against the task.
func RoleMay(role string, a Action) bool {
	switch role {
	case roleAdmin:
		return true
	case roleReviewer:
		return a == Assign || a == Accept || a == Return || a == Progress
	case roleUnit:
		return a == Start || a == Progress || a == Submit
	}
	return false
}

// AllowedFor lists the actions role may take on a task in status s.
func AllowedFor(role string, s Status) []Action {
	out := []Action{}
	for _, a := range Allowed(s) {
		if RoleMay(role, a) {
			out = append(out, a)
		}
	}
	return out
}

// Overdue reports whether a task in status s whose due time has passed is
// overdue: every task not yet accepted.
func Overdue(s Status) bool { return s != Done }
