package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"citymap/invalid"
	"citymap/server/access"
	"citymap/server/table"
)

// Limits of an inspection's input.
const (
	MaxDeductions      = 50
	MaxIndicator       = 100 // characters
	MaxInspector       = 100
	MaxInspectionLimit = 1000
	// FutureSlack is how far ahead of the server's clock inspected_at may lie:
	// a tablet's clock runs a little fast, an inspection next week is a typo.
	FutureSlack = time.Minute
)

// NewInspection is a visit to a point (督查) as an inspector records it.
type NewInspection struct {
	Point       string    // the point's code
	InspectedAt time.Time // zero: now
	Inspector   string
	Deductions  []NewDeduction
	Photos      []string // uploaded photo ids; every issue opened gets them too
	Note        string
}

// NewDeduction is one indicator that lost points, and the case it opens.
type NewDeduction struct {
	// IndicatorCode names the catalogue's field indicator that lost points;
	// Indicator is its name (empty: the catalogue's).
	IndicatorCode string
	Indicator     string
	Points        float64 // in (0, 100], at most one decimal
	Note          string
	// Category is the issue category of the case the deduction opens.
	Category string
	// Description is the issue's; empty gives "督查扣分：indicator（note）".
	Description string
}

// Check verifies what can be verified without the database, at time now; the
// error is an *invalid.Error naming the field.
func (n *NewInspection) Check(now time.Time) error {
	switch {
	case n.Point == "":
		return invalid.Field("point", "required", "point (a point code) is required")
	case n.InspectedAt.After(now.Add(FutureSlack)):
		return invalid.Field("inspected_at", "in_future", "inspected_at lies in the future")
	case n.Inspector == "":
		return invalid.Field("inspector", "required", "inspector is required")
	case len(n.Deductions) > MaxDeductions:
		return invalid.Field("deductions", "too_many", "at most %d deductions per inspection", MaxDeductions)
	}
	for _, f := range []struct {
		name, value string
		max         int
	}{{"point", n.Point, 100}, {"inspector", n.Inspector, MaxInspector}, {"note", n.Note, MaxIssueNote}} {
		if err := checkIssueText(f.name, f.value, f.max); err != nil {
			return err
		}
	}
	for i := range n.Deductions {
		if err := n.Deductions[i].check(fmt.Sprintf("deductions[%d].", i)); err != nil {
			return err
		}
	}
	if err := checkIssuePhotoIDs(n.Photos); err != nil {
		return err
	}
	return nil
}

func (d *NewDeduction) check(prefix string) *invalid.Error {
	tenths := d.Points * 10
	switch {
	case d.IndicatorCode == "":
		return invalid.Field(prefix+"indicator_code", "required", "indicator_code (a field indicator of the catalogue, see /api/v1/points/{code}/checklist) is required")
	case !(d.Points > 0 && d.Points <= 100):
		return invalid.Field(prefix+"points", "out_of_range", "points lie in (0, 100]")
	case math.Abs(tenths-math.Round(tenths)) > 1e-6:
		return invalid.Field(prefix+"points", "invalid", "points have at most one decimal")
	case d.Category == "":
		return invalid.Field(prefix+"category", "required", "category (the issue category of the case it opens) is required")
	}
	for _, f := range []struct {
		name, value string
		max         int
	}{{"indicator_code", d.IndicatorCode, 40}, {"indicator", d.Indicator, MaxIndicator}, {"note", d.Note, MaxIssueNote},
		{"category", d.Category, 100}, {"description", d.Description, MaxIssueDescription}} {
		if err := checkIssueText(prefix+f.name, f.value, f.max); err != nil {
			return err
		}
	}
	return nil
}

// Score is 100 minus the deductions, never below 0. Points are summed in
// tenths, so that 0.1 + 0.2 deducts exactly 0.3.
func (n *NewInspection) Score() float64 {
	left := 1000
	for _, d := range n.Deductions {
		left -= int(math.Round(d.Points * 10))
	}
	return float64(max(left, 0)) / 10
}

// description is the text of the issue a deduction opens.
func (d *NewDeduction) description() string {
	switch {
	case d.Description != "":
		return d.Description
	case d.Note != "":
		return fmt.Sprintf("督查扣分：%s（%s）", d.Indicator, d.Note)
	}
	return "督查扣分：" + d.Indicator
}

// InspectionDoc is an inspection as the API shows it.
type InspectionDoc struct {
	ID     int64
	Grid   *string // the point's grid, for scope checks
	Issues []int64 // the issues its deductions opened
	// Doc is the inspection as a JSON object (inspectionJSON).
	Doc json.RawMessage
}

// inspectedPoint is what writing an inspection needs of its point.
type inspectedPoint struct {
	id       int64
	grid     *string
	category string
}

// CreateInspection records an inspection for actor and opens one issue per
// deduction at the point (source inspection, linked to the inspection and the
// point; grid, unit and deadline as intake assigns them), all in one
// transaction: the inspection, its issues, their report events and, last, their
// changes. Errors: *invalid.Error for bad input (an unknown point is one) and
// ErrIssueOutOfScope when the point's grid lies outside the actor's areas.
func (s *Store) CreateInspection(ctx context.Context, by IssueActor, n NewInspection) (InspectionDoc, error) {
	if err := n.Check(time.Now()); err != nil {
		return InspectionDoc{}, err
	}
	var out InspectionDoc
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		pt, err := pointForInspection(ctx, tx, by, n.Point)
		if err != nil {
			return err
		}
		if err := checkDeductionIndicators(ctx, tx, pt, n.Deductions); err != nil {
			return err
		}
		if err := checkDeductionRefs(ctx, tx, by, n); err != nil {
			return err
		}
		var ids []int64
		err = tx.QueryRow(ctx, `SELECT coalesce(array_agg(nextval('issues_id_seq')), '{}')
			FROM generate_series(1, $1)`, len(n.Deductions)).Scan(&ids)
		if err != nil {
			return err
		}
		id, err := insertInspection(ctx, tx, pt, n, ids)
		if err != nil {
			return err
		}
		if err := insertInspectionIssues(ctx, tx, by, pt, id, n, ids); err != nil {
			return err
		}
		if out, err = inspectionByID(ctx, tx, id); err != nil {
			return err
		}
		_, err = AppendUpserts(ctx, tx, "issues", ids)
		return err
	})
	return out, err
}

func pointForInspection(ctx context.Context, tx pgx.Tx, by IssueActor, code string) (inspectedPoint, error) {
	var pt inspectedPoint
	err := tx.QueryRow(ctx, `SELECT id, grid_code, category FROM points WHERE code = $1`, code).Scan(&pt.id, &pt.grid, &pt.category)
	if errors.Is(err, pgx.ErrNoRows) {
		return pt, invalid.Field("point", "unknown_point", "no point has the code %q", code)
	}
	if err == nil && !by.covers(pt.grid) {
		return pt, ErrIssueOutOfScope
	}
	return pt, err
}

// checkDeductionRefs verifies that the deductions' categories and the photos
// exist.
func checkDeductionRefs(ctx context.Context, tx pgx.Tx, by IssueActor, n NewInspection) error {
	cats := make([]string, len(n.Deductions))
	for i, d := range n.Deductions {
		cats[i] = d.Category
	}
	var missing []int
	err := tx.QueryRow(ctx, `SELECT ARRAY(SELECT (i - 1)::int FROM unnest($1::text[]) WITH ORDINALITY AS c(code, i)
		WHERE NOT EXISTS (SELECT 1 FROM issue_categories WHERE code = c.code) ORDER BY i)`, cats).Scan(&missing)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return invalid.Field(fmt.Sprintf("deductions[%d].category", missing[0]), "unknown_category",
			"unknown category %q (see /api/v1/categories)", cats[missing[0]])
	}
	return checkIssueRefs(ctx, tx, by, "", n.Photos)
}

// checkDeductionIndicators verifies each deduction against the catalogue: a
// field indicator checked at points of the point's category, deducting no more
// than its points. A deduction without a text of its own takes the
// indicator's name.
func checkDeductionIndicators(ctx context.Context, tx pgx.Tx, pt inspectedPoint, ds []NewDeduction) error {
	for i := range ds {
		d := &ds[i]
		field := fmt.Sprintf("deductions[%d].", i)
		var name, kind string
		var cats []string
		var maxPoints *float64
		var branch bool
		err := tx.QueryRow(ctx, `SELECT name, kind, point_categories, max_points::float8,
			EXISTS (SELECT 1 FROM indicators c WHERE c.parent_code = i.code) FROM indicators i WHERE code = $1`,
			d.IndicatorCode).Scan(&name, &kind, &cats, &maxPoints, &branch)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return invalid.Field(field+"indicator_code", "unknown_indicator", "no indicator has the code %q (see /api/v1/indicators)", d.IndicatorCode)
		case err != nil:
			return err
		case kind != KindField:
			return invalid.Field(field+"indicator_code", "not_field", "indicator %s is a %s indicator, not checked at points", d.IndicatorCode, kind)
		case !slices.Contains(cats, pt.category):
			return invalid.Field(field+"indicator_code", "not_applicable", "indicator %s is not checked at points of category %s (see the point's checklist)", d.IndicatorCode, pt.category)
		case branch || maxPoints == nil:
			return invalid.Field(field+"indicator_code", "not_leaf", "indicator %s has sub-indicators: deduct against one of them", d.IndicatorCode)
		case math.Round(d.Points*10) > math.Round(*maxPoints*10):
			return invalid.Field(field+"points", "over_max", "indicator %s is worth %g points: a deduction cannot exceed them", d.IndicatorCode, *maxPoints)
		}
		if d.Indicator == "" {
			d.Indicator = name
		}
	}
	return nil
}

// storedDeduction is a deduction as inspections.deductions keeps it, with the
// issue it opened.
type storedDeduction struct {
	IndicatorCode string  `json:"indicator_code,omitempty"`
	Indicator     string  `json:"indicator"`
	Points        float64 `json:"points"`
	Note          string  `json:"note"`
	Category      string  `json:"category"`
	Issue         int64   `json:"issue"`
}

func insertInspection(ctx context.Context, tx pgx.Tx, pt inspectedPoint, n NewInspection, ids []int64) (int64, error) {
	stored := make([]storedDeduction, len(n.Deductions))
	for i, d := range n.Deductions {
		stored[i] = storedDeduction{IndicatorCode: d.IndicatorCode, Indicator: d.Indicator, Points: math.Round(d.Points*10) / 10,
			Note: d.Note, Category: d.Category, Issue: ids[i]}
	}
	deductions, err := json.Marshal(stored)
	if err != nil {
		return 0, err
	}
	var at *time.Time
	if !n.InspectedAt.IsZero() {
		at = &n.InspectedAt
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO inspections (point_id, inspected_at, inspector, deductions, score, photos, note)
		VALUES ($1, coalesce($2, now()), $3, $4, $5, $6, $7) RETURNING id`,
		pt.id, at, n.Inspector, string(deductions), n.Score(), issueNonNil(n.Photos), n.Note).Scan(&id)
	return id, err
}

// inspectionIssueRows is the row source of insertIssuesSQL for the issues of an
// inspection: one per deduction ($4 ids, $5 categories, $6 descriptions) at the
// point $7 — on its surface when it is an area —, with the inspection's photos
// ($3).
const inspectionIssueRows = `(SELECT d.id, 'inspection'::text AS source, NULL::text AS external_id,
	d.category, d.description, pt.address, $3::text[] AS photos, ST_X(pt.at) AS lon, ST_Y(pt.at) AS lat
	FROM unnest($4::bigint[], $5::text[], $6::text[]) AS d(id, category, description)
	CROSS JOIN (SELECT address, ST_PointOnSurface(geom) AS at FROM points WHERE id = $7) pt) t`

// insertInspectionIssues opens the deductions' issues through intake's insert,
// links them to the inspection and the point and writes their report events.
func insertInspectionIssues(ctx context.Context, tx pgx.Tx, by IssueActor, pt inspectedPoint, inspection int64,
	n NewInspection, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	cats, descs := make([]string, len(ids)), make([]string, len(ids))
	data := make([]string, len(ids))
	for i, d := range n.Deductions {
		cats[i], descs[i] = d.Category, d.description()
		data[i] = eventData(map[string]any{"inspection_id": inspection, "indicator": d.Indicator,
			"indicator_code": d.IndicatorCode, "points": d.Points})
	}
	// the scope ($2) is open: the actor's scope was checked on the point, and
	// the point's own grid decides, even if its surface point falls just over a
	// grid line
	tag, err := tx.Exec(ctx, fmt.Sprintf(insertIssuesSQL, inspectionIssueRows, "id", access.SQL("g.code", "$2"),
		"SELECT unnest($5::text[])"),
		by.Reporter, []string{}, issueNonNil(n.Photos), ids, cats, descs, pt.id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != int64(len(ids)) {
		return fmt.Errorf("inspection issues: %d of %d inserted", tag.RowsAffected(), len(ids))
	}
	_, err = tx.Exec(ctx, `UPDATE issues SET inspection_id = $1, point_id = $2 WHERE id = ANY($3)`,
		inspection, pt.id, ids)
	if err != nil {
		return err
	}
	return insertReportEvents(ctx, tx, by.Actor, ids, data)
}

// inspectionJSON is an inspection n of point p as the API shows it.
const inspectionJSON = `jsonb_build_object('id', n.id, 'point', p.code, 'point_name', p.name,
	'category', p.category, 'grid', p.grid_code, 'unit', p.unit, 'inspected_at', n.inspected_at,
	'inspector', n.inspector, 'score', n.score, 'deductions', n.deductions, 'photos', to_jsonb(n.photos),
	'note', n.note, 'created_at', n.created_at, 'issues', x.issues)`

// inspectionIssues lists the issues of inspection n (as x.issues); the partial
// index issues_inspection_idx makes it a lookup.
const inspectionIssues = `CROSS JOIN LATERAL (SELECT coalesce(jsonb_agg(i.id ORDER BY i.id), '[]') AS issues
	FROM issues i WHERE i.inspection_id = n.id) x`

// InspectionByID returns inspection id, or ErrInspectionNotFound.
func (s *Store) InspectionByID(ctx context.Context, id int64) (InspectionDoc, error) {
	return inspectionByID(ctx, s.Pool, id)
}

// ErrInspectionNotFound says no inspection has the id asked for.
var ErrInspectionNotFound = errors.New("no such inspection")

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func inspectionByID(ctx context.Context, q querier, id int64) (InspectionDoc, error) {
	d := InspectionDoc{ID: id}
	var issues json.RawMessage
	err := q.QueryRow(ctx, `SELECT p.grid_code, x.issues, `+inspectionJSON+`
		FROM inspections n JOIN points p ON p.id = n.point_id `+inspectionIssues+`
		WHERE n.id = $1`, id).Scan(&d.Grid, &issues, &d.Doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, ErrInspectionNotFound
	}
	if err != nil {
		return d, err
	}
	return d, json.Unmarshal(issues, &d.Issues)
}

// InspectionFilter selects inspections, the latest first.
type InspectionFilter struct {
	Point    string // a point code
	Area     string // an area code: the points whose grid it prefixes
	From, To time.Time
	Scope    []string
	Limit    int    // 0: DefaultIssueLimit; at most MaxInspectionLimit
	Cursor   string // from the previous page's Next
}

// InspectionPage is one page of inspections.
type InspectionPage struct {
	Items []json.RawMessage
	Next  string // the cursor of the following page, "" on the last one
}

const inspectionSort = "-inspected_at"

// ListInspections returns one page of the inspections that match f, paged by
// key (inspected_at, id) like the issue list.
func (s *Store) ListInspections(ctx context.Context, f InspectionFilter) (InspectionPage, error) {
	q := &issueQuery{limit: f.Limit}
	if q.limit <= 0 {
		q.limit = DefaultIssueLimit
	}
	q.limit = min(q.limit, MaxInspectionLimit)
	if err := inspectionFilters(q, f); err != nil {
		return InspectionPage{}, err
	}
	where := "true"
	if len(q.where) > 0 {
		where = strings.Join(q.where, " AND ")
	}
	rows, err := s.reads(ctx).Query(ctx, fmt.Sprintf(`SELECT n.id, n.inspected_at, `+inspectionJSON+`
		FROM inspections n JOIN points p ON p.id = n.point_id `+inspectionIssues+`
		WHERE %s ORDER BY n.inspected_at DESC, n.id DESC LIMIT %d`, where, q.limit+1), q.args...)
	if err != nil {
		return InspectionPage{}, err
	}
	var page InspectionPage
	var row, last issueCursor
	var doc json.RawMessage
	_, err = pgx.ForEachRow(rows, []any{&row.ID, &row.At, &doc}, func() error {
		if len(page.Items) == q.limit {
			page.Next = issueCursor{Sort: inspectionSort, At: last.At, ID: last.ID}.encode()
			return nil
		}
		page.Items = append(page.Items, doc)
		last = row
		return nil
	})
	return page, err
}

func inspectionFilters(q *issueQuery, f InspectionFilter) error {
	if f.Point != "" {
		q.add("p.code = %s", f.Point)
	}
	if f.Area != "" {
		q.add("starts_with(p.grid_code, %s)", f.Area)
	}
	if !f.From.IsZero() {
		q.add("n.inspected_at >= %s", f.From)
	}
	if !f.To.IsZero() {
		q.add("n.inspected_at < %s", f.To)
	}
	if len(f.Scope) > 0 {
		q.where = append(q.where, inScope("p.grid_code", f.Scope, q.arg))
	}
	if f.Cursor != "" {
		c, err := decodeIssueCursor(f.Cursor, inspectionSort)
		if err != nil {
			return err
		}
		q.add("n.inspected_at <= %[1]s AND (n.inspected_at < %[1]s OR n.id < %[2]s)", c.At, c.ID)
	}
	return nil
}

// PointFilter selects inspection points.
type PointFilter struct {
	Area       string // an area code: the points whose grid it prefixes
	Categories []string
	Scope      []string
	Geometry   bool
}

// OverduePoints lists the points due for inspection: never inspected, or last
// inspected longer ago than their category's cycle (weekly: 7 days, monthly: a
// calendar month, quarterly: three). due_at is when the next inspection was
// due, days_overdue the whole days since (NULL for a point never inspected).
// Points never inspected come first, then the longest overdue.
func (s *Store) OverduePoints(ctx context.Context, f PointFilter) (*table.Table, error) {
	q := &issueQuery{}
	if f.Area != "" {
		q.add("starts_with(p.grid_code, %s)", f.Area)
	}
	if len(f.Categories) > 0 {
		q.add("p.category = ANY(%s)", f.Categories)
	}
	if len(f.Scope) > 0 {
		q.where = append(q.where, inScope("p.grid_code", f.Scope, q.arg))
	}
	q.where = append(q.where, "(d.due_at IS NULL OR d.due_at < now())")
	sql := `SELECT p.code, p.name, p.category, c.name_zh AS category_name, c.cycle, p.unit, p.person,
			p.phone, p.grid_code AS grid, l.last AS last_inspected_at, d.due_at,
			floor(extract(epoch FROM now() - d.due_at) / 86400)::int AS days_overdue` +
		geometryColumn(ReportFilter{Geometry: f.Geometry}, "p.geom") + `
		FROM points p JOIN point_categories c ON c.code = p.category
		LEFT JOIN LATERAL (SELECT max(n.inspected_at) AS last FROM inspections n WHERE n.point_id = p.id) l ON true
		CROSS JOIN LATERAL (SELECT l.last + CASE c.cycle WHEN 'weekly' THEN interval '7 days'
			WHEN 'monthly' THEN interval '1 month' ELSE interval '3 months' END AS due_at) d
		WHERE ` + strings.Join(q.where, " AND ") + `
		ORDER BY d.due_at NULLS FIRST, p.code`
	return s.queryTable(ctx, sql, q.args...)
}
