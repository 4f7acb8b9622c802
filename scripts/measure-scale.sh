#!/usr/bin/env bash
# The per-case figures of docs/SCALE.md, measured on the local cluster and
# printed as tables: bytes per case (table, indexes and TOAST of issues,
# issue_events, changes and the photos' rows, over the issues) in the demo city
# at scale 1 and 20; then a citymap server on a scratch clone of the scale-1
# city takes new cases through their whole life over HTTP (intake, a photo,
# register, dispatch, start, resolve, verify) and the script counts what each
# case left: feed rows, events, bytes, WAL (pg_current_wal_lsn before and after,
# and pg_waldump's share of full-page images), CPU of the server and of
# PostgreSQL, and the database connections the instance held.
#
#   scripts/measure-scale.sh     MEASURE_CASES=200 MEASURE_COLD=20 MEASURE_RUNS=3
#                                MEASURE_WALL_SECONDS=600 MEASURE_GRID_MOVES=150
#
# Then the tiles two screens ask for, in headless Chromium
# (webmap/test/tile-sessions.mjs; needs make build and scripts/deps-browser.sh):
# a wall display for MEASURE_WALL_SECONDS while a case comes in every second, and
# a grid manager who pans or zooms every 2 s; and a burst of 48 concurrent
# readers, for the most connections an instance opens.
#
# WAL is measured twice: "warm", MEASURE_CASES cases back to back after one
# CHECKPOINT (pages shared by neighbouring cases are imaged once), and "cold",
# MEASURE_COLD cases with a CHECKPOINT before every request, so that every page a
# step touches is written whole once more, as in a city whose steps are minutes
# or hours apart (checkpoint_timeout is 15 min). It writes WAL for the whole
# cluster: run it with nothing else using the cluster. Not part of make test.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=benchlib.sh
. scripts/benchlib.sh
cases=${MEASURE_CASES:-200}
cold=${MEASURE_COLD:-20}
runs=${MEASURE_RUNS:-3}
wall_s=${MEASURE_WALL_SECONDS:-600}
grid_moves=${MEASURE_GRID_MOVES:-150}
pgbin=/usr/lib/postgresql/15/bin
go build -o "$work/citymap" ./cmd/citymap
s1=$(scripts/city20.sh bench_scale_s1 "$work/citymap" 1)
s20=$(scripts/city20.sh bench_reports_s20 "$work/citymap")
admin=$(scripts/db.sh url postgres)
q() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -tA -F ' | ' -v ON_ERROR_STOP=1 "$1" -c "$2"; }

clone=measure_scale_$$
drop_clone() { q "$admin" "DROP DATABASE IF EXISTS $clone WITH (FORCE)" || true; }
trap 'cleanup; drop_clone' EXIT

tables="'issues', 'issue_events', 'changes', 'photos', 'photo_uploads'"

# sizes_sql PER: rows and bytes of the tables a case writes (heap, indexes,
# TOAST with its index, all), divided by PER: the issues, or nrows for bytes a row
sizes_sql() {
	cat <<SQL
WITH t AS (
  SELECT c.relname, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I', c.relname), false, true, '')))[1]::text::numeric AS nrows,
         pg_relation_size(c.oid) AS heap, pg_indexes_size(c.oid) AS idx,
         coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0) AS toast, pg_total_relation_size(c.oid) AS total
  FROM pg_class c WHERE c.relname IN ($tables) AND c.relkind = 'r')
SELECT relname, nrows, round(nrows / nullif(n, 0), 2), round(heap / nullif(n, 0)), round(idx / nullif(n, 0)), round(toast / nullif(n, 0)), round(total / nullif(n, 0))
FROM t, LATERAL (SELECT $1 AS n) per ORDER BY array_position(ARRAY[$tables], relname::text)
SQL
}

header() {
	echo
	echo "$1"
	echo "| table | rows | rows per $2 | heap B/$2 | indexes B/$2 | TOAST B/$2 | total B/$2 |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
}

# md: psql's rows as a table's
md() { sed 's/^/| /; s/$/ |/'; }

for s in "1 $s1" "20 $s20"; do
	read -r scale url <<<"$s"
	header "Bytes per case, demo city at scale $scale ($(q "$url" "SELECT count(*) FROM issues") issues; seeded, then VACUUM ANALYZE; database $(q "$url" "SELECT pg_size_pretty(pg_database_size(current_database()))"))" case
	q "$url" "$(sizes_sql "(SELECT count(*) FROM issues)")" | md
done

# the scratch clone and its server
q "$admin" "CREATE DATABASE $clone TEMPLATE bench_scale_s1 STRATEGY FILE_COPY"
url=$(scripts/db.sh url "$clone")
port=$(free_port 18480)
DATABASE_URL=$url CITYMAP_LOG_LEVEL=warn "$work/citymap" serve --addr "127.0.0.1:$port" --data-dir "$work/data" \
	2>"$work/serve.log" &
server=$!
pids+=("$server")
wait_for 60 "citymap serve on 127.0.0.1:$port" curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" || {
	cat "$work/serve.log" >&2
	exit 1
}
token=$(DATABASE_URL=$url "$work/citymap" token create --role admin --name measure-scale 2>/dev/null)
base=http://127.0.0.1:$port

# photos: a distinct small JPEG per case (photos are stored once per content)
mkdir -p "$work/jpeg" "$work/photos"
cat >"$work/jpeg/main.go" <<'GO'
// Writes N distinct 64×48 JPEGs into DIR as 0.jpg, 1.jpg, …
package main

import (
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strconv"
)

func main() {
	n, _ := strconv.Atoi(os.Args[2])
	for i := range n {
		m := image.NewRGBA(image.Rect(0, 0, 64, 48))
		for x := range 64 {
			for y := range 48 {
				m.Set(x, y, color.RGBA{uint8(x*4 + i), uint8(y*5 + i/256), 128, 255})
			}
		}
		f, err := os.Create(filepath.Join(os.Args[1], fmt.Sprintf("%d.jpg", i)))
		if err == nil {
			err = jpeg.Encode(f, m, nil)
			f.Close()
		}
		if err != nil {
			panic(err)
		}
	}
}
GO
(cd "$work/jpeg" && go run main.go "$work/photos" $((runs * cases + 2 * cold)))

# request METHOD PATH [BODY]: the answer's body on stdout; fails on anything but 2xx
request() {
	local args=(-fsS -X "$1" -H "Authorization: Bearer $token" "$base$2")
	[ $# -lt 3 ] || args+=(-H 'Content-Type: application/json' -d "$3")
	curl "${args[@]}"
}

# the places of the new cases: seeded issues' points and categories, chosen by id
q "$url" "SELECT ST_X(geom), ST_Y(geom), category FROM issues WHERE id % 97 = 0 ORDER BY id" >"$work/places"
mapfile -t places <"$work/places"

lsn() { q "$url" "SELECT pg_current_wal_lsn()"; }
wal_bytes() { q "$url" "SELECT pg_wal_lsn_diff('$2', '$1')::bigint"; }
checkpoint() { q "$url" "CHECKPOINT"; }

# step CMD...: runs one request; in cold mode after a CHECKPOINT, adding the WAL
# of the request alone to cold_wal
cold_mode=0 cold_wal=0
step() {
	if [ "$cold_mode" = 1 ]; then
		checkpoint
		local a b
		a=$(lsn)
		"$@" >/dev/null
		b=$(lsn)
		cold_wal=$((cold_wal + $(wal_bytes "$a" "$b")))
	else
		"$@" >/dev/null
	fi
}

# one_case N: case number N through its whole life
one_case() {
	local n=$1 x y cat id unit
	IFS=' | ' read -r x y cat <<<"${places[n % ${#places[@]}]}"
	read -r id unit < <(request POST /api/v1/issues "{\"category\":\"$cat\",\"source\":\"hotline_12345\",
		\"description\":\"测量用案卷 $n\",\"address\":\"宜兴市\",\"external_id\":\"measure-$n\",
		\"location\":{\"type\":\"Point\",\"coordinates\":[$x,$y]}}" | jq -r '"\(.id) \(.properties.unit)"')
	step curl -fsS -H "Authorization: Bearer $token" -F "photo=@$work/photos/$n.jpg;type=image/jpeg" "$base/api/v1/issues/$id/photos"
	for body in '{"action":"register"}' "{\"action\":\"dispatch\",\"unit\":\"$unit\"}" '{"action":"start"}' \
		'{"action":"resolve"}' '{"action":"verify","passed":true}'; do
		step request POST "/api/v1/issues/$id/actions" "$body"
	done
}

# cpu_ticks PID...: user + system ticks of the processes (and their waited-for children)
cpu_ticks() { cat "${@/#//proc/}" 2>/dev/null | awk '{ s += $14 + $15 + $16 + $17 } END { print s + 0 }'; }
postmaster=$(head -1 .data/pg/postmaster.pid)
pg_ticks() {
	# shellcheck disable=SC2046 # one pid a word
	cpu_ticks $(printf '%s/stat ' "$postmaster" $(ps --ppid "$postmaster" -o pid= | tr -d ' '))
}
hz=$(getconf CLK_TCK)

# waldump_fields: pg_waldump --stats's lines as NAME RECORDS RECORD_BYTES FPI_BYTES TOTAL_BYTES
waldump_fields() { sed -E 's/\([^)]*\)|\[[^]]*\]//g' | awk 'NF == 5 && $2 ~ /^[0-9]+$/'; }

# connections: the clone's client backends, sampled every 0.1 s while the passes run
(while :; do
	q "$admin" "SELECT count(*), count(*) FILTER (WHERE application_name = 'citymap tiles')
		FROM pg_stat_activity WHERE datname = '$clone' AND backend_type = 'client backend'" 2>/dev/null || true
	sleep 0.1
done) >"$work/conns" &
sampler=$!
pids+=("$sampler")

log "idle WAL of the server: 30 s without requests"
l0=$(lsn)
sleep 30
idle=$(wal_bytes "$l0" "$(lsn)")
at_rest=$(tail -1 "$work/conns")

# the live tables' size before the cases, for what they grow by per case
grown_sql="SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relname IN ($tables) AND relkind = 'r'
	ORDER BY array_position(ARRAY[$tables], relname::text)"
q "$url" "$grown_sql" >"$work/size.before"
next=0
: >"$work/warm"
for run in $(seq "$runs"); do
	log "warm run $run: $cases cases back to back"
	fpi0=$(q "$url" "SELECT wal_fpi FROM pg_stat_wal")
	checkpoint
	t0=$(date +%s.%N) c0=$(cpu_ticks "$server/stat") p0=$(pg_ticks) l0=$(lsn)
	for _ in $(seq "$cases"); do
		one_case "$next"
		next=$((next + 1))
	done
	l1=$(lsn) t1=$(date +%s.%N) c1=$(cpu_ticks "$server/stat") p1=$(pg_ticks)
	fpi1=$(q "$url" "SELECT wal_fpi FROM pg_stat_wal")
	"$pgbin/pg_waldump" --stats -p .data/pg/pg_wal -s "$l0" -e "$l1" >"$work/waldump.$run" 2>/dev/null || true
	stats=$(waldump_fields <"$work/waldump.$run" | awk '$1 == "Total" { print $3, $4 }')
	echo "$(wal_bytes "$l0" "$l1") $((fpi1 - fpi0)) $stats $(echo "$t0 $t1 $c0 $c1 $p0 $p1" |
		awk -v hz="$hz" -v n="$cases" '{ printf "%.1f %.2f %.2f", ($2 - $1) * 1000 / n, ($4 - $3) * 1000 / hz / n, ($6 - $5) * 1000 / hz / n }')" >>"$work/warm"
done

# cold_pass: $cold cases, a CHECKPOINT before each request; cold_case is
# their WAL a case
cold_pass() {
	cold_mode=1 cold_wal=0
	for _ in $(seq "$cold"); do
		one_case "$next"
		next=$((next + 1))
	done
	cold_mode=0 cold_case=$((cold_wal / cold))
}
log "cold: $cold cases, a CHECKPOINT before every request"
cold_pass
cold_plain=$cold_case
log "cold again with wal_compression = zstd (full-page images compressed)"
q "$admin" "ALTER SYSTEM SET wal_compression = zstd"
reset_compression() { q "$admin" "ALTER SYSTEM RESET wal_compression" && q "$admin" "SELECT pg_reload_conf()" >/dev/null; }
trap 'reset_compression || true; cleanup; drop_clone' EXIT
q "$admin" "SELECT pg_reload_conf()" >/dev/null
sleep 1
cold_pass
cold_zstd=$cold_case
reset_compression

# a burst of map and OGC readers: 48 clients fetch 1,000 distinct tiles of every
# layer at z14-z16 over the case points, and 48 OGC pages, to see how many
# connections the instance opens at most
log "burst: 48 concurrent clients of tiles and OGC pages"
q "$url" "SELECT format('/tiles/%s/%s/%s/%s.mvt', l, z, floor((ST_X(geom) + 180) / 360 * 2 ^ z)::int,
	floor((1 - ln(tan(radians(ST_Y(geom))) + 1 / cos(radians(ST_Y(geom)))) / pi()) / 2 * 2 ^ z)::int)
	FROM (SELECT geom FROM issues WHERE id % 53 = 0 LIMIT 67) p, unnest('{areas,grids,points,parking,issues}'::text[]) l,
	generate_series(14, 16) z
	UNION ALL SELECT '/ogc/collections/issues/items?limit=1000&after=' || (k * 1000) FROM generate_series(0, 47) k" |
	shuf --random-source=<(yes) >"$work/burst"
t0=$(date +%s.%N)
xargs -P 48 -I{} curl -fsS -o /dev/null -H "Authorization: Bearer $token" -H 'Accept-Encoding: gzip' "$base{}" <"$work/burst"
burst_s=$(echo "$t0 $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')
kill "$sampler" 2>/dev/null || true

echo
echo "WAL per case ($cases cases a run, median of $runs runs; 7 requests a case: intake, photo, 5 actions)"
echo "| run | WAL B/case | of it records | of it full-page images | images/case | ms/case (wall) | server CPU ms/case | PostgreSQL CPU ms/case |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
awk -v n="$cases" '{ printf "| %d | %d | %d | %d | %.1f | %s | %s | %s |\n", NR, $1 / n, $3 / n, $4 / n, $2 / n, $5, $6, $7 }' "$work/warm"
sort -n "$work/warm" | awk -v n="$cases" -v k="$runs" 'NR == int((k + 1) / 2) {
	printf "| median | %d | %d | %d | %.1f | %s | %s | %s |\n", $1 / n, $3 / n, $4 / n, $2 / n, $5, $6, $7 }'
echo "| cold ($cold cases, CHECKPOINT before each request) | $cold_plain | | | | | | |"
echo "| cold, wal_compression = zstd ($cold cases) | $cold_zstd | | | | | | |"
echo "| the server idle for 30 s, in all | $idle | | | | | | |"
echo
echo "WAL of the last warm run by resource manager, bytes per case (records + full-page images)"
waldump_fields <"$work/waldump.$runs" | awk -v n="$cases" '$1 != "Total" && $5 > 0 { printf "%s %d\n", $1, $5 / n }' |
	sort -k2 -nr | head -8 | awk '{ printf "%s %s; ", $1, $2 } END { print "" }'

total=$((runs * cases + 2 * cold))
q "$url" "VACUUM (ANALYZE) issues, issue_events, changes, photos, photo_uploads"
q "$url" "SELECT count(*) FROM issues WHERE external_id LIKE 'measure-%' OR external_id LIKE 'screen-%'" >"$work/new_issues"
echo
echo "Bytes a row in the clone after the run (VACUUM ANALYZE; issues and events mostly seeded, the feed and photos all from the run)"
echo "| table | rows | heap B/row | indexes B/row | TOAST B/row | total B/row |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
q "$url" "$(sizes_sql nrows)" | awk -F' [|] ' -v OFS=' | ' '{ print $1, $2, $4, $5, $6, $7 }' | md
echo
echo "What the tables grew by, per case of the run ($(cat "$work/new_issues") new issues; VACUUM ANALYZE after)"
echo "| table | bytes before | bytes after | grown B/case |"
echo "| --- | ---: | ---: | ---: |"
q "$url" "$grown_sql" | paste -d' ' "$work/size.before" - | awk -v n="$(cat "$work/new_issues")" '{ printf "| %s | %d | %d | %d |\n", $1, $3, $6, ($6 - $3) / n }'
echo
echo "Rows each of the $total measured cases wrote (external_id measure-N)"
q "$url" "WITH m AS (SELECT id, photos FROM issues WHERE external_id LIKE 'measure-%')
	SELECT 'issue_events', round(count(*)::numeric / $total, 2) FROM issue_events WHERE issue_id IN (SELECT id FROM m)
	UNION ALL SELECT 'changes', round(count(*)::numeric / $total, 2) FROM changes WHERE layer = 'issues' AND object_id IN (SELECT id::text FROM m)
	UNION ALL SELECT 'photos', round(count(*)::numeric / $total, 2) FROM photos WHERE id IN (SELECT unnest(photos) FROM m)" | md
echo "Feed rows of the whole run by layer (beyond the measured cases: the wall's cases, the server's periodic work): $(q "$url" "SELECT string_agg(layer || ' ' || n, ', ') FROM (SELECT layer, count(*) n FROM changes GROUP BY layer) c")"

echo
echo "Connections of one instance to its database (client backends, sampled every 0.1 s)"
echo "at rest (after start, before any request): $at_rest (all | tile pool)"
awk -F' [|] ' '{ if ($1 > m) m = $1; if ($2 > t) t = $2 } END { printf "max over the run: %d, of them the tile pool %d\n", m, t }' "$work/conns"
echo "burst: $(wc -l <"$work/burst") requests by 48 clients in $burst_s s"
curl -fsS -H "Authorization: Bearer $token" "$base/metrics" | grep -E '^citymap_tile_cache_(misses|hits)_total' || true

# the screens, in headless Chromium (webmap/test/tile-sessions.mjs): a wall left
# running while a case comes in every second, then a grid manager panning and
# zooming about a community
log "screens: a wall for $wall_s s, then a grid manager's $grid_moves moves"
viewer=$(DATABASE_URL=$url "$work/citymap" token create --role viewer --name measure-wall 2>/dev/null)
manager=$(DATABASE_URL=$url "$work/citymap" token create --role grid_manager --areas 320282001005 --name measure-grid 2>/dev/null)
(k=0; while :; do
	IFS=' | ' read -r x y cat <<<"${places[k % ${#places[@]}]}"
	request POST /api/v1/issues "{\"category\":\"$cat\",\"source\":\"grid_patrol\",\"description\":\"墙面测量 $k\",
		\"external_id\":\"screen-$k\",\"location\":{\"type\":\"Point\",\"coordinates\":[$x,$y]}}" >/dev/null
	k=$((k + 1))
	sleep 1
done) &
intake=$!
pids+=("$intake")
(cd webmap && CITYMAP_E2E_URL=$base CITYMAP_E2E_TOKENS="{\"viewer\":\"$viewer\",\"grid_manager\":\"$manager\"}" \
	CITYMAP_WALL_SECONDS=$wall_s CITYMAP_GRID_MOVES=$grid_moves node test/tile-sessions.mjs) >"$work/screens" ||
	log "the screens' browser failed: what it printed follows"
kill "$intake" 2>/dev/null || true

echo
echo "Tile answers of the screens (layer: status count), and the server's renders (tile cache misses) and cache hits"
jq -r '"\(.session) \(if .moves then "\(.moves) moves in \(.seconds) s" else "\(.seconds) s" end): loaded \(.loaded.tiles | tostring), server \(.loaded.server | tostring); whole session \(.tiles | tostring), server \(.server | tostring)"' "$work/screens"

