#!/usr/bin/env bash
# make run: the database (project-local and WAL-archived unless DATABASE_URL is set),
# migrations, the demo city when the database is empty, demo tokens, then citymap serve.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
bin=bin/citymap

# a city's data is archived from its first day: continuous WAL archiving into the
# pgBackRest stanza under .data/backup, and a first full backup once the city is
# seeded (docs/BACKUP.md); CITYMAP_BACKUP=off leaves the local cluster unarchived
backup=
if [ -z "${DATABASE_URL:-}" ]; then
	scripts/db.sh start
	[ "${CITYMAP_BACKUP:-on}" = off ] || { scripts/backup.sh setup && backup=1; }
	scripts/db.sh createdb citymap
	DATABASE_URL=$(scripts/db.sh url citymap)
fi
export DATABASE_URL
# the parking sensors' broker (project-local unless CITYMAP_MQTT_URL is set)
if [ -z "${CITYMAP_MQTT_URL:-}" ]; then
	scripts/mqtt.sh start
	CITYMAP_MQTT_URL=$(scripts/mqtt.sh url)
fi
export CITYMAP_MQTT_URL
mkdir -p .data

"$bin" migrate >/dev/null
"$bin" seed --if-empty
[ -z "$backup" ] || scripts/backup.sh backup --if-none
addr=${CITYMAP_ADDR:-:8080}
port=${addr##*:}
echo
echo "citymap is starting on $addr"
echo "  web map      http://localhost:$port/wall  /grid  /planner  /tasks  /review  (sign in with a token below)"
echo "  REST API     http://localhost:$port/api/v1/"
echo "  OGC API      http://localhost:$port/ogc   vector tiles: http://localhost:$port/style.json"
echo "  health       http://localhost:$port/healthz  http://localhost:$port/readyz"
echo "  database     $DATABASE_URL"
[ -z "$backup" ] || echo "  backups      WAL archived to .data/backup: scripts/backup.sh list | backup | restore --to TIME"
echo "  MQTT         $CITYMAP_MQTT_URL  (parking readings: citymap/parking/{zone}/occupancy, QoS 1)"
echo "demo tokens (Authorization: Bearer TOKEN), one per role:"
"$bin" token demo --file .data/demo-tokens | sed 's/^/  /'
echo "simulation   ${CITYMAP_SIMULATE:-on}: citymap simulate plays the demo city's day in real time (CITYMAP_SIMULATE=off turns it off)"
echo
if [ "${CITYMAP_SIMULATE:-on}" = off ]; then
	exec "$bin" serve --addr "$addr"
fi
# the city moves: the simulation waits for /readyz, plays day after day through the
# server's interfaces, and stops with the server
"$bin" serve --addr "$addr" &
server=$!
"$bin" simulate --url "http://localhost:$port" --duration 0 &
sim=$!
trap 'kill -TERM "$server" "$sim" 2>/dev/null || true' INT TERM
status=0
wait "$server" || status=$?
kill -TERM "$sim" 2>/dev/null || true
wait "$server" 2>/dev/null || true # a signal ended the first wait: let the server finish
wait "$sim" 2>/dev/null || true
exit "$status"
