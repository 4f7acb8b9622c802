package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"citymap/invalid"
	"citymap/server/workflow"
)

// MaxExtension is the most an extension may ask for or grant, in the
// category's unit: a month around the clock, longer than any case desk grants.
const MaxExtension = 720

// clockUpdateSQL takes one of the clock's actions ($2) on issue $1 with amount
// $3. The deadline is moved by the worktime_* functions of migration 0023, the
// one place that counts working time: by the granted amount from the deadline,
// or by the time the clock stood still. It returns the deadline before and
// after and the time the suspension lasted, counted as the unit counts it.
const clockUpdateSQL = `UPDATE issues i SET version = i.version + 1, updated_at = now(),
	extension_requested = CASE $2 WHEN 'extend_request' THEN $3::int
		WHEN 'extend_grant' THEN NULL WHEN 'extend_refuse' THEN NULL ELSE i.extension_requested END,
	extensions = i.extensions + CASE WHEN $2 = 'extend_grant' THEN 1 ELSE 0 END,
	deadline = CASE $2 WHEN 'extend_grant' THEN worktime_due(i.deadline, $3::int, c.deadline_unit)
		WHEN 'resume' THEN worktime_resume(i.deadline, i.suspended_at, now(), c.deadline_unit)
		ELSE i.deadline END,
	suspended_at = CASE $2 WHEN 'suspend' THEN now() WHEN 'resume' THEN NULL ELSE i.suspended_at END,
	suspensions = i.suspensions + CASE WHEN $2 = 'suspend' THEN 1 ELSE 0 END
FROM issue_categories c, (SELECT deadline, suspended_at FROM issues WHERE id = $1) o
WHERE i.id = $1 AND c.code = i.category
RETURNING i.version, issue_feature(i), o.deadline, i.deadline, o.suspended_at, c.deadline_unit,
	CASE WHEN $2 = 'resume' THEN round(extract(epoch FROM CASE WHEN c.deadline_unit = 'urgent'
		THEN now() - o.suspended_at ELSE worktime_between(o.suspended_at, now()) END) / 60) END`

// applyClockAction takes one of the clock's actions on the locked issue li
// (the workflow allowed it): the status stays, the deadline, the pending
// request or the suspension change, and the event records the deadline
// before and after, so that a report can tell the deadline of any instant.
func applyClockAction(ctx context.Context, tx pgx.Tx, by IssueActor, a IssueAction, li lockedIssue, out *IssueChange) error {
	amount, err := clockAmount(a, li)
	if err != nil {
		return err
	}
	var from, to time.Time
	var since *time.Time
	var unit string
	var pausedMinutes *float64
	err = tx.QueryRow(ctx, clockUpdateSQL, a.IssueID, a.Action, amount).
		Scan(&out.Version, &out.Feature, &from, &to, &since, &unit, &pausedMinutes)
	if err != nil {
		return err
	}
	out.Status = li.status
	data := map[string]any{"deadline_unit": unit}
	switch a.Action {
	case workflow.ExtendRequest:
		data["amount"], data["reason"] = amount, a.Reason
	case workflow.ExtendGrant:
		data["amount"], data["requested"] = amount, *li.requested
		data["deadline_from"], data["deadline_to"] = from, to
	case workflow.ExtendRefuse:
		data["requested"] = *li.requested
	case workflow.Suspend:
		data["reason"] = a.Reason
	case workflow.Resume:
		data["suspended_at"], data["suspended_minutes"] = since, pausedMinutes
		data["deadline_from"], data["deadline_to"] = from, to
	}
	return finishIssueWrite(ctx, tx, by, a.IssueID, string(a.Action), li.status, li.status, a.Note, data, out)
}

// clockAmount checks the amount and reason a clock action carries and
// returns the amount it applies: a grant without an amount grants what was
// asked.
func clockAmount(a IssueAction, li lockedIssue) (int, error) {
	if a.Action == workflow.ExtendRequest || a.Action == workflow.Suspend {
		if a.Reason == "" {
			return 0, invalid.Field("reason", "required", "%s needs a reason", a.Action)
		}
		if err := checkIssueText("reason", a.Reason, MaxIssueNote); err != nil {
			return 0, err
		}
	}
	amount := a.Amount
	switch a.Action {
	case workflow.ExtendRequest:
		if amount <= 0 {
			return 0, invalid.Field("amount", "required", "extend_request needs the amount of time asked for, in the category's unit")
		}
	case workflow.ExtendGrant:
		if amount == 0 {
			amount = *li.requested
		}
	default:
		return 0, nil
	}
	if amount <= 0 || amount > MaxExtension {
		return 0, invalid.Field("amount", "out_of_range", "amount must be between 1 and %d", MaxExtension)
	}
	return amount, nil
}
