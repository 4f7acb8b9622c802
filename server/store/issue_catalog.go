package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// IssueCategory is a case category with its deadline and default unit.
type IssueCategory struct {
	Code          string  `json:"code"`
	Class         string  `json:"class"` // component (部件) or event (事件)
	NameZH        string  `json:"name_zh"`
	NameEN        string  `json:"name_en"`
	DeadlineHours int     `json:"deadline_hours"`
	Unit          *string `json:"unit"` // nil: the street office of the issue's street
}

// IssueCategories lists the case categories by code.
func (s *Store) IssueCategories(ctx context.Context) ([]IssueCategory, error) {
	rows, err := s.Pool.Query(ctx, `SELECT code, class, name_zh, name_en, deadline_hours, unit
		FROM issue_categories ORDER BY code`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[IssueCategory])
}

// ResponsibleUnit is a unit (责任单位) issues are dispatched to.
type ResponsibleUnit struct {
	Code string  `json:"code"`
	Name string  `json:"name"`
	Kind string  `json:"kind"` // department, street_office or company
	Area *string `json:"area"` // a street office's street
}

// ResponsibleUnits lists the units by code.
func (s *Store) ResponsibleUnits(ctx context.Context) ([]ResponsibleUnit, error) {
	rows, err := s.Pool.Query(ctx, `SELECT code, name, kind, area_code FROM units ORDER BY code`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[ResponsibleUnit])
}
