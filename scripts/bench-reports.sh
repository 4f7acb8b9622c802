#!/usr/bin/env bash
# The reports at scale (docs/BENCHMARKS.md, "Reports"): BenchmarkReports against the demo
# city at scale 20 (1,040,000 issues), which this script seeds once into the database
# bench_reports_s20 (about 1.5 min) and reuses; later runs only apply new migrations,
# so that indexes added since are in place.
#
#   scripts/bench-reports.sh [go test flags]   default: -count 3 (BENCH_COUNT)
#   BENCH_REPORTS_DB=name                      another database than bench_reports_s20
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

scripts/db.sh start
admin=$(scripts/db.sh url postgres)
q() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -tA -v ON_ERROR_STOP=1 "$1" -c "$2"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# the binary of this tree: its migrations are the ones to apply
go build -o "$work/citymap" ./cmd/citymap

db=${BENCH_REPORTS_DB:-bench_reports_s20}
if [ -z "$(q "$admin" "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
	log "seeding $db (demo city, scale 20, seed 1)"
	q "$admin" "DROP DATABASE IF EXISTS ${db}_building WITH (FORCE)"
	scripts/db.sh createdb "${db}_building"
	url=$(scripts/db.sh url "${db}_building")
	# a fixed --now makes every run read the same city
	DATABASE_URL=$url "$work/citymap" seed --scale 20 --seed 1 --now 2026-11-26T20:00:00+08:00 >/dev/null
	# what autovacuum would have done on a live database: visibility map and statistics
	q "$url" "VACUUM ANALYZE"
	q "$admin" "ALTER DATABASE ${db}_building RENAME TO $db"
fi
url=$(scripts/db.sh url "$db")
DATABASE_URL=$url "$work/citymap" migrate >/dev/null

[ $# -gt 0 ] || set -- -count "${BENCH_COUNT:-3}"
log "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
CITYMAP_BENCH_DATABASE_URL=$url go test -run '^$' -bench Reports -timeout 30m "$@" ./server/reports/
