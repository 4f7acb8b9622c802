package store

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/jackc/pgx/v5"

	"citymap/invalid"
	"citymap/server/workflow"
)

// IssueAction is one step of the case flow on one issue.
type IssueAction struct {
	IssueID int64
	Action  workflow.Action
	// Unit is where dispatch sends the case; empty keeps the unit intake chose.
	Unit string
	// Passed is the outcome of verify; false sends the case back (rework).
	Passed bool
	// DuplicateOf is the issue that merge folds this one into.
	DuplicateOf int64
	// Amount is the time an extension asks for (extend_request) or grants
	// (extend_grant; 0 grants what was asked), in the category's unit.
	Amount int
	// Reason says why an extension or a suspension is asked for.
	Reason string
	Note   string
	// IfMatch lists the versions the client last saw; empty means no
	// precondition.
	IfMatch []int
}

// IssueChange is an issue after a write.
type IssueChange struct {
	Version int
	Status  workflow.Status
	Feature json.RawMessage
	Seq     int64 // the changes feed's sequence number of this write
}

// lockedIssue is what an action needs to know about the issue it changes.
type lockedIssue struct {
	status    workflow.Status
	version   int
	grid      *string
	unit      *string
	photos    []string
	suspended bool
	requested *int // the amount of a pending extension request
}

// clock is the issue's state as the workflow judges it.
func (li lockedIssue) clock() workflow.Case {
	return workflow.Case{Status: li.status, Suspended: li.suspended, ExtensionPending: li.requested != nil}
}

// lockIssue reads issue id for update and checks the actor's scope and the
// client's precondition, in that order: someone who may not see the issue learns
// nothing from its version.
func lockIssue(ctx context.Context, tx pgx.Tx, by IssueActor, id int64, ifMatch []int) (lockedIssue, error) {
	var li lockedIssue
	err := tx.QueryRow(ctx, `SELECT status, version, grid_code, unit, photos, suspended_at IS NOT NULL,
		extension_requested FROM issues WHERE id = $1 FOR UPDATE`, id).
		Scan(&li.status, &li.version, &li.grid, &li.unit, &li.photos, &li.suspended, &li.requested)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return li, ErrIssueNotFound
	case err != nil:
		return li, err
	case !by.covers(li.grid):
		return li, ErrIssueOutOfScope
	case by.Unit != "" && (li.unit == nil || *li.unit != by.Unit):
		// a unit's staff act on the cases their unit handles, as they read them
		return li, ErrIssueOutOfScope
	case len(ifMatch) > 0 && !slices.Contains(ifMatch, li.version):
		return li, &IssueVersionError{Current: li.version}
	}
	return li, nil
}

// ApplyIssueAction takes action a for actor: the issue, its event and its change
// are written in one transaction. Errors: ErrIssueNotFound, ErrIssueOutOfScope,
// *IssueVersionError (stale If-Match), *workflow.NotAllowedError (the status does
// not allow the action) and *invalid.Error (bad unit or duplicate_of). The role
// check is the caller's (workflow.RoleMay).
func (s *Store) ApplyIssueAction(ctx context.Context, by IssueActor, a IssueAction) (IssueChange, error) {
	var out IssueChange
	if err := checkIssueText("note", a.Note, MaxIssueNote); err != nil {
		return out, err
	}
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		li, err := lockIssue(ctx, tx, by, a.IssueID, a.IfMatch)
		if err != nil {
			return err
		}
		next, err := workflow.NextFor(li.clock(), a.Action, a.Passed)
		if err != nil {
			return err
		}
		if workflow.IsClockAction(a.Action) {
			return applyClockAction(ctx, tx, by, a, li, &out)
		}
		data, err := actionData(ctx, tx, by, a, li)
		if err != nil {
			return err
		}
		rework := workflow.IsRework(a.Action, a.Passed)
		err = tx.QueryRow(ctx, `UPDATE issues SET status = $2, version = version + 1, updated_at = now(),
			unit = CASE WHEN $3 = 'dispatch' THEN $4 ELSE unit END,
			dispatched_at = CASE WHEN $3 = 'dispatch' THEN now() ELSE dispatched_at END,
			resolved_at = CASE WHEN $3 = 'resolve' THEN now() WHEN $5 THEN NULL ELSE resolved_at END,
			closed_at = CASE WHEN $2 = 'closed' THEN now() ELSE closed_at END,
			rework_count = rework_count + CASE WHEN $5 THEN 1 ELSE 0 END,
			duplicate_of = CASE WHEN $3 = 'merge' THEN $6::bigint ELSE duplicate_of END,
			-- a request for more time lapses when the case leaves the unit's hands
			extension_requested = CASE WHEN $2 IN ('resolved', 'closed', 'rejected', 'merged') THEN NULL
				ELSE extension_requested END
			WHERE id = $1 RETURNING version, issue_feature(issues)`,
			a.IssueID, next, a.Action, data["unit"], rework, a.DuplicateOf).Scan(&out.Version, &out.Feature)
		if err != nil {
			return err
		}
		out.Status = next
		return finishIssueWrite(ctx, tx, by, a.IssueID, string(a.Action), li.status, next, a.Note, data, &out)
	})
	return out, err
}

// finishIssueWrite records the event of a write and, last, its change.
func finishIssueWrite(ctx context.Context, tx pgx.Tx, by IssueActor, id int64, action string,
	from, to workflow.Status, note string, data map[string]any, out *IssueChange) error {
	_, err := tx.Exec(ctx, `INSERT INTO issue_events (issue_id, action, from_status, to_status, actor, note, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, action, from, to, by.Actor, note, data)
	if err != nil {
		return err
	}
	out.Seq, err = AppendUpserts(ctx, tx, "issues", []int64{id})
	return err
}

// actionData checks the input an action carries and returns what its event
// records.
func actionData(ctx context.Context, tx pgx.Tx, by IssueActor, a IssueAction, li lockedIssue) (map[string]any, error) {
	switch a.Action {
	case workflow.Dispatch:
		unit := a.Unit
		if unit == "" && li.unit != nil {
			unit = *li.unit
		}
		if unit == "" {
			return nil, invalid.Field("unit", "required", "the issue has no unit yet: name one to dispatch it to")
		}
		var known bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM units WHERE code = $1)`, unit).Scan(&known); err != nil {
			return nil, err
		}
		if !known {
			return nil, invalid.Field("unit", "unknown_unit", "unknown unit %q (see /api/v1/units)", unit)
		}
		return map[string]any{"unit": unit}, nil
	case workflow.Verify:
		return map[string]any{"passed": a.Passed}, nil
	case workflow.Merge:
		return mergeData(ctx, tx, by, a)
	}
	return map[string]any{}, nil
}

// mergeData checks the issue a merge folds this one into: it must exist and be
// one the actor may see, or a dispatcher of one street could fold its cases
// into (and learn of) another street's.
func mergeData(ctx context.Context, tx pgx.Tx, by IssueActor, a IssueAction) (map[string]any, error) {
	if a.DuplicateOf == a.IssueID {
		return nil, invalid.Field("duplicate_of", "invalid", "an issue cannot duplicate itself")
	}
	q := &issueQuery{}
	where := "i.id = " + q.arg(a.DuplicateOf)
	var status string
	var visible bool
	err := tx.QueryRow(ctx, `SELECT i.status, `+by.Viewer().issueSQL("i", q.arg)+` FROM issues i WHERE `+where,
		q.args...).Scan(&status, &visible)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, invalid.Field("duplicate_of", "not_found", "no issue has the id %d", a.DuplicateOf)
	}
	if err != nil {
		return nil, err
	}
	if !visible {
		return nil, ErrDuplicateOutOfScope
	}
	if status == string(workflow.Merged) {
		// chains of merges would hide the case that is really being worked
		return nil, invalid.Field("duplicate_of", "invalid", "issue %d is itself merged: merge into the issue it duplicates", a.DuplicateOf)
	}
	return map[string]any{"duplicate_of": a.DuplicateOf}, nil
}

// AttachIssuePhotos adds uploaded photos to an issue (an 'update' event; photos it
// already has are not added twice). Errors as ApplyIssueAction, and
// *invalid.Error for unknown photos or too many.
func (s *Store) AttachIssuePhotos(ctx context.Context, by IssueActor, id int64, photos []string, note string, ifMatch []int) (IssueChange, error) {
	return s.attachIssuePhotos(ctx, by, id, photos, note, ifMatch, nil, nil)
}

// AttachUploadedPhotos records photos just uploaded and adds them to an issue
// in one transaction, calling place (which puts their files where they are
// served from) just before it commits: a refused attachment (a stale If-Match,
// an issue out of scope or full) leaves no photo rows behind, and place is not
// called. Errors as AttachIssuePhotos.
func (s *Store) AttachUploadedPhotos(ctx context.Context, by IssueActor, id int64, uploads []Photo, note string,
	ifMatch []int, place func() error) (IssueChange, error) {
	ids := make([]string, len(uploads))
	for i, p := range uploads {
		ids[i] = p.ID
	}
	return s.attachIssuePhotos(ctx, by, id, ids, note, ifMatch, uploads, place)
}

func (s *Store) attachIssuePhotos(ctx context.Context, by IssueActor, id int64, photos []string, note string,
	ifMatch []int, uploads []Photo, place func() error) (IssueChange, error) {
	if err := checkIssuePhotoIDs(photos); err != nil {
		return IssueChange{}, err
	}
	if err := checkIssueText("note", note, MaxIssueNote); err != nil {
		return IssueChange{}, err
	}
	var out IssueChange
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		li, err := lockIssue(ctx, tx, by, id, ifMatch)
		if err != nil {
			return err
		}
		for _, p := range uploads {
			if _, err := recordPhoto(ctx, tx, p); err != nil {
				return err
			}
		}
		if err := checkIssueRefs(ctx, tx, by, "", photos); err != nil {
			return err
		}
		added := newPhotos(li.photos, photos)
		if len(li.photos)+len(added) > MaxIssuePhotos {
			return invalid.Field("photo", "too_many", "an issue has at most %d photos", MaxIssuePhotos)
		}
		err = tx.QueryRow(ctx, `UPDATE issues SET photos = photos || $2::text[], version = version + 1,
			updated_at = now() WHERE id = $1 RETURNING version, issue_feature(issues)`, id, added).
			Scan(&out.Version, &out.Feature)
		if err != nil {
			return err
		}
		out.Status = li.status
		err = finishIssueWrite(ctx, tx, by, id, "update", li.status, li.status, note,
			map[string]any{"photos": added}, &out)
		if err != nil || place == nil {
			return err
		}
		return place()
	})
	return out, err
}

// newPhotos returns those of add that have is not holding, without repeats.
func newPhotos(has, add []string) []string {
	out := []string{}
	for _, p := range add {
		if !slices.Contains(has, p) && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
