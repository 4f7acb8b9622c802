// Package workflow is the case flow of digital city management as a pure state
// machine: which statuses an issue passes through, which action moves it from one
// to the next, and which roles may take each action. It does no I/O, so the rules
// can be read and tested in one place; the store applies them inside transactions.
package workflow

import (
	"fmt"
	"slices"
	"strings"
)

// Status is where an issue stands.
type Status string

// The statuses, in the order a case normally passes through them.
const (
	Reported   Status = "reported"    // 上报: arrived, not yet checked
	Registered Status = "registered"  // 立案: accepted as a case
	Dispatched Status = "dispatched"  // 派遣: sent to a unit, the clock runs
	InProgress Status = "in_progress" // 处置: the unit is on it
	Resolved   Status = "resolved"    // 反馈: the unit says it is done
	Closed     Status = "closed"      // 核查结案: verified on site
	Rejected   Status = "rejected"    // 作废: not a case
	Merged     Status = "merged"      // a duplicate of another issue
)

// Statuses lists every status.
var Statuses = []Status{Reported, Registered, Dispatched, InProgress, Resolved, Closed, Rejected, Merged}

// ValidStatus reports whether s names a status.
func ValidStatus(s string) bool { return slices.Contains(Statuses, Status(s)) }

// Open reports whether an issue in status s still awaits handling; only open
// issues can be overdue.
func Open(s Status) bool {
	switch s {
	case Reported, Registered, Dispatched, InProgress, Resolved:
		return true
	}
	return false
}

// Action is a step a person takes on an issue.
type Action string

// The actions of POST /api/v1/issues/{id}/actions.
const (
	Register Action = "register"
	Dispatch Action = "dispatch" // with a unit
	Start    Action = "start"
	Resolve  Action = "resolve"
	Verify   Action = "verify" // with passed: false sends the case back (返工)
	Reject   Action = "reject"
	Merge    Action = "merge" // with duplicate_of
)

// Actions lists every action in the order the flow uses them.
var Actions = []Action{Register, Dispatch, Start, Resolve, Verify, Reject, Merge}

// ValidAction reports whether a names an action.
func ValidAction(a string) bool { return slices.Contains(Actions, Action(a)) }

// from says in which statuses each action may be taken.
var from = map[Action][]Status{
	Register: {Reported},
	Dispatch: {Registered},
	Start:    {Dispatched},
	Resolve:  {InProgress},
	Verify:   {Resolved},
	Reject:   {Reported, Registered},
	Merge:    {Reported, Registered},
}

// simpleTarget is where an action leads when the outcome does not depend on its
// input; verify is the one action with two outcomes.
var simpleTarget = map[Action]Status{
	Register: Registered,
	Dispatch: Dispatched,
	Start:    InProgress,
	Resolve:  Resolved,
	Reject:   Rejected,
	Merge:    Merged,
}

// NotAllowedError says the action cannot be taken in the status.
type NotAllowedError struct {
	Status  Status
	Action  Action
	Allowed []Action // what the status allows instead
}

func (e *NotAllowedError) Error() string {
	names := make([]string, len(e.Allowed))
	for i, a := range e.Allowed {
		names[i] = string(a)
	}
	allowed := strings.Join(names, ", ")
	if allowed == "" {
		allowed = "none"
	}
	return fmt.Sprintf("%s is not allowed on a %s issue (allowed: %s)", e.Action, e.Status, allowed)
}

// Next returns the status that action a leads to from status s; passed is the
// outcome of a verification and ignored by the other actions. A failed
// verification returns the case to Dispatched: the same unit does the work again.
func Next(s Status, a Action, passed bool) (Status, error) {
	if !slices.Contains(from[a], s) {
		if !ValidAction(string(a)) {
			return "", fmt.Errorf("unknown action %q", a)
		}
		return "", &NotAllowedError{Status: s, Action: a, Allowed: Allowed(s)}
	}
	if a == Verify {
		if passed {
			return Closed, nil
		}
		return Dispatched, nil
	}
	return simpleTarget[a], nil
}

// IsRework reports whether taking action a with outcome passed sends a case back.
func IsRework(a Action, passed bool) bool { return a == Verify && !passed }

// Allowed lists the actions that status s allows, in flow order.
func Allowed(s Status) []Action {
	var out []Action
	for _, a := range Actions {
		if slices.Contains(from[a], s) {
			out = append(out, a)
		}
	}
	return out
}

// Roles (the names of server/auth, repeated here so the rules stay free of I/O).
const (
	roleAdmin       = "admin"
	roleDispatcher  = "dispatcher"
	roleGridManager = "grid_manager"
)

// gridManagerActions are the field steps: a grid manager works cases on site and
// checks the result, while registering, dispatching, rejecting and merging are
// the command centre's decisions.
var gridManagerActions = []Action{Start, Resolve, Verify}

// RoleMay reports whether a principal of role may take action a at all (its area
// scope is checked separately, against the issue).
func RoleMay(role string, a Action) bool {
	switch role {
	case roleAdmin, roleDispatcher:
		return ValidAction(string(a))
	case roleGridManager:
		return slices.Contains(gridManagerActions, a)
	}
	return false
}

// AllowedFor lists the actions that role may take on an issue in status s.
func AllowedFor(role string, s Status) []Action {
	var out []Action
	for _, a := range Allowed(s) {
		if RoleMay(role, a) {
			out = append(out, a)
		}
	}
	return out
}
