package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"citymap/server/access"
	"citymap/server/dbtest"
)

// TestScopeSQLAgreesWithCovers runs access.SQL and access.ContainsSQL over
// every area code of the test city, and a grid code that is NULL, for scopes
// of every level, and wants the rows that Covers and Touches pick in Go.
func TestScopeSQLAgreesWithCovers(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	rows, _ := st.Pool.Query(ctx, `SELECT code FROM areas ORDER BY code`)
	codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(codes) < 100 {
		t.Fatalf("%d area codes (%v): the template holds none", len(codes), err)
	}
	grid := codes[slices.IndexFunc(codes, func(c string) bool { return len(c) == 14 })]
	scopes := []access.Scope{nil, {grid[:6]}, {grid[:9]}, {grid[:12]}, {grid},
		{grid[:12], codes[len(codes)-1]}, {"999999"}, {grid[:6] + "_"}}
	for _, s := range scopes {
		var covered, touched []string
		var null bool
		err := st.Pool.QueryRow(ctx, `SELECT
				coalesce(array_agg(code ORDER BY code) FILTER (WHERE `+access.SQL("code", "$1")+`), '{}'),
				coalesce(array_agg(code ORDER BY code) FILTER (WHERE `+access.SQL("code", "$1")+` OR `+access.ContainsSQL("code", "$2")+`), '{}'),
				`+access.SQL("NULL::text", "$1")+`
			FROM areas`, s.Patterns(), []string(s)).Scan(&covered, &touched, &null)
		if err != nil {
			t.Fatal(err)
		}
		want := slices.DeleteFunc(slices.Clone(codes), func(c string) bool { return !s.Covers(c) })
		if !slices.Equal(covered, want) {
			t.Errorf("scope %v: SQL covers %d codes, Covers %d", s, len(covered), len(want))
		}
		want = slices.DeleteFunc(slices.Clone(codes), func(c string) bool { return !s.Touches(c) })
		if !slices.Equal(touched, want) {
			t.Errorf("scope %v: SQL touches %d codes, Touches %d", s, len(touched), len(want))
		}
		if null != (len(s) == 0) {
			t.Errorf("scope %v: a NULL code is in it: %v, want %v", s, null, len(s) == 0)
		}
		if len(s) == 1 && len(s[0]) == 12 && len(covered) < 2 {
			t.Errorf("scope %v covers %d codes: a community holds grids", s, len(covered))
		}
	}
}
