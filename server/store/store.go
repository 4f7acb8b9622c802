// Package store owns every SQL statement citymap runs: the rest of the server asks
// it for domain objects and never writes SQL of its own.
package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"citymap/migrations"
)

// Store is the database behind a citymap instance.
type Store struct {
	Pool *pgxpool.Pool
	// probe is a pool of one connection for Ready, so that a readiness check
	// never waits behind requests that hold every connection of Pool; nil
	// (a Store made by hand) checks through Pool.
	probe *pgxpool.Pool
	// Figures computes the reports' evaluation figures in memory when set
	// (figures.go); nil aggregates them in SQL.
	Figures FigureSource
	// ogcCounts keeps the numberMatched of OGC queries (ogccount.go).
	ogcCounts ogcCounts
	// hexShapes keeps the hotspot report's hexagons (hexshapes.go).
	hexShapes hexShapes
	// primaryOnly: the URL asks for the server that takes writes (failover.go)
	primaryOnly bool
	// opts configured Pool; the replicas' pools take them too (replicas.go)
	opts []Option
	// replicas serve the reads that may be a little stale; nil reads
	// everything from Pool (replicas.go)
	replicas *replicaSet
}

// Option tunes the connections of a store.
type Option func(*pgxpool.Config)

// StatementTimeout makes d the statement_timeout of every connection unless
// the URL sets one: the safety net under the request deadlines of a server
// (server/limit), for whatever runs without one.
func StatementTimeout(d time.Duration) Option {
	return func(c *pgxpool.Config) {
		params := c.ConnConfig.RuntimeParams
		if _, set := params["statement_timeout"]; !set && d > 0 {
			params["statement_timeout"] = strconv.FormatInt(d.Milliseconds(), 10)
		}
	}
}

// DefaultMaxConns is a server's pool size unless its URL says pool_max_conns:
// pgx's own default (the number of CPUs, at least 4) is fewer connections
// than the heavy and medium requests a server serves at once, which would
// leave light ones waiting for a connection behind them.
const DefaultMaxConns = 20

// MaxConns sizes the pool unless the URL says pool_max_conns.
func MaxConns(n int32) Option {
	return func(c *pgxpool.Config) {
		if !strings.Contains(c.ConnString(), "pool_max_conns") {
			c.MaxConns = n
		}
	}
}

// Open connects to the database at url. PostGIS geometry values travel as EWKB
// bytes ([]byte in Go; encode and decode them with orb's ewkb package). A
// query whose context ends is cancelled in PostgreSQL too (a cancel request,
// then the connection is dropped if that is not answered within a second):
// pgx's default only drops the connection, which leaves the query running
// on the server, where a timed-out request's work would go on to its end.
// A url with several hosts names a primary and its standbys (failover.go).
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	cfg, err := poolConfig(url, opts)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	primaryOnly := configureFailover(cfg, url)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database unreachable: %w", err)
	}
	probeCfg := cfg.Copy()
	probeCfg.MaxConns, probeCfg.MinConns = 1, 0
	probe, err := pgxpool.NewWithConfig(ctx, probeCfg) // connects on first use
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{Pool: pool, probe: probe, primaryOnly: primaryOnly, opts: opts}, nil
}

// poolConfig is the configuration of a pool of url's server with opts.
func poolConfig(url string, opts []Option) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.AfterConnect = registerGeometry
	cfg.ConnConfig.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: time.Second}
	}
	for _, o := range opts {
		o(cfg)
	}
	return cfg, nil
}

// Close releases every connection.
func (s *Store) Close() {
	s.closeReplicas()
	s.Pool.Close()
	if s.probe != nil {
		s.probe.Close()
	}
}

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
	v, err := migrations.Current(ctx, s.probePool())
	if err != nil {
		return err
	}
	if latest := migrations.Latest(); v < latest {
		return fmt.Errorf("%w: at %d of %d", ErrNotReady, v, latest)
	}
	return nil
}

// probePool is the pool of health checks: the probe, whose connection no
// request holds, when there is one.
func (s *Store) probePool() *pgxpool.Pool {
	if s.probe != nil {
		return s.probe
	}
	return s.Pool
}

// InTx runs fn in a transaction, committing when it returns nil.
func (s *Store) InTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.Pool, fn)
}
