package cql2

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"citymap/geo/validate"
)

// Type is the type of a queryable property.
type Type int

// Property types, as the queryables document names them.
const (
	TypeString Type = iota + 1
	TypeNumber
	TypeInteger
	TypeBoolean
	TypeTimestamp
	TypeGeometry
)

func (t Type) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeNumber:
		return "number"
	case TypeInteger:
		return "integer"
	case TypeBoolean:
		return "boolean"
	case TypeTimestamp:
		return "timestamp"
	case TypeGeometry:
		return "geometry"
	}
	return "unknown"
}

// article names the type with its indefinite article, for messages.
func (t Type) article() string {
	if t == TypeInteger {
		return "an integer"
	}
	return "a " + t.String()
}

// numeric reports whether t is a number of either kind.
func (t Type) numeric() bool { return t == TypeNumber || t == TypeInteger }

// Queryable is a property filters may name, and the SQL that computes it.
type Queryable struct {
	Name        string
	Type        Type
	SQL         string // trusted SQL expression, e.g. "o.status"
	Description string
	Enum        []string // the values it takes, when there are few
}

// Params collects the values of a statement's placeholders.
type Params struct{ args []any }

// Add appends v and returns its placeholder.
func (p *Params) Add(v any) string {
	p.args = append(p.args, v)
	return "$" + strconv.Itoa(len(p.args))
}

// Args returns the values in placeholder order.
func (p *Params) Args() []any { return p.args }

// Options tune compilation.
type Options struct {
	// Location sets where DATE literals' days begin and end; UTC when nil.
	Location *time.Location
	// SRID is the storage CRS of geometry literals (4326 when zero); callers
	// convert literals into it with MapGeometries before compiling.
	SRID int
}

// Compile turns e into a SQL condition over props, appending literal values to
// params. Properties not in props and type mismatches are errors.
func Compile(e Expr, props map[string]Queryable, params *Params, opts Options) (string, error) {
	c := &compiler{props: props, params: params, loc: opts.Location, srid: opts.SRID}
	if c.loc == nil {
		c.loc = time.UTC
	}
	if c.srid == 0 {
		c.srid = 4326
	}
	return c.cond(e)
}

type compiler struct {
	props  map[string]Queryable
	params *Params
	loc    *time.Location
	srid   int
}

// cond compiles a node that must be a condition.
func (c *compiler) cond(e Expr) (string, error) {
	switch n := e.(type) {
	case *Logical:
		return c.logical(n)
	case *Not:
		x, err := c.cond(n.X)
		return "NOT " + x, err
	case *Comparison:
		return c.comparison(n)
	case *Like:
		return c.like(n)
	case *Between:
		return c.between(n)
	case *In:
		return c.in(n)
	case *IsNull:
		return c.isNull(n)
	case *Spatial:
		return c.spatial(n)
	case *Temporal:
		return c.temporal(n)
	case *Bool:
		return strings.ToUpper(strconv.FormatBool(n.Value)), nil
	case *Property:
		q, err := c.property(n.Name)
		if err != nil {
			return "", err
		}
		if q.Type != TypeBoolean {
			return "", errorf(0, "property %q is %s, not a condition; compare it with something", n.Name, q.Type.article())
		}
		return "(" + q.SQL + ")", nil
	}
	return "", errorf(0, "%s is a value, not a condition", describe(e))
}

func (c *compiler) logical(n *Logical) (string, error) {
	parts := make([]string, len(n.Args))
	for i, a := range n.Args {
		s, err := c.cond(a)
		if err != nil {
			return "", err
		}
		parts[i] = s
	}
	return "(" + strings.Join(parts, " "+n.Op+" ") + ")", nil
}

func (c *compiler) property(name string) (Queryable, error) {
	if q, ok := c.props[name]; ok {
		return q, nil
	}
	names := make([]string, 0, len(c.props))
	for n := range c.props {
		if strings.EqualFold(n, name) {
			return Queryable{}, errorf(0, "unknown property %q (property names are case-sensitive: did you mean %q?)", name, n)
		}
		names = append(names, n)
	}
	slices.Sort(names)
	return Queryable{}, errorf(0, "unknown property %q; the queryables are %s", name, strings.Join(names, ", "))
}

// isValue reports whether e is a literal rather than something computed per row.
func isLiteral(e Expr) bool {
	switch n := e.(type) {
	case *String, *Number, *Bool, *Timestamp, *Date, *Geometry, *Interval:
		return true
	case *CaseI:
		return isLiteral(n.X)
	}
	return false
}

// value compiles a scalar. want is the type the other side of the comparison
// has (0 when unknown); literals take that type, so that an integer column is
// compared with a bigint, not a float, and its index stays usable.
func (c *compiler) value(e Expr, want Type) (string, Type, error) {
	switch n := e.(type) {
	case *Property:
		q, err := c.property(n.Name)
		return q.SQL, q.Type, err
	case *CaseI:
		s, t, err := c.value(n.X, TypeString)
		if err == nil && t != TypeString {
			err = errorf(0, "CASEI needs a string, %s is %s", describe(n.X), t.article())
		}
		return "lower(" + s + ")", TypeString, err
	case *Spatial, *Temporal:
		s, err := c.cond(e)
		return s, TypeBoolean, err
	case *Date:
		return "", 0, errorf(0, "a DATE can only be compared with a timestamp property or used in a temporal function")
	case *Interval:
		return "", 0, errorf(0, "an INTERVAL can only be used in a temporal function such as T_INTERSECTS")
	}
	return c.literal(e, want)
}

func (c *compiler) literal(e Expr, want Type) (string, Type, error) {
	have, v := literalType(e)
	if want == TypeInteger && have == TypeNumber {
		if i, ok := asInt(e.(*Number).Value); ok {
			return c.params.Add(i) + "::bigint", TypeInteger, nil
		}
	}
	if want != 0 && want != have && !(want.numeric() && have.numeric()) {
		return "", 0, mismatch(want, e)
	}
	switch have {
	case TypeString:
		return c.params.Add(v) + "::text", have, nil
	case TypeNumber:
		return c.params.Add(v) + "::float8", have, nil
	case TypeBoolean:
		return c.params.Add(v) + "::boolean", have, nil
	case TypeTimestamp:
		return c.params.Add(v) + "::timestamptz", have, nil
	case TypeGeometry:
		return c.geometry(e.(*Geometry))
	}
	return "", 0, errorf(0, "%s cannot be used as a value", describe(e))
}

func literalType(e Expr) (Type, any) {
	switch n := e.(type) {
	case *String:
		return TypeString, n.Value
	case *Number:
		return TypeNumber, n.Value
	case *Bool:
		return TypeBoolean, n.Value
	case *Timestamp:
		return TypeTimestamp, n.Time
	case *Geometry:
		return TypeGeometry, nil
	}
	return 0, nil
}

func asInt(f float64) (int64, bool) {
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

func mismatch(want Type, e Expr) error {
	hint := ""
	switch want {
	case TypeString:
		hint = " (quote strings with single quotes)"
	case TypeTimestamp:
		hint = " (write TIMESTAMP('2024-05-01T08:00:00Z') or DATE('2024-05-01'))"
	case TypeBoolean:
		hint = " (write TRUE or FALSE)"
	}
	return errorf(0, "expected %s, found %s%s", want.article(), describe(e), hint)
}

// describe names a node for error messages.
func describe(e Expr) string {
	switch n := e.(type) {
	case *Property:
		return fmt.Sprintf("property %q", n.Name)
	case *String:
		return fmt.Sprintf("string '%s'", n.Value)
	case *Number:
		return "number " + n.Text
	case *Bool:
		return strings.ToUpper(strconv.FormatBool(n.Value))
	case *Timestamp:
		return "TIMESTAMP('" + n.Time.Format(time.RFC3339Nano) + "')"
	case *Date:
		return fmt.Sprintf("DATE('%04d-%02d-%02d')", n.Year, n.Month, n.Day)
	case *Interval:
		return "an INTERVAL"
	case *Geometry:
		return "a geometry"
	case *CaseI:
		return "CASEI(" + describe(n.X) + ")"
	case *Spatial:
		return n.Name + "(...)"
	case *Temporal:
		return n.Name + "(...)"
	}
	return "a condition"
}

// geometry compiles a literal already converted into the storage CRS; it is
// validated there, where longitude and latitude ranges mean something.
func (c *compiler) geometry(g *Geometry) (string, Type, error) {
	geom := g.Geom
	if b, ok := geom.(orb.Bound); ok {
		geom = b.ToPolygon()
	}
	if err := validate.Geometry(geom); err != nil {
		return "", 0, errorf(0, "geometry literal: %v", err)
	}
	data, err := wkb.Marshal(geom)
	if err != nil {
		return "", 0, errorf(0, "geometry literal: %v", err)
	}
	return fmt.Sprintf("ST_GeomFromWKB(%s::bytea, %d)", c.params.Add(data), c.srid), TypeGeometry, nil
}
