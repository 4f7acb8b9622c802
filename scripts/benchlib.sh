# Sourced by the bench scripts that start servers: a work directory and the
# servers' pids (pids+=($!)), both cleaned up on exit, and free_port.
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

# free_port FROM: the first port from FROM on that nothing listens on
free_port() {
	local p=$1
	while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
	echo "$p"
}
