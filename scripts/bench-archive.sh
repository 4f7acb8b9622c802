#!/usr/bin/env bash
# The cost of WAL archiving (docs/BACKUP.md): the same write load on a throwaway cluster
# with archive_mode off, on (scripts/backup.sh setup), on, off, in one run, so that the
# figures compare as ratios on a loaded machine. For each: the load's time and WAL, and
# with archiving on how long after the load the archiver had the last segment.
#
#   scripts/bench-archive.sh [ROWS]     (default 4,000,000 rows and an index: 572 MB of WAL)
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
rows=${1:-4000000}
pgbin=/usr/lib/postgresql/15/bin
scripts/db.sh install
scripts/backup.sh install

tmp=$(mktemp -d /tmp/citymap-bench-archive-XXXX)
[ "$(id -u)" != 0 ] || chown postgres "$tmp"
export CITYMAP_PGDATA=$tmp/pg CITYMAP_BACKUP_DIR=$tmp/backup
trap 'as_postgres "$pgbin/pg_ctl" -D "$CITYMAP_PGDATA" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
port=$(free_port 56980)
as_postgres "$pgbin/initdb" -D "$CITYMAP_PGDATA" -U postgres --auth=trust >/dev/null
printf "listen_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = ''\nshared_buffers = 128MB\nmax_wal_size = 8GB\n" "$port" |
	as_postgres tee -a "$CITYMAP_PGDATA/postgresql.conf" >/dev/null
echo "$port" | as_postgres tee "$CITYMAP_PGDATA/PORT" >/dev/null
start() { as_postgres "$pgbin/pg_ctl" -D "$CITYMAP_PGDATA" -l "$CITYMAP_PGDATA/postgres.log" -w start >/dev/null; }
start
q() { psql -X -tA -q "postgres://postgres@127.0.0.1:$port/postgres" -c "$1"; }

# archived: the archiver has the segment $last
archived() { [ "$(q "SELECT coalesce(last_archived_wal >= '$last', false) FROM pg_stat_archiver")" = t ]; }

# load MODE writes the rows and their index, and with archiving on waits for the archive
load() {
	q "DROP TABLE IF EXISTS w"
	local from to began ended
	from=$(q "SELECT pg_current_wal_lsn()")
	began=$(date +%s.%N)
	q "CREATE TABLE w AS SELECT g, md5(g::text) AS h FROM generate_series(1, $rows) g"
	q "CREATE INDEX ON w (h)"
	ended=$(date +%s.%N)
	to=$(q "SELECT pg_current_wal_lsn()")
	local msg
	msg="archive_mode $1: load $(printf '%.1f' "$(echo "$ended - $began" | bc)") s, WAL $(q "SELECT pg_size_pretty(pg_wal_lsn_diff('$to', '$from'))")"
	if [ "$1" = on ]; then
		q "SELECT pg_switch_wal()" >/dev/null
		last=$(q "SELECT pg_walfile_name('$to')")
		wait_for 3600 "the archive" archived
		msg="$msg, archived $(printf '%.1f' "$(echo "$(date +%s.%N) - $ended" | bc)") s after it"
	fi
	echo "$msg"
}

load off
scripts/backup.sh setup 2>&1 | grep -v '^WARN' >&2
load on
load on
echo "repository: $(du -sh "$tmp/backup/repo/archive" | cut -f1) of archived WAL"
as_postgres "$pgbin/pg_ctl" -D "$CITYMAP_PGDATA" -m fast -w stop >/dev/null
as_postgres sed -i 's/^archive_mode = on/archive_mode = off/' "$CITYMAP_PGDATA/backup.conf"
start
load off
