// Package store owns every SQL statement citymap runs: the rest of the server asks
// it for domain objects and never writes SQL of its own.
package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"citymap/migrations"
)

// Store is the database behind a citymap instance.
type Store struct {
	Pool *pgxpool.Pool
}

// Open connects to the database at url. PostGIS geometry values travel as EWKB
// bytes ([]byte in Go; encode and decode them with orb's ewkb package).
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	cfg.AfterConnect = registerGeometry
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database unreachable: %w", err)
	}
	return &Store{Pool: pool}, nil
}

// Close releases every connection.
func (s *Store) Close() { s.Pool.Close() }

// registerGeometry lets geometry columns be read and written in binary: PostGIS's
// binary form is EWKB, which the bytea codec passes through untouched.
func registerGeometry(ctx context.Context, conn *pgx.Conn) error {
	var oid uint32
	err := conn.QueryRow(ctx, "SELECT 'geometry'::regtype::oid").Scan(&oid)
	if err != nil {
		// before the first migration PostGIS may not be installed yet
		return nil
	}
	conn.TypeMap().RegisterType(&pgtype.Type{Name: "geometry", OID: oid, Codec: pgtype.ByteaCodec{}})
	return nil
}

// Migrate applies the migrations the database lacks.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	applied, err := migrations.Apply(ctx, s.Pool)
	if err != nil {
		return applied, err
	}
	if len(applied) > 0 {
		// connections opened before PostGIS existed lack the geometry codec
		s.Pool.Reset()
	}
	return applied, nil
}

// ErrNotReady says the database answers but its schema is behind the binary.
var ErrNotReady = errors.New("migrations pending")

// Ready checks that the database answers and carries every migration.
func (s *Store) Ready(ctx context.Context) error {
	v, err := migrations.Current(ctx, s.Pool)
	if err != nil {
		return err
	}
	if latest := migrations.Latest(); v < latest {
		return fmt.Errorf("%w: at %d of %d", ErrNotReady, v, latest)
	}
	return nil
}

// InTx runs fn in a transaction, committing when it returns nil.
func (s *Store) InTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.Pool, fn)
}
