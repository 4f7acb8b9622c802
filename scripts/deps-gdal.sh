#!/usr/bin/env bash
# gdal-bin (ogrinfo, ogr2ogr) for the interoperability tests: GDAL's OAPIF driver is
# the real client that lists the OGC API collections and pages through them, and its
# MVT driver reads the vector tiles (server/tiles/gdal_test.go).
# Installs from apt when ogrinfo is missing; a no-op otherwise.
set -euo pipefail

command -v ogrinfo >/dev/null && command -v ogr2ogr >/dev/null && exit 0
echo "deps: installing gdal-bin from apt (for the OGC API test with ogrinfo/ogr2ogr)" >&2
"$(dirname "$0")/apt-install.sh" gdal-bin
