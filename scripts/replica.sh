#!/usr/bin/env bash
# A streaming replica of the project-local cluster (scripts/db.sh) under .data/pg-replica,
# for the tests of citymap serve --replica-url.
#
#   scripts/replica.sh start      start the primary, make the replica once (pg_basebackup -R)
#                                 and start it; a second run only checks that it streams
#   scripts/replica.sh stop       stop the replica
#   scripts/replica.sh url [DB]   print the connection URL of database DB on the replica
#                                 (default citymap); databases made on the primary appear
#                                 there once the replica has replayed them
#
# It is a hot standby on its own port, with the primary's settings (db.sh's write_settings)
# but a smaller shared_buffers. Where its data lives and who runs it follow db.sh (the
# postgres user when started by root, postgres's home when it cannot reach .data). It
# streams without a replication slot: the primary keeps wal_keep_size of WAL, and a replica
# left behind further than that (stopped for long) is made again from a fresh base backup.
set -euo pipefail
# shellcheck source=db.sh
. "$(dirname "$0")/db.sh"
log_name=replica

primary_data=$data
primary_port() { cat "$primary_data/PORT"; }
# from here on the cluster functions of db.sh work on the replica
link="$root/.data/pg-replica"
data=$(realpath -m "$link")
log="$root/.data/postgres-replica.log"
data_suffix=-replica

# primary_psql SQL runs SQL on the primary's postgres database
primary_psql() { psql -X -q -tA -v ON_ERROR_STOP=1 "postgres://postgres@127.0.0.1:$(primary_port)/postgres?sslmode=disable" -c "$1"; }
replica_psql() { psql -X -q -tA -v ON_ERROR_STOP=1 "$(url postgres)" -c "$1"; }

# base_backup copies the running primary into an empty data directory and marks it a
# standby (-R writes standby.signal and primary_conninfo)
base_backup() {
	if is_root; then
		place_data
	else
		mkdir -p "$data"
	fi
	chmod 700 "$data"
	log "base backup of the primary on 127.0.0.1:$(primary_port) into $data"
	as_postgres "$pgbin/pg_basebackup" -h 127.0.0.1 -p "$(primary_port)" -U postgres -D "$data" \
		-R -X stream -c fast >>"$log" 2>&1 || die "pg_basebackup failed (the end of $log)"
	free_port 55532 >"$data/PORT"
	! is_root || chown postgres:postgres "$data/PORT"
}

# write_replica_settings writes db.sh's settings for port $1, then what a standby of
# this machine needs on top: where the primary is now (it may have moved to another
# port since the base backup, so the line -R wrote into postgresql.auto.conf goes) and
# less memory, since it shares the machine with its primary
write_replica_settings() {
	write_settings "$1"
	cat >>"$data/citymap.conf" <<CONF
# the replica's own (scripts/replica.sh)
shared_buffers = 256MB
primary_conninfo = 'host=127.0.0.1 port=$(primary_port) user=postgres application_name=citymap_replica'
hot_standby_feedback = on
CONF
	sed -i '/^primary_conninfo/d' "$data/postgresql.auto.conf"
}

# caught_up: the replica has replayed everything the primary had written when asked
caught_up() {
	local want
	want=$(primary_psql "SELECT pg_current_wal_lsn()")
	[ "$(replica_psql "SELECT pg_last_wal_replay_lsn() >= '$want'::pg_lsn")" = t ]
}

start_replica() {
	[ -f "$data/PG_VERSION" ] || base_backup
	launch "the replica" 55532 120 write_replica_settings
	wait_for 60 "the replica to catch up with the primary" caught_up
}

start() {
	"$root/scripts/db.sh" start
	if ! start_replica; then
		# left behind further than the primary keeps WAL, or broken: make it again
		log "the replica does not follow the primary: making it again"
		stop_replica
		rm -rf "${data:?}"/* "$link"
		data=$(realpath -m "$link")
		start_replica || die "the replica does not follow the primary (the end of $log)"
	fi
	log "replica on 127.0.0.1:$(port), streaming from 127.0.0.1:$(primary_port)"
}

stop_replica() {
	running || return 0
	as_postgres "$pgbin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
}

cmd=${1:-}
shift || true
case "$cmd" in
start) start ;;
stop) stop_replica ;;
url) url "$@" ;;
*)
	sed -n '2,10p' "$0" >&2
	exit 2
	;;
esac
