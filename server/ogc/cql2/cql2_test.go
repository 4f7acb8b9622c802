package cql2

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"citymap/invalid"
)

var testProps = map[string]Queryable{
	"status":     {Name: "status", Type: TypeString, SQL: "o.status"},
	"name":       {Name: "name", Type: TypeString, SQL: "o.name"},
	"capacity":   {Name: "capacity", Type: TypeInteger, SQL: "o.capacity"},
	"score":      {Name: "score", Type: TypeNumber, SQL: "o.score"},
	"overdue":    {Name: "overdue", Type: TypeBoolean, SQL: "o.deadline < now()"},
	"created_at": {Name: "created_at", Type: TypeTimestamp, SQL: "o.created_at"},
	"closed_at":  {Name: "closed_at", Type: TypeTimestamp, SQL: "o.closed_at"},
	"geometry":   {Name: "geometry", Type: TypeGeometry, SQL: "o.geom"},
	"in":         {Name: "in", Type: TypeString, SQL: "o.x"},
}

var cst = time.FixedZone("CST", 8*3600)

func compileText(t *testing.T, text string) (string, []any, error) {
	t.Helper()
	e, err := Parse(text)
	if err != nil {
		return "", nil, err
	}
	var p Params
	sql, err := Compile(e, testProps, &p, Options{Location: cst})
	return sql, p.Args(), err
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestCompile(t *testing.T) {
	day := time.Date(2024, 5, 1, 0, 0, 0, 0, cst)
	dayEnd := day.AddDate(0, 0, 1).Add(-time.Microsecond)
	cases := []struct {
		name, filter, sql string
		args              []any
	}{
		{"equals string", "status = 'dispatched'", "(o.status = $1::text)", []any{"dispatched"}},
		{"quote in string", "name = 'O''Brien'", "(o.name = $1::text)", []any{"O'Brien"}},
		{"injection stays a value", "name = 'x'' OR 1=1 --'", "(o.name = $1::text)", []any{"x' OR 1=1 --"}},
		{"literal on the left", "'noise' <> status", "($1::text <> o.status)", []any{"noise"}},
		{"integer property takes a bigint", "capacity >= 10", "(o.capacity >= $1::bigint)", []any{int64(10)}},
		{"integer property, fractional literal", "capacity < 2.5", "(o.capacity < $1::float8)", []any{2.5}},
		{"negative number", "score > -1.5e1", "(o.score > $1::float8)", []any{-15.0}},
		{"boolean property alone", "overdue", "(o.deadline < now())", nil},
		{"boolean comparison", "overdue = TRUE", "(o.deadline < now() = $1::boolean)", []any{true}},
		{"quoted property name", `"in" = 'a'`, "(o.x = $1::text)", []any{"a"}},
		{"keywords any case", "status = 'a' and not capacity = 1 Or score < 2",
			"(((o.status = $1::text) AND NOT (o.capacity = $2::bigint)) OR (o.score < $3::float8))",
			[]any{"a", int64(1), 2.0}},
		{"AND binds tighter than OR", "status = 'a' OR status = 'b' AND capacity = 1",
			"((o.status = $1::text) OR ((o.status = $2::text) AND (o.capacity = $3::bigint)))",
			[]any{"a", "b", int64(1)}},
		{"parentheses override", "(status = 'a' OR status = 'b') AND capacity = 1",
			"(((o.status = $1::text) OR (o.status = $2::text)) AND (o.capacity = $3::bigint))",
			[]any{"a", "b", int64(1)}},
		{"NOT binds tighter than AND", "NOT status = 'a' AND capacity = 1",
			"(NOT (o.status = $1::text) AND (o.capacity = $2::bigint))", []any{"a", int64(1)}},
		{"NOT NOT", "NOT NOT overdue", "NOT NOT (o.deadline < now())", nil},
		{"property against property", "created_at < closed_at", "(o.created_at < o.closed_at)", nil},
		{"LIKE", "name LIKE 'Park%'", `(o.name LIKE $1::text ESCAPE E'\\')`, []any{"Park%"}},
		{"NOT LIKE with escapes", `name NOT LIKE '100\%\_%'`, `(o.name NOT LIKE $1::text ESCAPE E'\\')`, []any{`100\%\_%`}},
		{"LIKE escaped backslash at end", `name LIKE 'a\\'`, `(o.name LIKE $1::text ESCAPE E'\\')`, []any{`a\\`}},
		{"CASEI LIKE", "CASEI(name) LIKE CASEI('%park%')", `(lower(o.name) LIKE lower($1::text) ESCAPE E'\\')`, []any{"%park%"}},
		{"CASEI equality", "CASEI(status) = CASEI('Closed')", "(lower(o.status) = lower($1::text))", []any{"Closed"}},
		{"IN strings", "status IN ('reported', 'registered')", "(o.status = ANY($1::text[]))", []any{[]string{"reported", "registered"}}},
		{"NOT IN", "status NOT IN ('closed')", "NOT (o.status = ANY($1::text[]))", []any{[]string{"closed"}}},
		{"IN integers", "capacity IN (1, 2, 3)", "(o.capacity = ANY($1::bigint[]))", []any{[]int64{1, 2, 3}}},
		{"IN mixed numbers", "capacity IN (1, 2.5)", "(o.capacity = ANY($1::float8[]))", []any{[]float64{1, 2.5}}},
		{"CASEI IN", "CASEI(status) IN ('Closed', 'OPEN')", "(lower(o.status) = ANY($1::text[]))", []any{[]string{"closed", "open"}}},
		{"BETWEEN", "score BETWEEN 60 AND 80.5", "(o.score BETWEEN $1::float8 AND $2::float8)", []any{60.0, 80.5}},
		{"NOT BETWEEN integer", "capacity NOT BETWEEN 1 AND 9", "(o.capacity NOT BETWEEN $1::bigint AND $2::bigint)", []any{int64(1), int64(9)}},
		{"IS NULL", "closed_at IS NULL", "(o.closed_at IS NULL)", nil},
		{"IS NOT NULL", "closed_at is not null", "(o.closed_at IS NOT NULL)", nil},
		{"timestamp comparison", "created_at >= TIMESTAMP('2024-05-01T00:00:00Z')",
			"(o.created_at >= $1::timestamptz)", []any{ts("2024-05-01T00:00:00Z")}},
		{"date equality is the whole local day", "created_at = DATE('2024-05-01')",
			"(o.created_at >= $1::timestamptz AND o.created_at <= $2::timestamptz)", []any{day, dayEnd}},
		{"after a day", "created_at > DATE('2024-05-01')", "(o.created_at > $1::timestamptz)", []any{dayEnd}},
		{"date on the left mirrors", "DATE('2024-05-01') > created_at", "(o.created_at < $1::timestamptz)", []any{day}},
		{"T_INTERSECTS instant", "T_INTERSECTS(created_at, TIMESTAMP('2024-05-01T08:00:00+08:00'))",
			"(o.created_at <= $1::timestamptz AND o.created_at >= $1::timestamptz)", []any{ts("2024-05-01T00:00:00Z")}},
		{"T_INTERSECTS date", "t_intersects(created_at, DATE('2024-05-01'))",
			"(o.created_at <= $2::timestamptz AND o.created_at >= $1::timestamptz)", []any{day, dayEnd}},
		{"T_INTERSECTS open interval", "T_INTERSECTS(created_at, INTERVAL('2024-05-01T00:00:00Z', '..'))",
			"(o.created_at <= 'infinity'::timestamptz AND o.created_at >= $1::timestamptz)", []any{ts("2024-05-01T00:00:00Z")}},
		{"interval of days", "T_INTERSECTS(created_at, INTERVAL('2024-05-01', DATE('2024-05-01')))",
			"(o.created_at <= $2::timestamptz AND o.created_at >= $1::timestamptz)", []any{day, dayEnd}},
		{"interval bound is a property", "T_DURING(created_at, INTERVAL('..', closed_at))",
			"(o.created_at > '-infinity'::timestamptz AND o.created_at < o.closed_at)", nil},
		{"T_BEFORE", "T_BEFORE(created_at, TIMESTAMP('2024-01-01T00:00:00Z'))",
			"(o.created_at < $1::timestamptz)", []any{ts("2024-01-01T00:00:00Z")}},
		{"T_DISJOINT", "T_DISJOINT(created_at, INTERVAL('2024-01-01T00:00:00Z','2024-02-01T00:00:00Z'))",
			"((o.created_at < $1::timestamptz OR o.created_at > $2::timestamptz))",
			[]any{ts("2024-01-01T00:00:00Z"), ts("2024-02-01T00:00:00Z")}},
		{"S_INTERSECTS point", "S_INTERSECTS(geometry, POINT(119.8 31.36))",
			"ST_Intersects(o.geom, ST_GeomFromWKB($1::bytea, 4326))", []any{wkbOf(orb.Point{119.8, 31.36})}},
		{"S_INTERSECTS literal first", "S_INTERSECTS(POINT(-1 -2), geometry)",
			"ST_Intersects(ST_GeomFromWKB($1::bytea, 4326), o.geom)", []any{wkbOf(orb.Point{-1, -2})}},
		{"S_WITHIN polygon", "S_WITHIN(geometry, POLYGON((119 31, 120 31, 120 32, 119 32, 119 31)))",
			"ST_Within(o.geom, ST_GeomFromWKB($1::bytea, 4326))",
			[]any{wkbOf(orb.Polygon{{{119, 31}, {120, 31}, {120, 32}, {119, 32}, {119, 31}}})}},
		{"BBOX", "S_INTERSECTS(geometry, BBOX(119, 31, 120, 32))",
			"ST_Intersects(o.geom, ST_GeomFromWKB($1::bytea, 4326))",
			[]any{wkbOf(orb.Bound{Min: orb.Point{119, 31}, Max: orb.Point{120, 32}}.ToPolygon())}},
		{"ENVELOPE is west, east, north, south", "S_INTERSECTS(geometry, ENVELOPE(119, 120, 32, 31))",
			"ST_Intersects(o.geom, ST_GeomFromWKB($1::bytea, 4326))",
			[]any{wkbOf(orb.Bound{Min: orb.Point{119, 31}, Max: orb.Point{120, 32}}.ToPolygon())}},
		{"MULTIPOINT both spellings", "S_INTERSECTS(geometry, MULTIPOINT((1 2), 3 4))",
			"ST_Intersects(o.geom, ST_GeomFromWKB($1::bytea, 4326))", []any{wkbOf(orb.MultiPoint{{1, 2}, {3, 4}})}},
		{"spatial predicate compared", "S_INTERSECTS(geometry, POINT(1 2)) = FALSE",
			"(ST_Intersects(o.geom, ST_GeomFromWKB($1::bytea, 4326)) = $2::boolean)", []any{wkbOf(orb.Point{1, 2}), false}},
		{"literal TRUE", "TRUE", "TRUE", nil},
		{"Chinese string", "name LIKE '%公园%'", `(o.name LIKE $1::text ESCAPE E'\\')`, []any{"%公园%"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sql, args, err := compileText(t, c.filter)
			if err != nil {
				t.Fatalf("%s: %v", c.filter, err)
			}
			if sql != c.sql {
				t.Errorf("%s\n got SQL %s\nwant SQL %s", c.filter, sql, c.sql)
			}
			if !reflect.DeepEqual(args, c.args) {
				t.Errorf("%s\n got args %#v\nwant args %#v", c.filter, args, c.args)
			}
		})
	}
}

func wkbOf(g orb.Geometry) []byte {
	var p Params
	c := &compiler{params: &p, srid: 4326}
	if _, _, err := c.geometry(&Geometry{Geom: g}); err != nil {
		panic(err)
	}
	return p.Args()[0].([]byte)
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name, filter string
		unsupported  bool
		want         string // part of the message
	}{
		{"empty", "   ", false, "empty"},
		{"unterminated string", "status = 'open", false, "unterminated string"},
		{"missing operand", "status =", false, "expected a property, a literal or a function"},
		{"dangling AND", "status = 'a' AND", false, "at character 17"},
		{"unbalanced parenthesis", "(status = 'a'", false, "expected ')'"},
		{"trailing garbage", "status = 'a' 'b'", false, "expected AND, OR or the end"},
		{"!= is not CQL2", "status != 'a'", false, "CQL2 writes <>"},
		{"= NULL", "status = NULL", false, "IS NULL"},
		{"unknown property", "colour = 'red'", false, `unknown property "colour"; the queryables are`},
		{"case of property names", "Status = 'a'", false, `did you mean "status"`},
		{"string against integer", "capacity = '5'", false, "expected an integer, found string '5'"},
		{"number against string", "status = 5", false, "expected a string, found number 5 (quote strings"},
		{"string against timestamp", "created_at > '2024-01-01'", false, "write TIMESTAMP("},
		{"bad timestamp", "created_at > TIMESTAMP('yesterday')", false, "RFC 3339"},
		{"bad date", "created_at > DATE('2024-13-01')", false, "YYYY-MM-DD"},
		{"interval backwards", "T_INTERSECTS(created_at, INTERVAL('2024-02-01', '2024-01-01'))", false, "ends before it starts"},
		{"boolean ordering", "overdue < TRUE", false, "only be compared with = and <>"},
		{"geometry comparison", "geometry = POINT(1 2)", false, "spatial functions"},
		{"a string is not a condition", "status", false, "not a condition"},
		{"a literal is not a condition", "'a'", false, "is a value, not a condition"},
		{"LIKE on a number", "capacity LIKE '1%'", false, "LIKE needs a string"},
		{"LIKE ending in escape", `name LIKE 'abc\'`, false, "ends with an escape character"},
		{"BETWEEN on strings", "status BETWEEN 'a' AND 'b'", false, "BETWEEN needs numbers"},
		{"IN with a wrong type", "status IN ('a', 1)", false, "expected a string, found number 1"},
		{"empty IN", "status IN ()", false, "IN list is empty"},
		{"spatial on a string", "S_INTERSECTS(status, POINT(1 2))", false, "spatial functions take geometries"},
		{"temporal on a string", "T_INTERSECTS(status, DATE('2024-01-01'))", false, "temporal functions take times"},
		{"longitude out of range", "S_INTERSECTS(geometry, POINT(200 31))", false, "longitude 200 out of range"},
		{"unclosed ring", "S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1, 0 1)))", false, "geometry literal"},
		{"bbox upside down", "S_INTERSECTS(geometry, BBOX(1, 5, 2, 4))", false, "minimum is above the maximum"},
		{"two positions in a point", "S_INTERSECTS(geometry, POINT(1 2, 3 4))", false, "one position"},
		{"arithmetic", "capacity + 1 > 5", true, "arithmetic (+)"},
		{"arithmetic after a name", "capacity-1 > 5", true, "arithmetic (-)"},
		{"arithmetic on the right", "capacity > 5 * 2", true, "arithmetic (*)"},
		{"ACCENTI", "ACCENTI(name) = 'cafe'", true, "ACCENTI"},
		{"array functions", "A_CONTAINS(tags, ('a'))", true, "array function A_CONTAINS"},
		{"unknown function", "distance(geometry, POINT(1 2)) < 5", true, "function distance"},
		{"geometry collections", "S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(1 2)))", true, "GEOMETRYCOLLECTION"},
		{"3D point", "S_INTERSECTS(geometry, POINT(1 2 3))", true, "3D coordinates"},
		{"Z tag", "S_INTERSECTS(geometry, POINT Z(1 2 3))", true, "3D or measured"},
		{"LIKE with a property pattern", "name LIKE status", true, "LIKE patterns other than string literals"},
		{"IN with a property", "status IN (name)", true, "IN lists of anything but literals"},
		{"deep nesting", strings.Repeat("NOT ", 100) + "overdue", false, "deeper than"},
		{"1,500 conditions", strings.Repeat("status = 'a' OR ", 1499) + "status = 'b'", false, "more than 100 conditions"},
		{"101 conditions", strings.Repeat("overdue OR ", 100) + "overdue", false, "more than 100 conditions"},
		{"an IN list of 1,001", "status IN (" + strings.Repeat("'a', ", 1000) + "'b')", false, "more than 1000 values"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := compileText(t, c.filter)
			var e *invalid.Error
			if !errors.As(err, &e) || e.Field != "filter" {
				t.Fatalf("%s: error %v (%T), want *invalid.Error on filter", c.filter, err, err)
			}
			if !strings.Contains(e.Error(), c.want) {
				t.Errorf("%s: error %q does not say %q", c.filter, e.Error(), c.want)
			}
			if limit := strings.Contains(e.Message, "(the limit)"); (e.Code == CodeTooComplex) != limit {
				t.Errorf("%s: code %s for %q", c.filter, e.Code, e.Message)
			}
			if (e.Code == CodeUnsupported) != c.unsupported {
				t.Errorf("%s: code %s, want unsupported = %v (%v)", c.filter, e.Code, c.unsupported, e)
			}
		})
	}
}

func TestMapGeometries(t *testing.T) {
	e, err := Parse("S_INTERSECTS(geometry, POINT(31 119)) OR T_INTERSECTS(created_at, INTERVAL('..', '..'))")
	if err != nil {
		t.Fatal(err)
	}
	MapGeometries(e, func(g orb.Geometry) orb.Geometry {
		p := g.(orb.Point)
		return orb.Point{p[1], p[0]}
	})
	got := e.(*Logical).Args[0].(*Spatial).B.(*Geometry).Geom
	if got != (orb.Point{119, 31}) {
		t.Errorf("got %v", got)
	}
}

func TestAnd(t *testing.T) {
	a, b := &Bool{Value: true}, &Bool{Value: false}
	if And() != nil || And(nil, nil) != nil {
		t.Error("And of nothing is not nil")
	}
	if And(nil, a) != a {
		t.Error("And of one is not that one")
	}
	if got := fmt.Sprint(And(a, nil, b).(*Logical).Args); got != fmt.Sprint([]Expr{a, b}) {
		t.Errorf("got %s", got)
	}
}
