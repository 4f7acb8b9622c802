#!/usr/bin/env bash
# The tests against demo cities seeded at other instants: tests must hold whatever
# day and hour the data leads up to (and whatever the real clock says). For each
# instant this builds the template (scripts/test.sh --template-only with
# CITYMAP_TEST_SEED_NOW), runs go test against it and counts passed and failed tests.
#
#   scripts/test-instants.sh                      every test, at each default instant
#   scripts/test-instants.sh -- ./server/tiles/   these packages (go test arguments)
#   scripts/test-instants.sh 2027-02-17T09:00:00+08:00 -- -run Overdue ./...
#   KEEP=1 scripts/test-instants.sh ...           keep the templates built (else dropped)
#
# Logs (go test -v) go to .data/instants/<instant>.log. Exits non-zero when a test
# failed at any instant. See docs/TESTING.md.
set -euo pipefail
log_name=instants
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# far apart, and each a day the calendar or the clock treats specially
default_instants=(
	2026-10-01T10:00:00+08:00 # National Day, a public holiday
	2026-02-17T09:00:00+08:00 # Spring Festival (the calendar's), nine months before the default
	2026-11-28T03:00:00+08:00 # a Saturday night
	2026-11-30T23:30:00+08:00 # a month end, half an hour before local midnight
	2026-12-31T23:59:00+08:00 # a year end, a minute before local midnight
	2025-12-01T08:00:00+08:00 # a year before the default
	2027-02-17T09:00:00+08:00 # Spring Festival 2027, past the calendar's last year
)

instants=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	instants+=("$1")
	shift
done
[ "${1:-}" = -- ] && shift
[ ${#instants[@]} -gt 0 ] || instants=("${default_instants[@]}")
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(./...)

# what make test has before it runs test.sh: the binary and the web map's bundle
make -s build >/dev/null
scripts/db.sh start >/dev/null
if [ -z "${CITYMAP_TEST_MQTT_URL:-}" ]; then
	scripts/mqtt.sh start >/dev/null
	CITYMAP_TEST_MQTT_URL=$(scripts/mqtt.sh url)
fi
CITYMAP_TEST_DATABASE_URL=$(scripts/db.sh url postgres)
export CITYMAP_TEST_MQTT_URL CITYMAP_TEST_DATABASE_URL
export CITYMAP_REQUIRE_GDAL=1 CITYMAP_REQUIRE_BROWSER=1
default_template=$(scripts/test.sh --template-only 2>/dev/null)
mkdir -p .data/instants

status=0
summary=()
for at in "${instants[@]}"; do
	template=$(CITYMAP_TEST_SEED_NOW=$at scripts/test.sh --template-only 2>/dev/null)
	log=.data/instants/${template##*_}.log
	log "$at ($template): go test ${args[*]}"
	rc=0
	CITYMAP_TEST_TEMPLATE=$template go test -count=1 -v -timeout 30m "${args[@]}" >"$log" 2>&1 || rc=$?
	pass=$(grep -c '^--- PASS: ' "$log" || true)
	fail=$(grep -c '^--- FAIL: ' "$log" || true)
	skip=$(grep -c '^--- SKIP: ' "$log" || true)
	# a package that failed to build or panicked has no --- FAIL line of its own
	pkgfail=$(grep -cE '^FAIL[[:space:]]' "$log" || true)
	line="$at: $pass passed, $fail failed, $skip skipped; $pkgfail packages failed (rc $rc, log $log)"
	summary+=("$line")
	log "$line"
	if [ "$rc" != 0 ]; then
		status=1
		grep -E '^(\s*--- FAIL: |FAIL[[:space:]])' "$log" | sed 's/^/    /' >&2 || true
	fi
	if [ -z "${KEEP:-}" ] && [ "$template" != "$default_template" ]; then
		psql -X -q -v ON_ERROR_STOP=1 "$CITYMAP_TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS \"$template\"" ||
			log "$template is in use, kept"
	fi
done
printf '%s\n' "${summary[@]}"
exit $status
