#!/usr/bin/env bash
# The live stream under load (docs/BENCHMARKS.md, "Live stream"): a citymap server on a
# free port over a scratch clone of the demo city (scale 1, seed 1), and
# `citymap load live` against it from another process, all on this machine.
#
#   scripts/bench-live.sh [load flags]   default: --subscribers 10000 --rate 1000 --duration 60s
#
# Prints the load tool's report, then the server's CPU time and peak memory.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
bin=bin/citymap
[ -x "$bin" ] || go build -o "$bin" ./cmd/citymap

scripts/db.sh start
admin=$(scripts/db.sh url postgres)
q() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -tA -v ON_ERROR_STOP=1 "$admin" -c "$1"; }

# the demo city, built once and cloned for every run
city=bench_live_city
if [ -z "$(q "SELECT 1 FROM pg_database WHERE datname = '$city'")" ]; then
	log "seeding $city (demo city, scale 1, seed 1)"
	q "DROP DATABASE IF EXISTS ${city}_building WITH (FORCE)"
	q "CREATE DATABASE ${city}_building"
	url=$(scripts/db.sh url "${city}_building")
	DATABASE_URL=$url "$bin" migrate >/dev/null
	DATABASE_URL=$url "$bin" seed --scale 1 --seed 1 >/dev/null
	q "ALTER DATABASE ${city}_building RENAME TO $city"
fi
db=bench_live_$$
q "CREATE DATABASE $db TEMPLATE $city STRATEGY FILE_COPY"
export DATABASE_URL
DATABASE_URL=$(scripts/db.sh url "$db")
work=$(mktemp -d)
server=
# shellcheck disable=SC2317 # the EXIT trap calls it; shellcheck 0.9 takes it for unreachable because the script ends with exit
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	q "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
	rm -rf "$work"
}
trap cleanup EXIT

port=$(free_port 18080)
# one token plays every wall, so the caps on /live sockets (per token, in all) are off
CITYMAP_LOG_LEVEL=warn "$bin" serve --addr "127.0.0.1:$port" --data-dir "$work" \
	--live-max-per-token 0 --live-max 0 2>"$work/serve.log" &
server=$!
wait_for 60 "citymap serve on 127.0.0.1:$port" curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" || {
	cat "$work/serve.log" >&2
	exit 1
}
token=$("$bin" token create --role viewer --name bench-live 2>/dev/null)

[ $# -gt 0 ] || set -- --subscribers 10000 --rate 1000 --duration 60s
log "$(nproc) CPUs, $(free -g | awk '/^Mem:/ {print $2}') GiB, load average $(cut -d' ' -f1-3 /proc/loadavg)"
log "citymap load live --url ws://127.0.0.1:$port/live --token T $*"
status=0
/usr/bin/time -f "load tool: %U s user, %S s system, peak RSS %M kB" \
	"$bin" load live --url "ws://127.0.0.1:$port/live" --token "$token" "$@" || status=$?
awk -v hz="$(getconf CLK_TCK)" '{printf "server: %.1f s user, %.1f s system, ", $14 / hz, $15 / hz}' "/proc/$server/stat"
awk '/VmHWM/ {print "peak RSS", $2, $3}' "/proc/$server/status"
log "load average after $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
