#!/usr/bin/env bash
# wrk, the HTTP load generator of scripts/bench-ogc.sh. Installs from apt when it
# is missing; a no-op otherwise.
set -euo pipefail

command -v wrk >/dev/null && exit 0
echo "deps: installing wrk from apt (for scripts/bench-ogc.sh)" >&2
"$(dirname "$0")/apt-install.sh" wrk
