#!/usr/bin/env bash
# Debian's chromium for the web map's browser tests (webmap/browsertest drives it
# with playwright-core from npm) and for the server, which prints bulletins to PDF
# with it (a run-time dependency: make run installs it too), CJK fonts, so that
# the Chinese text renders in screenshots and PDFs, and poppler-utils, whose
# pdftotext the tests read the PDFs with. Installs from apt what is missing; a
# no-op otherwise.
set -euo pipefail

pkgs=()
[ -x /usr/bin/chromium ] || pkgs+=(chromium)
fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || pkgs+=(fonts-noto-cjk)
command -v pdftotext >/dev/null || pkgs+=(poppler-utils)
[ ${#pkgs[@]} -eq 0 ] && exit 0
echo "deps: installing ${pkgs[*]} from apt (for the bulletins' PDFs and the web map's browser tests)" >&2
"$(dirname "$0")/apt-install.sh" "${pkgs[@]}"
