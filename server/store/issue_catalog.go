package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Units of a time limit (issue_categories.deadline_unit; migration 0023 says
// how each is counted).
const (
	LimitHours    = "hours"    // working hours in the city's working day
	LimitWorkdays = "workdays" // to the close of the N-th workday after the start
	LimitUrgent   = "urgent"   // wall-clock hours, around the clock
)

// IssueCategory is a case category with its time limit and default unit.
type IssueCategory struct {
	Code   string `json:"code"`
	Class  string `json:"class"` // component (部件) or event (事件)
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
	// DeadlineAmount is the time limit in DeadlineUnit (hours, workdays or
	// urgent).
	DeadlineAmount int     `json:"deadline_amount"`
	DeadlineUnit   string  `json:"deadline_unit"`
	Unit           *string `json:"unit"` // nil: the street office of the issue's street
}

// IssueCategories lists the case categories by code.
func (s *Store) IssueCategories(ctx context.Context) ([]IssueCategory, error) {
	rows, err := s.reads(ctx).Query(ctx, `SELECT code, class, name_zh, name_en, deadline_amount, deadline_unit, unit
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
	rows, err := s.reads(ctx).Query(ctx, `SELECT code, name, kind, area_code FROM units ORDER BY code`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[ResponsibleUnit])
}
