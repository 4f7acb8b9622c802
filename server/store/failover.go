package store

import (
	"context"
	"errors"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Failover: a DATABASE_URL that lists several hosts
// (postgres://h1:5432,h2:5432/citymap?target_session_attrs=read-write) names
// a primary and its standbys. pgx tries them in order for every new
// connection; these settings make sure each connection reaches the one that
// takes writes, and that one to a server no longer taking them leaves the
// pool (docs/FAILOVER.md).

const (
	// defaultConnectTimeout bounds each host's connection attempt unless the
	// URL says connect_timeout: a primary whose machine died answers nothing,
	// and without it every new connection would wait for the kernel's TCP
	// timeout (minutes) on it before trying the next host.
	defaultConnectTimeout = 5 * time.Second
	// pingTimeout bounds the liveness ping of a connection taken from the pool
	// after it idled: one to a dead host is then given up in time for the
	// request to get another.
	pingTimeout = 2 * time.Second
)

// configureFailover applies the settings above to a pool's configuration
// parsed from connString; primaryOnly says its connections must reach a
// server that takes writes.
func configureFailover(cfg *pgxpool.Config, connString string) (primaryOnly bool) {
	cc := cfg.ConnConfig
	if cc.ConnectTimeout == 0 { // neither connect_timeout nor PGCONNECT_TIMEOUT
		cc.ConnectTimeout = defaultConnectTimeout
	}
	cfg.PingTimeout = pingTimeout
	attrs := sessionAttrs(connString)
	if attrs == "" && severalHosts(cc.Config) {
		// several hosts without a word on which: the one that takes writes,
		// never a standby that happens to be listed first
		cc.ValidateConnect, attrs = pgconn.ValidateConnectTargetSessionAttrsReadWrite, "read-write"
	}
	if attrs != "read-write" {
		return false
	}
	cfg.PrepareConn = func(_ context.Context, c *pgx.Conn) (bool, error) { return writable(c), nil }
	return true
}

// ErrNotPrimary says a connection's server no longer takes writes.
var ErrNotPrimary = errors.New("the database server no longer takes writes (a failover or switchover): reconnecting")

// CheckPrimary tells a listener, which holds its connection for good, when
// to reconnect: its server stopped taking writes while the store asks for
// the primary, so that what is committed now goes elsewhere. Listeners call
// it after each exchange with the server (which brings its reports).
func (s *Store) CheckPrimary(conn *pgx.Conn) error {
	if s.primaryOnly && !writable(conn) {
		return ErrNotPrimary
	}
	return nil
}

// writable tells whether a pooled connection's server still takes writes,
// checked when the connection is taken from the pool (not when it is given
// back: pgxpool runs that check in a goroutine of its own at every release);
// one that does not is closed, and pgxpool takes or makes another (a new
// connection finds the host that is now the primary). PostgreSQL (14 on)
// reports default_transaction_read_only and in_hot_standby to its clients
// whenever they change, so this costs no round trip. It catches what the
// check at connect time (target_session_attrs) no longer sees: a primary
// fenced for a switchover (default_transaction_read_only set and reloaded)
// while connections to it sit in the pool.
func writable(c *pgx.Conn) bool {
	pc := c.PgConn()
	return pc.ParameterStatus("default_transaction_read_only") != "on" &&
		pc.ParameterStatus("in_hot_standby") != "on"
}

// severalHosts reports whether c lists more than one server (its fallbacks
// also hold the same server again for sslmode=prefer).
func severalHosts(c pgconn.Config) bool {
	for _, f := range c.Fallbacks {
		if f.Host != c.Host || f.Port != c.Port {
			return true
		}
	}
	return false
}

var sessionAttrsKV = regexp.MustCompile(`(?:^|\s)target_session_attrs\s*=\s*'?([a-z-]+)`)

// sessionAttrs is the target_session_attrs a connection string asks for, or
// PGTARGETSESSIONATTRS, "" when neither says.
func sessionAttrs(connString string) string {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		// url.Parse rejects several host:port pairs; the query is all we need
		if _, q, ok := strings.Cut(connString, "?"); ok {
			if v, err := url.ParseQuery(q); err == nil && v.Get("target_session_attrs") != "" {
				return v.Get("target_session_attrs")
			}
		}
	} else if m := sessionAttrsKV.FindStringSubmatch(connString); m != nil {
		return m[1]
	}
	return os.Getenv("PGTARGETSESSIONATTRS")
}
