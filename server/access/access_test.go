package access

import (
	"slices"
	"testing"
)

func TestRoleSets(t *testing.T) {
	staff := []string{Admin, Dispatcher, GridManager, Planner, Viewer}
	cases := []struct {
		name string
		set  []string
		want []string
	}{
		{"Readers", Readers, staff},
		{"UnitReaders", UnitReaders, append(slices.Clone(staff), Reviewer, Unit, UnitLeader)},
		{"Creators", Creators, []string{Admin, Dispatcher, GridManager, Reporter}},
		{"CaseWorkers", CaseWorkers, []string{Admin, Dispatcher, GridManager}},
		{"CaseActors", CaseActors, []string{Admin, Dispatcher, GridManager, Unit}},
		{"PhotoUploaders", PhotoUploaders, []string{Admin, Dispatcher, GridManager, Reporter, Unit}},
		{"Submitters", Submitters, []string{Admin, Dispatcher, Reporter}},
		{"Editors", Editors, []string{Admin, Dispatcher}},
		{"Managers", Managers, []string{Admin, Reviewer}},
		{"TaskWorkers", TaskWorkers, []string{Admin, Reviewer, Unit}},
		{"DocumentUploaders", DocumentUploaders, []string{Admin, Dispatcher, GridManager, Reviewer, Unit}},
		{"Preparers", Preparers, []string{Admin, Unit}},
		{"DeclarationSteppers", DeclarationSteppers, []string{Admin, Unit, UnitLeader, Reviewer}},
		{"Organisers", Organisers, []string{Admin, Reviewer, Unit, GridManager}},
		{"Previewers", Previewers, []string{Admin, Reviewer, Planner}},
		{"HookOwners", HookOwners, []string{Admin, Reporter}},
		{"Admins", Admins, []string{Admin}},
		{"UnitRoles", UnitRoles, []string{Unit, UnitLeader}},
	}
	for _, c := range cases {
		if !slices.Equal(c.set, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.set, c.want)
		}
		for _, r := range c.set {
			if !ValidRole(r) {
				t.Errorf("%s holds %q, which is no role", c.name, r)
			}
		}
	}
	// the reporter reads back only what it submitted: no reader set holds it
	for _, set := range [][]string{Readers, UnitReaders} {
		if slices.Contains(set, Reporter) {
			t.Errorf("a reader set holds the reporter: %v", set)
		}
	}
	if AnyRole != nil {
		t.Errorf("AnyRole = %v, want none (every role)", AnyRole)
	}
	if ValidRole("root") || ValidRole("") {
		t.Error("ValidRole accepts a name that is no role")
	}
}

func TestCovers(t *testing.T) {
	const grid = "32028200100601"
	cases := []struct {
		scope Scope
		code  string
		want  bool
	}{
		{nil, grid, true},
		{Scope{}, "", true},
		{Scope{"320282"}, grid, true},                    // district
		{Scope{"320282001"}, grid, true},                 // street
		{Scope{"320282001006"}, grid, true},              // community
		{Scope{grid}, grid, true},                        // the grid itself
		{Scope{"320282001007"}, grid, false},             // the next community
		{Scope{"32028200100601"}, "320282001006", false}, // a grid does not cover its community
		{Scope{"320282002", "320282001006"}, grid, true},
		{Scope{"320282002", "320282003"}, grid, false},
		{Scope{"320282"}, "", false},
	}
	for _, c := range cases {
		if got := c.scope.Covers(c.code); got != c.want {
			t.Errorf("%v covers %q: %v, want %v", c.scope, c.code, got, c.want)
		}
	}
	code := grid
	if !(Scope{"320282"}).CoversPtr(&code) || (Scope{"320282"}).CoversPtr(nil) || !Scope(nil).CoversPtr(nil) {
		t.Error("CoversPtr disagrees with Covers, or puts a code outside every area in a scope")
	}
}

func TestPatterns(t *testing.T) {
	if got := Scope(nil).Patterns(); got == nil || len(got) != 0 {
		t.Errorf("the empty scope's patterns: %#v, want an empty array", got)
	}
	got := Scope{"320282", `a_b%c\`}.Patterns()
	want := []string{"320282%", `a\_b\%c\\%`}
	if !slices.Equal(got, want) {
		t.Errorf("patterns %q, want %q", got, want)
	}
}

func TestSQL(t *testing.T) {
	got := SQL("i.grid_code", "$3")
	want := "(cardinality($3::text[]) = 0 OR coalesce(i.grid_code LIKE ANY ($3::text[]), false))"
	if got != want {
		t.Errorf("SQL:\n%s\nwant\n%s", got, want)
	}
}

func TestContainsSQL(t *testing.T) {
	got := ContainsSQL("a.code", "$5")
	want := "EXISTS (SELECT 1 FROM unnest($5::text[]) AS scope(area) WHERE starts_with(scope.area, a.code))"
	if got != want {
		t.Errorf("ContainsSQL:\n%s\nwant\n%s", got, want)
	}
}

func TestTouches(t *testing.T) {
	s := Scope{"320282001006"}
	for code, want := range map[string]bool{
		"320282":         true,  // the district around the community
		"320282001":      true,  // its street
		"320282001006":   true,  // itself
		"32028200100601": true,  // a grid in it
		"320282001007":   false, // the next community
		"320282002":      false, // another street
	} {
		if got := s.Touches(code); got != want {
			t.Errorf("%v touches %s: %v, want %v", s, code, got, want)
		}
	}
	if !Scope(nil).Touches("320282") {
		t.Error("the whole city does not touch a district")
	}
}
