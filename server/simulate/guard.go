package simulate

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"citymap/server/access"
	"citymap/server/auth"
	"citymap/server/democity"
	"citymap/server/store"
)

// ErrNotDemoCity refuses a database the demo-city seeder did not make:
// simulate writes cases, readings and inspections, which have no place in a
// real city's records.
var ErrNotDemoCity = errors.New("this database was not seeded as the demo city (no demo_city row in settings, " +
	"which `citymap seed` leaves): simulate plays only on the demo city, never on a real one " +
	"(a demo database seeded before the marker existed: citymap seed --replace)")

// CheckDemoCity returns the seeder's marker (its seed, scale and instant, as
// JSON), or ErrNotDemoCity.
func CheckDemoCity(ctx context.Context, st *store.Store) (string, error) {
	var v string
	err := st.Pool.QueryRow(ctx, `SELECT value::text FROM settings WHERE key = $1`, democity.DemoCityKey).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ErrNotDemoCity
	}
	return v, err
}

// tokenNames name the simulation's tokens, by what they act as.
const (
	nameDispatcher  = "simulate-dispatcher"
	nameGridManager = "simulate-grid-manager"
	nameHotline     = "simulate-hotline-12345"
	nameHotline311  = "simulate-hotline-12319"
)

// CreateTokens makes the tokens the simulation acts with, as `citymap token
// create` does: a dispatcher, a grid manager of the whole city (its
// districts), and reporters of the 12345 and 12319 hotlines. revoke ends them.
func CreateTokens(ctx context.Context, st *store.Store) (t Tokens, revoke func(context.Context), err error) {
	var districts []string
	if err := st.Pool.QueryRow(ctx, `SELECT coalesce(array_agg(code ORDER BY code), '{}') FROM areas WHERE level = 'district'`).
		Scan(&districts); err != nil {
		return t, nil, err
	}
	if len(districts) == 0 {
		return t, nil, fmt.Errorf("the city has no district for the grid manager's token")
	}
	for _, x := range []struct {
		tok   *string
		token store.Token
	}{
		{&t.Dispatcher, store.Token{Name: nameDispatcher, Role: access.Dispatcher}},
		{&t.GridManager, store.Token{Name: nameGridManager, Role: access.GridManager, Areas: districts}},
		{&t.Hotline, store.Token{Name: nameHotline, Role: access.Reporter, Source: "hotline_12345"}},
		{&t.Hotline311, store.Token{Name: nameHotline311, Role: access.Reporter, Source: "hotline_12319"}},
	} {
		secret, hash, err := auth.NewToken()
		if err != nil {
			return t, nil, err
		}
		if _, err := st.StoreToken(ctx, x.token, hash); err != nil {
			return t, nil, err
		}
		*x.tok = secret
	}
	revoke = func(ctx context.Context) {
		for _, name := range []string{nameDispatcher, nameGridManager, nameHotline, nameHotline311} {
			_, _ = st.RevokeToken(ctx, name)
		}
	}
	return t, revoke, nil
}
