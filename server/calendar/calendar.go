// Package calendar reads the city's holiday calendar — the State Council's
// yearly schedule of public holidays and the weekend days worked to make up
// for them (调休) — from a spreadsheet, checks every row, and replaces the
// years the file covers. Working-time deadlines (migration 0023) and tidal
// parking count on it; a year missing from it counts weekends only, which is
// why the server warns of a missing year (Missing).
package calendar

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"citymap/server/sheet"
	"citymap/server/store"
)

// MaxFile bounds a calendar file: a year is some thirty rows.
const MaxFile = 1 << 20

// RowError rejects a file because of one row.
type RowError struct {
	Line   int
	Field  string
	Reason string
}

func (e *RowError) Error() string {
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Reason)
}

// columns maps the header names a sheet may use to the fields they fill.
var columns = map[string]string{
	"date": "date", "day": "date", "日期": "date",
	"kind": "kind", "type": "kind", "类型": "kind",
	"name": "name", "名称": "name", "节日": "name", "说明": "name",
}

var kinds = map[string]string{
	"holiday": "holiday", "放假": "holiday", "休": "holiday", "休息": "holiday", "节假日": "holiday",
	"workday": "workday", "上班": "workday", "班": "workday", "调休": "workday", "调休上班": "workday", "补班": "workday",
}

// Schedule is a checked file: the days of the years it covers.
type Schedule struct {
	Years []int
	Days  []store.CalendarDay
}

// Read decodes and checks a calendar: a header row (date, kind, name; in
// English or Chinese), then one row a date (2006-01-02 or 2006/1/2). A make-up
// workday must fall on a weekend, where it changes something; a date appears
// once.
func Read(r io.Reader) (*Schedule, error) {
	records, lines, err := sheet.Read(r, MaxFile)
	if err != nil {
		return nil, err
	}
	for len(records) > 0 && sheet.Blank(records[0]) {
		records, lines = records[1:], lines[1:]
	}
	if len(records) == 0 {
		return nil, &RowError{Line: 1, Field: "date", Reason: "the file is empty"}
	}
	index, err := header(records[0], lines[0])
	if err != nil {
		return nil, err
	}
	s := &Schedule{}
	seen := map[string]int{}
	for i, rec := range records[1:] {
		if sheet.Blank(rec) {
			continue
		}
		d, err := parseRow(rec, index, lines[i+1])
		if err != nil {
			return nil, err
		}
		key := d.Day.Format(time.DateOnly)
		if first, dup := seen[key]; dup {
			return nil, &RowError{Line: lines[i+1], Field: "date", Reason: fmt.Sprintf("%s is already on line %d", key, first)}
		}
		seen[key] = lines[i+1]
		s.Days = append(s.Days, d)
		if y := d.Day.Year(); !slices.Contains(s.Years, y) {
			s.Years = append(s.Years, y)
		}
	}
	if len(s.Days) == 0 {
		return nil, &RowError{Line: lines[0], Field: "date", Reason: "the file has a header and no day"}
	}
	slices.Sort(s.Years)
	return s, nil
}

func header(rec []string, line int) (map[string]int, error) {
	index := map[string]int{}
	for i, h := range rec {
		h = strings.ToLower(strings.TrimSpace(h))
		field, ok := columns[h]
		if !ok {
			return nil, &RowError{Line: line, Field: h, Reason: "unknown column (date, kind, name)"}
		}
		if _, dup := index[field]; dup {
			return nil, &RowError{Line: line, Field: h, Reason: "the column " + field + " appears twice"}
		}
		index[field] = i
	}
	for _, need := range []string{"date", "kind"} {
		if _, ok := index[need]; !ok {
			return nil, &RowError{Line: line, Field: need, Reason: "the header lacks the column " + need}
		}
	}
	return index, nil
}

func parseRow(rec []string, index map[string]int, line int) (store.CalendarDay, error) {
	get := func(field string) string {
		if i, ok := index[field]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var d store.CalendarDay
	day, err := parseDate(get("date"))
	if err != nil {
		return d, &RowError{Line: line, Field: "date", Reason: err.Error()}
	}
	kind, ok := kinds[strings.ToLower(get("kind"))]
	if !ok {
		return d, &RowError{Line: line, Field: "kind", Reason: fmt.Sprintf("%q is neither holiday (放假) nor workday (上班)", get("kind"))}
	}
	if wd := day.Weekday(); kind == "workday" && wd != time.Saturday && wd != time.Sunday {
		return d, &RowError{Line: line, Field: "kind", Reason: fmt.Sprintf("%s is a %s, a workday already: a make-up workday falls on a weekend", day.Format(time.DateOnly), wd)}
	}
	name := get("name")
	if len([]rune(name)) > 100 {
		return d, &RowError{Line: line, Field: "name", Reason: "longer than 100 characters"}
	}
	return store.CalendarDay{Day: day, Kind: kind, Name: name}, nil
}

// parseDate reads a date as spreadsheets write it.
func parseDate(s string) (time.Time, error) {
	for _, layout := range []string{time.DateOnly, "2006/1/2", "2006-1-2", "2006.1.2"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (2006-01-02)", s)
}

// Import reads a calendar and makes it the whole calendar of the years it
// covers; all or nothing. It answers the schedule and how many stored days it
// replaced.
func Import(ctx context.Context, st *store.Store, r io.Reader, dryRun bool) (*Schedule, int, error) {
	s, err := Read(r)
	if err != nil {
		return nil, 0, err
	}
	replaced, err := st.ReplaceCalendarYears(ctx, s.Years, s.Days, dryRun)
	return s, replaced, err
}

// Missing lists the years the calendar should hold at now, in the city's
// zone, and does not: the current one, and from December on the next one
// (whose schedule is published in the autumn).
func Missing(held []int, now time.Time, zone *time.Location) []int {
	local := now.In(zone)
	want := []int{local.Year()}
	if local.Month() == time.December {
		want = append(want, local.Year()+1)
	}
	var out []int
	for _, y := range want {
		if !slices.Contains(held, y) {
			out = append(out, y)
		}
	}
	return out
}
