package cql2

// spatialOps maps the CQL2 spatial functions to their PostGIS equivalents, which
// share the DE-9IM definitions and use the GiST index through their bounding-box
// pre-filter.
var spatialOps = map[string]string{
	"S_INTERSECTS": "ST_Intersects",
	"S_EQUALS":     "ST_Equals",
	"S_DISJOINT":   "ST_Disjoint",
	"S_TOUCHES":    "ST_Touches",
	"S_WITHIN":     "ST_Within",
	"S_OVERLAPS":   "ST_Overlaps",
	"S_CROSSES":    "ST_Crosses",
	"S_CONTAINS":   "ST_Contains",
}

func (c *compiler) spatial(n *Spatial) (string, error) {
	a, err := c.geomValue(n.A)
	if err != nil {
		return "", err
	}
	b, err := c.geomValue(n.B)
	if err != nil {
		return "", err
	}
	return spatialOps[n.Name] + "(" + a + ", " + b + ")", nil
}

func (c *compiler) geomValue(e Expr) (string, error) {
	s, t, err := c.value(e, TypeGeometry)
	if err != nil {
		return "", err
	}
	if t != TypeGeometry {
		return "", errorf(0, "spatial functions take geometries, %s is %s", describe(e), t.article())
	}
	return s, nil
}

// span is a time operand as the SQL of its first and last instant; an instant
// property or literal starts and ends at the same time.
type span struct{ begin, end string }

// temporalOps are the CQL2 temporal functions, written as the standard defines
// them on the begin and end of both operands. With instant properties many
// reduce to simple comparisons that PostgreSQL plans as index ranges.
var temporalOps = map[string]func(a, b span) string{
	"T_AFTER":      func(a, b span) string { return a.begin + " > " + b.end },
	"T_BEFORE":     func(a, b span) string { return a.end + " < " + b.begin },
	"T_CONTAINS":   func(a, b span) string { return a.begin + " < " + b.begin + " AND " + a.end + " > " + b.end },
	"T_DISJOINT":   func(a, b span) string { return "(" + a.end + " < " + b.begin + " OR " + a.begin + " > " + b.end + ")" },
	"T_DURING":     func(a, b span) string { return a.begin + " > " + b.begin + " AND " + a.end + " < " + b.end },
	"T_EQUALS":     func(a, b span) string { return a.begin + " = " + b.begin + " AND " + a.end + " = " + b.end },
	"T_FINISHEDBY": func(a, b span) string { return a.begin + " < " + b.begin + " AND " + a.end + " = " + b.end },
	"T_FINISHES":   func(a, b span) string { return a.begin + " > " + b.begin + " AND " + a.end + " = " + b.end },
	"T_INTERSECTS": func(a, b span) string { return a.begin + " <= " + b.end + " AND " + a.end + " >= " + b.begin },
	"T_MEETS":      func(a, b span) string { return a.end + " = " + b.begin },
	"T_METBY":      func(a, b span) string { return a.begin + " = " + b.end },
	"T_OVERLAPPEDBY": func(a, b span) string {
		return a.begin + " > " + b.begin + " AND " + a.begin + " < " + b.end + " AND " + a.end + " > " + b.end
	},
	"T_OVERLAPS": func(a, b span) string {
		return a.begin + " < " + b.begin + " AND " + a.end + " > " + b.begin + " AND " + a.end + " < " + b.end
	},
	"T_STARTEDBY": func(a, b span) string { return a.begin + " = " + b.begin + " AND " + a.end + " > " + b.end },
	"T_STARTS":    func(a, b span) string { return a.begin + " = " + b.begin + " AND " + a.end + " < " + b.end },
}

func (c *compiler) temporal(n *Temporal) (string, error) {
	a, err := c.span(n.A)
	if err != nil {
		return "", err
	}
	b, err := c.span(n.B)
	if err != nil {
		return "", err
	}
	return "(" + temporalOps[n.Name](a, b) + ")", nil
}

// Open interval ends are constants, never client text.
const (
	openBegin = "'-infinity'::timestamptz"
	openEnd   = "'infinity'::timestamptz"
)

func (c *compiler) span(e Expr) (span, error) {
	switch n := e.(type) {
	case *Interval:
		begin, err := c.bound(n.Start, false)
		if err != nil {
			return span{}, err
		}
		end, err := c.bound(n.End, true)
		return span{begin, end}, err
	case *Date:
		begin, _ := c.bound(n, false)
		end, _ := c.bound(n, true)
		return span{begin, end}, nil
	}
	s, err := c.bound(e, false)
	return span{s, s}, err
}

// bound compiles one end of a time operand: last picks a day's end.
func (c *compiler) bound(e Expr, last bool) (string, error) {
	switch n := e.(type) {
	case nil:
		if last {
			return openEnd, nil
		}
		return openBegin, nil
	case *Date:
		t, _ := literalBound(n, last, c.loc)
		return c.params.Add(t) + "::timestamptz", nil
	case *Timestamp:
		return c.params.Add(n.Time) + "::timestamptz", nil
	case *Property:
		q, err := c.property(n.Name)
		if err != nil {
			return "", err
		}
		if q.Type != TypeTimestamp {
			return "", errorf(0, "temporal functions take times, property %q is %s", n.Name, q.Type.article())
		}
		return q.SQL, nil
	}
	return "", errorf(0, "temporal functions take time properties, TIMESTAMP, DATE or INTERVAL, found %s", describe(e))
}
