#!/usr/bin/env bash
# Benchmark of budget status write volume, or of the poller's memory (prints figures; not a
# ctest test).
#
#   tests/bench/budget.sh [N=1000] [INTERVALS=10]
#   tests/bench/budget.sh --memory [N=10000] [INTERVALS=5]
#
# N SLOs are in the fake API server's state before burnrate starts; a fake Prometheus
# (tests/budget/fakeprom.py, 127.0.0.1) answers a budget for every one of them: 80% left,
# burn rates well under 1x for every window of the default alert table (5m 30m 1h 2h 6h 1d
# 3d), as the rules record them (labels slo, slo_namespace, __name__), and every answer
# jittered (remaining by up to +-0.0004, ratios by up to +-0.0004 of a 0.005 budget), as a
# live budget moves between reads.
#
# Write volume: the controller polls every 2 s. Reported, per interval: status writes and
# Prometheus queries
#   1. at start (the first Ready write, then the first budget write of every SLO);
#   2. steady: INTERVALS intervals of jittered but steady figures (should be ~0 writes);
#   3. 1% of the SLOs lose 5 points of budget (should be ~N/100 writes, once);
#   4. a restart of the controller with nothing changed (should be ~0 writes);
# and the controller's CPU time per interval while steady.
#
# --memory: the controller starts on a state where every SLO already has its rules and
# status.budget (made once by a first run, which takes minutes at 10,000 SLOs, and kept in
# BENCH_STATE, default $TMPDIR/burnrate-budget-state-N.json, so that two binaries are
# measured on the same state), polls every IV seconds (default 10), waits until the start's
# work is over (every SLO reconciled once, the queue empty: minutes at 10,000 SLOs) and 2
# more intervals, then reports over INTERVALS intervals: queries, bytes of answers and
# controller CPU per interval, RSS while steady (lowest and highest of one sample a
# second), and the peak RSS of the whole run (VmHWM: the start, with its list and reconcile
# of every SLO, included). NO_BUDGET=1 runs without --prometheus-url, for the baseline.
# Needs BURNRATE (the binary) or a build in build/.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
MEMORY=0
if [ "${1:-}" = --memory ]; then
	MEMORY=1
	shift
fi
N=${1:-$([ $MEMORY = 1 ] && echo 10000 || echo 1000)}
INTERVALS=${2:-$([ $MEMORY = 1 ] && echo 5 || echo 10)}
IV=${IV:-$([ $MEMORY = 1 ] && echo 10 || echo 2)}
BENCH_STATE=${BENCH_STATE:-${TMPDIR:-/tmp}/burnrate-budget-state-$N.json}
BR=${BURNRATE:-$src/build/cmd/burnrate/burnrate}
[ -x "$BR" ] || { echo "no burnrate binary (set BURNRATE)"; exit 1; }
source "$src/tests/e2e/lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/budget-bench.XXXXXX")
CPID= PPID_=
cleanup() {
	[ -z "$CPID" ] || kill -KILL "$CPID" 2>/dev/null
	[ -z "$PPID_" ] || kill -KILL "$PPID_" 2>/dev/null
	stop_fakeapi
	rm -rf "$work"
}
trap cleanup EXIT

FAKEAPI_DIR=$work/api
mkdir -p "$FAKEAPI_DIR"
if [ $MEMORY = 1 ] && [ -s "$BENCH_STATE" ]; then
	cp "$BENCH_STATE" "$FAKEAPI_DIR/state.json"
else
	python3 "$here/controller_state.py" "$N" "$FAKEAPI_DIR/state.json"
fi
start_fakeapi --plain-chunks >/dev/null || exit 1

data() { # data OVERRIDE_JSON
	cat >"$work/prom.json.tmp" <<EOF
{"generate": {"namespace": "default", "count": $N, "prefix": "slo-", "remaining": 0.8,
 "ratios": {"5m": 0.001, "30m": 0.001, "1h": 0.001, "2h": 0.001, "6h": 0.001, "1d": 0.001, "3d": 0.001},
 "jitter": 0.0004, "override": $1}}
EOF
	mv "$work/prom.json.tmp" "$work/prom.json"
}
data '{}'
python3 "$src/tests/budget/fakeprom.py" "$work/prom.json" "$work/prom.port" &
PPID_=$!
wait_for 10 test -s "$work/prom.port" || exit 1
PROM=http://127.0.0.1:$(cat "$work/prom.port")

status_writes() {
	fake_admin /fake/requests | python3 -c '
import json,sys
d=json.load(sys.stdin)
print(sum(b["count"] for b in d["by"] if b["verb"]=="update" and b["resource"]=="burnrate.dev/servicelevelobjectives" and b["subresource"]=="status"))'
}
queries() { curl -fs "$PROM/fake/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["queries"])'; }
answered() { curl -fs "$PROM/fake/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bytes"])'; }
with_budget() {
	kubectl get slo -A -o json | python3 -c '
import json,sys; print(sum(1 for o in json.load(sys.stdin)["items"] if "budget" in o.get("status", {})))'
}
cpu() { awk '{printf "%.2f", ($14+$15)/100}' "/proc/$1/stat"; }
kb() { awk -v k="$2:" '$1==k{print $2}' "/proc/$1/status"; } # kb PID VmHWM|VmRSS

MPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run_ctl() {
	local budget=(--budget-interval "${IV}s" --prometheus-url "$PROM")
	[ "${NO_BUDGET:-0}" = 1 ] && budget=()
	"$BR" controller --qps 100000 --burst 100000 --resync 0 "${budget[@]}" \
		--metrics-bind-address "127.0.0.1:$MPORT" --health-probe-bind-address 0 \
		--log-level warn >>"$work/ctl.log" 2>&1 &
	CPID=$!
}
# metric NAME: the sum of its series on the controller's /metrics
metric() {
	curl -fs "http://127.0.0.1:$MPORT/metrics" |
		awk -v k="$1" 'index($1, k) == 1 && (substr($1, length(k) + 1, 1) ~ /^[{]?$/) {s += $2}
			END {printf "%d\n", s}'
}
# every SLO reconciled once and the queue empty: the start's work is over
started() { [ "$(metric burnrate_reconcile_total)" -ge "$N" ] && [ "$(metric burnrate_workqueue_depth)" = 0 ]; }

# measure LABEL INTERVALS: status writes and queries over that many intervals
measure() {
	local w0 q0 c0 w1 q1 c1
	w0=$(status_writes) q0=$(queries) c0=$(cpu "$CPID")
	sleep $(( $2 * IV ))
	w1=$(status_writes) q1=$(queries) c1=$(cpu "$CPID")
	printf '%-34s %6d status writes (%.1f per interval), %3d queries (%.1f per interval), cpu %.2f s/interval\n' \
		"$1:" $((w1 - w0)) "$(echo "($w1 - $w0) / $2" | bc -l)" $((q1 - q0)) \
		"$(echo "($q1 - $q0) / $2" | bc -l)" "$(echo "($c1 - $c0) / $2" | bc -l)"
}

# start: waits until every SLO has status.budget
start() {
	w0=$(status_writes)
	t0=$(date +%s.%N)
	run_ctl
	until [ "$(with_budget)" -ge "$N" ]; do
		kill -0 "$CPID" 2>/dev/null || { cat "$work/ctl.log"; exit 1; }
		sleep $(( N > 2000 ? 5 : 1 ))
	done
}

# --memory, first run: converge once and keep the state for the runs to compare
if [ $MEMORY = 1 ] && [ ! -s "$BENCH_STATE" ]; then
	echo "making $BENCH_STATE (every SLO with rules and status.budget)"
	start
	printf 'converged after %.1f s\n' "$(echo "$(date +%s.%N) - $t0" | bc)"
	kill -TERM "$CPID"; wait "$CPID"; CPID=
	fake_admin /fake/save >/dev/null && cp "$FAKEAPI_DIR/state.json" "$BENCH_STATE" || exit 1
fi

if [ $MEMORY = 1 ]; then
	echo "N=$N SLOs, budget interval ${IV}s, $BR"
	[ "${NO_BUDGET:-0}" = 1 ] && echo "NO_BUDGET=1: without --prometheus-url, for the baseline"
	fake_admin /fake/reset-requests >/dev/null
	t0=$(date +%s.%N)
	run_ctl
	until started; do
		kill -0 "$CPID" 2>/dev/null || { cat "$work/ctl.log"; exit 1; }
		sleep 1
	done
	printf 'start (list and reconcile of every SLO) over after %.1f s, RSS %.1f MB\n' \
		"$(echo "$(date +%s.%N) - $t0" | bc)" "$(echo "$(kb "$CPID" VmRSS) / 1024" | bc -l)"
	sleep $((2 * IV))
	q0=$(queries) b0=$(answered) c0=$(cpu "$CPID") lo= hi=0
	for _ in $(seq 1 $((INTERVALS * IV))); do
		r=$(kb "$CPID" VmRSS)
		[ -n "$lo" ] && [ "$lo" -le "$r" ] || lo=$r
		[ "$hi" -ge "$r" ] || hi=$r
		sleep 1
	done
	q1=$(queries) b1=$(answered) c1=$(cpu "$CPID")
	printf 'queries %.1f per interval, %.1f MB of answers per interval, cpu %.2f s per interval\n' \
		"$(echo "($q1 - $q0) / $INTERVALS" | bc -l)" \
		"$(echo "($b1 - $b0) / $INTERVALS / 1048576" | bc -l)" \
		"$(echo "($c1 - $c0) / $INTERVALS" | bc -l)"
	printf 'RSS steady %.1f-%.1f MB, peak (VmHWM) %.1f MB; %d status writes since start\n' \
		"$(echo "$lo / 1024" | bc -l)" "$(echo "$hi / 1024" | bc -l)" \
		"$(echo "$(kb "$CPID" VmHWM) / 1024" | bc -l)" "$(status_writes)"
	grep -i 'sanitizer\|error' "$work/ctl.log" | head -5
	exit 0
fi

echo "N=$N SLOs, budget interval ${IV}s, jittered steady figures"
start
printf 'start: all %d with status.budget after %.1f s, %d status writes (2 per SLO at most: Ready, then budget)\n' \
	"$N" "$(echo "$(date +%s.%N) - $t0" | bc)" $(( $(status_writes) - w0 ))
sleep $((2 * IV))
measure "steady ($INTERVALS intervals)" "$INTERVALS"

over='{'
for i in $(seq 0 $((N / 100 - 1))); do
	over+="$( [ "$i" -gt 0 ] && echo ,)\"slo-$(printf %05d $((i * 100 + 3)))\": {\"remaining\": 0.75}"
done
over+='}'
data "$over"
measure "1% lose 5 points (3 intervals)" 3
measure "steady again ($INTERVALS intervals)" "$INTERVALS"

kill -TERM "$CPID"; wait "$CPID"
run_ctl
sleep 1
measure "restart, nothing changed (5 int.)" 5
grep -i 'sanitizer\|error' "$work/ctl.log" | head -5
