#!/usr/bin/env bash
# wrk, the HTTP load generator of scripts/bench-ogc.sh. Installs from apt when it
# is missing; a no-op otherwise.
set -euo pipefail

command -v wrk >/dev/null && exit 0
echo "deps: installing wrk from apt (for scripts/bench-ogc.sh)" >&2
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null 2>&1 || {
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null
}
