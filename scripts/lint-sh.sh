#!/usr/bin/env bash
# make lint-sh: shellcheck (from apt when missing) over every script under scripts/
# and .ci/. Its settings are in .shellcheckrc; a finding is fixed, or silenced with a
# directive on the line that says why.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v shellcheck >/dev/null || apt_install "to check the shell scripts" shellcheck
find scripts .ci -type f ! -name "*.lua" -print0 | sort -z | xargs -0 shellcheck
