// Package cql2 reads OGC CQL2 text filters and compiles them to parameterized SQL.
//
// Parse turns filter text into an abstract syntax tree; Compile turns a tree into
// a WHERE fragment over a whitelist of queryable properties, each with its SQL
// expression and type. Values never enter the SQL text: every literal becomes a
// placeholder ($1, $2, ...) whose value is collected in Params. Anything the
// compiler does not support is reported as an *invalid.Error that names it, so the HTTP
// layer can answer 400 with a message a client can act on.
//
// Supported: comparisons (= <> < <= > >=), AND/OR/NOT, LIKE with % and _ and
// backslash escapes, IN lists, BETWEEN, IS [NOT] NULL, CASEI, boolean, numeric,
// string, TIMESTAMP, DATE and INTERVAL literals, the spatial functions S_INTERSECTS,
// S_EQUALS, S_DISJOINT, S_TOUCHES, S_WITHIN, S_OVERLAPS, S_CROSSES and S_CONTAINS
// on WKT (POINT, LINESTRING, POLYGON and their MULTI forms), BBOX and ENVELOPE
// literals, and every temporal function of the CQL2 standard (T_INTERSECTS,
// T_BEFORE, T_AFTER, T_DURING, ...). Not supported: arithmetic, ACCENTI, array
// functions, GEOMETRYCOLLECTION literals, 3D coordinates and custom functions.
package cql2

import (
	"slices"
	"time"

	"github.com/paulmach/orb"
)

// Expr is a node of a filter's syntax tree.
type Expr interface{ node() }

// Logical is AND or OR over two or more operands.
type Logical struct {
	Op   string // "AND" or "OR"
	Args []Expr
}

// Not negates its operand.
type Not struct{ X Expr }

// Comparison is a binary comparison; Op is one of = <> < <= > >=.
type Comparison struct {
	Op          string
	Left, Right Expr
}

// Like is X [NOT] LIKE Pattern.
type Like struct {
	X, Pattern Expr
	Not        bool
}

// Between is X [NOT] BETWEEN Low AND High.
type Between struct {
	X, Low, High Expr
	Not          bool
}

// In is X [NOT] IN (List...).
type In struct {
	X    Expr
	List []Expr
	Not  bool
}

// IsNull is X IS [NOT] NULL.
type IsNull struct {
	X   Expr
	Not bool
}

// Spatial is a spatial function such as S_INTERSECTS(A, B); Name is upper case.
type Spatial struct {
	Name string
	A, B Expr
}

// Temporal is a temporal function such as T_INTERSECTS(A, B); Name is upper case.
type Temporal struct {
	Name string
	A, B Expr
}

// CaseI is CASEI(X): X compared without regard to case.
type CaseI struct{ X Expr }

// Property names a queryable property.
type Property struct{ Name string }

// String is a character literal.
type String struct{ Value string }

// Number is a numeric literal; Text is how it was written.
type Number struct {
	Value float64
	Text  string
}

// Bool is TRUE or FALSE.
type Bool struct{ Value bool }

// Timestamp is TIMESTAMP('...'), an instant.
type Timestamp struct{ Time time.Time }

// Date is DATE('YYYY-MM-DD'): a whole calendar day, whose bounds depend on the
// time zone the compiler is given.
type Date struct{ Year, Month, Day int }

// Interval is INTERVAL(start, end); a nil bound is open ('..'). Bounds are
// Timestamp, Date or Property nodes.
type Interval struct{ Start, End Expr }

// Geometry is a geometry literal (WKT, BBOX or ENVELOPE), in the filter's CRS
// until the caller converts it.
type Geometry struct{ Geom orb.Geometry }

func (*Logical) node()    {}
func (*Not) node()        {}
func (*Comparison) node() {}
func (*Like) node()       {}
func (*Between) node()    {}
func (*In) node()         {}
func (*IsNull) node()     {}
func (*Spatial) node()    {}
func (*Temporal) node()   {}
func (*CaseI) node()      {}
func (*Property) node()   {}
func (*String) node()     {}
func (*Number) node()     {}
func (*Bool) node()       {}
func (*Timestamp) node()  {}
func (*Date) node()       {}
func (*Interval) node()   {}
func (*Geometry) node()   {}

// And joins the non-nil expressions with AND; it returns nil when none are left
// and the expression itself when one is.
func And(exprs ...Expr) Expr {
	var args []Expr
	for _, e := range exprs {
		if e != nil {
			args = append(args, e)
		}
	}
	switch len(args) {
	case 0:
		return nil
	case 1:
		return args[0]
	}
	return &Logical{Op: "AND", Args: args}
}

// MapGeometries replaces every geometry literal in e by fn of it: the caller
// converts literals from the filter's CRS into the storage CRS this way.
func MapGeometries(e Expr, fn func(orb.Geometry) orb.Geometry) {
	walk(e, func(n Expr) {
		if g, ok := n.(*Geometry); ok {
			g.Geom = fn(g.Geom)
		}
	})
}

// walk calls fn for e and every node below it.
func walk(e Expr, fn func(Expr)) {
	if e == nil {
		return
	}
	fn(e)
	for _, c := range children(e) {
		walk(c, fn)
	}
}

func children(e Expr) []Expr {
	switch n := e.(type) {
	case *Logical:
		return n.Args
	case *Not:
		return []Expr{n.X}
	case *Comparison:
		return []Expr{n.Left, n.Right}
	case *Like:
		return []Expr{n.X, n.Pattern}
	case *Between:
		return []Expr{n.X, n.Low, n.High}
	case *In:
		return append([]Expr{n.X}, n.List...)
	case *IsNull:
		return []Expr{n.X}
	case *Spatial:
		return []Expr{n.A, n.B}
	case *Temporal:
		return []Expr{n.A, n.B}
	case *CaseI:
		return []Expr{n.X}
	case *Interval:
		return []Expr{n.Start, n.End}
	}
	return nil
}

// Properties lists the property names e refers to, each once.
func Properties(e Expr) []string {
	var out []string
	walk(e, func(n Expr) {
		if p, ok := n.(*Property); ok && !slices.Contains(out, p.Name) {
			out = append(out, p.Name)
		}
	})
	return out
}
