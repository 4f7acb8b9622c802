package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	osexec "os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"citymap/migrations"
	"citymap/server"
	"citymap/server/dbtest"
	"citymap/server/store"
)

const pgbin = "/usr/lib/postgresql/15/bin"

// TestBackupRestoresToAPointInTime runs scripts/backup.sh on a throwaway cluster
// of its own: issues, a full backup, more issues, a boundary, more issues (and a
// transaction open across the boundary), a restore to the boundary in a new
// cluster, which must hold exactly the issues committed before it; the same in
// place of the running cluster. Then the archiver's state in /metrics and
// /readyz, working and failing.
func TestBackupRestoresToAPointInTime(t *testing.T) {
	need(t, "pgbackrest", "pgbackrest (scripts/backup.sh installs it)")
	need(t, pgbin+"/initdb", "PostgreSQL 15 (scripts/db.sh install)")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := newCluster(t)
	st := c.citymap(t, ctx)
	c.backupSh(t, "setup")

	before := createIssues(t, ctx, st, "before-backup", 5)
	c.backupSh(t, "backup")
	// pgBackRest restores to a time from the backups that stopped before it, in
	// whole seconds: the boundary below comes at least a second after this one's
	time.Sleep(time.Second)
	before = append(before, createIssues(t, ctx, st, "after-backup", 5)...)
	// open before the boundary, committed after it: not in the restored cluster
	straddling, err := st.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := straddling.Exec(ctx, `UPDATE issues SET description = 'straddling' WHERE id = $1`, before[0]); err != nil {
		t.Fatal(err)
	}
	// clock_timestamp() after the commits above: later than each of their commit
	// records, earlier than every commit below, at any hour
	var boundary string
	if err := st.Pool.QueryRow(ctx, `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC',
		'YYYY-MM-DD HH24:MI:SS.US') || '+00'`).Scan(&boundary); err != nil {
		t.Fatal(err)
	}
	if err := straddling.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	after := createIssues(t, ctx, st, "after-boundary", 5)
	// check switches to a new WAL segment and waits until it is archived: the
	// commits after the boundary, where recovery stops, are in the archive
	c.backupSh(t, "check")

	restored := filepath.Join(c.dir, "restore")
	c.backupSh(t, "restore", "--to", boundary, "--into", restored)
	t.Cleanup(func() { c.backupSh(t, "discard", "--into", restored) })
	port, err := os.ReadFile(filepath.Join(restored, "PORT"))
	if err != nil {
		t.Fatal(err)
	}
	got, straddled := restoredIssues(t, ctx, c.url(strings.TrimSpace(string(port)), "citymap"))
	slices.Sort(before)
	if !slices.Equal(got, before) {
		t.Errorf("restored to %s: issues %v, want exactly those committed before it %v (after it: %v)",
			boundary, got, before, after)
	}
	if straddled {
		t.Errorf("restored to %s: holds the update committed after it", boundary)
	}

	// the running cluster itself, replaced by its state as of the boundary
	c.backupSh(t, "restore", "--to", boundary, "--in-place")
	got, straddled = restoredIssues(t, ctx, c.url(strconv.Itoa(c.port), "citymap"))
	if !slices.Equal(got, before) || straddled {
		t.Errorf("restored in place to %s: issues %v (straddling update: %v), want exactly %v",
			boundary, got, straddled, before)
	}

	t.Run("archiver status", func(t *testing.T) { archiverStatus(t, ctx, st) })
}

// archiverStatus checks /metrics and /readyz of an instance on st: archiving
// works, then archive_command fails and the instance says so, staying ready.
func archiverStatus(t *testing.T, ctx context.Context, st *store.Store) {
	in := startInstance(t, st, server.Config{})
	if got := in.metric(t, "citymap_wal_archive_enabled"); got != 1 {
		t.Errorf("citymap_wal_archive_enabled = %v, want 1", got)
	}
	// the restore in place started a timeline, whose history file the archiver
	// archives after the promotion (the restore reset the statistics)
	waitFor(t, "an archived segment", func() bool { return in.metric(t, "citymap_wal_archived_total") >= 1 })
	if got := in.metric(t, "citymap_wal_archive_failing"); got != 0 {
		t.Errorf("citymap_wal_archive_failing = %v, want 0", got)
	}
	if age := in.metric(t, "citymap_wal_archive_last_success_age_seconds"); !(age >= 0 && age < 600) {
		t.Errorf("citymap_wal_archive_last_success_age_seconds = %v, want the seconds since the check", age)
	}

	// ALTER SYSTEM is read after backup.conf: archive_command fails from now on
	exec(t, st, `ALTER SYSTEM SET archive_command = 'false'`)
	exec(t, st, `SELECT pg_reload_conf()`)
	createIssues(t, ctx, st, "unarchived", 1)
	exec(t, st, `SELECT pg_switch_wal()`)
	waitFor(t, "the archiver to fail", func() bool { return in.metric(t, "citymap_wal_archive_failing") == 1 })
	if got := in.metric(t, "citymap_wal_archive_failures_total"); got < 1 {
		t.Errorf("citymap_wal_archive_failures_total = %v while failing, want some", got)
	}
	res, err := http.Get(in.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Status   string `json:"status"`
		Archiver struct {
			Failing bool                 `json:"failing"`
			Message string               `json:"message"`
			Status  store.ArchiverStatus `json:"status"`
		} `json:"archiver"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || body.Status != "ready" {
		t.Errorf("/readyz with a failing archiver: %d %q, want 200 ready", res.StatusCode, body.Status)
	}
	if !body.Archiver.Failing || body.Archiver.Status.LastFailedWAL == "" || body.Archiver.Message == "" {
		t.Errorf("/readyz does not tell of the failing archiver: %+v", body.Archiver)
	}
}

// need skips the test when program is missing, or fails it under `make test`.
func need(t *testing.T, program, what string) {
	t.Helper()
	if _, err := osexec.LookPath(program); err == nil {
		return
	}
	msg := fmt.Sprintf("%s is missing: this test needs %s", program, what)
	if os.Getenv(dbtest.EnvRequire) != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// cluster is a throwaway PostgreSQL cluster in a temporary directory.
type cluster struct {
	dir, data string
	port      int
}

// newCluster initialises and starts a cluster, which the test's end stops and
// removes. Run by root, it belongs to postgres, as db.sh's does.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	dir, err := os.MkdirTemp("", "citymap-backup-")
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{dir: dir, data: filepath.Join(dir, "pg"), port: freeTCPPort(t)}
	t.Cleanup(func() {
		_ = c.asPostgres(pgbin+"/pg_ctl", "-D", c.data, "-m", "immediate", "-w", "stop").Run()
		_ = os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		chownPostgres(t, dir)
	}
	run(t, c.asPostgres(pgbin+"/initdb", "-D", c.data, "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "--auth=trust"))
	// a small, fast server: it holds a few rows and is thrown away
	settings := fmt.Sprintf("listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = ''\n"+
		"shared_buffers = 32MB\nfsync = off\ntimezone = 'Asia/Shanghai'\n", c.port)
	c.write(t, "postgresql.conf", settings, os.O_APPEND)
	c.write(t, "PORT", strconv.Itoa(c.port)+"\n", os.O_TRUNC)
	run(t, c.asPostgres(pgbin+"/pg_ctl", "-D", c.data, "-w", "-l", filepath.Join(c.data, "postgres.log"), "start"))
	return c
}

// write writes or appends to a file of the data directory, as its owner.
func (c *cluster) write(t *testing.T, name, text string, mode int) {
	t.Helper()
	flag := "-a"
	if mode == os.O_TRUNC {
		flag = "--"
	}
	cmd := c.asPostgres("tee", flag, filepath.Join(c.data, name))
	cmd.Stdin = strings.NewReader(text)
	run(t, cmd)
}

// asPostgres is a command run as the cluster's user.
func (c *cluster) asPostgres(name string, args ...string) *osexec.Cmd {
	if os.Geteuid() == 0 {
		return osexec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
	}
	return osexec.Command(name, args...)
}

func (c *cluster) url(port, db string) string {
	return "postgres://postgres@127.0.0.1:" + port + "/" + db + "?sslmode=disable"
}

// citymap creates the citymap database with every migration and opens it.
func (c *cluster) citymap(t *testing.T, ctx context.Context) *store.Store {
	t.Helper()
	port := strconv.Itoa(c.port)
	admin, err := pgx.Connect(ctx, c.url(port, "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE citymap"); err != nil {
		t.Fatal(err)
	}
	db, err := pgx.Connect(ctx, c.url(port, "citymap"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	if _, err := db.Exec(ctx, "CREATE EXTENSION postgis"); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, c.url(port, "citymap"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if _, err := migrations.Apply(ctx, st.Pool); err != nil {
		t.Fatal(err)
	}
	return st
}

// backupSh runs scripts/backup.sh on the cluster, its configuration, log and
// repository in the cluster's directory.
func (c *cluster) backupSh(t *testing.T, args ...string) {
	t.Helper()
	cmd := osexec.Command("../scripts/backup.sh", args...)
	cmd.Env = append(os.Environ(), "CITYMAP_PGDATA="+c.data, "CITYMAP_BACKUP_DIR="+filepath.Join(c.dir, "backup"))
	start := time.Now()
	run(t, cmd)
	t.Logf("backup.sh %s: %v", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
}

func run(t *testing.T, cmd *osexec.Cmd) {
	t.Helper()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
}

func chownPostgres(t *testing.T, dir string) {
	t.Helper()
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// createIssues takes in n issues, one transaction each, and returns their ids.
func createIssues(t *testing.T, ctx context.Context, st *store.Store, batch string, n int) []int64 {
	t.Helper()
	by := store.IssueActor{Actor: "admin:test", Reporter: "test"}
	var ids []int64
	for i := range n {
		in, err := st.CreateIssue(ctx, by, store.NewIssue{Source: "grid_patrol", Category: "manhole_cover",
			ExternalID: fmt.Sprintf("%s-%d", batch, i), Description: batch, Address: "test",
			Location: orb.Point{119.5 + float64(i)/1000, 32.0}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, in.ID)
	}
	return ids
}

// restoredIssues are the ids of the issues in the restored database, and
// whether the straddling update is among its rows.
func restoredIssues(t *testing.T, ctx context.Context, url string) ([]int64, bool) {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var ids []int64
	var straddled bool
	if err := conn.QueryRow(ctx, `SELECT coalesce(array_agg(id ORDER BY id), '{}'),
		coalesce(bool_or(description = 'straddling'), false) FROM issues`).Scan(&ids, &straddled); err != nil {
		t.Fatal(err)
	}
	return ids, straddled
}
