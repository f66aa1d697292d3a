#!/usr/bin/env bash
# burnrate report against a real Prometheus (Debian `prometheus`, 127.0.0.1)
# holding the day of counters of scenarios.py, plus ALERTS series for the
# outage SLO as its rules would have written them (page firing 10:01-11:00).
#
# The budget consumed from 09:50 to 11:40 (the outage is 10:00-10:30), and over
# a range of the partial outage, must equal a hand computation from the
# backfilled counters (errors in the range / (events over the SLO window ending
# at --to * error budget)) within 0.1% of the budget; the events and errors
# exactly; the page from ALERTS; then RFC 3339 and relative times, a
# selector without data, and a range beyond the data (backtest).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
bt_deps

START=$(( ($(date +%s) / 86400 - 3) * 86400 ))
python3 "$HERE/scenarios.py" "$START" "$T" >"$T/expected" || { echo "FAIL: scenarios"; exit 1; }
# ALERTS of the outage SLO: the page from 10:01 to 11:00 (as the oracle test finds)
python3 - "$START" "$T/history.om" <<'PY'
import sys
start, path = int(sys.argv[1]), sys.argv[2]
lines = open(path).read().splitlines()
assert lines[-1] == "# EOF"
alerts = ["# TYPE ALERTS gauge"] + [
    'ALERTS{alertname="Outage",alertstate="firing",burnrate_severity="page",slo="outage",'
    'slo_namespace="backtest"} 1 %d' % (start + 60 * m) for m in range(601, 660)]
open(path, "w").write("\n".join(lines[:-1] + alerts + ["# EOF"]) + "\n")
PY
bt_prometheus "$T/history.om"

# hand NAME FROM_MIN TO_MIN: errors, events and the budget consumed, from the counters
hand() {
	python3 - "$T/history.om" "$@" <<'PY'
import re, sys
path, name, a, b = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
good, bad = {}, {}
for line in open(path):
    m = re.match(r'bt_requests_total\{code="(\d+)",job="([a-z]+)"\} (\S+) (\d+)', line)
    if m and m.group(2) == name:
        (bad if m.group(1) == "500" else good)[int(m.group(4))] = float(m.group(3))
times = sorted(good)
t0 = times[0]
ta, tb = t0 + 60 * a, t0 + 60 * b
errors = bad[tb] - bad[ta]
events = good[tb] + bad[tb] - good[ta] - bad[ta]
window = good[tb] + bad[tb] - good[t0] - bad[t0]     # the series start inside the 30d window
eb = 1 - 99.9 / 100
print(errors, events, errors / (window * eb))
PY
}

# check NAME FROM_MIN TO_MIN
check() {
	local want got
	want=$(hand "$1" "$2" "$3")
	run report --json -f "$T/slo-$1.yaml" --prometheus-url "$PROM_URL" \
		--from $((START + 60 * $2)) --to $((START + 60 * $3))
	expect_rc 0 "report $1 minutes $2-$3"
	got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["errors"], d["events"], d["budgetConsumed"])' "$T/out")
	if python3 -c 'import sys
w = list(map(float, sys.argv[1].split())); g = list(map(float, sys.argv[2].split()))
ok = abs(g[0] - w[0]) <= 1e-6 * max(1, w[0]) and abs(g[1] - w[1]) <= 1e-6 * w[1] and abs(g[2] - w[2]) <= 0.001
sys.exit(0 if ok else 1)' "$want" "$got"; then
		ok "$1 $2-$3m: errors, events, consumed $got (by hand $want)"
	else
		fail "$1 $2-$3m: report says $got, by hand $want"
	fi
}
check outage 590 700
check partial 300 480
check healthy 0 1439

# the text, with the page from ALERTS and relative and RFC 3339 times
FROM=$(date -u -d "@$((START + 590 * 60))" +%Y-%m-%dT%H:%M:%SZ)
run report -f "$T/slo-outage.yaml" --prometheus-url "$PROM_URL" --from "$FROM" \
	--to "$(date -u -d "@$((START + 700 * 60))" +%Y-%m-%dT%H:%M:%S+00:00)"
expect_rc 0 "report with RFC 3339 times"
expect_out "budget consumed: [0-9.]+% of the budget over 30d" "budget consumed printed"
expect_out "peak burn rate \(5m\): 1000.0x" "peak burn rate of a full outage: 1000x"
expect_out "alert: page +$(date -u -d "@$((START + 601 * 60))" +%Y-%m-%dT%H:%M:%SZ) to $(date -u -d "@$((START + 660 * 60))" +%Y-%m-%dT%H:%M:%SZ)" \
	"the page from ALERTS"
run report -f "$T/slo-healthy.yaml" --prometheus-url "$PROM_URL" --from -3h
expect_rc 1 "report of the last 3 hours, where there is no data"
expect_err "burnrate report: backtest/healthy: no data: Prometheus at $PROM_URL has no events of spec.indicator.ratio.total" \
	"no data named"

# backtest: the text, --compare and --svg
LAST=$((START + 1439 * 60))
run backtest -f "$T/slo-outage.yaml" --prometheus-url "$PROM_URL" --from "$START" --to "$LAST" \
	--compare "$T/slo-healthy.yaml" --svg "$T/outage.svg"
expect_rc 0 "backtest --compare --svg"
expect_out "^  page +$(date -u -d "@$((START + 601 * 60))" +%Y-%m-%dT%H:%M:%SZ)  $(date -u -d "@$((START + 660 * 60))" +%Y-%m-%dT%H:%M:%SZ)  59m +1h/5m > 14.4x +fired at [0-9.]+x, peak 500.0x" \
	"the page: start, end, length, row, burn rates (peak: the 1h window half failed, 500x)"
expect_out "^  budget left: -?[0-9.]+% at the end, lowest -?[0-9.]+% at " "budget left and its low point"
expect_out "^compare: backtest/outage: 1 page, 1 ticket in 23h59m; backtest/healthy: 0 pages, 0 tickets in 23h59m$" \
	"the two specs side by side"
if grep -q "<svg" "$T/outage.svg" && [ "$(grep -c "<rect" "$T/outage.svg")" = 2 ] && grep -q "<path" "$T/outage.svg"; then
	ok "--svg: the burn-down and two bands"
else
	fail "--svg: $(head -c 300 "$T/outage.svg")"
fi
run backtest --json -f "$T/slo-outage.yaml" --prometheus-url "$PROM_URL" --from "$START" --to "$LAST" \
	--compare "$T/slo-offpeak.yaml"
expect_rc 0 "backtest --json --compare"
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d["slo"]["pages"] == 1 and d["compare"]["name"] == "offpeak" and d["compare"]["pages"] == 2))' "$T/out"; then
	ok "--json --compare: both results"
else
	fail "--json --compare: $(head -c 300 "$T/out")"
fi

# backtest: a range beyond the data, and a selector without data
run backtest -f "$T/slo-healthy.yaml" --prometheus-url "$PROM_URL" --from -20d --to -2d
expect_rc 1 "backtest over 20 days of a 1-day history"
expect_err "range beyond the data: .* has samples of spec.indicator.ratio.total only from .*use --from" \
	"range beyond the data named"
sed 's/job="healthy"/job="nothing"/' "$T/slo-healthy.yaml" >"$T/nothing.yaml"
run backtest -f "$T/nothing.yaml" --prometheus-url "$PROM_URL" --from "$START" --to $((START + 86340))
expect_rc 1 "backtest of a selector without data"
expect_err "no data: Prometheus at .* has no samples of spec.indicator.ratio.total" "no data named"
finish
