#!/usr/bin/env bash
# make run: the database (project-local unless DATABASE_URL is set), migrations, the
# demo city when the database is empty, demo tokens, then citymap serve.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=bin/citymap

if [ -z "${DATABASE_URL:-}" ]; then
	scripts/db.sh start
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
addr=${CITYMAP_ADDR:-:8080}
port=${addr##*:}
echo
echo "citymap is starting on $addr"
echo "  web map      http://localhost:$port/wall  /grid  /planner  /tasks  (sign in with a token below)"
echo "  REST API     http://localhost:$port/api/v1/"
echo "  OGC API      http://localhost:$port/ogc   vector tiles: http://localhost:$port/style.json"
echo "  health       http://localhost:$port/healthz  http://localhost:$port/readyz"
echo "  database     $DATABASE_URL"
echo "  MQTT         $CITYMAP_MQTT_URL  (parking readings: citymap/parking/{zone}/occupancy, QoS 1)"
echo "demo tokens (Authorization: Bearer TOKEN), one per role:"
"$bin" token demo --file .data/demo-tokens | sed 's/^/  /'
echo
exec "$bin" serve --addr "$addr"
