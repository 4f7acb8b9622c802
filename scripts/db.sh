#!/usr/bin/env bash
# The project-local PostgreSQL + PostGIS cluster under .data/pg.
#
#   scripts/db.sh install       install PostgreSQL 15 + PostGIS 3 from apt when missing
#   scripts/db.sh start         create the cluster on a free port (once) and start it
#   scripts/db.sh stop          stop it
#   scripts/db.sh url [DB]      print the connection URL of database DB (default citymap)
#   scripts/db.sh createdb DB   create DB with PostGIS unless it exists
#   scripts/db.sh dropdb DB     drop DB if it exists
#
# It listens on 127.0.0.1 only and trusts local connections: it is a development database.
#
# Who runs the server: PostgreSQL refuses to run as root. Started by any other user, the
# cluster is theirs and runs as them. Started by root, it runs as the postgres system
# user (runuser), which must reach the data directory without this script changing the
# permissions of directories outside the project (search permission on /root, say, would
# open it to every user): when postgres can reach .data, the data stays in .data/pg,
# owned by postgres; when it cannot (the project under /root, mode 700), the data goes
# into postgres's home, /var/lib/postgresql/citymap/<hash of the project's path>, and
# .data/pg is a symbolic link to it. The server writes its log to a file descriptor
# opened here, so .data/postgres.log needs no access of its own.
#
# The settings (written at every start, sized from the machine): write_settings.
# scripts/replica.sh sources this file for its functions and runs a streaming replica.
set -euo pipefail
log_name=db
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

pgbin=/usr/lib/postgresql/15/bin
link="$root/.data/pg"
# the data directory: .data/pg, or where the link .data/pg leads
data=$(realpath -m "$link")
log="$root/.data/postgres.log"

install() {
	[ -x "$pgbin/postgres" ] && [ -f /usr/share/postgresql/15/extension/postgis.control ] && return 0
	apt_install "the database" postgresql-15 postgresql-15-postgis-3
}

port() { cat "$data/PORT"; }

# place_data (as root) makes the empty data directory, owned by postgres, where
# postgres can reach it (see the top of this file)
place_data() {
	[ ! -L "$link" ] || rm "$link" # its cluster is gone
	mkdir -p "$root/.data"
	if as_postgres test -x "$root/.data"; then
		data=$link
		mkdir -p "$data"
		chown postgres:postgres "$data"
		return 0
	fi
	data=$(getent passwd postgres | cut -d: -f6)/citymap/$(printf %s "$root" | sha256sum | cut -c1-12)${data_suffix:-}
	# what is there belonged to an earlier .data of this path
	if [ -e "$data" ]; then
		as_postgres "$pgbin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
		rm -rf "$data"
	fi
	as_postgres mkdir -p "$data"
	ln -s "$data" "$link"
	log "postgres cannot reach $root/.data: the data is in $data"
}

init_cluster() {
	[ -f "$data/PG_VERSION" ] && return 0
	if is_root; then
		place_data
	else
		mkdir -p "$data"
	fi
	chmod 700 "$data"
	as_postgres "$pgbin/initdb" -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 --auth=trust >/dev/null
	free_port 55432 >"$data/PORT"
	echo "include = 'citymap.conf'" >>"$data/postgresql.conf"
}

# mem_mb prints the memory this machine gives its processes, in MiB: /proc/meminfo's,
# or a control group's limit when that is lower (a container's)
mem_mb() {
	local kb limit
	kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
	for f in /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes; do
		limit=$(cat "$f" 2>/dev/null) || continue
		[[ $limit =~ ^[0-9]+$ ]] && [ $((limit / 1024)) -lt "$kb" ] && kb=$((limit / 1024))
	done
	echo $((kb / 1024))
}

# clamp N MIN MAX
clamp() { echo $(($1 < $2 ? $2 : $1 > $3 ? $3 : $1)); }

# write_settings writes the server's settings for port $1 into citymap.conf, which
# postgresql.conf includes last (ALTER SYSTEM still overrides them). The memory and the
# parallel workers are sized from this machine's memory and CPUs, at every start, so
# that they follow the machine. A development database shares the machine with the
# server, the tests' browser and the compiler, so it takes less than a dedicated one:
#   shared_buffers        an eighth of the memory (128 MB to 8 GB)
#   effective_cache_size  half of it: what the kernel's page cache can hold of the data
#   maintenance_work_mem  a thirty-second (64 MB to 2 GB): index builds of the seed
#   work_mem              a 512th (4 MB to 256 MB): a sort or hash of one query step,
#                         of which the tests' parallel connections run many at once
#   max_parallel_workers  one per CPU, half of them for one query or index build
# The WAL carries enough for streaming replicas (scripts/replica.sh; pg_hba.conf, as
# initdb writes it, trusts local replication connections) and keeps a gigabyte of it,
# so that a replica stopped for a while catches up without a new base backup.
# On 2 CPUs and 24 GiB: 3 GB, 12 GB, 753 MB, 47 MB; 2 workers, 1 per query.
write_settings() {
	local mem cpus
	mem=$(mem_mb)
	cpus=$(nproc)
	cat >"$data/citymap.conf" <<CONF
# written by scripts/db.sh at every start: edit the script, not this file
listen_addresses = '127.0.0.1'
port = $1
unix_socket_directories = ''
max_connections = 300
shared_buffers = $(clamp $((mem / 8)) 128 8192)MB
effective_cache_size = $((mem / 2))MB
maintenance_work_mem = $(clamp $((mem / 32)) 64 2048)MB
work_mem = $(clamp $((mem / 512)) 4 256)MB
max_worker_processes = $(clamp "$cpus" 8 1024)
max_parallel_workers = $cpus
max_parallel_workers_per_gather = $(clamp $((cpus / 2)) 1 1024)
max_parallel_maintenance_workers = $(clamp $((cpus / 2)) 1 1024)
max_wal_size = 8GB
checkpoint_timeout = 15min
random_page_cost = 1.1
jit = off
timezone = 'Asia/Shanghai'
log_min_duration_statement = 2000
wal_level = replica
max_wal_senders = 10
wal_keep_size = 1GB
hot_standby = on
CONF
	echo "$1" >"$data/PORT"
	# clusters made before citymap.conf set everything in postgresql.conf
	grep -qx "include = 'citymap.conf'" "$data/postgresql.conf" ||
		echo "include = 'citymap.conf'" >>"$data/postgresql.conf"
	! is_root || chown postgres:postgres "$data/citymap.conf" "$data/PORT" "$data/postgresql.conf"
}

running() {
	[ -f "$data/PG_VERSION" ] && as_postgres "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1
}

ready() { "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$(port)" -U postgres -d postgres; }

# launch WHAT FIRST_PORT SECS SETTINGS starts the cluster in $data unless it runs: on
# its port, or on the first free one from FIRST_PORT when another process has taken it
# since the cluster was made (SETTINGS PORT writes its settings), waiting SECS for it
launch() {
	local what=$1 first=$2 secs=$3 settings=$4
	running && return 0
	local p
	p=$(port)
	port_in_use "$p" && p=$(free_port "$first")
	"$settings" "$p"
	if ! as_postgres "$pgbin/pg_ctl" -D "$data" -W start >>"$log" 2>&1 ||
		! wait_for "$secs" "$what on 127.0.0.1:$p" ready; then
		tail -n 20 "$log" >&2
		die "$what did not start (the end of $log above)"
	fi
}

start() {
	install
	init_cluster
	launch PostgreSQL 55432 60 write_settings
	log "PostgreSQL on 127.0.0.1:$(port), data in .data/pg"
}

stop() {
	running || return 0
	as_postgres "$pgbin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
}

url() { echo "postgres://postgres@127.0.0.1:$(port)/${1:-citymap}?sslmode=disable"; }

psql_admin() { psql -X -q -v ON_ERROR_STOP=1 "$(url postgres)" "$@"; }

createdb() {
	local db=$1
	if [ -z "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
		psql_admin -c "CREATE DATABASE \"$db\""
	fi
	PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 "$(url "$db")" \
		-c "CREATE EXTENSION IF NOT EXISTS postgis"
}

dropdb() { psql_admin -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)"; }

# sourced (scripts/replica.sh): the functions only
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0
cmd=${1:-}
shift || true
case "$cmd" in
install | start | stop | url | createdb | dropdb) "$cmd" "$@" ;;
*)
	sed -n '2,9p' "$0" >&2
	exit 2
	;;
esac
