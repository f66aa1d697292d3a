#!/usr/bin/env bash
# burnrate backtest against Prometheus's own rule engine as the oracle.
#
# scenarios.py writes a day of one-minute counters for 10 scenarios (full outage,
# partial outage, slow burn, healthy, zero traffic, low traffic with a retry burst
# and minEvents, confidence, off-peak hours, a latency indicator, a raw one), one
# job and one SLO each. The same
# samples go two ways:
#   - backfilled into a real Prometheus (Debian `prometheus`, 127.0.0.1), which
#     `burnrate backtest --json` reads, with no rules loaded;
#   - into `promtool test rules` with burnrate's generated rules
#     (`burnrate generate --format rules`), groups in the order burnrate writes
#     them, where an expression test per minute reports which alerts were firing
#     (compare.py reads what promtool printed).
# Every SLO's page and ticket intervals must be as many as the oracle's, each start
# and end within one evaluation step (1m), and as many as the scenario expects.
# promtool runs in the background while Prometheus is backfilled and queried.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
bt_deps

START=$(( ($(date +%s) / 86400 - 3) * 86400 ))   # a UTC midnight, as promtool's t=0
LAST=$((START + 1439 * 60))                      # the last evaluation of the day
python3 "$HERE/scenarios.py" "$START" "$T" >"$T/expected" || { echo "FAIL: scenarios"; exit 1; }
for name in $(cut -d' ' -f1 "$T/expected"); do
	"$BURNRATE" generate --format rules -f "$T/slo-$name.yaml" >"$T/rules-$name.yaml" ||
		{ echo "FAIL: generate $name"; exit 1; }
done
(cd "$T" && promtool test rules oracle.json >promtool.out 2>&1; echo $? >promtool.rc) &
ORACLE=$!
PIDS+=("$ORACLE")

bt_prometheus "$T/history.om"
mkdir -p "$T/bt"
for name in $(cut -d' ' -f1 "$T/expected"); do
	run backtest --json -f "$T/slo-$name.yaml" --prometheus-url "$PROM_URL" --from "$START" --to "$LAST"
	expect_rc 0 "backtest $name"
	cp "$T/out" "$T/bt/$name.json"
done

wait "$ORACLE"
# promtool exits 1 because every minute with an alert firing is a "failed" test;
# anything else (2, a crash) means it did not run the rules
if [ "$(cat "$T/promtool.rc")" != 1 ] || ! grep -q "got:" "$T/promtool.out"; then
	head -40 "$T/promtool.out"
	fail "promtool did not evaluate the rules (exit $(cat "$T/promtool.rc"))"
fi
if python3 "$HERE/compare.py" "$T/promtool.out" "$START" "$T/expected" "$T/bt"; then
	ok "every page and ticket interval equals Prometheus's within one step"
else
	fail "backtest differs from Prometheus's rule engine"
fi
finish
