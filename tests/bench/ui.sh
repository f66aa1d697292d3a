#!/usr/bin/env bash
# Benchmark of the web UI against the fake API server holding N SLOs (prints figures; not
# a test): burnrate ui, then the controller serving it (--ui-bind-address).
#
#   tests/bench/ui.sh [N=10000] [RUNS=7]
#
# The controller part converges the N SLOs twice, without the UI and with it, and compares
# the RSS once idle (converged, the queue empty, 35 s later so that its 30 s malloc_trim has
# run): the UI's cost is the difference.
#
# Measures the server time (curl's time_total, median of RUNS) of the overview's page 1
# and a middle page, and of an SLO page, and the RSS of burnrate ui idle (VmRSS, before
# any request and after the runs). First without Prometheus (the UI's own time); then,
# when prometheus is on the PATH, against an empty one (its queries answer nothing): the
# first view of a page (cache cold) and the median of the next ones (answers cached).
# Goals (issue 15): overview paginated < 200 ms, an SLO page < 100 ms plus its Prometheus
# queries, the UI < 2 MB RSS idle. Needs BURNRATE (the binary) or a build in build/.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
N=${1:-10000}
RUNS=${2:-7}
BR=${BURNRATE:-$src/build/cmd/burnrate/burnrate}
[ -x "$BR" ] || { echo "no burnrate binary (set BURNRATE)"; exit 1; }
source "$src/tests/e2e/lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/ui-bench.XXXXXX")
UPID= PPID_=
trap '[ -z "$UPID" ] || kill -TERM $UPID 2>/dev/null; [ -z "$PPID_" ] || kill -TERM $PPID_ 2>/dev/null;
	stop_fakeapi; wait 2>/dev/null; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rss() { awk '$1=="VmRSS:"{printf "%.1f MB", $2/1024}' "/proc/$1/status"; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ms() { curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "$1" | awk '$1!=200{print "HTTP " $1; exit 1} {printf "%.1f", $2*1000}'; }
time_of() { # URL: prints "first X ms, median Y ms" over RUNS
	local first t all=()
	first=$(ms "$1") || { echo "$first"; return; }
	for _ in $(seq "$RUNS"); do t=$(ms "$1") || { echo "$t"; return; }; all+=("$t"); done
	echo "first $first ms, median $(median "${all[@]}") ms"
}

python3 "$here/ui_state.py" "$N" "$work/state.json"
FAKEAPI_DIR=$work/api
mkdir -p "$FAKEAPI_DIR"
cp "$work/state.json" "$FAKEAPI_DIR/state.json"
start_fakeapi --plain-chunks >/dev/null || exit 1
export KUBECONFIG

run_ui() { # extra flags...
	local port
	port=$(free_port)
	UI=http://127.0.0.1:$port
	"$BR" ui --kubeconfig "$KUBECONFIG" --bind-address "127.0.0.1:$port" "$@" >"$work/ui.log" 2>&1 &
	UPID=$!
	for _ in $(seq 100); do curl -sf "$UI/healthz" -o /dev/null && break; sleep 0.1; done
	sleep 1
}
stop_ui() { kill -TERM "$UPID"; wait "$UPID" 2>/dev/null; UPID=; }
pages() {
	echo "  overview page 1:         $(time_of "$UI/")"
	echo "  overview page $((N / 100)):       $(time_of "$UI/?page=$((N / 100))")"
	echo "  overview ?q=slo-0999:    $(time_of "$UI/?q=slo-0999")"
	echo "  SLO page:                $(time_of "$UI/slo/team-07/slo-04207")"
}

echo "burnrate ui, $N SLOs, median of $RUNS runs (curl time_total)"
run_ui
echo "without Prometheus: RSS idle $(rss "$UPID")"
pages
echo "  RSS after: $(rss "$UPID")"
stop_ui

if command -v prometheus >/dev/null; then
	pport=$(free_port)
	mkdir -p "$work/prom"
	echo 'global: {evaluation_interval: 1m}' >"$work/prom/prometheus.yml"
	prometheus --config.file="$work/prom/prometheus.yml" --storage.tsdb.path="$work/prom/data" \
		--web.listen-address="127.0.0.1:$pport" >"$work/prom.log" 2>&1 &
	PPID_=$!
	for _ in $(seq 100); do curl -sf "http://127.0.0.1:$pport/-/ready" -o /dev/null && break; sleep 0.2; done
	run_ui --prometheus-url "http://127.0.0.1:$pport"
	echo "with an empty Prometheus (first: cache cold; median: answers cached 10 s): RSS idle $(rss "$UPID")"
	pages
	echo "  RSS after: $(rss "$UPID")"
	stop_ui
fi

# the controller, without and with the UI
metric() { # PORT NAME: the value of an unlabelled metric
	curl -s "http://127.0.0.1:$1/metrics" | awk -v n="$2" '$1==n{print $2}'
}
idle() { # PORT: converged and the queue empty
	local done depth
	done=$(curl -s "http://127.0.0.1:$1/metrics" |
		awk '/^burnrate_reconcile_total/{s+=$2} END{print s+0}')
	depth=$(metric "$1" burnrate_workqueue_depth)
	[ "${done%.*}" -ge "$N" ] && [ "${depth:-1}" = 0 ]
}
run_ctl() { # extra flags...
	local mport
	mport=$(free_port)
	"$BR" controller --kubeconfig "$KUBECONFIG" --metrics-bind-address "127.0.0.1:$mport" \
		--health-probe-bind-address 0 --log-level warn "$@" >"$work/ctl.log" 2>&1 &
	UPID=$!
	for _ in $(seq 1200); do idle "$mport" && break; sleep 0.5; done
	idle "$mport" || { echo "  the controller did not converge: $(tail -3 "$work/ctl.log")"; return 1; }
	sleep 35
}
echo "burnrate controller, $N SLOs"
run_ctl && echo "  without the UI: RSS idle $(rss "$UPID")"
stop_ui
port=$(free_port)
UI=http://127.0.0.1:$port
run_ctl --ui-bind-address "127.0.0.1:$port" && {
	echo "  with --ui-bind-address: RSS idle $(rss "$UPID")"
	pages
	echo "  RSS after: $(rss "$UPID")"
}
stop_ui
