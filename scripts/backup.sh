#!/usr/bin/env bash
# Base backups and continuous WAL archiving of the project's cluster with pgBackRest,
# and restores to a point in time (docs/BACKUP.md).
#
#   scripts/backup.sh install             install pgBackRest from apt when missing
#   scripts/backup.sh setup               archive every WAL segment into the stanza (once;
#                                         restarts the cluster when archiving was off)
#   scripts/backup.sh backup [--type full|diff|incr] [--if-none]
#                                         a base backup (full by default; --if-none: only
#                                         when the repository holds none yet)
#   scripts/backup.sh list                the backups and the archived WAL
#   scripts/backup.sh check               a WAL switch archived end to end, the archiver's state
#   scripts/backup.sh restore --to 'YYYY-MM-DD HH:MM:SS+TZ' [--into DIR] [--port N] [--in-place]
#                                         the cluster as of that instant, in a new cluster
#                                         (DIR, default .data/restore, on a free port),
#                                         started and promoted; --in-place replaces the
#                                         running cluster's data instead
#   scripts/backup.sh discard [--into DIR]   stop and remove a restored cluster
#
# Where things are (read at setup, kept in the configuration it writes):
#   CITYMAP_BACKUP_DIR    pgBackRest's configuration, log and lock files (.data/backup)
#   CITYMAP_BACKUP_REPO   the repository: the backups and the archived WAL
#                         (default $CITYMAP_BACKUP_DIR/repo); in production another disk
#                         or host, or S3-compatible storage through conf.d (docs/BACKUP.md)
#   CITYMAP_BACKUP_RETENTION_FULL   full backups kept, with the WAL they need (2)
#   CITYMAP_PGDATA        the cluster's data directory (db.sh's, .data/pg); its port is
#                         in PGDATA/PORT, as db.sh writes it
#
# The archive settings go into PGDATA/backup.conf, which postgresql.conf includes after
# db.sh's citymap.conf, so db.sh's settings and these never overwrite each other.
# Started by root, pgBackRest runs as postgres, the user the server and its
# archive_command run as (see db.sh).
set -euo pipefail
log_name=backup
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

pgbin=/usr/lib/postgresql/15/bin
stanza=citymap
default_data=$root/.data/pg
data=$(realpath -m "${CITYMAP_PGDATA:-$default_data}")
dir=$(realpath -m "${CITYMAP_BACKUP_DIR:-$root/.data/backup}")
conf=$dir/pgbackrest.conf

install() {
	command -v pgbackrest >/dev/null || apt_install "backups" pgbackrest
}

port() { cat "$data/PORT" 2>/dev/null || die "no cluster in $data (scripts/db.sh start)"; }

running() { [ -f "$data/PG_VERSION" ] && as_postgres "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

# pgbr CMD [OPTION...] runs pgBackRest on the stanza, as the cluster's user; the
# commands that connect get the cluster's current port, which db.sh may change at a start
pgbr() {
	local cmd=$1
	shift
	case $cmd in backup | check | stanza-create) set -- --pg1-port="$(port)" "$@" ;; esac
	as_postgres pgbackrest --config="$conf" --config-include-path="$dir/conf.d" --stanza="$stanza" "$@" "$cmd"
}

# sql DB QUERY runs QUERY on the cluster on port $port (default the cluster's)
sql() { psql -X -q -tA -v ON_ERROR_STOP=1 "postgres://postgres@127.0.0.1:${port:-$(port)}/$1?sslmode=disable" -c "$2"; }

# place DIR makes DIR writable by the cluster's user. Started by root, it is owned by
# postgres; when postgres cannot reach it (the project under /root), it goes into
# postgres's home and DIR becomes a link there, as db.sh does with the data.
place() {
	local want=$1
	mkdir -p "$(dirname "$want")"
	if ! is_root; then
		mkdir -p "$want"
		return 0
	fi
	if [ -L "$want" ] || as_postgres test -x "$(dirname "$want")"; then
		mkdir -p "$(realpath -m "$want")"
		chown postgres:postgres "$(realpath -m "$want")"
		return 0
	fi
	local home
	home=$(getent passwd postgres | cut -d: -f6)/citymap/$(printf %s "$want" | sha256sum | cut -c1-12)
	as_postgres mkdir -p "$home"
	ln -s "$home" "$want"
	log "postgres cannot reach $want: it is a link to $home"
}

# write_conf writes pgBackRest's configuration. The repository is kept from an
# earlier setup unless CITYMAP_BACKUP_REPO names another.
write_conf() {
	local repo=${CITYMAP_BACKUP_REPO:-}
	[ -n "$repo" ] || repo=$(sed -n 's/^repo1-path=//p' "$conf" 2>/dev/null) || true
	[ -n "$repo" ] || repo=$dir/repo
	place "$dir"
	dir=$(realpath -m "$dir")
	conf=$dir/pgbackrest.conf
	place "$repo"
	repo=$(realpath -m "$repo")
	as_postgres mkdir -p "$dir/log" "$dir/lock" "$dir/conf.d" "$dir/run"
	# the repository holds every row of the city: its owner's alone
	as_postgres chmod 700 "$dir" "$repo"
	as_postgres tee "$conf" >/dev/null <<CONF
# written by scripts/backup.sh setup: edit the script, or add files to conf.d
# (another repository, S3 credentials: docs/BACKUP.md)
[global]
repo1-path=$repo
repo1-retention-full=${CITYMAP_BACKUP_RETENTION_FULL:-2}
compress-type=zst
process-max=2
start-fast=y
log-path=$dir/log
lock-path=$dir/lock
log-level-console=warn
log-level-file=info

[$stanza]
pg1-path=$data
pg1-socket-path=$dir/run
pg1-user=postgres
CONF
}

# write_server_conf writes the archive settings into PGDATA/backup.conf and has
# postgresql.conf include it; it prints "restart" when the server must restart
# for them (archive_mode and the socket take effect at a start only).
write_server_conf() {
	# pgBackRest reaches the server over a Unix socket; its path has at most 107 bytes
	[ $((${#dir} + 21)) -le 107 ] || die "the path of $dir is too long for a Unix socket: set CITYMAP_BACKUP_DIR"
	local new
	new=$(
		cat <<CONF
# written by scripts/backup.sh setup: every WAL segment goes into the pgBackRest stanza
archive_mode = on
archive_command = 'pgbackrest --config=$conf --config-include-path=$dir/conf.d --stanza=$stanza archive-push %p'
# pgBackRest connects over a Unix socket, in a directory only the cluster's user reaches
unix_socket_directories = '$dir/run'
unix_socket_permissions = 0700
CONF
	)
	local old
	old=$(cat "$data/backup.conf" 2>/dev/null || true)
	[ "$old" = "$new" ] && return 0
	printf '%s\n' "$new" | as_postgres tee "$data/backup.conf" >/dev/null
	grep -qx "include_if_exists = 'backup.conf'" "$data/postgresql.conf" ||
		echo "include_if_exists = 'backup.conf'" | as_postgres tee -a "$data/postgresql.conf" >/dev/null
	if [ "$(sql postgres "SHOW archive_mode")" = on ] && [ "$(sql postgres "SHOW unix_socket_directories")" = "$dir/run" ]; then
		sql postgres "SELECT pg_reload_conf()" >/dev/null
	else
		echo restart
	fi
}

# restart restarts the cluster: db.sh's through db.sh, another with pg_ctl
restart() {
	log "restarting the cluster in $data for archive_mode"
	if [ "$data" = "$(realpath -m "$default_data")" ]; then
		scripts/db.sh stop
		scripts/db.sh start
	else
		as_postgres "$pgbin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
		start_cluster "$data"
	fi
}

# start_cluster DATA starts the cluster in DATA, its log in DATA/postgres.log
start_cluster() {
	as_postgres "$pgbin/pg_ctl" -D "$1" -w -t 600 -l "$1/postgres.log" start >/dev/null ||
		{
			as_postgres tail -n 20 "$1/postgres.log" >&2
			die "the cluster in $1 did not start (the end of its log above)"
		}
}

setup() {
	install
	[ "$data" != "$(realpath -m "$default_data")" ] || scripts/db.sh start
	running || die "no cluster runs in $data"
	write_conf
	local need
	need=$(write_server_conf)
	[ "$need" != restart ] || restart
	pgbr stanza-create
	pgbr check
	log "WAL archiving on: stanza $stanza, repository $(sed -n 's/^repo1-path=//p' "$conf")"
}

configured() { [ -f "$conf" ] || die "no backup configuration in $dir: run scripts/backup.sh setup"; }

backup() {
	local type=full if_none=
	while [ $# -gt 0 ]; do
		case $1 in
		--type) type=${2:?--type wants full, diff or incr} && shift ;;
		--if-none) if_none=1 ;;
		*) usage ;;
		esac
		shift
	done
	configured
	if [ -n "$if_none" ] && [ "$(pgbr info --output=json | jq '.[0].backup | length')" != 0 ]; then
		return 0
	fi
	local start=$SECONDS
	pgbr backup --type="$type"
	log "$type backup done in $((SECONDS - start)) s"
}

list() {
	configured
	pgbr info
	running || return 0
	sql postgres "SELECT 'archiver: ' || archived_count || ' segments archived, last ' ||
		coalesce(last_archived_time::text, 'never') || '; ' || failed_count || ' failures, last ' ||
		coalesce(last_failed_wal || ' at ' || last_failed_time, 'never') FROM pg_stat_archiver"
}

check() {
	configured
	pgbr check
	list
}

# restore_target TIME prints TIME in UTC, as recovery_target_time reads it; a time
# without a zone would be read in the server's zone, so it must say its own
restore_target() {
	local to=$1
	[[ $to =~ ([+-][0-9]{2}(:?[0-9]{2})?|Z|UTC)$ ]] ||
		{
			log "--to '$to' has no time zone: say it, e.g. '2026-11-26 20:00:00+08'"
			exit 2
		}
	date -u -d "$to" '+%Y-%m-%d %H:%M:%S.%6N+00' 2>/dev/null ||
		{
			log "--to '$to' is no time: want 'YYYY-MM-DD HH:MM:SS+TZ'"
			exit 2
		}
}

restore() {
	local to='' into=$root/.data/restore port='' in_place=
	while [ $# -gt 0 ]; do
		case $1 in
		--to) to=${2:?--to wants a time} && shift ;;
		--into) into=${2:?--into wants a directory} && shift ;;
		--port) port=${2:?--port wants a number} && shift ;;
		--in-place) in_place=1 ;;
		*) usage ;;
		esac
		shift
	done
	[ -n "$to" ] || usage
	configured
	local target
	target=$(restore_target "$to")
	if [ -n "$in_place" ]; then
		restore_in_place "$target"
	else
		restore_beside "$target" "$into" "$port"
	fi
}

# the mark of a directory that restore_beside made, which it may replace
mark=.citymap-restore

# restore_beside TARGET DIR PORT restores into a new cluster in DIR on PORT (a free one
# when empty), leaving the running cluster alone; a cluster it restored there before
# is replaced
restore_beside() {
	local target=$1 into=$2 port=$3
	into=$(realpath -m "$into")
	[ "$into" != "$data" ] || die "--into is the running cluster's data directory: --in-place replaces it"
	if [ -e "$into" ] && [ -n "$(ls -A "$into" 2>/dev/null)" ]; then
		as_postgres test -f "$into/$mark" ||
			die "$into holds something restore did not make: remove it or choose another --into"
		discard --into "$into"
	fi
	place "$into"
	into=$(realpath -m "$into")
	as_postgres chmod 700 "$into"
	port=${port:-$(free_port 56432)}
	log "restoring the cluster as of $target into $into"
	local start=$SECONDS
	pgbr restore --pg1-path="$into" --type=time --target="$target" --target-action=promote --archive-mode=off
	as_postgres touch "$into/$mark"
	echo "$port" | as_postgres tee "$into/PORT" >/dev/null
	# backup.conf is read last: the restored cluster's own port and socket, no
	# archiving into the stanza of the cluster it came from, a small cache
	as_postgres tee "$into/backup.conf" >/dev/null <<CONF
# written by scripts/backup.sh restore: a restored copy, not the cluster it came from
port = $port
unix_socket_directories = '$into'
archive_mode = off
shared_buffers = 128MB
CONF
	start_cluster "$into"
	promoted "$into" "$port"
	log "restored in $((SECONDS - start)) s: a cluster on 127.0.0.1:$port, e.g." \
		"postgres://postgres@127.0.0.1:$port/citymap?sslmode=disable (scripts/backup.sh discard --into $into stops and removes it)"
}

# restore_in_place TARGET replaces the cluster's data with its state as of TARGET
restore_in_place() {
	local target=$1
	log "replacing the data of the cluster in $data with its state as of $target"
	local start=$SECONDS
	if [ "$data" = "$(realpath -m "$default_data")" ]; then
		scripts/db.sh stop
	elif running; then
		as_postgres "$pgbin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
	fi
	pgbr restore --delta --type=time --target="$target" --target-action=promote
	if [ "$data" = "$(realpath -m "$default_data")" ]; then
		scripts/db.sh start
	else
		start_cluster "$data"
	fi
	promoted "$data" "$(port)"
	log "restored in $((SECONDS - start)) s; it now writes a new timeline: take a full backup (scripts/backup.sh backup)"
}

# promoted DATA PORT waits until the restored cluster has replayed the WAL up to the
# target and left recovery, then says which commit it replayed last
promoted() {
	local into=$1 port=$2 # read by in_recovery_done and sql
	if ! wait_for 1800 "the recovery of $into" in_recovery_done; then
		as_postgres tail -n 20 "$into/postgres.log" >&2
		die "the restored cluster did not leave recovery (the end of its log above)"
	fi
	log "last commit replayed: $(sql postgres "SELECT coalesce(pg_last_xact_replay_timestamp()::text, 'none after the backup')")"
}

# in_recovery_done succeeds once the cluster on $port answers and is out of
# recovery; it fails the wait at once when the server stopped (a target the
# archive does not reach ends recovery with an error)
in_recovery_done() {
	if ! as_postgres "$pgbin/pg_ctl" -D "$into" status >/dev/null 2>&1; then
		as_postgres tail -n 20 "$into/postgres.log" >&2
		die "the restored cluster stopped during recovery (the end of its log above; a target after the last archived commit cannot be reached)"
	fi
	[ "$(sql postgres "SELECT pg_is_in_recovery()" 2>/dev/null)" = f ]
}

# discard [--into DIR] stops and removes a cluster that restore made
discard() {
	local into=$root/.data/restore
	[ "${1:-}" != --into ] || into=${2:?--into wants a directory}
	[ -e "$into" ] || return 0
	as_postgres test -f "$into/$mark" || die "$into was not made by restore: left alone"
	as_postgres "$pgbin/pg_ctl" -D "$into" -m immediate -w stop >/dev/null 2>&1 || true
	rm -rf "$(realpath -m "$into")"
	[ ! -L "$into" ] || rm "$into"
}

usage() {
	sed -n '2,/^# Where things/p' "$0" | head -n -2 >&2
	exit 2
}

cmd=${1:-}
shift || true
case "$cmd" in
install | setup | backup | list | check | restore | discard) "$cmd" "$@" ;;
*) usage ;;
esac
