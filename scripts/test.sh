#!/usr/bin/env bash
# make test: the same bootstrap as make run into throwaway databases, then vet,
# staticcheck and every test against the real PostGIS.
#
# Tests clone a template database (migrated, demo city at scale 1 with seed 1, seeded
# as of a fixed instant: CITYMAP_TEST_SEED_NOW, default below). The template is named
# after a hash of what builds it and after that instant, so a second run reuses it, a
# change to the migrations or the seed rebuilds it, and templates of different instants
# never mix. How tests get their data and their clock: docs/TESTING.md.
#
#   scripts/test.sh                  vet, staticcheck, every test
#   scripts/test.sh --template-only  build the template when missing, print its name
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
bin=bin/citymap

# the template must be built by this source's migrations, even when the script is
# called directly rather than through make (cached: about a second)
go build -o "$bin" ./cmd/citymap
scripts/db.sh start
admin=$(scripts/db.sh url postgres)
# the broker of the parking MQTT tests
if [ -z "${CITYMAP_TEST_MQTT_URL:-}" ]; then
	scripts/mqtt.sh start
	CITYMAP_TEST_MQTT_URL=$(scripts/mqtt.sh url)
fi
export CITYMAP_TEST_MQTT_URL
q() { psql -X -q -tA -v ON_ERROR_STOP=1 "$admin" -c "$1"; }

# leftovers of interrupted runs; one in use belongs to a run still going: keep it
for db in $(q "SELECT datname FROM pg_database WHERE datname LIKE 'citymap\_t\_%'"); do
	q "DROP DATABASE IF EXISTS \"$db\"" 2>/dev/null || true
done

# The instant the demo city leads up to. Fixed, so the data is the same on any day
# and at any hour; a Thursday evening, nothing special. scripts/test-instants.sh
# runs the suite against others (holidays, weekend nights, month and year ends).
default_seed_now=2026-11-26T20:00:00+08:00
seed_now=${CITYMAP_TEST_SEED_NOW:-$default_seed_now}
# canonical UTC form: the same instant written two ways is one template
seed_utc=$(date -u -d "$seed_now" +%Y-%m-%dT%H:%M:%SZ) || {
	log "CITYMAP_TEST_SEED_NOW=$seed_now is no time (want RFC 3339)"
	exit 2
}

mapfile -t seeder < <(find server/democity server/bulletins cmd/citymap/seed.go -name '*.go' ! -name '*_test.go' 2>/dev/null | sort)
src=$(cat migrations/*.sql server/democity/catalog/*.csv "${seeder[@]}" | sha256sum | cut -c1-12)
# citymap_tpl_<source>_<instant, UTC>, e.g. citymap_tpl_1a2b3c4d5e6f_20261126t120000z
template=citymap_tpl_${src}_$(date -u -d "$seed_utc" +%Y%m%dt%H%M%Sz)
if [ -z "$(q "SELECT 1 FROM pg_database WHERE datname = '$template'")" ]; then
	# Templates built by another source are stale; those of other instants of this
	# source are kept (test-instants.sh uses them). No FORCE: one a session is
	# connected to (a build under way) stays, a later run drops it. A DROP waits for a
	# clone being made, so a run of the older source still going loses its template
	# after its current clone: its next tests fail with "template ... does not exist".
	for db in $(q "SELECT datname FROM pg_database WHERE datname LIKE 'citymap\_tpl\_%'
		AND datname NOT LIKE 'citymap\_tpl\_${src}\_%'"); do
		q "DROP DATABASE IF EXISTS \"$db\"" 2>/dev/null || log "$db is in use, kept"
	done
	# an interrupted build of this template; one under way (connected) is no leftover
	q "DROP DATABASE IF EXISTS \"${template}_building\"" 2>/dev/null ||
		die "another run is building $template: retry when it is done"
	log "building template $template (migrate + demo city, scale 1, seed 1, now $seed_utc)"
	q "CREATE DATABASE \"${template}_building\""
	url=$(scripts/db.sh url "${template}_building")
	DATABASE_URL=$url "$bin" migrate >/dev/null
	DATABASE_URL=$url "$bin" seed --scale 1 --seed 1 --now "$seed_utc" >&2
	q "ALTER DATABASE \"${template}_building\" RENAME TO \"$template\""
fi

if [ "${1:-}" = --template-only ]; then
	echo "$template"
	exit 0
fi

# the streaming replica of the read-replica tests (its postgres database; the tests'
# clones made on the primary appear there once replayed)
if [ -z "${CITYMAP_TEST_REPLICA_URL:-}" ]; then
	scripts/replica.sh start
	CITYMAP_TEST_REPLICA_URL=$(scripts/replica.sh url postgres)
fi
export CITYMAP_TEST_REPLICA_URL
# the interoperability tests with real clients (GDAL, a browser) must run, not skip
export CITYMAP_TEST_DATABASE_URL=$admin CITYMAP_TEST_TEMPLATE=$template CITYMAP_REQUIRE_GDAL=1 CITYMAP_REQUIRE_BROWSER=1 CITYMAP_REQUIRE_SERVICES=1
echo "test: go vet"
go vet ./...
echo "test: staticcheck"
go tool staticcheck ./...
echo "test: go test"
go test -count=1 -timeout 20m ./...
