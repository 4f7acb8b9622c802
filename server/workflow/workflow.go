// Package workflow is the case flow of digital city management as a pure state
// machine: which statuses an issue passes through, which action moves it from one
// to the next, and which roles may take each action. It does no I/O, so the rules
// can be read and tested in one place; the store applies them inside transactions.
package workflow

import (
	"fmt"
	"slices"
	"strings"

	"citymap/server/access"
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

// The clock's actions: they leave the status as it is and change the
// deadline's course (see Case).
const (
	ExtendRequest Action = "extend_request" // 延期申请: with a reason and an amount
	ExtendGrant   Action = "extend_grant"   // the deadline moves by the granted amount
	ExtendRefuse  Action = "extend_refuse"
	Suspend       Action = "suspend" // 挂起: waiting for a third party; the clock stops
	Resume        Action = "resume"  // the clock runs again, the deadline moves by the pause
)

// Actions lists every action in the order the flow uses them.
var Actions = []Action{Register, Dispatch, Start, Resolve, Verify, Reject, Merge,
	ExtendRequest, ExtendGrant, ExtendRefuse, Suspend, Resume}

// clockActions are the actions that do not change the status.
var clockActions = []Action{ExtendRequest, ExtendGrant, ExtendRefuse, Suspend, Resume}

// IsClockAction reports whether a is one of the clock's actions.
func IsClockAction(a Action) bool { return slices.Contains(clockActions, a) }

// Case is an issue's status with the state of its clock: whether it is
// suspended and whether an extension request awaits an answer.
type Case struct {
	Status           Status
	Suspended        bool
	ExtensionPending bool
}

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
	// the clock runs from intake; a case still being worked on may get more
	// time or wait for a third party, one that is resolved or finished may not
	ExtendRequest: handling,
	ExtendGrant:   handling,
	ExtendRefuse:  handling,
	Suspend:       handling,
	Resume:        handling,
}

// handling are the statuses of a case before its unit reports it done.
var handling = []Status{Registered, Dispatched, InProgress}

// clockAllows says whether the state of c's clock allows action a: a
// suspended case waits for its resumption and nothing else, a request is
// answered once and asked once at a time.
func clockAllows(c Case, a Action) bool {
	switch {
	case c.Suspended:
		return a == Resume
	case a == Resume:
		return false
	case a == ExtendGrant || a == ExtendRefuse:
		return c.ExtensionPending
	case a == ExtendRequest:
		return !c.ExtensionPending
	}
	return true
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
	// Case is the state the refusal judged (Status with its clock).
	Case Case
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
	return fmt.Sprintf("%s is not allowed on %s (allowed: %s)", e.Action, e.Case.Describe(), allowed)
}

// Describe names the state of a case for a message, e.g. "a suspended
// dispatched issue".
func (c Case) Describe() string {
	out := "a " + string(c.Status) + " issue"
	switch {
	case c.Suspended:
		out = "a suspended " + string(c.Status) + " issue"
	case c.ExtensionPending:
		out += " with an extension request pending"
	}
	return out
}

// Next returns the status that action a leads to from status s; passed is the
// outcome of a verification and ignored by the other actions. A failed
// verification returns the case to Dispatched: the same unit does the work again.
func Next(s Status, a Action, passed bool) (Status, error) {
	return NextFor(Case{Status: s}, a, passed)
}

// NextFor is Next for a case whose clock may be suspended or have an
// extension request pending; the clock's actions lead back to c.Status.
func NextFor(c Case, a Action, passed bool) (Status, error) {
	s := c.Status
	if !slices.Contains(from[a], s) || !clockAllows(c, a) {
		if !ValidAction(string(a)) {
			return "", fmt.Errorf("unknown action %q", a)
		}
		return "", &NotAllowedError{Status: s, Action: a, Allowed: AllowedIn(c), Case: c}
	}
	if IsClockAction(a) {
		return s, nil
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

// Allowed lists the actions that status s allows (its clock running, no
// request pending), in flow order.
func Allowed(s Status) []Action { return AllowedIn(Case{Status: s}) }

// AllowedIn lists the actions that case c allows, in flow order.
func AllowedIn(c Case) []Action {
	var out []Action
	for _, a := range Actions {
		if slices.Contains(from[a], c.Status) && clockAllows(c, a) {
			out = append(out, a)
		}
	}
	return out
}

// gridManagerActions are the field steps: a grid manager works cases on site and
// checks the result, while registering, dispatching, rejecting and merging are
// the command centre's decisions. Those who handle a case may ask for more
// time; granting it, and suspending or resuming a case (the approval a
// suspension needs), is the command centre's.
var gridManagerActions = []Action{Start, Resolve, Verify, ExtendRequest}

// unitActions are what a responsible unit's staff do through the API: ask
// for more time on the cases their unit handles.
var unitActions = []Action{ExtendRequest}

// RoleMay reports whether a principal of role may take action a at all (its area
// scope is checked separately, against the issue).
func RoleMay(role string, a Action) bool {
	switch role {
	case access.Admin, access.Dispatcher:
		return ValidAction(string(a))
	case access.GridManager:
		return slices.Contains(gridManagerActions, a)
	case access.Unit:
		return slices.Contains(unitActions, a)
	}
	return false
}

// AllowedFor lists the actions that role may take on an issue in status s.
func AllowedFor(role string, s Status) []Action { return AllowedForCase(role, Case{Status: s}) }

// AllowedForCase lists the actions that role may take on case c.
func AllowedForCase(role string, c Case) []Action {
	var out []Action
	for _, a := range AllowedIn(c) {
		if RoleMay(role, a) {
			out = append(out, a)
		}
	}
	return out
}
