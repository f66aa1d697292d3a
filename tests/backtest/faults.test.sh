#!/usr/bin/env bash
# burnrate backtest and report against a Prometheus that is down, slow, answers
# garbage, an error, nothing, points it was not asked for, two series, or a cut
# answer (fakeprom.py): each a clear message naming the SLO and the problem, exit
# 1, never a crash, a hang or a total. And against a well-behaved fake, the
# chunking: 30 days at 1m asks at most 11,000 points per query.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
command -v python3 >/dev/null || { echo "python3 missing: skipped"; exit 77; }

slo bt faults 99.9 >"$T/slo.yaml"

# fake MODE: starts fakeprom.py in MODE; sets URL
fake() {
	rm -f "$T/port"
	bt_bg python3 "$HERE/fakeprom.py" "$T/port" "$1"
	for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
	URL="http://127.0.0.1:$(cat "$T/port")"
}

# each MODE REGEX: backtest and report both fail with exit 1 and REGEX on stderr
each() {
	fake "$1"
	run backtest -f "$T/slo.yaml" --prometheus-url "$URL" --from -2h --timeout 2s
	expect_rc 1 "backtest, Prometheus $1"
	expect_err "^burnrate backtest: faults/bt: $2" "backtest, $1 named"
	run report -f "$T/slo.yaml" --prometheus-url "$URL" --from -2h --timeout 2s
	expect_rc 1 "report, Prometheus $1"
	expect_err "^burnrate report: faults/bt: $2" "report, $1 named"
}

DEAD=$(free_port)
run backtest -f "$T/slo.yaml" --prometheus-url "http://127.0.0.1:$DEAD" --from -2h
expect_rc 1 "backtest, Prometheus down"
expect_err "faults/bt: cannot read the events over 5m from Prometheus: http://127.0.0.1:$DEAD" "down named"
run report -f "$T/slo.yaml" --prometheus-url "http://127.0.0.1:$DEAD" --from -2h
expect_rc 1 "report, Prometheus down"
expect_err "faults/bt: cannot read the events from Prometheus: http://127.0.0.1:$DEAD" "report: down named"

t0=$(date +%s)
each slow "cannot read .*(timed out|Timeout)"
[ $(( $(date +%s) - t0 )) -le 15 ] && ok "slow: gave up within the timeouts" || fail "slow took $(( $(date +%s) - t0 )) s"
each garbage "cannot read .*not JSON"
each html500 "cannot read .*(HTTP 500|500)"
each baddata "cannot read .*bad_data"
each truncated "cannot read .*(not JSON|JSON)"
each twoseries "cannot read .*(2 series|more than one series)"
each empty "no data: Prometheus at .* has no (samples|events)"
fake offgrid
run backtest -f "$T/slo.yaml" --prometheus-url "$URL" --from -2h
expect_rc 1 "backtest, points off the grid"
expect_err "faults/bt: cannot read .* a point at .*, not a time it was asked for" "off-grid named"

# usage errors name the flag
run backtest -f "$T/slo.yaml" --prometheus-url "$URL" --from yesterday
expect_rc 2 "a --from that is not a time"
expect_err "--from: \"yesterday\" is not a time" "--from named"
run backtest -f "$T/slo.yaml" --prometheus-url "$URL" --from -1h --to -2h
expect_rc 2 "--to before --from"
expect_err "--to must be" "--to named"
run backtest -f "$T/slo.yaml" --prometheus-url "$URL" --step 0s
expect_rc 2 "a zero --step"
expect_err "--step" "--step named"
run backtest -f "$T/slo.yaml"
expect_rc 2 "no --prometheus-url"
expect_err "--prometheus-url is required" "--prometheus-url named"
run report -f "$T/slo.yaml" --prometheus-url "$URL"
expect_rc 2 "report without --from"
expect_err "--from is required" "report --from named"

# chunks: 30 days at 1m, 43,201 points per series, in queries of at most 11,000
fake good
run backtest -f "$T/slo.yaml" --prometheus-url "$URL" --from -30d --json
expect_rc 0 "backtest of 30 days from the well-behaved fake"
stats=$(curl -fs "$URL/fake/stats")
if python3 -c 'import json,sys; s=json.loads(sys.argv[1]); sys.exit(not (0 < s["max_points"] <= 11000 and s["queries"] >= 4))' "$stats"; then
	ok "chunked: $stats"
else
	fail "chunking: $stats"
fi
finish
