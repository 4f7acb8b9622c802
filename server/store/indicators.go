package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// Indicator kinds: 实地考察, 网上申报, 问卷调查.
const (
	KindField         = "field"
	KindDeclaration   = "declaration"
	KindQuestionnaire = "questionnaire"
)

// IndicatorKinds lists the kinds of indicator.
var IndicatorKinds = []string{KindField, KindDeclaration, KindQuestionnaire}

// IndicatorRow is one row of the catalogue as an import writes it. Units and
// point categories may be given by code or by name; the store resolves them.
type IndicatorRow struct {
	Code, Parent, Name, Kind string
	MaxPoints                *float64
	Standard                 string
	PointCategories          []string
	LeadUnit                 string
	CoUnits                  []string
	TaskDays                 *int
	// declaration indicators: month or quarter ("" for month) and the days
	// after the period it is due (nil for 10)
	DeclareEvery   string
	DeclareDueDays *int
}

// ImportIndicators writes the catalogue rows in one transaction, updating the
// indicators whose code exists; a rejected row comes back as an *ImportError
// (Row indexes rows) and nothing is written.
func (s *Store) ImportIndicators(ctx context.Context, rows []IndicatorRow, dryRun bool) ([]ImportCount, error) {
	return s.importTx(ctx, dryRun, func(tx pgx.Tx) ([]ImportCount, error) {
		c, err := ImportIndicatorsTx(ctx, tx, rows)
		return []ImportCount{c}, err
	})
}

// ImportIndicatorsTx is ImportIndicators inside tx (the demo city's seeder
// imports its catalogue in its own transaction).
func ImportIndicatorsTx(ctx context.Context, tx pgx.Tx, rows []IndicatorRow) (ImportCount, error) {
	count := ImportCount{Kind: "indicators"}
	// names are resolved to codes in a copy: the caller's rows stay as read
	rows = slices.Clone(rows)
	for i := range rows {
		rows[i].PointCategories = slices.Clone(rows[i].PointCategories)
		rows[i].CoUnits = slices.Clone(rows[i].CoUnits)
	}
	if err := resolveIndicatorRefs(ctx, tx, rows); err != nil {
		return count, err
	}
	for i, r := range rows {
		var created bool
		err := tx.QueryRow(ctx, `INSERT INTO indicators (code, parent_code, name, kind, max_points, standard,
				point_categories, lead_unit, co_units, task_days, position, declare_every, declare_due_days)
			VALUES ($1, nullif($2, ''), $3, $4, $5, $6, $7, nullif($8, ''), $9, $10, $11,
				coalesce(nullif($12, ''), 'month'), coalesce($13, 10))
			ON CONFLICT (code) DO UPDATE SET parent_code = EXCLUDED.parent_code, name = EXCLUDED.name,
				kind = EXCLUDED.kind, max_points = EXCLUDED.max_points, standard = EXCLUDED.standard,
				point_categories = EXCLUDED.point_categories, lead_unit = EXCLUDED.lead_unit,
				co_units = EXCLUDED.co_units, task_days = EXCLUDED.task_days, position = EXCLUDED.position,
				declare_every = EXCLUDED.declare_every, declare_due_days = EXCLUDED.declare_due_days,
				updated_at = now()
			RETURNING xmax = 0`, r.Code, r.Parent, r.Name, r.Kind, r.MaxPoints, r.Standard,
			nonNil(r.PointCategories), r.LeadUnit, nonNil(r.CoUnits), r.TaskDays, i,
			r.DeclareEvery, r.DeclareDueDays).Scan(&created)
		if err != nil {
			return count, fmt.Errorf("indicator %s: %w", r.Code, err)
		}
		if created {
			count.Created++
		} else {
			count.Updated++
		}
	}
	// parents named by the file but stored neither before nor in it
	var row int
	err := tx.QueryRow(ctx, `SELECT u.ord - 1 FROM unnest($1::text[]) WITH ORDINALITY AS u(p, ord)
		WHERE u.p <> '' AND NOT EXISTS (SELECT 1 FROM indicators WHERE code = u.p) ORDER BY u.ord LIMIT 1`,
		parentsOf(rows)).Scan(&row)
	if err == nil {
		return count, &ImportError{Row: row, Field: "parent", Reason: fmt.Sprintf("no indicator has the code %s", rows[row].Parent)}
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return count, err
	}
	return count, checkIndicatorCycles(ctx, tx, rows)
}

func parentsOf(rows []IndicatorRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Parent
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// checkIndicatorCycles refuses a tree in which, after the import, an
// indicator is its own ancestor (the file can re-parent stored ones).
func checkIndicatorCycles(ctx context.Context, tx pgx.Tx, rows []IndicatorRow) error {
	var code *string
	err := tx.QueryRow(ctx, `WITH RECURSIVE up(start, code, depth) AS (
			SELECT code, parent_code, 1 FROM indicators WHERE code = ANY($1) AND parent_code IS NOT NULL
			UNION ALL
			SELECT up.start, i.parent_code, up.depth + 1 FROM up JOIN indicators i ON i.code = up.code
			WHERE i.parent_code IS NOT NULL AND up.code <> up.start AND up.depth < 64)
		SELECT min(start) FROM up WHERE code = start`, codesOf(rows)).Scan(&code)
	if err != nil || code == nil {
		return err
	}
	for i, r := range rows {
		if r.Code == *code {
			return &ImportError{Row: i, Field: "parent", Reason: "the indicator would be its own ancestor"}
		}
	}
	return nil
}

func codesOf(rows []IndicatorRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Code
	}
	return out
}

// resolveIndicatorRefs replaces the units and point categories given by name
// with their codes, refusing the first row that names one that does not exist.
func resolveIndicatorRefs(ctx context.Context, tx pgx.Tx, rows []IndicatorRow) error {
	units, err := lookupNames(ctx, tx, `SELECT code, name FROM units`)
	if err != nil {
		return err
	}
	cats, err := lookupNames(ctx, tx, `SELECT code, name_zh FROM point_categories`)
	if err != nil {
		return err
	}
	for i := range rows {
		r := &rows[i]
		if r.LeadUnit != "" {
			if r.LeadUnit, err = resolve(units, r.LeadUnit, i, "lead_unit", "unit"); err != nil {
				return err
			}
		}
		for k, u := range r.CoUnits {
			if r.CoUnits[k], err = resolve(units, u, i, "co_units", "unit"); err != nil {
				return err
			}
		}
		for k, c := range r.PointCategories {
			if r.PointCategories[k], err = resolve(cats, c, i, "point_categories", "point category"); err != nil {
				return err
			}
		}
	}
	return nil
}

// lookupNames maps codes and names to codes.
func lookupNames(ctx context.Context, tx pgx.Tx, sql string) (map[string]string, error) {
	rows, err := tx.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	var code, name string
	_, err = pgx.ForEachRow(rows, []any{&code, &name}, func() error {
		out[code], out[name] = code, code
		return nil
	})
	return out, err
}

func resolve(known map[string]string, v string, row int, field, what string) (string, error) {
	if code, ok := known[v]; ok {
		return code, nil
	}
	return "", &ImportError{Row: row, Field: field, Reason: fmt.Sprintf("no %s has the code or name %q", what, v)}
}

// Indicator is one indicator of the catalogue as the API shows it.
type Indicator struct {
	Code            string   `json:"code"`
	Parent          *string  `json:"parent"`
	Name            string   `json:"name"`
	Kind            string   `json:"kind"`
	MaxPoints       *float64 `json:"max_points"`
	Standard        string   `json:"standard"`
	PointCategories []string `json:"point_categories"`
	LeadUnit        *string  `json:"lead_unit"`
	CoUnits         []string `json:"co_units"`
	TaskDays        *int     `json:"task_days"`
	// declaration indicators only: month or quarter, and the days after the
	// period's end it is due
	DeclareEvery   *string      `json:"declare_every,omitempty"`
	DeclareDueDays *int         `json:"declare_due_days,omitempty"`
	Children       []*Indicator `json:"children,omitempty"`
}

const indicatorColumns = `code, parent_code, name, kind, max_points::float8, standard, point_categories,
	lead_unit, co_units, task_days, CASE WHEN kind = 'declaration' THEN declare_every END,
	CASE WHEN kind = 'declaration' THEN declare_due_days END`

func scanIndicators(rows pgx.Rows) ([]*Indicator, error) {
	var out []*Indicator
	for rows.Next() {
		in := &Indicator{}
		if err := rows.Scan(&in.Code, &in.Parent, &in.Name, &in.Kind, &in.MaxPoints, &in.Standard,
			&in.PointCategories, &in.LeadUnit, &in.CoUnits, &in.TaskDays, &in.DeclareEvery, &in.DeclareDueDays); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// IndicatorFilter selects indicators.
type IndicatorFilter struct {
	Kind     string // "" for all
	Category string // field indicators checked at points of this category
	Unit     string // indicators this unit leads or helps with
}

// Indicators returns the catalogue as a forest, in catalogue order; with a
// filter, the matching indicators with their ancestors.
func (s *Store) Indicators(ctx context.Context, f IndicatorFilter) ([]*Indicator, error) {
	rows, err := s.Pool.Query(ctx, `WITH RECURSIVE hit AS (
			SELECT code, parent_code FROM indicators
			WHERE ($1 = '' OR kind = $1) AND ($2 = '' OR $2 = ANY(point_categories))
				AND ($3 = '' OR lead_unit = $3 OR $3 = ANY(co_units))
			UNION
			SELECT i.code, i.parent_code FROM indicators i JOIN hit ON hit.parent_code = i.code)
		SELECT `+indicatorColumns+` FROM indicators WHERE code IN (SELECT code FROM hit)
		ORDER BY position, code`, f.Kind, f.Category, f.Unit)
	if err != nil {
		return nil, err
	}
	all, err := scanIndicators(rows)
	if err != nil {
		return nil, err
	}
	return indicatorTree(all), nil
}

// indicatorTree links indicators to their parents; those whose parent is not
// among them are roots.
func indicatorTree(all []*Indicator) []*Indicator {
	byCode := make(map[string]*Indicator, len(all))
	for _, in := range all {
		byCode[in.Code] = in
	}
	roots := []*Indicator{}
	for _, in := range all {
		if in.Parent != nil && byCode[*in.Parent] != nil {
			p := byCode[*in.Parent]
			p.Children = append(p.Children, in)
			continue
		}
		roots = append(roots, in)
	}
	return roots
}

// ErrPointNotFound says no point has the code asked for.
var ErrPointNotFound = errors.New("no such point")

// Checklist is what an inspector checks at a point: the field indicators of
// its category.
type Checklist struct {
	Point      string       `json:"point"`
	Name       string       `json:"name"`
	Category   string       `json:"category"`
	Unit       string       `json:"unit"`
	Grid       *string      `json:"grid"`
	Indicators []*Indicator `json:"indicators"`
}

// PointChecklist returns the checklist of the point with this code, or
// ErrPointNotFound.
func (s *Store) PointChecklist(ctx context.Context, code string) (Checklist, error) {
	c := Checklist{Point: code, Indicators: []*Indicator{}}
	err := s.Pool.QueryRow(ctx, `SELECT name, category, unit, grid_code FROM points WHERE code = $1`, code).
		Scan(&c.Name, &c.Category, &c.Unit, &c.Grid)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, ErrPointNotFound
	}
	if err != nil {
		return c, err
	}
	rows, err := s.Pool.Query(ctx, `SELECT `+indicatorColumns+` FROM indicators
		WHERE kind = 'field' AND $1 = ANY(point_categories) ORDER BY position, code`, c.Category)
	if err != nil {
		return c, err
	}
	list, err := scanIndicators(rows)
	if list != nil {
		c.Indicators = list
	}
	return c, err
}

// MarshalIndicators encodes a forest for the API.
func MarshalIndicators(roots []*Indicator) ([]byte, error) {
	return json.Marshal(map[string]any{"indicators": roots})
}
