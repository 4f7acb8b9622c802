package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// Token is a stored API token (never the secret itself, only its hash).
type Token struct {
	ID        int64
	Name      string
	Role      string
	Areas     []string
	Unit      string // the unit a unit token acts for
	CreatedAt time.Time
	ExpiresAt *time.Time
}

// ErrNoToken says no live token has that hash.
var ErrNoToken = errors.New("no such token")

// CreateToken stores a token's hash.
func (s *Store) CreateToken(ctx context.Context, name, role string, areas []string, hash []byte, expires *time.Time) (Token, error) {
	return s.CreateUnitToken(ctx, name, role, areas, "", hash, expires)
}

// CreateUnitToken stores a token's hash with the unit it acts for (a unit
// token needs one, other roles none).
func (s *Store) CreateUnitToken(ctx context.Context, name, role string, areas []string, unit string, hash []byte, expires *time.Time) (Token, error) {
	if areas == nil {
		areas = []string{}
	}
	t := Token{Name: name, Role: role, Areas: areas, Unit: unit, ExpiresAt: expires}
	err := s.Pool.QueryRow(ctx, `INSERT INTO api_tokens (name, role, areas, unit, token_hash, expires_at)
		VALUES ($1, $2, $3, nullif($4, ''), $5, $6) RETURNING id, created_at`,
		name, role, areas, unit, hash, expires).Scan(&t.ID, &t.CreatedAt)
	return t, err
}

// TokenByHash finds the live (unrevoked, unexpired) token with this hash.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (Token, error) {
	var t Token
	err := s.Pool.QueryRow(ctx, `UPDATE api_tokens SET last_used_at = now()
		WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
		RETURNING id, name, role, areas, coalesce(unit, ''), created_at, expires_at`, hash).
		Scan(&t.ID, &t.Name, &t.Role, &t.Areas, &t.Unit, &t.CreatedAt, &t.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, ErrNoToken
	}
	return t, err
}

// RevokeToken revokes a token by name; it reports how many it revoked.
func (s *Store) RevokeToken(ctx context.Context, name string) (int64, error) {
	tag, err := s.Pool.Exec(ctx, `UPDATE api_tokens SET revoked_at = now()
		WHERE name = $1 AND revoked_at IS NULL`, name)
	return tag.RowsAffected(), err
}

// MissingAreaCodes returns those of codes that name no area.
func (s *Store) MissingAreaCodes(ctx context.Context, codes []string) ([]string, error) {
	rows, err := s.Pool.Query(ctx, `SELECT c FROM unnest($1::text[]) AS c
		WHERE NOT EXISTS (SELECT 1 FROM areas WHERE code = c) ORDER BY c`, codes)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// FirstCommunityCode returns the code of the city's first community, the demo
// grid manager's beat ("" when there are no areas).
func (s *Store) FirstCommunityCode(ctx context.Context) (string, error) {
	var code string
	err := s.Pool.QueryRow(ctx, `SELECT coalesce(min(code), '') FROM areas WHERE level = 'community'`).Scan(&code)
	return code, err
}

// UnitExists reports whether a unit has this code.
func (s *Store) UnitExists(ctx context.Context, code string) (bool, error) {
	var known bool
	err := s.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM units WHERE code = $1)`, code).Scan(&known)
	return known, err
}

// UnitWorksPoint reports whether the unit with this code is responsible for
// the point (points keep the unit's name) or has a task at it.
func (s *Store) UnitWorksPoint(ctx context.Context, unit, point string) (bool, error) {
	var ok bool
	err := s.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM units u JOIN points p ON p.unit IN (u.name, u.code)
			WHERE u.code = $1 AND p.code = $2)
		OR EXISTS (SELECT 1 FROM tasks WHERE unit = $1 AND $2 = ANY(point_codes))`, unit, point).Scan(&ok)
	return ok, err
}
