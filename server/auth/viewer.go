package auth

import (
	"citymap/server/access"
	"citymap/server/store"
)

// Viewer is what the principal may read of the cases: those in its areas and,
// for a reporter, only its source's (or, without a source, those it reported
// itself); for a unit's staff, what their unit answers for. Every surface that serves cases or their photos asks it.
func (p *Principal) Viewer() store.Viewer {
	v := p.IssueActor().Viewer()
	// who calls the citizen back: the command centre, and the partner whose
	// case it is (a reporter sees no other)
	v.Contacts = p.Is(access.Admin, access.Dispatcher, access.Reporter)
	return v
}

// IssueActor is the principal as the store's issue writes see it.
func (p *Principal) IssueActor() store.IssueActor {
	return store.IssueActor{Actor: p.Actor(), Reporter: p.Name, Scope: p.Areas,
		IsReporter: p.Is(access.Reporter), Source: p.Source, Unit: p.Unit}
}
