#!/usr/bin/env bash
# wrk, the HTTP load generator of scripts/bench-ogc.sh. Installs from apt when it
# is missing; a no-op otherwise.
set -euo pipefail
log_name=deps
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v wrk >/dev/null && exit 0
apt_install "for scripts/bench-ogc.sh" wrk
