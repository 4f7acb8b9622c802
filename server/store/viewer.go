package store

import (
	"fmt"
	"strings"
)

// Viewer is whom a read of cases is for: which issues its token may see. Every
// read of issues that answers a caller (lists, items, a retried intake,
// possible duplicates, Open311, photos) applies it, through issueSQL. The zero
// Viewer sees every issue.
type Viewer struct {
	// Scope limits the viewer to the issues in these areas (codes of any level);
	// empty is the whole city. An issue outside every grid is in no scope.
	Scope []string
	// Reporter marks a reporter token (a hotline or partner system): it sees
	// the issues of its Source only or, without a source, the issues it
	// reported itself, those whose report event is by Actor.
	Reporter bool
	Source   string
	Actor    string
	// Unit limits a unit's staff to what their unit (a units.code) answers
	// for: the cases it was given, the inspections of its points, its tasks.
	Unit string
	// Contacts lets the viewer read the citizen's contact details of the
	// issues it sees, in their detail only: dispatchers and admins, who call
	// back, and the partner (reporter) whose case it is.
	Contacts bool
}

// issueSQL is the condition that the viewer may see the issue of alias i; arg
// adds a parameter to the statement and returns its placeholder.
func (v Viewer) issueSQL(i string, arg func(any) string) string {
	var conds []string
	if len(v.Scope) > 0 {
		conds = append(conds, inScope(i+".grid_code", v.Scope, arg))
	}
	if v.Unit != "" {
		conds = append(conds, fmt.Sprintf("%s.unit = %s", i, arg(v.Unit)))
	}
	switch {
	case !v.Reporter:
	case v.Source != "":
		conds = append(conds, fmt.Sprintf("%s.source = %s", i, arg(v.Source)))
	default:
		conds = append(conds, fmt.Sprintf(`EXISTS (SELECT 1 FROM issue_events e
			WHERE e.issue_id = %s.id AND e.action = 'report' AND e.actor = %s)`, i, arg(v.Actor)))
	}
	if len(conds) == 0 {
		return "true"
	}
	return "(" + strings.Join(conds, " AND ") + ")"
}

// inspectionSQL is the condition that the viewer may see an inspection of the
// point of alias p: reporters see none, everyone else those at points in its
// areas.
func (v Viewer) inspectionSQL(p string, arg func(any) string) string {
	switch {
	case v.Reporter:
		return "false"
	case v.Unit != "":
		// points name their responsible unit, not its code
		return fmt.Sprintf("%s.unit = (SELECT name FROM units WHERE code = %s)", p, arg(v.Unit))
	case len(v.Scope) > 0:
		return inScope(p+".grid_code", v.Scope, arg)
	}
	return "true"
}

// taskSQL is the condition that the viewer may see the task of alias t:
// reporters see none, a unit its own, a scoped viewer those placed in its
// areas (a task of the whole city is in no scope).
func (v Viewer) taskSQL(t string, arg func(any) string) string {
	switch {
	case v.Reporter:
		return "false"
	case v.Unit != "":
		return fmt.Sprintf("%s.unit = %s", t, arg(v.Unit))
	case len(v.Scope) > 0:
		return inScope(t+".area_code", v.Scope, arg)
	}
	return "true"
}

// Viewer is what the actor may read back of what it writes.
func (a IssueActor) Viewer() Viewer {
	return Viewer{Scope: a.Scope, Reporter: a.IsReporter, Source: a.Source, Actor: a.Actor, Unit: a.Unit}
}
