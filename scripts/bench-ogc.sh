#!/usr/bin/env bash
# OGC API – Features pages side by side (docs/BENCHMARKS.md, "OGC API – Features"):
# citymap serve and, when PG_FEATURESERV names its binary, pg_featureserv, both on
# free ports over the demo city at scale 20 (scripts/city20.sh), paged by wrk in
# pages of 1,000 issues for three queries (all issues, a 2 km box, a property
# filter), with 1 and 8 clients, the median pages/s of 3 runs each; then the bytes
# of one page with and without Accept-Encoding: gzip.
#
#   PG_FEATURESERV=/path/to/pg_featureserv scripts/bench-ogc.sh
#   BENCH_OGC_DURATION=10s  BENCH_OGC_RUNS=3  BENCH_OGC_DB=bench_reports_s20
#
# Each wrk connection walks a query's pages in order from the first, as a client
# following next links does: citymap's pages by the after= keys its next links
# carry (computed here in advance, since wrk cannot read the links), and
# pg_featureserv's by offset, its only paging (it writes no next link).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
scripts/deps-wrk.sh
# shellcheck source=benchlib.sh
. scripts/benchlib.sh
go build -o "$work/citymap" ./cmd/citymap
url=$(scripts/city20.sh "${BENCH_OGC_DB:-bench_reports_s20}" "$work/citymap")
duration=${BENCH_OGC_DURATION:-10s}
runs=${BENCH_OGC_RUNS:-3}
pages=300 # deeper than a run walks
q() { psql -X -q -tA -v ON_ERROR_STOP=1 "$url" -c "$1"; }

# ready NAME URL: waits for a server that was just started
ready() {
	wait_for 60 "the $1 server" curl -fs -o /dev/null "$2" || {
		cat "$work/$1.log" >&2
		return 1
	}
}

cm=$(free_port 18280)
# the server's limits (docs/LIMITS.md) are lifted: this measures what it serves
# flat out, as pg_featureserv is measured
DATABASE_URL=$url CITYMAP_LOG_LEVEL=warn "$work/citymap" serve --addr "127.0.0.1:$cm" --data-dir "$work/data" \
	--limit-medium 0 --token-concurrency 0 2>"$work/citymap.log" &
pids+=($!)
ready citymap "http://127.0.0.1:$cm/readyz"
token=$(DATABASE_URL=$url "$work/citymap" token create --role viewer --name bench-ogc 2>/dev/null)

fs=
if [ -n "${PG_FEATURESERV:-}" ]; then
	fs=$(free_port $((cm + 1)))
	cat >"$work/featureserv.toml" <<TOML
[Server]
HttpHost = "127.0.0.1"
HttpPort = $fs
WriteTimeoutSec = 120
[Database]
DbConnection = "$url"
DbPoolMaxConns = 20
TableIncludes = ["public.issues"]
[Paging]
LimitDefault = 1000
LimitMax = 10000
TOML
	"$PG_FEATURESERV" --config "$work/featureserv.toml" >"$work/featureserv.log" 2>&1 &
	pids+=($!)
	ready featureserv "http://127.0.0.1:$fs/collections/public.issues.json"
else
	log "PG_FEATURESERV is not set: pg_featureserv is left out"
fi

# the three queries: name, citymap query, pg_featureserv query, the same in SQL
box=119.7955,31.356,119.8165,31.374
queries=(
	"all||1=1"
	"bbox|bbox=$box|geom && ST_MakeEnvelope($box, 4326)"
	"filter|filter=source%20%3D%20%27grid_patrol%27|source = 'grid_patrol'"
)
# paths NAME QUERY SQL: the pages of a walk, one path a line, for both servers
paths() {
	local name=$1 query=$2 sql=$3 sep=
	[ -n "$query" ] && sep="&"
	echo "/ogc/collections/issues/items?limit=1000${sep}${query}" >"$work/$name.citymap"
	q "SELECT rn, id FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM issues WHERE $sql) s
		WHERE rn % 1000 = 0 AND rn < $pages * 1000 ORDER BY rn" |
		while IFS='|' read -r rn id; do
			echo "/ogc/collections/issues/items?limit=1000&offset=$rn&after=$id${sep}${query}"
		done >>"$work/$name.citymap"
	for ((i = 0; i < $(wc -l <"$work/$name.citymap"); i++)); do
		echo "/collections/public.issues/items.json?limit=1000&offset=$((i * 1000))${sep}${query}"
	done >"$work/$name.featureserv"
}
# walk SERVER PORT NAME CLIENTS TOKEN: the median pages/s of the runs
walk() {
	local rates=() out
	for ((r = 0; r < runs; r++)); do
		out=$(wrk -t "$4" -c "$4" -d "$duration" --timeout 30s -s scripts/bench-ogc-walk.lua \
			"http://127.0.0.1:$2" -- "$work/$3.$1" "${5:-}")
		if grep -q "Non-2xx" <<<"$out"; then
			log "$1 $3 answered errors:"
			echo "$out" >&2
			return 1
		fi
		rates+=("$(awk '/^Requests\/sec/ {print $2}' <<<"$out")")
	done
	printf '%s\n' "${rates[@]}" | sort -n | awk '{v[NR] = $1} END {printf "%.1f", v[int((NR + 1) / 2)]}'
}
# bytes SERVER-URL [HEADER]: the size of the first page as sent
bytes() {
	curl -fs -o /dev/null -w '%{size_download}' "${@:2}" "$1"
}

echo "bench-ogc: $(nproc) CPUs, $(free -g | awk '/^Mem:/ {print $2}') GiB, $(q "SELECT count(*) FROM issues") issues," \
	"wrk -d $duration, median of $runs, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
printf '%-8s %-8s %12s %12s %14s %14s %12s\n' query clients citymap featureserv "citymap B" "featureserv B" matched
for spec in "${queries[@]}"; do
	IFS='|' read -r name query sql <<<"$spec"
	paths "$name" "$query" "$sql"
	matched=$(q "SELECT count(*) FROM issues WHERE $sql")
	first=$(head -1 "$work/$name.citymap")
	cb="$(bytes "http://127.0.0.1:$cm$first" -H "Authorization: Bearer $token")"
	cbz="$(bytes "http://127.0.0.1:$cm$first" -H "Authorization: Bearer $token" -H 'Accept-Encoding: gzip')"
	fb=- fbz=-
	if [ -n "$fs" ]; then
		fb=$(bytes "http://127.0.0.1:$fs$(head -1 "$work/$name.featureserv")")
		fbz=$(bytes "http://127.0.0.1:$fs$(head -1 "$work/$name.featureserv")" -H 'Accept-Encoding: gzip')
	fi
	for clients in 1 8; do
		c=$(walk citymap "$cm" "$name" "$clients" "$token")
		f=-
		[ -z "$fs" ] || f=$(walk featureserv "$fs" "$name" "$clients")
		printf '%-8s %-8s %12s %12s %14s %14s %12s\n' "$name" "$clients" "$c" "$f" "$cb/$cbz" "$fb/$fbz" "$matched"
	done
done
log "pages/s; bytes of the first page plain/with Accept-Encoding: gzip; load average after $(cut -d' ' -f1-3 /proc/loadavg)"
