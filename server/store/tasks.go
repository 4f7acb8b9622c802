package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"citymap/invalid"
	"citymap/server/access"
	"citymap/server/table"
	"citymap/server/taskflow"
)

// Limits of a task's input.
const (
	MaxTaskTitle     = 200
	MaxTaskPoints    = 200
	MaxTaskAreas     = 50
	MaxTaskDocuments = 20
	DefaultTaskLimit = 200
	MaxTaskLimit     = 2000
)

// Errors of task operations.
var (
	ErrTaskNotFound = errors.New("no such task")
	// ErrTaskOutOfScope says the task belongs to another unit than the
	// caller's, or lies outside the caller's areas.
	ErrTaskOutOfScope = errors.New("the task is not the caller's unit's")
)

// TaskActor is who works on tasks: Unit limits it to one unit's tasks, Scope
// to the tasks within these areas.
type TaskActor struct {
	Actor string
	Unit  string
	Scope []string
}

// covers reports whether the actor may see a task of unit lying in area.
func (by TaskActor) covers(unit string, area *string) bool {
	if by.Unit != "" && by.Unit != unit {
		return false
	}
	return access.Scope(by.Scope).CoversPtr(area)
}

// NewTask is a task as the 创建办 hands it out.
type NewTask struct {
	Title, Description string
	Indicator          string // an indicator code, optional
	Campaign           int64  // a campaign id, 0 for none
	Unit               string // the responsible unit's code
	Owner, OwnerPhone  string
	Areas              []string // area codes
	Points             []string // point codes
	DueAt              time.Time
}

// TaskChange is a task after a write.
type TaskChange struct {
	ID      int64
	Version int
	Status  taskflow.Status
	Feature json.RawMessage
	Seq     int64
}

// TaskVersionError says the client's If-Match no longer matches the task.
type TaskVersionError struct{ Current int }

func (e *TaskVersionError) Error() string {
	return fmt.Sprintf("the task has changed: it is at version %d", e.Current)
}

// check verifies what needs no database; now is the time of the write.
func (n *NewTask) check(now time.Time) error {
	n.Title = strings.TrimSpace(n.Title)
	switch {
	case n.Title == "":
		return invalid.Field("title", "required", "title is required")
	case n.Unit == "":
		return invalid.Field("unit", "required", "unit (the responsible unit's code, see /api/v1/units) is required")
	case n.DueAt.IsZero():
		return invalid.Field("due_at", "required", "due_at (RFC 3339) is required")
	case n.DueAt.Before(now):
		return invalid.Field("due_at", "in_past", "due_at lies in the past")
	case len(n.Points) > MaxTaskPoints:
		return invalid.Field("points", "too_many", "at most %d points per task", MaxTaskPoints)
	case len(n.Areas) > MaxTaskAreas:
		return invalid.Field("areas", "too_many", "at most %d areas per task", MaxTaskAreas)
	}
	for _, f := range []struct {
		name, value string
		max         int
	}{{"title", n.Title, MaxTaskTitle}, {"description", n.Description, MaxIssueDescription},
		{"owner", n.Owner, 100}, {"owner_phone", n.OwnerPhone, 40}, {"unit", n.Unit, 40},
		{"indicator", n.Indicator, 40}} {
		if err := checkIssueText(f.name, f.value, f.max); err != nil {
			return err
		}
	}
	return nil
}

// CreateTask writes a new task, its create event and its change in one
// transaction. Errors: *invalid.Error for bad input (an unknown unit,
// indicator, campaign, area or point is one).
func (s *Store) CreateTask(ctx context.Context, by TaskActor, n NewTask, now time.Time) (TaskChange, error) {
	var out TaskChange
	if err := n.check(now); err != nil {
		return out, err
	}
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		if err := checkTaskRefs(ctx, tx, n); err != nil {
			return err
		}
		var campaign *int64
		if n.Campaign != 0 {
			campaign = &n.Campaign
		}
		err := tx.QueryRow(ctx, `INSERT INTO tasks (title, description, indicator_code, campaign_id, unit, owner,
				owner_phone, areas, point_codes, due_at, created_by, created_at, updated_at)
			VALUES ($1, $2, nullif($3, ''), $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id`,
			n.Title, n.Description, n.Indicator, campaign, n.Unit, n.Owner, n.OwnerPhone,
			nonNil(n.Areas), nonNil(n.Points), n.DueAt, by.Actor, now).Scan(&out.ID)
		if err != nil {
			return err
		}
		if err := placeTask(ctx, tx, out.ID); err != nil {
			return err
		}
		return finishTaskWrite(ctx, tx, by, out.ID, "create", "", taskflow.Open, "", nil, nil,
			map[string]any{"unit": n.Unit, "due_at": n.DueAt}, now, &out)
	})
	return out, err
}

// placeTask sets where a task lies: its points, else its areas.
func placeTask(ctx context.Context, tx pgx.Tx, id int64) error {
	_, err := tx.Exec(ctx, `UPDATE tasks t SET
			geom = coalesce(
				(SELECT ST_Collect(ST_PointOnSurface(p.geom)) FROM points p WHERE p.code = ANY(t.point_codes)),
				(SELECT ST_Collect(ST_PointOnSurface(a.geom)) FROM areas a WHERE a.code = ANY(t.areas))),
			area_code = coalesce(
				(SELECT p.grid_code FROM points p WHERE p.code = t.point_codes[1]),
				t.areas[1])
		WHERE t.id = $1`, id)
	return err
}

// checkTaskRefs verifies that what a task names exists.
func checkTaskRefs(ctx context.Context, tx pgx.Tx, n NewTask) error {
	var unit, indicator, campaign bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM units WHERE code = $1),
		$2 = '' OR EXISTS (SELECT 1 FROM indicators WHERE code = $2),
		$3 = 0 OR EXISTS (SELECT 1 FROM campaigns WHERE id = $3)`, n.Unit, n.Indicator, n.Campaign).
		Scan(&unit, &indicator, &campaign)
	switch {
	case err != nil:
		return err
	case !unit:
		return invalid.Field("unit", "unknown_unit", "unknown unit %q (see /api/v1/units)", n.Unit)
	case !indicator:
		return invalid.Field("indicator", "unknown_indicator", "no indicator has the code %q (see /api/v1/indicators)", n.Indicator)
	case !campaign:
		return invalid.Field("campaign", "unknown_campaign", "no campaign has the id %d", n.Campaign)
	}
	if i, err := firstMissing(ctx, tx, n.Points, `SELECT 1 FROM points WHERE code = $1`); err != nil || i >= 0 {
		if err == nil {
			err = invalid.Field(fmt.Sprintf("points[%d]", i), "unknown_point", "no point has the code %q", n.Points[i])
		}
		return err
	}
	if i, err := firstMissing(ctx, tx, n.Areas, `SELECT 1 FROM areas WHERE code = $1`); err != nil || i >= 0 {
		if err == nil {
			err = invalid.Field(fmt.Sprintf("areas[%d]", i), "unknown_area", "no area has the code %q", n.Areas[i])
		}
		return err
	}
	return nil
}

// firstMissing returns the index of the first of values for which query ($1
// the value) finds no row, or -1.
func firstMissing(ctx context.Context, tx pgx.Tx, values []string, query string) (int, error) {
	for i, v := range values {
		var one int
		err := tx.QueryRow(ctx, query, v).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return i, nil
		}
		if err != nil {
			return -1, err
		}
	}
	return -1, nil
}

// finishTaskWrite records a step's event and, last, its change.
func finishTaskWrite(ctx context.Context, tx pgx.Tx, by TaskActor, id int64, action string, from, to taskflow.Status,
	note string, photos, docs []string, data map[string]any, now time.Time, out *TaskChange) error {
	if data == nil {
		data = map[string]any{}
	}
	var fromStatus *string
	if from != "" {
		f := string(from)
		fromStatus = &f
	}
	_, err := tx.Exec(ctx, `INSERT INTO task_events (task_id, action, from_status, to_status, actor, note, photos, documents, data, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, id, action, fromStatus, to, by.Actor, note,
		nonNil(photos), nonNil(docs), data, now)
	if err != nil {
		return err
	}
	err = tx.QueryRow(ctx, `SELECT version, status, task_feature(t) FROM tasks t WHERE id = $1`, id).
		Scan(&out.Version, &out.Status, &out.Feature)
	if err != nil {
		return err
	}
	out.ID = id
	out.Seq, err = AppendUpserts(ctx, tx, "tasks", []int64{id})
	return err
}

// TaskAction is one step on one task.
type TaskAction struct {
	TaskID    int64
	Action    taskflow.Action
	Note      string
	Photos    []string // uploaded photo ids
	Documents []string // uploaded document ids
	// Assign's changes; empty keeps what the task has.
	Unit, Owner, OwnerPhone string
	DueAt                   time.Time
	IfMatch                 []int
}

type lockedTask struct {
	status  taskflow.Status
	version int
	unit    string
	area    *string
	photos  []string
	docs    []string
}

func lockTask(ctx context.Context, tx pgx.Tx, by TaskActor, id int64, ifMatch []int) (lockedTask, error) {
	var lt lockedTask
	err := tx.QueryRow(ctx, `SELECT status, version, unit, area_code, photos, documents FROM tasks WHERE id = $1 FOR UPDATE`, id).
		Scan(&lt.status, &lt.version, &lt.unit, &lt.area, &lt.photos, &lt.docs)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return lt, ErrTaskNotFound
	case err != nil:
		return lt, err
	case !by.covers(lt.unit, lt.area):
		return lt, ErrTaskOutOfScope
	case len(ifMatch) > 0 && !slices.Contains(ifMatch, lt.version):
		return lt, &TaskVersionError{Current: lt.version}
	}
	return lt, nil
}

// ApplyTaskAction takes a step for actor at time now: the task, its event and
// its change in one transaction. Errors: ErrTaskNotFound, ErrTaskOutOfScope,
// *TaskVersionError, *taskflow.NotAllowedError and *invalid.Error. The role
// check is the caller's (taskflow.RoleMay).
func (s *Store) ApplyTaskAction(ctx context.Context, by TaskActor, a TaskAction, now time.Time) (TaskChange, error) {
	var out TaskChange
	if err := checkTaskStep(a); err != nil {
		return out, err
	}
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		lt, err := lockTask(ctx, tx, by, a.TaskID, a.IfMatch)
		if err != nil {
			return err
		}
		next, err := taskflow.Next(lt.status, a.Action)
		if err != nil {
			return err
		}
		if err := checkTaskEvidence(ctx, tx, by, a); err != nil {
			return err
		}
		data, err := assignData(ctx, tx, a, now)
		if err != nil {
			return err
		}
		photos, docs := newPhotos(lt.photos, a.Photos), newPhotos(lt.docs, a.Documents)
		if len(lt.photos)+len(photos) > MaxIssuePhotos*2 || len(lt.docs)+len(docs) > MaxTaskDocuments {
			return invalid.Field("documents", "too_many", "a task has at most %d photos and %d documents", MaxIssuePhotos*2, MaxTaskDocuments)
		}
		var due *time.Time
		if !a.DueAt.IsZero() {
			due = &a.DueAt
		}
		_, err = tx.Exec(ctx, `UPDATE tasks SET status = $2, version = version + 1, updated_at = $3,
				photos = photos || $4::text[], documents = documents || $5::text[],
				unit = coalesce(nullif($6, ''), unit), owner = coalesce(nullif($7, ''), owner),
				owner_phone = coalesce(nullif($8, ''), owner_phone), due_at = coalesce($9, due_at),
				submitted_at = CASE WHEN $2 = 'submitted' THEN $3 ELSE submitted_at END,
				done_at = CASE WHEN $2 = 'done' THEN $3 ELSE done_at END
			WHERE id = $1`, a.TaskID, next, now, photos, docs, a.Unit, a.Owner, a.OwnerPhone, due)
		if err != nil {
			return err
		}
		return finishTaskWrite(ctx, tx, by, a.TaskID, string(a.Action), lt.status, next, a.Note, photos, docs, data, now, &out)
	})
	return out, err
}

// checkTaskStep verifies a step's input without the database.
func checkTaskStep(a TaskAction) error {
	if err := checkIssueText("note", a.Note, MaxIssueNote); err != nil {
		return err
	}
	if err := checkIssuePhotoIDs(a.Photos); err != nil {
		return err
	}
	if len(a.Documents) > MaxTaskDocuments {
		return invalid.Field("documents", "too_many", "at most %d documents per step", MaxTaskDocuments)
	}
	for i, d := range a.Documents {
		if !ValidPhotoID(d) {
			return invalid.Field(fmt.Sprintf("documents[%d]", i), "invalid", "a document id is the hex SHA-256 returned by the upload")
		}
	}
	assigning := a.Unit != "" || a.Owner != "" || a.OwnerPhone != "" || !a.DueAt.IsZero()
	switch {
	case assigning && a.Action != taskflow.Assign:
		return invalid.Field("action", "not_applicable", "unit, owner, owner_phone and due_at go with assign only")
	case a.Action == taskflow.Assign && !assigning:
		return invalid.Field("unit", "required", "assign needs a unit, owner, owner_phone or due_at")
	case a.Action == taskflow.Return && strings.TrimSpace(a.Note) == "":
		return invalid.Field("note", "required", "a returned task says why in its note")
	case a.Action == taskflow.Progress && strings.TrimSpace(a.Note) == "" && len(a.Photos)+len(a.Documents) == 0:
		return invalid.Field("note", "required", "progress needs a note, photos or documents")
	}
	return nil
}

// checkTaskEvidence verifies that the photos and documents were uploaded.
func checkTaskEvidence(ctx context.Context, tx pgx.Tx, by TaskActor, a TaskAction) error {
	if err := checkIssueRefs(ctx, tx, IssueActor{Actor: by.Actor, Scope: by.Scope, Unit: by.Unit}, "", a.Photos); err != nil {
		return err
	}
	i, err := firstMissing(ctx, tx, a.Documents, `SELECT 1 FROM documents WHERE id = $1`)
	if err == nil && i >= 0 {
		err = invalid.Field(fmt.Sprintf("documents[%d]", i), "unknown_document", "no document has the id %s: upload it first", a.Documents[i])
	}
	return err
}

// assignData checks an assign's unit and due date and returns what its event
// records.
func assignData(ctx context.Context, tx pgx.Tx, a TaskAction, now time.Time) (map[string]any, error) {
	if a.Action != taskflow.Assign {
		return nil, nil
	}
	data := map[string]any{}
	if a.Unit != "" {
		known := false
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM units WHERE code = $1)`, a.Unit).Scan(&known); err != nil {
			return nil, err
		}
		if !known {
			return nil, invalid.Field("unit", "unknown_unit", "unknown unit %q (see /api/v1/units)", a.Unit)
		}
		data["unit"] = a.Unit
	}
	if !a.DueAt.IsZero() {
		if a.DueAt.Before(now) {
			return nil, invalid.Field("due_at", "in_past", "due_at lies in the past")
		}
		data["due_at"] = a.DueAt
	}
	if a.Owner != "" {
		data["owner"] = a.Owner
	}
	return data, nil
}

// TaskDoc is one task with its history.
type TaskDoc struct {
	Unit string
	Area *string
	// Doc is the task's Feature with an "events" member.
	Doc json.RawMessage
}

// TaskByID returns a task with its events, or ErrTaskNotFound.
func (s *Store) TaskByID(ctx context.Context, id int64) (TaskDoc, error) {
	var d TaskDoc
	err := s.Pool.QueryRow(ctx, `SELECT t.unit, t.area_code, task_feature(t) || jsonb_build_object('events',
			(SELECT coalesce(jsonb_agg(jsonb_build_object('action', e.action, 'from', e.from_status, 'to', e.to_status,
				'actor', e.actor, 'note', e.note, 'photos', e.photos, 'documents', e.documents, 'data', e.data,
				'at', e.at) ORDER BY e.at, e.id), '[]') FROM task_events e WHERE e.task_id = t.id))
		FROM tasks t WHERE t.id = $1`, id).Scan(&d.Unit, &d.Area, &d.Doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, ErrTaskNotFound
	}
	return d, err
}

// TaskFilter selects tasks, soonest due first.
type TaskFilter struct {
	Unit      string // the unit's tasks (a unit token's own, forced)
	Statuses  []string
	Campaign  int64
	Indicator string
	Area      string // an area code: the tasks whose place lies in it
	Overdue   bool   // only tasks past due and not done at Now
	Now       time.Time
	Scope     []string
	Limit     int
}

// taskWhere is the condition of f on tasks t, with its arguments in q; now
// names f.Now among them.
func taskWhere(q *issueQuery, f TaskFilter) (where, now string) {
	if f.Unit != "" {
		q.add("t.unit = %s", f.Unit)
	}
	if len(f.Statuses) > 0 {
		q.add("t.status = ANY(%s)", f.Statuses)
	}
	if f.Campaign != 0 {
		q.add("t.campaign_id = %s", f.Campaign)
	}
	if f.Indicator != "" {
		q.add("starts_with(t.indicator_code, %s)", f.Indicator)
	}
	if f.Area != "" {
		q.add("starts_with(t.area_code, %s)", f.Area)
	}
	now = q.arg(f.Now)
	if f.Overdue {
		q.where = append(q.where, "task_is_overdue(t, "+now+")")
	}
	if len(f.Scope) > 0 {
		q.where = append(q.where, inScope("t.area_code", f.Scope, q.arg))
	}
	where = "true"
	if len(q.where) > 0 {
		where = strings.Join(q.where, " AND ")
	}
	return where, now
}

func (f TaskFilter) limit() int {
	if f.Limit <= 0 {
		return DefaultTaskLimit
	}
	return min(f.Limit, MaxTaskLimit)
}

// ListTasks returns the tasks that match f as a GeoJSON FeatureCollection with
// the number matched ("total") and how many of those are overdue.
func (s *Store) ListTasks(ctx context.Context, f TaskFilter) (json.RawMessage, error) {
	q := &issueQuery{}
	where, now := taskWhere(q, f)
	var out json.RawMessage
	err := s.reads(ctx).QueryRow(ctx, fmt.Sprintf(`WITH m AS (SELECT t.* FROM tasks t WHERE %[1]s),
			page AS (SELECT * FROM m t ORDER BY t.due_at, t.id LIMIT %[2]d)
		SELECT jsonb_build_object('type', 'FeatureCollection',
			'total', (SELECT count(*) FROM m),
			'overdue', (SELECT count(*) FROM m t WHERE task_is_overdue(t, %[3]s)),
			'features', (SELECT coalesce(jsonb_agg(task_feature(t) ORDER BY t.due_at, t.id), '[]') FROM page t))`,
		where, f.limit(), now), q.args...).Scan(&out)
	return out, err
}

// TaskTable is the task list as a table (the 任务清单 a unit prints): one row
// per task that matches f, soonest due first.
func (s *Store) TaskTable(ctx context.Context, f TaskFilter) (*table.Table, error) {
	q := &issueQuery{}
	where, now := taskWhere(q, f)
	return s.queryTable(ctx, fmt.Sprintf(`SELECT t.id, t.title, t.status, task_is_overdue(t, %[3]s) AS overdue,
			t.unit, u.name AS unit_name, t.owner, t.owner_phone, t.due_at, t.indicator_code AS indicator,
			i.name AS indicator_name, c.name AS campaign, array_to_string(t.point_codes, '、') AS points,
			t.area_code AS area, t.created_at, t.submitted_at, t.done_at
		FROM tasks t JOIN units u ON u.code = t.unit
		LEFT JOIN indicators i ON i.code = t.indicator_code LEFT JOIN campaigns c ON c.id = t.campaign_id
		WHERE %[1]s ORDER BY t.due_at, t.id LIMIT %[2]d`, where, f.limit(), now), q.args...)
}

// SpawnOverdueTasks applies the indicators' task rules at time now: every
// inspection finding whose indicator has task_days, whose case is overdue
// (open, not suspended, past its deadline as extended) and has a unit, and that has no task yet, becomes a task
// for the case's unit due task_days later. It returns the tasks created.
func (s *Store) SpawnOverdueTasks(ctx context.Context, now time.Time) ([]int64, error) {
	var ids []int64
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `INSERT INTO tasks (title, description, indicator_code, unit, point_codes, geom,
				area_code, due_at, issue_id, created_by, created_at, updated_at)
			SELECT left('逾期未整改：' || ind.name || '（' || p.name || '）', 200), i.description, ind.code, i.unit,
				ARRAY[p.code], ST_PointOnSurface(p.geom), p.grid_code, $1::timestamptz + make_interval(days => ind.task_days),
				i.id, 'system:task_rule', $1, $1
			FROM issues i
			JOIN inspections n ON n.id = i.inspection_id
			CROSS JOIN LATERAL jsonb_array_elements(n.deductions) d
			JOIN indicators ind ON ind.code = d->>'indicator_code'
			JOIN points p ON p.id = i.point_id
			WHERE issue_overdue(i, $1) AND i.unit IS NOT NULL
				AND (d->>'issue')::bigint = i.id AND ind.task_days IS NOT NULL
				AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.issue_id = i.id)
			ORDER BY i.id
			ON CONFLICT (issue_id) DO NOTHING
			RETURNING id`, now)
		if err != nil {
			return err
		}
		if ids, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		_, err = tx.Exec(ctx, `INSERT INTO task_events (task_id, action, to_status, actor, note, data, at)
			SELECT t.id, 'create', 'open', 'system:task_rule', '案卷逾期未整改，按指标规则转为任务',
				jsonb_build_object('issue_id', t.issue_id, 'unit', t.unit, 'due_at', t.due_at), $2
			FROM tasks t WHERE t.id = ANY($1)`, ids, now)
		if err != nil {
			return err
		}
		_, err = AppendUpserts(ctx, tx, "tasks", ids)
		return err
	})
	return ids, err
}
