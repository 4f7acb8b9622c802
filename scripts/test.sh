#!/usr/bin/env bash
# make test: the same bootstrap as make run into throwaway databases, then vet,
# staticcheck and every test against the real PostGIS.
#
# Tests clone a template database (migrated, demo city at scale 1 with seed 1). The
# template is named after a hash of what builds it, so a second run reuses it and a
# change to the migrations or the seed rebuilds it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
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

hash=$(cat migrations/*.sql server/democity/catalog/*.csv $(find server/democity cmd/citymap/seed.go -name '*.go' ! -name '*_test.go' 2>/dev/null | sort) |
	sha256sum | cut -c1-12)
template=citymap_tpl_$hash
if [ -z "$(q "SELECT 1 FROM pg_database WHERE datname = '$template'")" ]; then
	for db in $(q "SELECT datname FROM pg_database WHERE datname LIKE 'citymap\_tpl\_%'"); do
		q "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
	done
	echo "test: building template $template (migrate + demo city, scale 1, seed 1)" >&2
	q "CREATE DATABASE \"${template}_building\""
	url=$(scripts/db.sh url "${template}_building")
	DATABASE_URL=$url "$bin" migrate >/dev/null
	DATABASE_URL=$url "$bin" seed --scale 1 --seed 1 >&2
	q "ALTER DATABASE \"${template}_building\" RENAME TO \"$template\""
fi

if [ "${1:-}" = --template-only ]; then
	echo "$template"
	exit 0
fi

# the interoperability tests with real clients (GDAL, a browser) must run, not skip
export CITYMAP_TEST_DATABASE_URL=$admin CITYMAP_TEST_TEMPLATE=$template CITYMAP_REQUIRE_GDAL=1 CITYMAP_REQUIRE_BROWSER=1
echo "test: go vet"
go vet ./...
echo "test: staticcheck"
go tool staticcheck ./...
echo "test: go test"
go test -count=1 -timeout 20m ./...
