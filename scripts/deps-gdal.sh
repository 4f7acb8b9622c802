#!/usr/bin/env bash
# gdal-bin (ogrinfo, ogr2ogr) for the interoperability tests: GDAL's OAPIF driver is
# the real client that lists the OGC API collections and pages through them, and its
# MVT driver reads the vector tiles (server/tiles/gdal_test.go).
# Installs from apt when ogrinfo is missing; a no-op otherwise.
set -euo pipefail
log_name=deps
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v ogrinfo >/dev/null && command -v ogr2ogr >/dev/null && exit 0
apt_install "for the OGC API test with ogrinfo/ogr2ogr" gdal-bin
