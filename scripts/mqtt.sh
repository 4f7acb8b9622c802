#!/usr/bin/env bash
# The project-local Mosquitto broker under .data/mosquitto, for parking sensors.
#
#   scripts/mqtt.sh install     install mosquitto from apt when missing
#   scripts/mqtt.sh start       configure it on a free port (once, from 51883 up) and start it
#   scripts/mqtt.sh stop        stop it
#   scripts/mqtt.sh url         print its URL, mqtt://127.0.0.1:PORT
#
# It listens on 127.0.0.1 only and lets anyone connect: it is a development broker.
# Sessions and queued QoS 1 messages persist under .data/mosquitto, so readings
# published while citymap is down reach it when it is back. Starting twice is a no-op.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.data/mosquitto"
conf="$dir/mosquitto.conf"
bin=/usr/sbin/mosquitto

install() {
	[ -x "$bin" ] && return 0
	echo "mqtt: installing mosquitto from apt" >&2
	"$root/scripts/apt-install.sh" mosquitto
}

port() { cat "$dir/PORT"; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
	local p=51883
	while port_in_use "$p"; do p=$((p + 1)); done
	echo "$p"
}

# write_conf writes the broker's configuration for port $1. As root the broker
# stays root (user root): it would otherwise switch to the mosquitto user, which
# cannot write under a root-owned .data. As anyone else, `user` has no effect.
write_conf() {
	cat >"$conf" <<EOF
# written by scripts/mqtt.sh; a development broker on the loopback interface
listener $1 127.0.0.1
allow_anonymous true
user $(id -un)
pid_file $dir/mosquitto.pid
persistence true
persistence_location $dir/
autosave_interval 10
log_dest file $dir/mosquitto.log
log_type error
log_type warning
log_type notice
# citymap's persistent session queues what sensors publish while it is down:
# keep a long outage's worth instead of the default 1000 messages
max_queued_messages 1000000
max_inflight_messages 1000
EOF
	echo "$1" >"$dir/PORT"
}

running() {
	[ -f "$dir/mosquitto.pid" ] || return 1
	local pid
	pid=$(cat "$dir/mosquitto.pid")
	[ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = mosquitto ]
}

start() {
	install
	mkdir -p "$dir"
	if running; then
		echo "mqtt: Mosquitto on 127.0.0.1:$(port), data in .data/mosquitto" >&2
		return 0
	fi
	# first start, or another process took the port since
	if [ ! -f "$dir/PORT" ] || port_in_use "$(port)"; then
		write_conf "$(free_port)"
	else
		write_conf "$(port)"
	fi
	"$bin" -c "$conf" -d 2>>"$dir/mosquitto.log" # its warnings (running as root) go to its log
	for _ in $(seq 100); do
		port_in_use "$(port)" && break
		sleep 0.1
	done
	if ! port_in_use "$(port)"; then
		echo "mqtt: Mosquitto did not start; see .data/mosquitto/mosquitto.log" >&2
		exit 1
	fi
	echo "mqtt: Mosquitto on 127.0.0.1:$(port), data in .data/mosquitto" >&2
}

stop() {
	running || return 0
	local pid
	pid=$(cat "$dir/mosquitto.pid")
	kill "$pid"
	for _ in $(seq 50); do
		[ -e "/proc/$pid" ] || return 0
		sleep 0.1
	done
	echo "mqtt: Mosquitto (pid $pid) did not stop" >&2
	exit 1
}

url() { echo "mqtt://127.0.0.1:$(port)"; }

cmd=${1:-}
shift || true
case "$cmd" in
install | start | stop | url) "$cmd" "$@" ;;
*)
	sed -n '2,7p' "$0" >&2
	exit 2
	;;
esac
