package workflow

import (
	"errors"
	"slices"
	"testing"
)

func TestNext(t *testing.T) {
	tests := []struct {
		from   Status
		action Action
		passed bool
		want   Status // "" when the transition is refused
	}{
		{Reported, Register, false, Registered},
		{Registered, Dispatch, false, Dispatched},
		{Dispatched, Start, false, InProgress},
		{InProgress, Resolve, false, Resolved},
		{Resolved, Verify, true, Closed},
		{Resolved, Verify, false, Dispatched},
		{Reported, Reject, false, Rejected},
		{Registered, Reject, false, Rejected},
		{Reported, Merge, false, Merged},
		{Registered, Merge, false, Merged},
		// refused: skipping steps, going back, acting on finished cases
		{Reported, Dispatch, false, ""},
		{Reported, Start, false, ""},
		{Registered, Register, false, ""},
		{Dispatched, Resolve, false, ""},
		{Dispatched, Reject, false, ""},
		{InProgress, Verify, true, ""},
		{Resolved, Resolve, false, ""},
		{Closed, Verify, false, ""},
		{Closed, Reject, false, ""},
		{Rejected, Register, false, ""},
		{Merged, Register, false, ""},
		{Merged, Merge, false, ""},
	}
	for _, tt := range tests {
		got, err := Next(tt.from, tt.action, tt.passed)
		if tt.want == "" {
			var na *NotAllowedError
			if !errors.As(err, &na) {
				t.Errorf("%s --%s--> %v, %v; want NotAllowedError", tt.from, tt.action, got, err)
				continue
			}
			if !slices.Equal(na.Allowed, Allowed(tt.from)) {
				t.Errorf("%s --%s--> allowed %v, want %v", tt.from, tt.action, na.Allowed, Allowed(tt.from))
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s --%s(passed=%v)--> %v, %v; want %v", tt.from, tt.action, tt.passed, got, err, tt.want)
		}
	}
}

func TestNextUnknownAction(t *testing.T) {
	_, err := Next(Reported, "close", false)
	var na *NotAllowedError
	if err == nil || errors.As(err, &na) {
		t.Fatalf("unknown action: got %v, want a plain error", err)
	}
}

func TestAllowed(t *testing.T) {
	tests := map[Status][]Action{
		Reported:   {Register, Reject, Merge},
		Registered: {Dispatch, Reject, Merge, ExtendRequest, Suspend},
		Dispatched: {Start, ExtendRequest, Suspend},
		InProgress: {Resolve, ExtendRequest, Suspend},
		Resolved:   {Verify},
		Closed:     nil,
		Rejected:   nil,
		Merged:     nil,
	}
	for _, s := range Statuses {
		if got := Allowed(s); !slices.Equal(got, tests[s]) {
			t.Errorf("Allowed(%s) = %v, want %v", s, got, tests[s])
		}
	}
}

// Every action leads somewhere from some status, and every target is a status.
func TestTableIsComplete(t *testing.T) {
	for _, a := range Actions {
		if len(from[a]) == 0 {
			t.Errorf("action %s is never allowed", a)
		}
		for _, s := range from[a] {
			// the clock's state that lets a clock action be taken
			c := Case{Status: s, Suspended: a == Resume, ExtensionPending: a == ExtendGrant || a == ExtendRefuse}
			for _, passed := range []bool{true, false} {
				next, err := NextFor(c, a, passed)
				if err != nil || !ValidStatus(string(next)) {
					t.Errorf("%s --%s--> %q, %v", s, a, next, err)
				}
			}
		}
	}
}

func TestOpen(t *testing.T) {
	open := []Status{Reported, Registered, Dispatched, InProgress, Resolved}
	for _, s := range Statuses {
		if got := Open(s); got != slices.Contains(open, s) {
			t.Errorf("Open(%s) = %v", s, got)
		}
	}
}

func TestRoleMay(t *testing.T) {
	tests := []struct {
		role string
		want []Action
	}{
		{"admin", Actions},
		{"dispatcher", Actions},
		{"grid_manager", []Action{Start, Resolve, Verify, ExtendRequest}},
		{"unit", []Action{ExtendRequest}},
		{"planner", nil},
		{"viewer", nil},
		{"reporter", nil},
		{"nobody", nil},
	}
	for _, tt := range tests {
		var got []Action
		for _, a := range Actions {
			if RoleMay(tt.role, a) {
				got = append(got, a)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("RoleMay(%s) allows %v, want %v", tt.role, got, tt.want)
		}
		if RoleMay(tt.role, "close") {
			t.Errorf("RoleMay(%s, close) = true for an unknown action", tt.role)
		}
	}
}

func TestAllowedFor(t *testing.T) {
	if got := AllowedFor("grid_manager", Reported); len(got) != 0 {
		t.Errorf("grid manager on a reported issue: %v", got)
	}
	if got := AllowedFor("grid_manager", Resolved); !slices.Equal(got, []Action{Verify}) {
		t.Errorf("grid manager on a resolved issue: %v", got)
	}
	if got := AllowedFor("dispatcher", Registered); !slices.Equal(got, []Action{Dispatch, Reject, Merge, ExtendRequest, Suspend}) {
		t.Errorf("dispatcher on a registered issue: %v", got)
	}
}

func TestIsRework(t *testing.T) {
	if !IsRework(Verify, false) || IsRework(Verify, true) || IsRework(Resolve, false) {
		t.Error("only a failed verification is a rework")
	}
}

// The clock's actions keep the status and follow the clock's state: one
// request at a time and answered once, a suspension resumed once, nothing but
// the resumption on a suspended case, nothing on a resolved or finished one.
func TestClockActions(t *testing.T) {
	running := func(s Status) Case { return Case{Status: s} }
	pending := func(s Status) Case { return Case{Status: s, ExtensionPending: true} }
	suspended := func(s Status) Case { return Case{Status: s, Suspended: true} }
	tests := []struct {
		c       Case
		a       Action
		ok      bool
		allowed []Action // on refusal
	}{
		{running(Dispatched), ExtendRequest, true, nil},
		{running(InProgress), ExtendRequest, true, nil},
		{running(Registered), Suspend, true, nil},
		{pending(InProgress), ExtendGrant, true, nil},
		{pending(Dispatched), ExtendRefuse, true, nil},
		{pending(Dispatched), Suspend, true, nil},
		{suspended(InProgress), Resume, true, nil},
		// refused
		{running(Dispatched), ExtendGrant, false, []Action{Start, ExtendRequest, Suspend}},
		{running(Dispatched), ExtendRefuse, false, []Action{Start, ExtendRequest, Suspend}},
		{pending(Dispatched), ExtendRequest, false, []Action{Start, ExtendGrant, ExtendRefuse, Suspend}},
		{running(InProgress), Resume, false, []Action{Resolve, ExtendRequest, Suspend}},
		{suspended(InProgress), Suspend, false, []Action{Resume}},
		{suspended(InProgress), Resolve, false, []Action{Resume}},
		{suspended(Dispatched), ExtendRequest, false, []Action{Resume}},
		{running(Closed), ExtendRequest, false, nil},
		{running(Resolved), ExtendRequest, false, []Action{Verify}},
		{running(Reported), Suspend, false, []Action{Register, Reject, Merge}},
		{running(Rejected), Resume, false, nil},
	}
	for _, tt := range tests {
		got, err := NextFor(tt.c, tt.a, false)
		if tt.ok {
			if err != nil || got != tt.c.Status {
				t.Errorf("%+v --%s--> %v, %v; want %s", tt.c, tt.a, got, err, tt.c.Status)
			}
			continue
		}
		var na *NotAllowedError
		if !errors.As(err, &na) {
			t.Errorf("%+v --%s--> %v, %v; want NotAllowedError", tt.c, tt.a, got, err)
			continue
		}
		if !slices.Equal(na.Allowed, tt.allowed) || na.Case != tt.c {
			t.Errorf("%+v --%s--> allowed %v (case %+v), want %v", tt.c, tt.a, na.Allowed, na.Case, tt.allowed)
		}
	}
}
