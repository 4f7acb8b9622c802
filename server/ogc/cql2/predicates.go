package cql2

import (
	"strings"
	"time"
)

func (c *compiler) comparison(n *Comparison) (string, error) {
	if _, ok := n.Left.(*Date); ok {
		return c.dateComparison(mirror[n.Op], n.Right, n.Left.(*Date))
	}
	if d, ok := n.Right.(*Date); ok {
		return c.dateComparison(n.Op, n.Left, d)
	}
	l, r, t, err := c.pair(n.Left, n.Right)
	if err != nil {
		return "", err
	}
	switch {
	case t == TypeGeometry:
		return "", errorf(0, "geometries are compared with spatial functions such as S_EQUALS or S_INTERSECTS, not %s", n.Op)
	case t == TypeBoolean && n.Op != "=" && n.Op != "<>":
		return "", errorf(0, "booleans can only be compared with = and <>, not %s", n.Op)
	}
	return "(" + l + " " + n.Op + " " + r + ")", nil
}

// mirror swaps the sides of a comparison: 3 < x is x > 3.
var mirror = map[string]string{"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

// pair compiles the two sides of a comparison, the computed side first so that
// a literal takes its type, and checks that the types agree.
func (c *compiler) pair(a, b Expr) (string, string, Type, error) {
	if isLiteral(a) && !isLiteral(b) {
		bs, as, t, err := c.pair(b, a)
		return as, bs, t, err
	}
	as, at, err := c.value(a, 0)
	if err != nil {
		return "", "", 0, err
	}
	bs, bt, err := c.value(b, at)
	if err != nil {
		return "", "", 0, err
	}
	if at != bt && !(at.numeric() && bt.numeric()) {
		return "", "", 0, errorf(0, "cannot compare %s (%s) with %s (%s)", describe(a), at.article(), describe(b), bt.article())
	}
	return as, bs, at, nil
}

// dateComparison compares a timestamp with a whole day: "x = DATE(d)" holds
// anywhere within the day, "x < DATE(d)" before it starts and "x > DATE(d)"
// after it ends.
func (c *compiler) dateComparison(op string, x Expr, d *Date) (string, error) {
	xs, xt, err := c.value(x, TypeTimestamp)
	if err != nil {
		return "", err
	}
	if xt != TypeTimestamp {
		return "", errorf(0, "cannot compare %s (%s) with %s", describe(x), xt.article(), describe(d))
	}
	first := func() string { t, _ := literalBound(d, false, c.loc); return c.params.Add(t) + "::timestamptz" }
	last := func() string { t, _ := literalBound(d, true, c.loc); return c.params.Add(t) + "::timestamptz" }
	switch op {
	case "=":
		return "(" + xs + " >= " + first() + " AND " + xs + " <= " + last() + ")", nil
	case "<>":
		return "(" + xs + " < " + first() + " OR " + xs + " > " + last() + ")", nil
	case "<":
		return "(" + xs + " < " + first() + ")", nil
	case "<=":
		return "(" + xs + " <= " + last() + ")", nil
	case ">":
		return "(" + xs + " > " + last() + ")", nil
	}
	return "(" + xs + " >= " + first() + ")", nil
}

func (c *compiler) like(n *Like) (string, error) {
	xs, xt, err := c.value(n.X, TypeString)
	if err != nil {
		return "", err
	}
	if xt != TypeString {
		return "", errorf(0, "LIKE needs a string, %s is %s", describe(n.X), xt.article())
	}
	pattern := n.Pattern
	lower := false
	if ci, ok := pattern.(*CaseI); ok {
		pattern, lower = ci.X, true
	}
	s, ok := pattern.(*String)
	if !ok {
		return "", unsupported(0, "LIKE patterns other than string literals, found %s", describe(n.Pattern))
	}
	if trailingEscape(s.Value) {
		return "", errorf(0, "the LIKE pattern '%s' ends with an escape character", s.Value)
	}
	ps := c.params.Add(s.Value) + "::text"
	if lower {
		ps = "lower(" + ps + ")"
	}
	op := " LIKE "
	if n.Not {
		op = " NOT LIKE "
	}
	// CQL2 and PostgreSQL share the wildcards % and _ and the escape \
	return "(" + xs + op + ps + ` ESCAPE E'\\')`, nil
}

// trailingEscape reports whether p ends with an odd number of backslashes:
// an escape with nothing to escape, which PostgreSQL rejects at run time.
func trailingEscape(p string) bool {
	n := len(p) - len(strings.TrimRight(p, `\`))
	return n%2 == 1
}

func (c *compiler) between(n *Between) (string, error) {
	xs, xt, err := c.value(n.X, 0)
	if err != nil {
		return "", err
	}
	if !xt.numeric() {
		return "", errorf(0, "BETWEEN needs numbers, %s is %s (use T_INTERSECTS with an INTERVAL for times)", describe(n.X), xt.article())
	}
	bounds := [2]string{}
	for i, b := range []Expr{n.Low, n.High} {
		s, t, err := c.value(b, xt)
		if err != nil {
			return "", err
		}
		if !t.numeric() {
			return "", errorf(0, "BETWEEN bounds must be numbers, found %s", describe(b))
		}
		bounds[i] = s
	}
	op := " BETWEEN "
	if n.Not {
		op = " NOT BETWEEN "
	}
	return "(" + xs + op + bounds[0] + " AND " + bounds[1] + ")", nil
}

func (c *compiler) isNull(n *IsNull) (string, error) {
	xs, _, err := c.value(n.X, 0)
	if err != nil {
		return "", err
	}
	if n.Not {
		return "(" + xs + " IS NOT NULL)", nil
	}
	return "(" + xs + " IS NULL)", nil
}

// in compiles an IN list to = ANY of one array parameter, however long the list.
func (c *compiler) in(n *In) (string, error) {
	xs, xt, err := c.value(n.X, 0)
	if err != nil {
		return "", err
	}
	_, lower := n.X.(*CaseI)
	arr, cast, err := c.inArray(xt, n.List, lower)
	if err != nil {
		return "", err
	}
	s := "(" + xs + " = ANY(" + c.params.Add(arr) + "::" + cast + "))"
	if n.Not {
		return "NOT " + s, nil
	}
	return s, nil
}

func (c *compiler) inArray(t Type, list []Expr, lower bool) (any, string, error) {
	for _, e := range list {
		if ci, ok := e.(*CaseI); ok {
			e = ci.X
		}
		if !isLiteral(e) {
			return nil, "", unsupported(0, "IN lists of anything but literals, found %s", describe(e))
		}
	}
	switch t {
	case TypeString:
		return collect(list, t, "text[]", func(e Expr) (string, bool) {
			s, ok := unwrapCaseI(e).(*String)
			if !ok {
				return "", false
			}
			if lower {
				return strings.ToLower(s.Value), true
			}
			return s.Value, true
		})
	case TypeInteger:
		if ints, cast, err := collect(list, t, "bigint[]", func(e Expr) (int64, bool) {
			n, ok := e.(*Number)
			if !ok {
				return 0, false
			}
			return asInt(n.Value)
		}); err == nil {
			return ints, cast, nil
		}
		return c.inArray(TypeNumber, list, lower)
	case TypeNumber:
		return collect(list, t, "float8[]", func(e Expr) (float64, bool) {
			n, ok := e.(*Number)
			return valueOr(n, ok)
		})
	case TypeBoolean:
		return collect(list, t, "boolean[]", func(e Expr) (bool, bool) {
			b, ok := e.(*Bool)
			return ok && b.Value, ok
		})
	case TypeTimestamp:
		return collect(list, t, "timestamptz[]", func(e Expr) (time.Time, bool) {
			ts, ok := e.(*Timestamp)
			if !ok {
				return time.Time{}, false
			}
			return ts.Time, true
		})
	}
	return nil, "", errorf(0, "IN cannot be used on %s", t.article())
}

func valueOr(n *Number, ok bool) (float64, bool) {
	if !ok {
		return 0, false
	}
	return n.Value, true
}

func unwrapCaseI(e Expr) Expr {
	if ci, ok := e.(*CaseI); ok {
		return ci.X
	}
	return e
}

// collect converts every list item with conv, failing on the first that does
// not fit the type.
func collect[T any](list []Expr, t Type, cast string, conv func(Expr) (T, bool)) (any, string, error) {
	out := make([]T, len(list))
	for i, e := range list {
		v, ok := conv(e)
		if !ok {
			return nil, "", mismatch(t, e)
		}
		out[i] = v
	}
	return out, cast, nil
}
