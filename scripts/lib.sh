# shellcheck shell=bash
# Sourced by the scripts under scripts/: the project root, messages, free ports,
# waiting for a service to come up, installing from apt what is missing, running
# PostgreSQL's programs as the user its clusters run as.
#
#   . "$(dirname "$0")/lib.sh"

# the scripts run in the project's root directory, whatever directory they were
# started from; $root is its absolute path
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1

# messages go to stderr as "NAME: ...", NAME being the script's unless it set log_name
log_name=${log_name:-$(basename "$0" .sh)}

log() { printf '%s: %s\n' "$log_name" "$*" >&2; }

die() {
	log "$@"
	exit 1
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port FROM prints the first port from FROM up that nothing listens on
free_port() {
	local p=$1
	while port_in_use "$p"; do p=$((p + 1)); done
	echo "$p"
}

# wait_for SECONDS WHAT CMD... runs CMD every tenth of a second until it succeeds, and
# fails saying so when SECONDS have passed without: a service that never comes up must
# stop the script, not let it carry on against nothing.
wait_for() {
	local secs=$1 what=$2
	shift 2
	local deadline=$((SECONDS + secs))
	until "$@"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			log "gave up waiting for $what after $secs s"
			return 1
		fi
		sleep 0.1
	done
}

# apt_install WHY PKG... installs the packages with apt-get, quietly and without
# questions; the callers check what is missing. The package lists are updated when
# there are none (a fresh machine) or the install fails (stale lists), at most once,
# so the scripts of one bootstrap update them once. apt's output is shown only when
# it fails.
apt_install() {
	local why=$1
	shift
	log "installing $* from apt ($why)"
	local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -y -qq -o DPkg::Lock::Timeout=300)
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null || die "not root and no sudo: install $* (apt-get install $*), then run this again"
		apt=(sudo "${apt[@]}")
	fi
	local out updated=
	out=$(mktemp)
	if ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null; then
		"${apt[@]}" update >>"$out" 2>&1 && updated=1
	fi
	if ! "${apt[@]}" install --no-install-recommends "$@" >>"$out" 2>&1; then
		if [ -n "$updated" ] || ! "${apt[@]}" update >>"$out" 2>&1 ||
			! "${apt[@]}" install --no-install-recommends "$@" >>"$out" 2>&1; then
			tail -n 30 "$out" >&2
			rm -f "$out"
			die "apt-get could not install $* (its output above)"
		fi
	fi
	rm -f "$out"
}

is_root() { [ "$(id -u)" = 0 ]; }

# as_postgres CMD... runs CMD as the user PostgreSQL clusters run as: postgres when
# root (PostgreSQL refuses to run as root), from /, the PostgreSQL programs' directory
# changes failing otherwise where the project is unreachable; else the caller
as_postgres() {
	if is_root; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}
