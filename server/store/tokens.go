package store

import (
	"context"
	"errors"
	"fmt"
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
	// Source is the issue source a reporter token reports for; "" for none.
	Source string
}

// ErrNoToken says no live token has that hash.
var ErrNoToken = errors.New("no such token")

// CreateToken stores a token's hash.
func (s *Store) CreateToken(ctx context.Context, name, role string, areas []string, hash []byte, expires *time.Time) (Token, error) {
	return s.StoreToken(ctx, Token{Name: name, Role: role, Areas: areas, ExpiresAt: expires}, hash)
}

// CreateUnitToken stores a token's hash with the unit it acts for (a unit
// token needs one, other roles none).
func (s *Store) CreateUnitToken(ctx context.Context, name, role string, areas []string, unit string, hash []byte, expires *time.Time) (Token, error) {
	return s.StoreToken(ctx, Token{Name: name, Role: role, Areas: areas, Unit: unit, ExpiresAt: expires}, hash)
}

// StoreToken stores token t (its name, role, areas, source, unit and expiry)
// under the hash of its secret.
func (s *Store) StoreToken(ctx context.Context, t Token, hash []byte) (Token, error) {
	if t.Areas == nil {
		t.Areas = []string{}
	}
	err := s.Pool.QueryRow(ctx, `INSERT INTO api_tokens (name, role, areas, source, unit, token_hash, expires_at)
		VALUES ($1, $2, $3, nullif($4, ''), nullif($5, ''), $6, $7) RETURNING id, created_at`,
		t.Name, t.Role, t.Areas, t.Source, t.Unit, hash, t.ExpiresAt).Scan(&t.ID, &t.CreatedAt)
	return t, err
}

// TokenByHash finds the live (unrevoked, unexpired) token with this hash.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (Token, error) {
	var t Token
	err := s.Pool.QueryRow(ctx, `UPDATE api_tokens SET last_used_at = now()
		WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
		RETURNING id, name, role, areas, coalesce(source, ''), coalesce(unit, ''), created_at, expires_at`, hash).
		Scan(&t.ID, &t.Name, &t.Role, &t.Areas, &t.Source, &t.Unit, &t.CreatedAt, &t.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, ErrNoToken
	}
	return t, err
}

// TokenByID finds the live token with this id, without marking it used: for
// checking again what an open /live socket was granted.
func (s *Store) TokenByID(ctx context.Context, id int64) (Token, error) {
	var t Token
	err := s.Pool.QueryRow(ctx, `SELECT id, name, role, areas, coalesce(source, ''), coalesce(unit, ''),
			created_at, expires_at FROM api_tokens
		WHERE id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`, id).
		Scan(&t.ID, &t.Name, &t.Role, &t.Areas, &t.Source, &t.Unit, &t.CreatedAt, &t.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, ErrNoToken
	}
	return t, err
}

// TokenChannel is the LISTEN channel on which migration 0015 announces the id of
// every token revoked, deleted or otherwise changed ("*" when the table was
// truncated), whoever changed it.
const TokenChannel = "citymap_tokens"

// TokenListenerName is the application_name of token listeners' connections,
// which tells them apart in pg_stat_activity.
const TokenListenerName = "citymap token listener"

// ListenTokens opens a connection outside the pool that listens on TokenChannel.
func (s *Store) ListenTokens(ctx context.Context) (*pgx.Conn, error) {
	cfg := s.Pool.Config().ConnConfig.Copy()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = TokenListenerName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{TokenChannel}.Sanitize()); err != nil {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
		return nil, err
	}
	return conn, nil
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
