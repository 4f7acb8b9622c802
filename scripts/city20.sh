#!/usr/bin/env bash
# The demo city at scale 20 (1,040,000 issues) that benchmarks read: seeded once
# (about 1.5 min on a quiet machine) into the database named by $1 and reused;
# later runs only apply new migrations, so that indexes added since are in place.
# Prints the database's URL. SCALE builds another scale the same way (1: the
# real county-level city of docs/SCALE.md).
#
#   scripts/city20.sh DB CITYMAP_BINARY [SCALE]
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
db=$1 bin=$2 scale=${3:-20}

scripts/db.sh start >/dev/null
admin=$(scripts/db.sh url postgres)
q() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -tA -v ON_ERROR_STOP=1 "$1" -c "$2"; }
if [ -z "$(q "$admin" "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
	log "seeding $db (demo city, scale $scale, seed 1)"
	q "$admin" "DROP DATABASE IF EXISTS ${db}_building WITH (FORCE)"
	scripts/db.sh createdb "${db}_building" >/dev/null
	url=$(scripts/db.sh url "${db}_building")
	# a fixed --now makes every run read the same city
	DATABASE_URL=$url "$bin" seed --scale "$scale" --seed 1 --now 2026-11-26T20:00:00+08:00 >/dev/null
	# what autovacuum would have done on a live database: visibility map and statistics
	q "$url" "VACUUM ANALYZE"
	q "$admin" "ALTER DATABASE ${db}_building RENAME TO $db"
fi
url=$(scripts/db.sh url "$db")
DATABASE_URL=$url "$bin" migrate >/dev/null
echo "$url"
