// Package pgcluster runs PostgreSQL servers of a test's own: a primary made by
// initdb, streaming standbys made from it by pg_basebackup, each stopped,
// started and promoted at the test's word, for the tests of what citymap does
// when its database fails over or is restored. It needs the PostgreSQL 15
// server programs (Bin) and the PostGIS extension files beside them; without
// them the test is skipped, or fails under CITYMAP_REQUIRE_SERVICES.
//
// PostgreSQL refuses to run as root: run by root, the servers run as the
// postgres system user, as scripts/db.sh does, in a directory it owns.
package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"citymap/server/dbtest"
)

// Bin holds the server programs (initdb, pg_ctl, pg_basebackup, postgres).
const Bin = "/usr/lib/postgresql/15/bin"

// startTimeout bounds starting, stopping and promoting a server: generous,
// since tests share the machine's cores.
const startTimeout = 180

// Cluster is the servers of one test, in a temporary directory that goes with
// them when the test ends.
type Cluster struct {
	t       testing.TB
	root    string
	cred    *syscall.Credential // the postgres user when run by root
	servers []*Server
}

// Server is one PostgreSQL server of a Cluster, listening on 127.0.0.1.
type Server struct {
	Name string // its cluster_name, which a standby's walreceiver reports as application_name
	Dir  string // the data directory
	Port int
	c    *Cluster
	log  string
}

// New prepares a cluster for t; its servers are stopped (immediately: the
// test is over) and their files removed when t ends.
func New(t testing.TB) *Cluster {
	t.Helper()
	if _, err := os.Stat(filepath.Join(Bin, "initdb")); err != nil {
		msg := fmt.Sprintf("pgcluster: the PostgreSQL 15 server programs are not in %s (scripts/db.sh install)", Bin)
		if os.Getenv(dbtest.EnvRequire) != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	c := &Cluster{t: t}
	var err error
	if os.Geteuid() == 0 {
		c.cred, err = postgresUser()
		if err != nil {
			t.Fatal(err)
		}
	}
	if c.root, err = c.makeRoot(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.cleanup)
	return c
}

// postgresUser is the credential of the postgres system user.
func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgcluster: run as root, the servers need the postgres user: %w", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// makeRoot makes the cluster's directory, owned by whoever runs the servers,
// where they can reach it: the temporary directory when every directory above
// it lets others through, else the postgres user's home.
func (c *Cluster) makeRoot() (string, error) {
	base := os.TempDir()
	if c.cred != nil && !traversable(base) {
		u, err := user.Lookup("postgres")
		if err != nil {
			return "", err
		}
		base = u.HomeDir
	}
	dir, err := os.MkdirTemp(base, "citymap-pgcluster-")
	if err != nil {
		return "", err
	}
	if c.cred != nil {
		if err := os.Chown(dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// traversable reports whether every directory from / to dir lets others
// search it.
func traversable(dir string) bool {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == "/" {
			return true
		}
	}
}

func (c *Cluster) cleanup() {
	for _, s := range c.servers {
		if c.t.Failed() {
			c.t.Logf("pgcluster: the end of %s's log:\n%s", s.Name, s.LogTail(30))
		}
		if s.Running() {
			_ = s.pgctl("stop", "-m", "immediate")
		}
	}
	if err := os.RemoveAll(c.root); err != nil {
		c.t.Logf("pgcluster: removing %s: %v", c.root, err)
	}
}

// run runs a server program as the servers' user, returning its output on
// failure in the error.
func (c *Cluster) run(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(Bin, name), args...)
	cmd.Dir = c.root
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "TZ=UTC")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// Primary makes and starts a new primary with trust authentication on
// 127.0.0.1; settings are extra lines of postgresql.conf.
func (c *Cluster) Primary(name string, settings ...string) *Server {
	c.t.Helper()
	s := c.newServer(name)
	if err := c.run("initdb", "-D", s.Dir, "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8",
		"--auth=trust", "--no-sync"); err != nil {
		c.t.Fatal(err)
	}
	s.configure(append(baseSettings(), settings...))
	s.Start()
	return s
}

// Standby makes a streaming standby of primary from a base backup
// (pg_basebackup -R: it follows the primary from where the backup ends) and
// starts it. It reports its Name to the primary, which is what
// synchronous_standby_names lists.
func (c *Cluster) Standby(primary *Server, name string, settings ...string) *Server {
	c.t.Helper()
	s := c.newServer(name)
	if err := c.run("pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(primary.Port), "-U", "postgres",
		"-D", s.Dir, "-R", "-X", "stream", "-c", "fast", "--no-sync"); err != nil {
		c.t.Fatal(err)
	}
	// the copied configuration is the primary's: its port and name are replaced below
	s.configure(settings)
	s.Start()
	return s
}

// baseSettings keep test servers small and quick: fsync is off since a test
// stops servers, never the machine (a server stopped with -m immediate still
// finds every byte it wrote when it starts again).
func baseSettings() []string {
	return []string{
		"listen_addresses = '127.0.0.1'", "unix_socket_directories = ''",
		"max_connections = 100", "shared_buffers = 32MB", "fsync = off",
		"wal_level = replica", "max_wal_senders = 10", "wal_keep_size = 256MB",
		"hot_standby = on", "timezone = 'Asia/Shanghai'", "log_line_prefix = '%m [%p] '",
	}
}

func (c *Cluster) newServer(name string) *Server {
	s := &Server{Name: name, Dir: filepath.Join(c.root, name), Port: freePort(c.t), c: c,
		log: filepath.Join(c.root, name+".log")}
	c.servers = append(c.servers, s)
	return s
}

// configure appends the server's own settings to its postgresql.conf, where
// the last line naming a setting wins.
func (s *Server) configure(settings []string) {
	s.c.t.Helper()
	lines := append([]string{"", "# pgcluster", fmt.Sprintf("port = %d", s.Port),
		fmt.Sprintf("cluster_name = '%s'", s.Name)}, settings...)
	f, err := os.OpenFile(filepath.Join(s.Dir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(strings.Join(lines, "\n") + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		s.c.t.Fatal(err)
	}
}

// freePort is a TCP port of 127.0.0.1 that nothing listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (s *Server) pgctl(args ...string) error {
	return s.c.run("pg_ctl", append([]string{"-D", s.Dir, "-w", "-t", strconv.Itoa(startTimeout)}, args...)...)
}

// Start starts the server and waits until it accepts connections.
func (s *Server) Start() {
	s.c.t.Helper()
	if err := s.pgctl("-l", s.log, "start"); err != nil {
		s.c.t.Fatalf("%v\n%s", err, s.LogTail(20))
	}
}

// Stop stops the server: mode "immediate" is a crash (no checkpoint, every
// connection cut), "fast" a clean shutdown.
func (s *Server) Stop(mode string) {
	s.c.t.Helper()
	if err := s.pgctl("stop", "-m", mode); err != nil {
		s.c.t.Fatal(err)
	}
}

// Restart stops the server (fast: every connection is cut) and starts it
// again.
func (s *Server) Restart() {
	s.c.t.Helper()
	if err := s.pgctl("-l", s.log, "-m", "fast", "restart"); err != nil {
		s.c.t.Fatalf("%v\n%s", err, s.LogTail(20))
	}
}

// Promote makes a standby the primary and waits until it takes writes.
func (s *Server) Promote() {
	s.c.t.Helper()
	if err := s.pgctl("promote"); err != nil {
		s.c.t.Fatalf("%v\n%s", err, s.LogTail(20))
	}
}

// Running reports whether the server runs.
func (s *Server) Running() bool {
	return s.c.run("pg_ctl", "-D", s.Dir, "status") == nil
}

// LogTail is the last n lines of the server's log.
func (s *Server) LogTail(n int) string {
	b, err := os.ReadFile(s.log)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// URL is the connection URL of database db on the server.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// HostsURL is the connection URL of database db that lists every server, in
// order, and asks for the one that takes writes: what an instance is given
// for a primary and its standbys.
func HostsURL(db string, servers ...*Server) string {
	hosts := make([]string, len(servers))
	for i, s := range servers {
		hosts[i] = fmt.Sprintf("127.0.0.1:%d", s.Port)
	}
	return fmt.Sprintf("postgres://postgres@%s/%s?sslmode=disable&target_session_attrs=read-write",
		strings.Join(hosts, ","), db)
}

// Exec runs statements on database db of the server.
func (s *Server) Exec(db, sql string, args ...any) {
	s.c.t.Helper()
	if err := s.query(db, func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, sql, args...)
		return err
	}); err != nil {
		s.c.t.Fatalf("%s on %s: %v", sql, s.Name, err)
	}
}

// QueryRow runs a query of one row on database db and scans it into dest.
func (s *Server) QueryRow(db, sql string, args []any, dest ...any) error {
	return s.query(db, func(ctx context.Context, conn *pgx.Conn) error {
		return conn.QueryRow(ctx, sql, args...).Scan(dest...)
	})
}

func (s *Server) query(db string, fn func(context.Context, *pgx.Conn) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL(db))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return fn(ctx, conn)
}

// CreateDatabase creates database name with PostGIS.
func (s *Server) CreateDatabase(name string) {
	s.c.t.Helper()
	s.Exec("postgres", "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	s.Exec(name, "CREATE EXTENSION postgis")
}

// Synchronous makes the primary wait for standby's flush of every commit
// (synchronous_commit on, the default, with synchronous_standby_names): a
// commit the primary acknowledged is then on the standby's disk too, and
// promoting the standby loses none. It waits until the standby is the
// synchronous one.
func (s *Server) Synchronous(standby *Server) {
	s.c.t.Helper()
	s.Exec("postgres", fmt.Sprintf("ALTER SYSTEM SET synchronous_standby_names = '%s'", standby.Name))
	s.Exec("postgres", "SELECT pg_reload_conf()")
	s.waitFor("the standby to be synchronous", func() (bool, error) {
		var n int
		err := s.QueryRow("postgres", `SELECT count(*) FROM pg_stat_replication
			WHERE application_name = $1 AND sync_state = 'sync' AND state = 'streaming'`, []any{standby.Name}, &n)
		return n == 1, err
	})
}

// CaughtUp waits until standby has replayed everything the server wrote.
func (s *Server) CaughtUp(standby *Server) {
	s.c.t.Helper()
	var lsn string
	if err := s.QueryRow("postgres", "SELECT pg_current_wal_lsn()::text", nil, &lsn); err != nil {
		s.c.t.Fatal(err)
	}
	standby.waitFor("the standby to replay to "+lsn, func() (bool, error) {
		var done bool
		err := standby.QueryRow("postgres", "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", []any{lsn}, &done)
		return done, err
	})
}

func (s *Server) waitFor(what string, ok func() (bool, error)) {
	s.c.t.Helper()
	deadline := time.Now().Add(time.Duration(startTimeout) * time.Second)
	for {
		done, err := ok()
		if done && err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.c.t.Fatalf("pgcluster: waiting for %s on %s: %v", what, s.Name, errors.Join(err, errors.New("timed out")))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
