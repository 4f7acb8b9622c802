// Package declflow is the review of a declaration (网上申报/台账申报) as a
// pure state machine: the unit's staff prepare it and submit it, the unit's
// leader approves it (分管领导审核), the 创建办 accepts it (创建办会审); either
// review step may return it to the unit with a comment. It does no I/O; the
// store applies it inside transactions.
package declflow

import (
	"fmt"
	"slices"
	"strings"
)

// Status is where a declaration stands.
type Status string

// The statuses of a declaration.
const (
	Draft        Status = "draft"         // owed, being prepared
	Submitted    Status = "submitted"     // with the unit's leader
	UnitApproved Status = "unit_approved" // with the 创建办
	Accepted     Status = "accepted"      // done
	Returned     Status = "returned"      // back with the unit, with a comment
)

// Statuses lists every status in flow order.
var Statuses = []Status{Draft, Submitted, UnitApproved, Accepted, Returned}

// ValidStatus reports whether s names a status.
func ValidStatus(s string) bool { return slices.Contains(Statuses, Status(s)) }

// Editable reports whether materials may be attached or detached in s: while
// the unit holds the declaration.
func Editable(s Status) bool { return s == Draft || s == Returned }

// Action is a step of POST /api/v1/declarations/{id}/actions.
type Action string

// The steps.
const (
	Submit  Action = "submit"  // the unit hands it in
	Approve Action = "approve" // the unit's leader approves
	Accept  Action = "accept"  // the 创建办 accepts
	Return  Action = "return"  // either review step sends it back
)

// Actions lists every step in flow order.
var Actions = []Action{Submit, Approve, Accept, Return}

// ValidAction reports whether a names a step.
func ValidAction(a string) bool { return slices.Contains(Actions, Action(a)) }

// Roles (server/auth's names, repeated so the rules stay free of I/O).
const (
	RoleAdmin      = "admin"
	RoleUnit       = "unit"
	RoleUnitLeader = "unit_leader"
	RoleReviewer   = "reviewer"
)

// A step is who may take an action from which status, and where it leads.
type step struct {
	action Action
	from   Status
	to     Status
	role   string // besides admins
}

var steps = []step{
	{Submit, Draft, Submitted, RoleUnit},
	{Submit, Returned, Submitted, RoleUnit},
	{Approve, Submitted, UnitApproved, RoleUnitLeader},
	{Return, Submitted, Returned, RoleUnitLeader},
	{Accept, UnitApproved, Accepted, RoleReviewer},
	{Return, UnitApproved, Returned, RoleReviewer},
}

// RoleMay reports whether role may take action a at all, in some status.
func RoleMay(role string, a Action) bool {
	for _, s := range steps {
		if s.action == a && (role == RoleAdmin || role == s.role) {
			return true
		}
	}
	return false
}

// NotAllowedError says the action cannot be taken in the declaration's
// status by this role.
type NotAllowedError struct {
	Status  Status
	Action  Action
	Allowed []Action // what the role may do instead
}

func (e *NotAllowedError) Error() string {
	names := make([]string, len(e.Allowed))
	for i, a := range e.Allowed {
		names[i] = string(a)
	}
	return fmt.Sprintf("%s is not allowed on a %s declaration (allowed: %s)", e.Action, e.Status, strings.Join(names, ", "))
}

// Next returns where action a by role leads from s, and the review step a
// return is taken at (unit_leader or reviewer; "" for other actions).
func Next(role string, s Status, a Action) (to Status, returnedBy string, err error) {
	for _, st := range steps {
		if st.action == a && st.from == s && (role == RoleAdmin || role == st.role) {
			if a == Return {
				returnedBy = st.role
			}
			return st.to, returnedBy, nil
		}
	}
	return "", "", &NotAllowedError{Status: s, Action: a, Allowed: AllowedFor(role, s)}
}

// AllowedFor lists the actions role may take on a declaration in status s,
// in flow order.
func AllowedFor(role string, s Status) []Action {
	out := []Action{}
	for _, a := range Actions {
		for _, st := range steps {
			if st.action == a && st.from == s && (role == RoleAdmin || role == st.role) && !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}
