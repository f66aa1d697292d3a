# Shared set-up of the backtest tests (sourced, not run: it does not end in .test.sh).
#
# bt_deps                  installs the Debian prometheus (and python3, curl) when missing
# bt_prometheus OM         backfills OpenMetrics file OM into $T/data and starts the
#                          Debian prometheus on 127.0.0.1 (retention 30d); sets PROM_URL
# bt_bg CMD...             runs CMD in the background, killed on exit
# free_port                prints a free TCP port on 127.0.0.1
# Every server binds 127.0.0.1 only and is killed by the EXIT trap; every wait is bounded.
# shellcheck source=../cli/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../cli/lib.sh"

PIDS=()
bt_cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap bt_cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

bt_bg() {
	"$@" &
	PIDS+=("$!")
}

bt_deps() {
	local missing=() sudo=""
	command -v prometheus >/dev/null && command -v promtool >/dev/null || missing+=(prometheus)
	command -v python3 >/dev/null || missing+=(python3)
	command -v curl >/dev/null || missing+=(curl)
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	echo "installing ${missing[*]}"
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"${missing[@]}" >/dev/null || { echo "FAIL: cannot install ${missing[*]}"; exit 1; }
}

bt_prometheus() {
	local port
	promtool tsdb create-blocks-from openmetrics --max-block-duration=400h "$1" "$T/data" \
		>"$T/backfill.log" 2>&1 || { cat "$T/backfill.log"; echo "FAIL: backfill"; exit 1; }
	echo "global: {scrape_interval: 1m}" >"$T/prom.yml"
	port=$(free_port)
	bt_bg prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/data" \
		--storage.tsdb.retention.time=30d --web.listen-address="127.0.0.1:$port" \
		--log.level=warn >"$T/prom.log" 2>&1
	PROM_URL="http://127.0.0.1:$port"
	for _ in $(seq 120); do
		curl -fs "$PROM_URL/-/ready" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	tail -20 "$T/prom.log"
	echo "FAIL: prometheus not ready"
	exit 1
}
