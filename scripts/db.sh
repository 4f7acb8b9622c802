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
# The server runs as the postgres system user (PostgreSQL refuses root), listens on
# 127.0.0.1 only and trusts local connections: it is a development database.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
data="$root/.data/pg"
pgbin=/usr/lib/postgresql/15/bin
log="$root/.data/postgres.log"

need_install() {
	[ -x "$pgbin/postgres" ] || return 0
	[ -f /usr/share/postgresql/15/extension/postgis.control ] || return 0
	return 1
}

install() {
	need_install || return 0
	echo "db: installing PostgreSQL 15 + PostGIS 3 from apt" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends postgresql-15 postgresql-15-postgis-3 >/dev/null
}

as_postgres() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

port() { cat "$data/PORT"; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
	local p=55432
	while port_in_use "$p"; do p=$((p + 1)); done
	echo "$p"
}

# The postgres user must be able to reach .data/ from /.
open_path() {
	[ "$(id -u)" = 0 ] || return 0
	local d="$root"
	while [ "$d" != / ]; do
		runuser -u postgres -- test -x "$d" || chmod o+x "$d"
		d=$(dirname "$d")
	done
}

init_cluster() {
	[ -f "$data/PG_VERSION" ] && return 0
	mkdir -p "$data"
	open_path
	[ "$(id -u)" = 0 ] && chown -R postgres:postgres "$root/.data"
	chmod 700 "$data"
	as_postgres "$pgbin/initdb" -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 --auth=trust >/dev/null
	free_port >"$data/PORT"
	cat >>"$data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $(port)
unix_socket_directories = ''
max_connections = 300
shared_buffers = 1GB
work_mem = 32MB
maintenance_work_mem = 512MB
effective_cache_size = 8GB
max_wal_size = 8GB
checkpoint_timeout = 15min
random_page_cost = 1.1
jit = off
timezone = 'Asia/Shanghai'
log_min_duration_statement = 2000
EOF
	[ "$(id -u)" = 0 ] && chown postgres:postgres "$data/PORT"
	return 0
}

running() {
	[ -f "$data/PG_VERSION" ] && as_postgres "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1
}

start() {
	install
	init_cluster
	if ! running; then
		# another process may have taken the port since the cluster was made
		if port_in_use "$(port)"; then
			local p
			p=$(free_port)
			sed -i "s/^port = .*/port = $p/" "$data/postgresql.conf"
			echo "$p" >"$data/PORT"
		fi
		touch "$log" && { [ "$(id -u)" != 0 ] || chown postgres:postgres "$log"; }
		as_postgres "$pgbin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null
	fi
	echo "db: PostgreSQL on 127.0.0.1:$(port), data in .data/pg" >&2
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

cmd=${1:-}
shift || true
case "$cmd" in
install | start | stop | url | createdb | dropdb) "$cmd" "$@" ;;
*)
	sed -n '2,10p' "$0" >&2
	exit 2
	;;
esac
