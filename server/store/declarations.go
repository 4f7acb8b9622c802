package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"citymap/invalid"
	"citymap/server/declflow"
	"citymap/server/table"
)

// Limits of declarations.
const (
	MaxDeclarationText      = 4000
	MaxDeclarationCaption   = 200
	MaxDeclarationMaterials = 50
	DefaultDeclarationLimit = 200
	MaxDeclarationLimit     = 2000
)

// Errors of declaration operations.
var (
	ErrDeclarationNotFound = errors.New("no such declaration")
	ErrMaterialNotFound    = errors.New("no such material on the declaration")
	// ErrDeclarationOutOfScope says the declaration is another unit's (or the
	// caller is limited to areas, where no declaration lies).
	ErrDeclarationOutOfScope = errors.New("the declaration is not the caller's unit's")
)

// DeclarationPeriodPattern is what a period label looks like: 2026-11, 2026-Q4.
var DeclarationPeriodPattern = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4])$`)

// DeclarationActor is who works on declarations: Role decides the steps it may
// take (declflow), Unit limits it to one unit's declarations, Scope (areas)
// to none.
type DeclarationActor struct {
	Actor string
	Role  string
	Unit  string
	Scope []string
}

func (by DeclarationActor) viewer() Viewer {
	return Viewer{Scope: by.Scope, Unit: by.Unit, Actor: by.Actor}
}

func (by DeclarationActor) covers(unit string) bool {
	return len(by.Scope) == 0 && (by.Unit == "" || by.Unit == unit)
}

// declarationSQL is the condition that the viewer may see the declaration of
// alias d: a unit its own unit's, a city-wide viewer all. Declarations lie
// nowhere on the map, so a viewer limited to areas and reporters see none.
func (v Viewer) declarationSQL(d string, arg func(any) string) string {
	switch {
	case v.Reporter, len(v.Scope) > 0:
		return "false"
	case v.Unit != "":
		return fmt.Sprintf("%s.unit = %s", d, arg(v.Unit))
	}
	return "true"
}

// DeclarationVersionError says the client's If-Match no longer matches.
type DeclarationVersionError struct{ Current int }

func (e *DeclarationVersionError) Error() string {
	return fmt.Sprintf("the declaration has changed: it is at version %d", e.Current)
}

// DeclarationStateError says materials cannot change in the declaration's
// status (it is with a reviewer, or accepted).
type DeclarationStateError struct{ Status declflow.Status }

func (e *DeclarationStateError) Error() string {
	return fmt.Sprintf("materials can change only while the declaration is a draft or returned; it is %s", e.Status)
}

// DeclarationChange is a declaration after a write: its document (as
// DeclarationByID answers it) and version.
type DeclarationChange struct {
	ID       int64
	Version  int
	Doc      json.RawMessage
	Material int64 // the material attached, for attach
}

// OpenDeclarations creates, at time now, the declarations owed for the
// current period and every period that began within the year before it, for
// every declaration indicator without sub-indicators that has a lead unit,
// and records them on the changes feed. It is idempotent: the declarations
// that exist stay as they are. It returns the ids created.
func (s *Store) OpenDeclarations(ctx context.Context, now time.Time) ([]int64, error) {
	var ids []int64
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		if ids, err = OpenDeclarationsTx(ctx, tx, now); err != nil || len(ids) == 0 {
			return err
		}
		_, err = AppendUpserts(ctx, tx, "declarations", ids)
		return err
	})
	return ids, err
}

// OpenDeclarationsTx is OpenDeclarations inside tx without the changes feed
// (the demo city's seeder writes no feed).
func OpenDeclarationsTx(ctx context.Context, tx pgx.Tx, now time.Time) ([]int64, error) {
	rows, err := tx.Query(ctx, `WITH ind AS (
			SELECT i.code, i.lead_unit, i.declare_every, i.declare_due_days,
				CASE i.declare_every WHEN 'month' THEN interval '1 month' ELSE interval '3 months' END AS step
			FROM indicators i
			WHERE i.kind = 'declaration' AND i.lead_unit IS NOT NULL
				AND NOT EXISTS (SELECT 1 FROM indicators c WHERE c.parent_code = i.code)),
		local AS (SELECT ($1::timestamptz AT TIME ZONE 'Asia/Shanghai') AS t),
		per AS (
			SELECT ind.*, s::date AS start, (s + ind.step)::date AS next,
				CASE ind.declare_every WHEN 'month' THEN to_char(s, 'YYYY-MM') ELSE to_char(s, 'YYYY-"Q"Q') END AS label
			FROM ind, local, generate_series(
				date_trunc(ind.declare_every, local.t - interval '1 year') + CASE WHEN ind.declare_every = 'month'
					THEN interval '1 month' ELSE interval '3 months' END,
				date_trunc(ind.declare_every, local.t), ind.step) s),
		ins AS (
			INSERT INTO declarations (indicator_code, unit, period, period_start, period_end, due_at,
				created_at, updated_at, checked_at)
			SELECT code, lead_unit, label, start, next - 1, ((next + declare_due_days)::timestamp AT TIME ZONE 'Asia/Shanghai'), $1, $1, $1
			FROM per
			-- the ones there are skipped before they take an id; the conflict
			-- clause is for another instance opening the same at once
			WHERE NOT EXISTS (SELECT 1 FROM declarations x WHERE x.indicator_code = per.code
				AND x.unit = per.lead_unit AND x.period = per.label)
			ORDER BY start, code
			ON CONFLICT ON CONSTRAINT declarations_once DO NOTHING
			RETURNING id)
		SELECT id FROM ins ORDER BY id`, now)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(ids) == 0 {
		return ids, err
	}
	_, err = tx.Exec(ctx, `UPDATE declarations d SET reminder = declaration_reminder(d, $2) WHERE id = ANY($1)`, ids, now)
	if err != nil {
		return nil, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO declaration_events (declaration_id, action, to_status, actor, note, at)
		SELECT id, 'open', 'draft', 'system:declarations', '按测评体系生成申报任务', $2 FROM unnest($1::bigint[]) id`, ids, now)
	return ids, err
}

// RemindDeclarations writes, at time now, a change of every declaration not
// yet accepted that crossed into a reminder threshold (due within 7 days,
// within 3 days, overdue) since it was last judged, so that live pages learn
// it; each threshold once. Thresholds only move forward, so instances whose
// clocks differ a little do not take turns undoing each other, and the row
// locks of the update keep two instances from announcing one crossing twice.
// It returns the declarations announced.
func (s *Store) RemindDeclarations(ctx context.Context, now time.Time) ([]int64, error) {
	var ids []int64
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE declarations d SET reminder = declaration_reminder(d, $1), checked_at = $1
			WHERE d.status <> 'accepted' AND d.due_at <= $1::timestamptz + interval '7 days'
				AND coalesce(array_position(ARRAY['due_7d', 'due_3d', 'overdue'], declaration_reminder(d, $1)), 0)
					> coalesce(array_position(ARRAY['due_7d', 'due_3d', 'overdue'], d.reminder), 0)
			RETURNING d.id`, now)
		if err != nil {
			return err
		}
		if ids, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil || len(ids) == 0 {
			return err
		}
		slices.Sort(ids)
		_, err = AppendUpserts(ctx, tx, "declarations", ids)
		return err
	})
	return ids, err
}

// declarationDocSQL builds the document of declaration d at instant $at: the
// list item with its events and current materials.
const declarationDocSQL = `declaration_item(d, %[1]s) || jsonb_build_object(
	'events', (SELECT coalesce(jsonb_agg(jsonb_build_object('action', e.action, 'from', e.from_status,
			'to', e.to_status, 'actor', e.actor, 'note', e.note, 'material', e.material_id, 'at', e.at)
			ORDER BY e.at, e.id), '[]') FROM declaration_events e WHERE e.declaration_id = d.id),
	'materials', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', m.id, 'kind', m.kind, 'text', m.text,
			'caption', m.caption, 'document', m.document_id, 'photo', m.photo_id,
			'content_type', coalesce(doc.content_type, ph.content_type), 'size', coalesce(doc.size, ph.size),
			'filename', doc.filename,
			'url', CASE WHEN m.document_id IS NOT NULL THEN '/api/v1/documents/' || m.document_id
				WHEN m.photo_id IS NOT NULL THEN '/api/v1/photos/' || m.photo_id END,
			'inline_url', CASE WHEN m.photo_id IS NOT NULL THEN '/api/v1/photos/' || m.photo_id
				WHEN doc.content_type IN ('application/pdf', 'image/jpeg', 'image/png', 'image/webp')
				THEN '/api/v1/documents/' || m.document_id || '?inline=1' END,
			'attached_by', m.attached_by, 'attached_at', m.attached_at) ORDER BY m.attached_at, m.id), '[]')
		FROM declaration_materials m
		LEFT JOIN documents doc ON doc.id = m.document_id
		LEFT JOIN photos ph ON ph.id = m.photo_id
		WHERE m.declaration_id = d.id AND m.detached_at IS NULL))`

// DeclarationByID returns the declaration with its events and materials,
// judged at now, if v may see it: ErrDeclarationNotFound when there is none,
// ErrDeclarationOutOfScope when it is another unit's.
func (s *Store) DeclarationByID(ctx context.Context, id int64, v Viewer, now time.Time) (json.RawMessage, int, error) {
	return declarationDoc(ctx, s.Pool, id, v, now)
}

func declarationDoc(ctx context.Context, q Querier, id int64, v Viewer, now time.Time) (json.RawMessage, int, error) {
	iq := &issueQuery{}
	idArg, at := iq.arg(id), iq.arg(now)
	var doc json.RawMessage
	var version int
	var visible bool
	err := q.QueryRow(ctx, fmt.Sprintf(`SELECT %s, d.version, %s FROM declarations d WHERE d.id = %s`,
		fmt.Sprintf(declarationDocSQL, at), v.declarationSQL("d", iq.arg), idArg), iq.args...).Scan(&doc, &version, &visible)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, 0, ErrDeclarationNotFound
	case err != nil:
		return nil, 0, err
	case !visible:
		return nil, 0, ErrDeclarationOutOfScope
	}
	return doc, version, nil
}

// DeclarationFilter selects declarations, soonest due first.
type DeclarationFilter struct {
	Unit      string // a unit's (a unit token's own, forced)
	Indicator string // an indicator code and everything under it
	Period    string // a period label
	Statuses  []string
	// Due: "7d" not yet accepted and due within 7 days (not past), "3d"
	// within 3 days, "overdue" past due
	Due    string
	Now    time.Time
	Viewer Viewer
	Limit  int
}

func (f DeclarationFilter) where(q *issueQuery) (where, now string) {
	now = q.arg(f.Now)
	conds := []string{f.Viewer.declarationSQL("d", q.arg)}
	if f.Unit != "" {
		conds = append(conds, "d.unit = "+q.arg(f.Unit))
	}
	if f.Indicator != "" {
		conds = append(conds, "starts_with(d.indicator_code, "+q.arg(f.Indicator)+")")
	}
	if f.Period != "" {
		conds = append(conds, "d.period = "+q.arg(f.Period))
	}
	if len(f.Statuses) > 0 {
		conds = append(conds, "d.status = ANY("+q.arg(f.Statuses)+")")
	}
	switch f.Due {
	case "7d", "3d":
		days := map[string]string{"7d": "7 days", "3d": "3 days"}[f.Due]
		conds = append(conds, fmt.Sprintf("d.status <> 'accepted' AND d.due_at > %[1]s AND d.due_at <= %[1]s::timestamptz + interval '%[2]s'", now, days))
	case "overdue":
		conds = append(conds, fmt.Sprintf("d.status <> 'accepted' AND d.due_at <= %s", now))
	}
	return strings.Join(conds, " AND "), now
}

func (f DeclarationFilter) limit() int {
	if f.Limit <= 0 {
		return DefaultDeclarationLimit
	}
	return min(f.Limit, MaxDeclarationLimit)
}

// ListDeclarations returns {"declarations": [...], "total": N}: the matching
// declarations by due date, judged at f.Now, and how many match.
func (s *Store) ListDeclarations(ctx context.Context, f DeclarationFilter) (json.RawMessage, error) {
	q := &issueQuery{}
	where, now := f.where(q)
	var out json.RawMessage
	err := s.reads(ctx).QueryRow(ctx, fmt.Sprintf(`WITH m AS (SELECT d.* FROM declarations d WHERE %[1]s),
			page AS (SELECT * FROM m d ORDER BY d.due_at, d.id LIMIT %[2]d)
		SELECT jsonb_build_object('total', (SELECT count(*) FROM m),
			'declarations', (SELECT coalesce(jsonb_agg(declaration_item(d, %[3]s) ORDER BY d.due_at, d.id), '[]') FROM page d))`,
		where, f.limit(), now), q.args...).Scan(&out)
	return out, err
}

// DeclarationTable is the list as a table for Excel.
func (s *Store) DeclarationTable(ctx context.Context, f DeclarationFilter) (*table.Table, error) {
	q := &issueQuery{}
	where, now := f.where(q)
	return s.queryTable(ctx, fmt.Sprintf(`SELECT d.id, d.indicator_code AS indicator, i.name AS indicator_name,
			d.unit, u.name AS unit_name, d.period, d.due_at, d.status, d.returned_by, d.times_returned,
			declaration_reminder(d, %[3]s) AS reminder, declaration_is_late(d, %[3]s) AS late,
			(SELECT count(*) FROM declaration_materials m WHERE m.declaration_id = d.id AND m.detached_at IS NULL) AS materials,
			d.submitted_at, d.approved_at, d.accepted_at
		FROM declarations d JOIN indicators i ON i.code = d.indicator_code JOIN units u ON u.code = d.unit
		WHERE %[1]s ORDER BY d.due_at, d.id LIMIT %[2]d`, where, f.limit(), now), q.args...)
}

type lockedDeclaration struct {
	status  declflow.Status
	version int
	unit    string
}

func lockDeclaration(ctx context.Context, tx pgx.Tx, by DeclarationActor, id int64, ifMatch []int) (lockedDeclaration, error) {
	var ld lockedDeclaration
	err := tx.QueryRow(ctx, `SELECT status, version, unit FROM declarations WHERE id = $1 FOR UPDATE`, id).
		Scan(&ld.status, &ld.version, &ld.unit)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return ld, ErrDeclarationNotFound
	case err != nil:
		return ld, err
	case !by.covers(ld.unit):
		return ld, ErrDeclarationOutOfScope
	case len(ifMatch) > 0 && !slices.Contains(ifMatch, ld.version):
		return ld, &DeclarationVersionError{Current: ld.version}
	}
	return ld, nil
}

// finishDeclarationWrite records an event, bumps the version, judges the
// reminder at now and, last, writes the change; out gets the document.
func finishDeclarationWrite(ctx context.Context, tx pgx.Tx, by DeclarationActor, id int64, action string,
	from, to declflow.Status, note string, material *int64, now time.Time, out *DeclarationChange) error {
	_, err := tx.Exec(ctx, `INSERT INTO declaration_events (declaration_id, action, from_status, to_status, actor, note, material_id, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, action, from, to, by.Actor, note, material, now)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE declarations d SET version = version + 1, updated_at = $2, checked_at = $2,
			reminder = declaration_reminder(d, $2) WHERE id = $1`, id, now)
	if err != nil {
		return err
	}
	out.ID = id
	if out.Doc, out.Version, err = declarationDoc(ctx, tx, id, Viewer{}, now); err != nil {
		return err
	}
	_, err = AppendUpserts(ctx, tx, "declarations", []int64{id})
	return err
}

// NewMaterial is what a unit attaches to a declaration.
type NewMaterial struct {
	Kind     string // text, photo, document
	Text     string
	Document string // an uploaded document's id
	Photo    string // an uploaded photo's id
	Caption  string
	IfMatch  []int
}

// check verifies what needs no database.
func (m *NewMaterial) check() error {
	m.Text, m.Caption = strings.TrimSpace(m.Text), strings.TrimSpace(m.Caption)
	if err := checkIssueText("text", m.Text, MaxDeclarationText); err != nil {
		return err
	}
	if err := checkIssueText("caption", m.Caption, MaxDeclarationCaption); err != nil {
		return err
	}
	switch m.Kind {
	case "":
		return invalid.Field("kind", "required", "kind (text, photo or document) is required")
	case "text":
		if m.Text == "" {
			return invalid.Field("text", "required", "a text material has text")
		}
		if m.Document != "" || m.Photo != "" {
			return invalid.Field("kind", "not_applicable", "a text material names no document or photo")
		}
	case "document":
		if !ValidPhotoID(m.Document) {
			return invalid.Field("document", "invalid", "document is the id POST /api/v1/documents answered")
		}
		if m.Photo != "" || m.Text != "" {
			return invalid.Field("kind", "not_applicable", "a document material names its document only (and a caption)")
		}
	case "photo":
		if !ValidPhotoID(m.Photo) {
			return invalid.Field("photo", "invalid", "photo is the id POST /api/v1/photos answered")
		}
		if m.Document != "" || m.Text != "" {
			return invalid.Field("kind", "not_applicable", "a photo material names its photo only (and a caption)")
		}
	default:
		return invalid.Field("kind", "invalid", "kind is text, photo or document, not %q", m.Kind)
	}
	return nil
}

// AttachMaterial adds a material to a declaration the unit holds (a draft or
// returned). The document or photo must be one the caller may see. Errors:
// ErrDeclarationNotFound, ErrDeclarationOutOfScope, *DeclarationVersionError,
// *DeclarationStateError, *invalid.Error.
func (s *Store) AttachMaterial(ctx context.Context, by DeclarationActor, id int64, m NewMaterial, now time.Time) (DeclarationChange, error) {
	var out DeclarationChange
	if err := m.check(); err != nil {
		return out, err
	}
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		ld, err := lockDeclaration(ctx, tx, by, id, m.IfMatch)
		if err != nil {
			return err
		}
		if !declflow.Editable(ld.status) {
			return &DeclarationStateError{Status: ld.status}
		}
		if err := checkMaterialRef(ctx, tx, by, m); err != nil {
			return err
		}
		var count int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM declaration_materials WHERE declaration_id = $1
			AND detached_at IS NULL`, id).Scan(&count); err != nil {
			return err
		}
		if count >= MaxDeclarationMaterials {
			return invalid.Field("kind", "too_many", "a declaration has at most %d materials", MaxDeclarationMaterials)
		}
		err = tx.QueryRow(ctx, `INSERT INTO declaration_materials (declaration_id, kind, text, document_id, photo_id,
				caption, attached_by, attached_at)
			VALUES ($1, $2, $3, nullif($4, ''), nullif($5, ''), $6, $7, $8) RETURNING id`,
			id, m.Kind, m.Text, m.Document, m.Photo, m.Caption, by.Actor, now).Scan(&out.Material)
		if err != nil {
			return err
		}
		return finishDeclarationWrite(ctx, tx, by, id, "attach", ld.status, ld.status, m.Caption, &out.Material, now, &out)
	})
	return out, err
}

// checkMaterialRef verifies that the material's document or photo exists and
// that the caller may see it: one it could not read is as unknown as one
// never uploaded.
func checkMaterialRef(ctx context.Context, tx pgx.Tx, by DeclarationActor, m NewMaterial) error {
	v := by.viewer()
	q := &issueQuery{}
	var sql, field, what, id string
	switch m.Kind {
	case "document":
		field, what, id = "document", "document", m.Document
		sql = `SELECT EXISTS (SELECT 1 FROM documents d WHERE d.id = ` + q.arg(id) + ` AND ` + v.documentSQL("d", q.arg) + `)`
	case "photo":
		field, what, id = "photo", "photo", m.Photo
		idArg := q.arg(id)
		sql = `SELECT EXISTS (SELECT 1 FROM photos WHERE id = ` + idArg + ` AND ` + v.photoSQL(idArg, q.arg) + `)`
	default:
		return nil
	}
	var ok bool
	if err := tx.QueryRow(ctx, sql, q.args...).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return invalid.Field(field, "unknown_"+what, "no %s you may read has the id %s: upload it first", what, id)
	}
	return nil
}

// DetachMaterial takes a material off a declaration the unit holds; the
// material stays in the history, marked detached.
func (s *Store) DetachMaterial(ctx context.Context, by DeclarationActor, id, material int64, ifMatch []int, now time.Time) (DeclarationChange, error) {
	var out DeclarationChange
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		ld, err := lockDeclaration(ctx, tx, by, id, ifMatch)
		if err != nil {
			return err
		}
		if !declflow.Editable(ld.status) {
			return &DeclarationStateError{Status: ld.status}
		}
		var caption string
		err = tx.QueryRow(ctx, `UPDATE declaration_materials SET detached_by = $3, detached_at = $4
			WHERE id = $2 AND declaration_id = $1 AND detached_at IS NULL RETURNING caption`,
			id, material, by.Actor, now).Scan(&caption)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrMaterialNotFound
		}
		if err != nil {
			return err
		}
		return finishDeclarationWrite(ctx, tx, by, id, "detach", ld.status, ld.status, caption, &material, now, &out)
	})
	return out, err
}

// DeclarationStep is one review step.
type DeclarationStep struct {
	Action  declflow.Action
	Note    string
	Text    string // submit: the unit's statement (empty keeps it)
	IfMatch []int
}

// ApplyDeclarationStep takes a review step for by at time now. Errors:
// ErrDeclarationNotFound, ErrDeclarationOutOfScope, *DeclarationVersionError,
// *declflow.NotAllowedError, *invalid.Error (Unprocessable when the step
// lacks what it needs: a return's note, a submission's materials).
func (s *Store) ApplyDeclarationStep(ctx context.Context, by DeclarationActor, id int64, st DeclarationStep, now time.Time) (DeclarationChange, error) {
	var out DeclarationChange
	st.Note, st.Text = strings.TrimSpace(st.Note), strings.TrimSpace(st.Text)
	if err := checkIssueText("note", st.Note, MaxIssueNote); err != nil {
		return out, err
	}
	if err := checkIssueText("text", st.Text, MaxDeclarationText); err != nil {
		return out, err
	}
	if st.Text != "" && st.Action != declflow.Submit {
		return out, invalid.Field("text", "not_applicable", "text (the unit's statement) goes with submit only")
	}
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		ld, err := lockDeclaration(ctx, tx, by, id, st.IfMatch)
		if err != nil {
			return err
		}
		next, returnedBy, err := declflow.Next(by.Role, ld.status, st.Action)
		if err != nil {
			return err
		}
		switch st.Action {
		case declflow.Return:
			if st.Note == "" {
				return &invalid.Error{Field: "note", Code: "required",
					Message: "a returned declaration says why in its note", Unprocessable: true}
			}
		case declflow.Submit:
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM declaration_materials WHERE declaration_id = $1
				AND detached_at IS NULL`, id).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return &invalid.Error{Field: "materials", Code: "no_materials",
					Message: "attach at least one material before submitting", Unprocessable: true}
			}
		}
		_, err = tx.Exec(ctx, `UPDATE declarations SET status = $2,
				returned_by = coalesce(nullif($3, ''), returned_by),
				times_returned = times_returned + CASE WHEN $2 = 'returned' THEN 1 ELSE 0 END,
				text = coalesce(nullif($4, ''), text),
				submitted_at = CASE WHEN $2 = 'submitted' THEN $5 ELSE submitted_at END,
				approved_at = CASE WHEN $2 = 'unit_approved' THEN $5 ELSE approved_at END,
				accepted_at = CASE WHEN $2 = 'accepted' THEN $5 ELSE accepted_at END
			WHERE id = $1`, id, next, returnedBy, st.Text, now)
		if err != nil {
			return err
		}
		return finishDeclarationWrite(ctx, tx, by, id, string(st.Action), ld.status, next, st.Note, nil, now, &out)
	})
	return out, err
}
