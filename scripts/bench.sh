#!/usr/bin/env bash
# make bench: the Go benchmarks against the real database, then the load tool's runs.
# Figures and how to read them: docs/BENCHMARKS.md.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

scripts/db.sh start
# benchmarks clone the same template as the tests; test.sh builds it when missing
CITYMAP_TEST_DATABASE_URL=$(scripts/db.sh url postgres)
CITYMAP_TEST_TEMPLATE=$(scripts/test.sh --template-only)
export CITYMAP_TEST_DATABASE_URL CITYMAP_TEST_TEMPLATE
go test -run '^$' -bench . -benchmem -count "${BENCH_COUNT:-3}" -timeout 60m ./...
for b in scripts/bench-*.sh; do
	[ -x "$b" ] && "$b"
done
