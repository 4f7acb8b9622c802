#!/usr/bin/env bash
# The vector tiles under load (docs/BENCHMARKS.md, "Vector tiles"): two citymap servers
# on free ports over the demo city at scale 20 (1,040,000 issues), one with its tile
# cache off and one with it on, and `citymap load tiles` against both, against the
# plain ST_AsMVT(ST_AsMVTGeom(...)) query of the usual PostGIS tile servers on the same
# database, against the warm server's /healthz (the bare HTTP ceiling) and, with
# PG_TILESERV=/path/to/pg_tileserv, against pg_tileserv itself on the same database, all
# on this machine.
#
#   [PG_TILESERV=/path/to/pg_tileserv] scripts/bench-tiles.sh [load flags]
#       default: --zooms 12-16 --concurrency 1,32 --duration 20s --runs 3
#
# The scale-20 city is the one scripts/city20.sh builds once (about 1.5 min) as the
# database bench_reports_s20 for every benchmark and reuses; this one only reads it.
# CITYMAP_BENCH_TILES_DB names another one.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
bin=${CITYMAP_BIN:-bin/citymap}
[ -x "$bin" ] || go build -o "$bin" ./cmd/citymap

# shellcheck source=benchlib.sh
. scripts/benchlib.sh
export DATABASE_URL
DATABASE_URL=$(scripts/city20.sh "${CITYMAP_BENCH_TILES_DB:-bench_reports_s20}" "$bin")

# serve NAME PORT FLAGS...: a server in the background, ready when this returns
serve() {
	local name=$1 port=$2
	shift 2
	CITYMAP_LOG_LEVEL=warn "$bin" serve --addr "127.0.0.1:$port" --data-dir "$work/$name" "$@" 2>"$work/$name.log" &
	pids+=($!)
	wait_for 60 "the $name server on 127.0.0.1:$port" curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" || {
		cat "$work/$name.log" >&2
		return 1
	}
}
cold=$(free_port 18180)
# the servers' limits (docs/LIMITS.md) are lifted: this measures what they serve
# flat out, as the PostGIS baseline is measured
unlimited=(--limit-medium 0 --token-concurrency 0)
serve cold "$cold" --tile-cache-mb 0 "${unlimited[@]}"
warm=$(free_port $((cold + 1)))
serve warm "$warm" --tile-cache-mb 256 "${unlimited[@]}"
token=$("$bin" token create --role viewer --name bench-tiles 2>/dev/null)

# pg_tileserv as its documentation configures it: DATABASE_URL, TS_* variables for the
# rest; its pool as large as citymap's (store.DefaultMaxConns), so that pool size is
# not what is compared
peer=()
if [ -n "${PG_TILESERV:-}" ]; then
	tileserv=$(free_port $((warm + 1)))
	TS_HTTPHOST=127.0.0.1 TS_HTTPPORT=$tileserv TS_DBPOOLMAXCONNS=20 "$PG_TILESERV" --no-preview \
		>"$work/pg_tileserv.log" 2>&1 &
	pids+=($!)
	wait_for 60 "pg_tileserv on 127.0.0.1:$tileserv" curl -fs -o /dev/null "http://127.0.0.1:$tileserv/health" || true
	# an empty tile far off the city: served if pg_tileserv publishes the table
	if ! curl -fs -o /dev/null "http://127.0.0.1:$tileserv/public.issues/22/0/0.pbf"; then
		log "pg_tileserv ($PG_TILESERV) does not serve public.issues:"
		cat "$work/pg_tileserv.log" >&2
		exit 1
	fi
	peer=(--peer-url "http://127.0.0.1:$tileserv/public.{table}/{z}/{x}/{y}.pbf" --peer-name pg_tileserv)
else
	log "PG_TILESERV is not set: pg_tileserv is not measured" \
		"(PG_TILESERV=/path/to/pg_tileserv scripts/bench-tiles.sh)"
fi

[ $# -gt 0 ] || set -- --zooms 12-16 --concurrency 1,32 --duration 20s --runs 3
log "$(nproc) CPUs, $(free -g | awk '/^Mem:/ {print $2}') GiB, load average $(cut -d' ' -f1-3 /proc/loadavg)"
log "citymap load tiles --url COLD --warm-url WARM --token T --baseline \$DATABASE_URL" \
	"--ceiling-url WARM/healthz ${peer:+--peer-url PG_TILESERV/public.{table}/{z}/{x}/{y}.pbf --peer-name pg_tileserv }$*"
"$bin" load tiles --url "http://127.0.0.1:$cold" --warm-url "http://127.0.0.1:$warm" --token "$token" \
	--baseline "$DATABASE_URL" --ceiling-url "http://127.0.0.1:$warm/healthz" "${peer[@]}" "$@"
log "load average after $(cut -d' ' -f1-3 /proc/loadavg)"
