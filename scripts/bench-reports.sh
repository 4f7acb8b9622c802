#!/usr/bin/env bash
# The reports at scale (docs/BENCHMARKS.md, "Reports"): BenchmarkReports against the demo
# city at scale 20 (1,040,000 issues), which scripts/city20.sh seeds once into the
# database bench_reports_s20 and reuses.
#
#   scripts/bench-reports.sh [go test flags]   default: -count 3 (BENCH_COUNT)
#   BENCH_REPORTS_DB=name                      another database than bench_reports_s20
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# the binary of this tree: its migrations are the ones to apply
go build -o "$work/citymap" ./cmd/citymap

url=$(scripts/city20.sh "${BENCH_REPORTS_DB:-bench_reports_s20}" "$work/citymap")

[ $# -gt 0 ] || set -- -count "${BENCH_COUNT:-3}"
log "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
CITYMAP_BENCH_DATABASE_URL=$url go test -run '^$' -bench Reports -timeout 30m "$@" ./server/reports/
