package declflow

import (
	"errors"
	"slices"
	"testing"
)

func TestNext(t *testing.T) {
	for _, c := range []struct {
		role       string
		from       Status
		action     Action
		to         Status
		returnedBy string
		allowed    []Action // when refused
	}{
		{RoleUnit, Draft, Submit, Submitted, "", nil},
		{RoleUnit, Returned, Submit, Submitted, "", nil},
		{RoleUnitLeader, Submitted, Approve, UnitApproved, "", nil},
		{RoleUnitLeader, Submitted, Return, Returned, "unit_leader", nil},
		{RoleReviewer, UnitApproved, Accept, Accepted, "", nil},
		{RoleReviewer, UnitApproved, Return, Returned, "reviewer", nil},
		{RoleAdmin, Submitted, Return, Returned, "unit_leader", nil},
		{RoleAdmin, UnitApproved, Return, Returned, "reviewer", nil},
		{RoleAdmin, Draft, Submit, Submitted, "", nil},
		// out of order
		{RoleUnit, Submitted, Submit, "", "", []Action{}},
		{RoleReviewer, Submitted, Accept, "", "", []Action{}},
		{RoleReviewer, Submitted, Return, "", "", []Action{}},
		{RoleUnitLeader, UnitApproved, Return, "", "", []Action{}},
		{RoleUnitLeader, Draft, Approve, "", "", []Action{}},
		{RoleAdmin, Accepted, Return, "", "", []Action{}},
		{RoleAdmin, Submitted, Accept, "", "", []Action{Approve, Return}},
		{RoleUnit, Draft, Approve, "", "", []Action{Submit}},
	} {
		to, by, err := Next(c.role, c.from, c.action)
		if c.allowed != nil {
			var na *NotAllowedError
			if !errors.As(err, &na) || !slices.Equal(na.Allowed, c.allowed) {
				t.Errorf("%s %s from %s: %v, want not allowed with %v", c.role, c.action, c.from, err, c.allowed)
			}
			continue
		}
		if err != nil || to != c.to || by != c.returnedBy {
			t.Errorf("%s %s from %s = %s, %q, %v; want %s, %q", c.role, c.action, c.from, to, by, err, c.to, c.returnedBy)
		}
	}
}

func TestRoleMay(t *testing.T) {
	for _, c := range []struct {
		role   string
		action Action
		may    bool
	}{
		{RoleUnit, Submit, true}, {RoleUnit, Approve, false}, {RoleUnit, Return, false},
		{RoleUnitLeader, Approve, true}, {RoleUnitLeader, Return, true}, {RoleUnitLeader, Accept, false},
		{RoleReviewer, Accept, true}, {RoleReviewer, Return, true}, {RoleReviewer, Submit, false},
		{RoleAdmin, Submit, true}, {"viewer", Submit, false}, {"dispatcher", Return, false},
	} {
		if got := RoleMay(c.role, c.action); got != c.may {
			t.Errorf("RoleMay(%s, %s) = %v", c.role, c.action, got)
		}
	}
}
