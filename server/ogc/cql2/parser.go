package cql2

import (
	"strconv"
	"strings"

	"citymap/invalid"
)

// Limits of a filter: a filter is a query, not a data upload, and its cost
// grows with its conditions (100 LIKE conditions on the demo city's issues
// take a third of a second, 1,500 took four). Filters past a limit are
// refused (CodeTooComplex), naming it.
const (
	// MaxLength bounds the filter text.
	MaxLength = 64 << 10
	// MaxConditions bounds the comparisons, LIKE, BETWEEN, IN, IS NULL and
	// function predicates of a filter.
	MaxConditions = 100
	// MaxListItems bounds one IN list, whose values cost little each (a
	// selection of features by code is a long IN list).
	MaxListItems = 1000
	// maxDepth bounds nesting so that a hostile filter cannot exhaust the stack.
	maxDepth = 64
)

// Parse reads CQL2 text. Keywords and function names are case-insensitive;
// property names are case-sensitive.
func Parse(text string) (Expr, error) {
	if len(text) > MaxLength {
		return nil, tooComplex(0, "the filter is longer than %d bytes (the limit)", MaxLength)
	}
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	if p.peek().kind == tokEOF {
		return nil, errorf(1, "the filter is empty")
	}
	e, err := p.orExpr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.unexpected(t, "AND, OR or the end of the filter")
	}
	return e, nil
}

type parser struct {
	toks       []token
	i          int
	depth      int
	conditions int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) peekAt(n int) token {
	if p.i+n >= len(p.toks) {
		return p.toks[len(p.toks)-1]
	}
	return p.toks[p.i+n]
}

func (p *parser) take() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) expect(kind tokenKind, what string) (token, error) {
	t := p.peek()
	if t.kind != kind {
		return t, p.unexpected(t, what)
	}
	return p.take(), nil
}

func (p *parser) unexpected(t token, want string) *invalid.Error {
	if t.kind == tokOp {
		switch t.text {
		case "+", "-", "*", "/", "%":
			return unsupported(t.pos, "arithmetic (%s)", t.text)
		case "!=":
			return errorf(t.pos, "unknown operator != (CQL2 writes <>)")
		}
	}
	return errorf(t.pos, "expected %s, found %s", want, t)
}

func (p *parser) enter(pos int) error {
	p.depth++
	if p.depth > maxDepth {
		return tooComplex(pos, "the filter nests deeper than %d levels (the limit)", maxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// orExpr, andExpr and notExpr give NOT precedence over AND, and AND over OR.
func (p *parser) orExpr() (Expr, error) {
	return p.logical("OR", p.andExpr)
}

func (p *parser) andExpr() (Expr, error) {
	return p.logical("AND", p.notExpr)
}

func (p *parser) logical(op string, operand func() (Expr, error)) (Expr, error) {
	first, err := operand()
	if err != nil {
		return nil, err
	}
	args := []Expr{first}
	for p.peek().keyword(op) {
		p.take()
		next, err := operand()
		if err != nil {
			return nil, err
		}
		args = append(args, next)
	}
	if len(args) == 1 {
		return first, nil
	}
	return &Logical{Op: op, Args: args}, nil
}

func (p *parser) notExpr() (Expr, error) {
	t := p.peek()
	if !t.keyword("NOT") {
		return p.primary()
	}
	p.take()
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	x, err := p.notExpr()
	if err != nil {
		return nil, err
	}
	return &Not{X: x}, nil
}

// primary is a parenthesised condition or a predicate: an operand followed by
// what is said about it, or a function that is a predicate by itself.
func (p *parser) primary() (Expr, error) {
	t := p.peek()
	if t.kind == tokLParen {
		p.take()
		if err := p.enter(t.pos); err != nil {
			return nil, err
		}
		defer p.leave()
		e, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tokRParen, "')'"); err != nil {
			return nil, err
		}
		return e, nil
	}
	x, err := p.operand()
	if err != nil {
		return nil, err
	}
	if p.conditions++; p.conditions > MaxConditions {
		return nil, tooComplex(t.pos, "the filter has more than %d conditions (the limit): narrow it, "+
			"or put the values of one property in an IN list", MaxConditions)
	}
	return p.predicate(x)
}

func (p *parser) predicate(x Expr) (Expr, error) {
	t := p.peek()
	switch {
	case t.kind == tokOp:
		return p.comparison(x)
	case t.keyword("NOT"):
		next := p.peekAt(1)
		if !next.keyword("LIKE") && !next.keyword("BETWEEN") && !next.keyword("IN") {
			return nil, p.unexpected(next, "LIKE, BETWEEN or IN after NOT")
		}
		p.take()
		return p.suffix(x, true)
	case t.keyword("LIKE"), t.keyword("BETWEEN"), t.keyword("IN"):
		return p.suffix(x, false)
	case t.keyword("IS"):
		return p.isNull(x)
	}
	// a predicate on its own: a spatial or temporal function, TRUE/FALSE or a
	// boolean property; the compiler checks which
	return x, nil
}

func (p *parser) comparison(left Expr) (Expr, error) {
	op := p.peek()
	switch op.text {
	case "=", "<>", "<", "<=", ">", ">=":
	default:
		return nil, p.unexpected(op, "a comparison operator")
	}
	p.take()
	right, err := p.operand()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind == tokOp {
		return nil, p.unexpected(t, "AND, OR, ')' or the end of the filter")
	}
	return &Comparison{Op: op.text, Left: left, Right: right}, nil
}

func (p *parser) suffix(x Expr, not bool) (Expr, error) {
	kw := strings.ToUpper(p.take().text)
	switch kw {
	case "LIKE":
		pattern, err := p.operand()
		if err != nil {
			return nil, err
		}
		return &Like{X: x, Pattern: pattern, Not: not}, nil
	case "BETWEEN":
		low, err := p.operand()
		if err != nil {
			return nil, err
		}
		if t := p.peek(); !t.keyword("AND") {
			return nil, p.unexpected(t, "AND in BETWEEN")
		}
		p.take()
		high, err := p.operand()
		if err != nil {
			return nil, err
		}
		return &Between{X: x, Low: low, High: high, Not: not}, nil
	}
	list, err := p.list()
	if err != nil {
		return nil, err
	}
	return &In{X: x, List: list, Not: not}, nil
}

func (p *parser) list() ([]Expr, error) {
	if _, err := p.expect(tokLParen, "'(' to open the IN list"); err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind == tokRParen {
		return nil, errorf(t.pos, "the IN list is empty")
	}
	var list []Expr
	for {
		e, err := p.operand()
		if err != nil {
			return nil, err
		}
		if list = append(list, e); len(list) > MaxListItems {
			return nil, tooComplex(p.peek().pos, "an IN list has more than %d values (the limit)", MaxListItems)
		}
		t := p.take()
		if t.kind == tokRParen {
			return list, nil
		}
		if t.kind != tokComma {
			return nil, p.unexpected(t, "',' or ')' in the IN list")
		}
	}
}

func (p *parser) isNull(x Expr) (Expr, error) {
	p.take() // IS
	not := false
	if p.peek().keyword("NOT") {
		p.take()
		not = true
	}
	if t := p.peek(); !t.keyword("NULL") {
		return nil, p.unexpected(t, "NULL after IS")
	}
	p.take()
	return &IsNull{X: x, Not: not}, nil
}

// operand is a scalar: a literal, a property or a function call.
func (p *parser) operand() (Expr, error) {
	t := p.peek()
	switch t.kind {
	case tokString:
		p.take()
		return &String{Value: t.text}, nil
	case tokNumber:
		p.take()
		return number(t)
	case tokIdent:
		return p.identOperand()
	case tokLParen:
		return nil, unsupported(t.pos, "parenthesised values (arithmetic); parentheses group conditions only")
	}
	return nil, p.unexpected(t, "a property, a literal or a function")
}

func number(t token) (Expr, error) {
	v, err := strconv.ParseFloat(t.text, 64)
	if err != nil {
		return nil, errorf(t.pos, "number %s is out of range", t.text)
	}
	return &Number{Value: v, Text: t.text}, nil
}

// reserved words cannot be bare property names; quote them ("in") if needed.
var reserved = map[string]bool{"AND": true, "OR": true, "NOT": true, "LIKE": true, "BETWEEN": true,
	"IN": true, "IS": true, "NULL": true}

func (p *parser) identOperand() (Expr, error) {
	t := p.take()
	if t.quoted {
		return &Property{Name: t.text}, nil
	}
	upper := strings.ToUpper(t.text)
	switch {
	case upper == "TRUE" || upper == "FALSE":
		return &Bool{Value: upper == "TRUE"}, nil
	case upper == "NULL":
		return nil, errorf(t.pos, "NULL is not a value here; write IS NULL or IS NOT NULL")
	case reserved[upper]:
		return nil, errorf(t.pos, "expected a property, a literal or a function, found %s", upper)
	case p.peek().kind == tokLParen:
		return p.call(t, upper)
	case isGeometryKeyword(upper) && p.peek().kind == tokIdent:
		// POINT Z (...), POINT EMPTY: let the geometry parser name the problem
		return p.call(t, upper)
	}
	return &Property{Name: t.text}, nil
}

// call parses NAME(...): literal constructors, predicates and CASEI.
func (p *parser) call(name token, upper string) (Expr, error) {
	if err := p.enter(name.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	switch {
	case upper == "TIMESTAMP" || upper == "DATE":
		return p.instantLiteral(name, upper)
	case upper == "INTERVAL":
		return p.interval(name)
	case isGeometryKeyword(upper):
		return p.geometry(name, upper)
	case spatialOps[upper] != "":
		a, b, err := p.twoArgs(name)
		return &Spatial{Name: upper, A: a, B: b}, err
	case temporalOps[upper] != nil:
		a, b, err := p.twoArgs(name)
		return &Temporal{Name: upper, A: a, B: b}, err
	case upper == "CASEI":
		return p.casei()
	case upper == "ACCENTI":
		return nil, unsupported(name.pos, "ACCENTI (accent-insensitive comparison)")
	case strings.HasPrefix(upper, "A_"):
		return nil, unsupported(name.pos, "array function %s", upper)
	case upper == "GEOMETRYCOLLECTION":
		return nil, unsupported(name.pos, "GEOMETRYCOLLECTION literals")
	}
	return nil, unsupported(name.pos, "function %s", name.text)
}

func (p *parser) twoArgs(name token) (Expr, Expr, error) {
	p.take() // (
	a, err := p.operand()
	if err != nil {
		return nil, nil, err
	}
	if _, err := p.expect(tokComma, "',' between the arguments of "+strings.ToUpper(name.text)); err != nil {
		return nil, nil, err
	}
	b, err := p.operand()
	if err != nil {
		return nil, nil, err
	}
	if _, err := p.expect(tokRParen, "')' after the two arguments of "+strings.ToUpper(name.text)); err != nil {
		return nil, nil, err
	}
	return a, b, nil
}

func (p *parser) casei() (Expr, error) {
	p.take() // (
	x, err := p.operand()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tokRParen, "')' after the argument of CASEI"); err != nil {
		return nil, err
	}
	return &CaseI{X: x}, nil
}
