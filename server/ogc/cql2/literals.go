package cql2

import (
	"strings"
	"time"

	"citymap/invalid"
)

// instantLiteral parses TIMESTAMP('...') or DATE('...').
func (p *parser) instantLiteral(name token, upper string) (Expr, error) {
	p.take() // (
	s, err := p.expect(tokString, "a quoted "+strings.ToLower(upper)+" in "+upper+"(...)")
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tokRParen, "')' after the "+strings.ToLower(upper)); err != nil {
		return nil, err
	}
	if upper == "DATE" {
		d, ok := parseDate(s.text)
		if !ok {
			return nil, errorf(s.pos, "DATE needs YYYY-MM-DD, got %q", s.text)
		}
		return d, nil
	}
	ts, ok := parseTimestamp(s.text)
	if !ok {
		return nil, errorf(s.pos, "TIMESTAMP needs an RFC 3339 time such as 2024-05-01T08:00:00Z, got %q", s.text)
	}
	return ts, nil
}

// interval parses INTERVAL(start, end); each bound is '..' (open), a quoted
// instant, DATE(...), TIMESTAMP(...) or a property.
func (p *parser) interval(name token) (Expr, error) {
	p.take() // (
	start, err := p.bound()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tokComma, "',' between the bounds of INTERVAL"); err != nil {
		return nil, err
	}
	end, err := p.bound()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tokRParen, "')' after the bounds of INTERVAL"); err != nil {
		return nil, err
	}
	if err := checkOrder(start, end); err != nil {
		return nil, errorf(name.pos, "%s", err.Message)
	}
	return &Interval{Start: start, End: end}, nil
}

func (p *parser) bound() (Expr, error) {
	t := p.peek()
	if t.kind == tokString {
		p.take()
		if t.text == ".." {
			return nil, nil
		}
		e, ok := ParseInstant(t.text)
		if !ok {
			return nil, errorf(t.pos, "an INTERVAL bound must be '..', a date or an RFC 3339 time, got %q", t.text)
		}
		return e, nil
	}
	e, err := p.operand()
	if err != nil {
		return nil, err
	}
	switch e.(type) {
	case *Timestamp, *Date, *Property:
		return e, nil
	}
	return nil, errorf(t.pos, "an INTERVAL bound must be '..', an instant or a property")
}

// ParseInstant reads an RFC 3339 time (a Timestamp) or a YYYY-MM-DD day (a
// Date), as in the datetime query parameter and INTERVAL bounds.
func ParseInstant(s string) (Expr, bool) {
	if d, ok := parseDate(s); ok {
		return d, true
	}
	if ts, ok := parseTimestamp(s); ok {
		return ts, true
	}
	return nil, false
}

func parseDate(s string) (*Date, bool) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, false
	}
	return &Date{Year: t.Year(), Month: int(t.Month()), Day: t.Day()}, true
}

// parseTimestamp accepts RFC 3339 with any offset and fraction; a lower-case t
// or z, which RFC 3339 allows, is accepted too.
func parseTimestamp(s string) (*Timestamp, bool) {
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
	if err != nil {
		return nil, false
	}
	// UTC, so that equal instants compare equal whatever offset they were written with
	return &Timestamp{Time: t.UTC()}, true
}

// checkOrder rejects intervals that end before they start, when both bounds
// are literals (a day ends at its last moment, so a one-day interval is fine).
func checkOrder(start, end Expr) *invalid.Error {
	s, ok1 := literalBound(start, false, time.UTC)
	e, ok2 := literalBound(end, true, time.UTC)
	if ok1 && ok2 && e.Before(s) {
		return errorf(0, "the interval ends before it starts")
	}
	return nil
}

// literalBound is the first (or last) instant of a Timestamp or Date literal.
func literalBound(e Expr, last bool, loc *time.Location) (time.Time, bool) {
	switch v := e.(type) {
	case *Timestamp:
		return v.Time, true
	case *Date:
		start := time.Date(v.Year, time.Month(v.Month), v.Day, 0, 0, 0, 0, loc)
		if last {
			// PostgreSQL keeps microseconds: the day's last representable instant
			return start.AddDate(0, 0, 1).Add(-time.Microsecond), true
		}
		return start, true
	}
	return time.Time{}, false
}
