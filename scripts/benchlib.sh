# shellcheck shell=bash
# Sourced, after lib.sh, by the bench scripts that start servers: a work
# directory and the servers' pids (pids+=($!)), both cleaned up on exit.
work=$(mktemp -d)
pids=()
cleanup() {
	for pid in "${pids[@]}"; do
		# a killed server's status would stop the cleanup under set -e
		{ kill "$pid" && wait "$pid"; } 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
