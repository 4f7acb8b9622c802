package api

import (
	"errors"
	"fmt"
	"net/http"

	"citymap/server/auth"
	"citymap/server/respond"
	"citymap/server/store"
	"citymap/server/workflow"
)

// actionInput is POST /api/v1/issues/{id}/actions.
type actionInput struct {
	Action      string  `json:"action"`
	Note        string  `json:"note"`
	Unit        *string `json:"unit"`         // dispatch
	Passed      *bool   `json:"passed"`       // verify
	DuplicateOf *int64  `json:"duplicate_of"` // merge
	Amount      *int    `json:"amount"`       // extend_request, extend_grant: in the category's unit
	Reason      *string `json:"reason"`       // extend_request, suspend
}

// toAction checks that the input carries what its action needs and nothing that
// another action would use: a unit sent with "start" is a client's mistake worth
// reporting, not ignoring.
func (in *actionInput) toAction(id int64) (store.IssueAction, *respond.Error) {
	a := store.IssueAction{IssueID: id, Action: workflow.Action(in.Action), Note: in.Note}
	switch {
	case in.Action == "":
		return a, respond.Field("action", "required", "action is required")
	case !workflow.ValidAction(in.Action):
		return a, respond.Field("action", "invalid", fmt.Sprintf("unknown action %q (one of %v)", in.Action, workflow.Actions))
	case in.Unit != nil && a.Action != workflow.Dispatch:
		return a, respond.Field("unit", "not_applicable", "unit goes with dispatch only")
	case in.Passed != nil && a.Action != workflow.Verify:
		return a, respond.Field("passed", "not_applicable", "passed goes with verify only")
	case in.DuplicateOf != nil && a.Action != workflow.Merge:
		return a, respond.Field("duplicate_of", "not_applicable", "duplicate_of goes with merge only")
	case in.Amount != nil && a.Action != workflow.ExtendRequest && a.Action != workflow.ExtendGrant:
		return a, respond.Field("amount", "not_applicable", "amount goes with extend_request and extend_grant only")
	case in.Reason != nil && a.Action != workflow.ExtendRequest && a.Action != workflow.Suspend:
		return a, respond.Field("reason", "not_applicable", "reason goes with extend_request and suspend only")
	case a.Action == workflow.ExtendRequest && in.Amount == nil:
		return a, respond.Field("amount", "required", "extend_request needs the amount of time asked for, in the category's unit")
	case (a.Action == workflow.ExtendRequest || a.Action == workflow.Suspend) && (in.Reason == nil || *in.Reason == ""):
		return a, respond.Field("reason", "required", fmt.Sprintf("%s needs a reason", a.Action))
	case a.Action == workflow.Verify && in.Passed == nil:
		return a, respond.Field("passed", "required", "verify needs passed: true or false")
	case a.Action == workflow.Merge && in.DuplicateOf == nil:
		return a, respond.Field("duplicate_of", "required", "merge needs the id of the issue this one duplicates")
	}
	if in.Unit != nil {
		a.Unit = *in.Unit
	}
	if in.Passed != nil {
		a.Passed = *in.Passed
	}
	if in.DuplicateOf != nil {
		a.DuplicateOf = *in.DuplicateOf
	}
	if in.Amount != nil {
		if *in.Amount <= 0 || *in.Amount > store.MaxExtension {
			return a, respond.Field("amount", "out_of_range", fmt.Sprintf("amount must be between 1 and %d", store.MaxExtension))
		}
		a.Amount = *in.Amount
	}
	if in.Reason != nil {
		a.Reason = *in.Reason
	}
	return a, nil
}

// issueAction is POST /api/v1/issues/{id}/actions: 200 with the issue after the
// step, 409 with the allowed actions when its status does not allow this one, 412
// when If-Match names an older version.
func (a *API) issueAction(w http.ResponseWriter, r *http.Request) {
	p := auth.From(r.Context())
	id, err := issueID(r)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	var in actionInput
	if err := respond.Decode(w, r, respond.MaxBody, &in); err != nil {
		respond.Fail(w, r, err)
		return
	}
	act, rerr := in.toAction(id)
	if rerr != nil {
		respond.Fail(w, r, rerr)
		return
	}
	if !workflow.RoleMay(p.Role, act.Action) {
		respond.Fail(w, r, respond.Errorf(http.StatusForbidden, "forbidden",
			fmt.Sprintf("a %s may not %s issues", p.Role, act.Action)))
		return
	}
	act.IfMatch = respond.IfMatch(r)
	res, err := a.store.ApplyIssueAction(r.Context(), p.IssueActor(), act)
	var na *workflow.NotAllowedError
	if errors.As(err, &na) {
		notAllowed(w, p, na)
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	writeFeature(w, http.StatusOK, res.Version, res.Feature)
}

// conflict is the 409 body: the error plus what the caller may do instead and
// the state of the case's clock that refused it.
type conflict struct {
	*respond.Error
	Status           workflow.Status   `json:"status"`
	Allowed          []workflow.Action `json:"allowed"`
	Suspended        bool              `json:"suspended"`
	ExtensionPending bool              `json:"extension_pending"`
}

func notAllowed(w http.ResponseWriter, p *auth.Principal, na *workflow.NotAllowedError) {
	c := na.Case
	if c.Status == "" {
		c.Status = na.Status
	}
	allowed := workflow.AllowedForCase(p.Role, c)
	if allowed == nil {
		allowed = []workflow.Action{}
	}
	e := respond.Field("action", "transition_not_allowed", fmt.Sprintf("%s is not allowed on %s", na.Action, c.Describe()))
	e.Status = http.StatusConflict
	respond.JSON(w, http.StatusConflict, map[string]conflict{"error": {Error: e, Status: na.Status, Allowed: allowed,
		Suspended: c.Suspended, ExtensionPending: c.ExtensionPending}})
}
