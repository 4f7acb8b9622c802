#!/usr/bin/env bash
# Installs Debian packages from apt, quietly, as root or through sudo; the package
# lists may be missing or stale on a fresh machine, so a failed install updates
# them and tries again.
#
#   scripts/apt-install.sh PACKAGE...
set -euo pipefail
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 || {
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
