#!/usr/bin/env bash
# The promtool behaviour scenarios on VictoriaMetrics: full outage, partial
# outage (10% errors), slow burn, healthy (0.9x), zero traffic and low
# traffic, with the rules of `burnrate generate --format rules` (the same file
# for both targets). victoria-metrics runs on 127.0.0.1 with temporary
# storage, the scenarios' history is imported with timestamps, vmalert
# replays the rules over it writing ALERTS back, and every ALERTS assertion
# of the promtool tests must hold within one evaluation step (replay.py).
# Also: `vmalert -dryRun` accepts the rules of every SLO in examples/.
# 77 = skipped: victoria-metrics or vmalert missing and not installable.
set -euo pipefail
: "${BURNRATE:?BURNRATE must name the burnrate binary}"
: "${BURNRATE_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
SRC=$BURNRATE_SOURCE_DIR
PT=$SRC/tests/promtool

if ! command -v victoria-metrics >/dev/null || ! command -v vmalert >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			victoria-metrics >/dev/null 2>&1 || true
	fi
	command -v victoria-metrics >/dev/null && command -v vmalert >/dev/null || {
		echo "SKIP: victoria-metrics/vmalert not installed (apt-get install victoria-metrics)"; exit 77; }
fi
python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: python3-yaml missing"; exit 77; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/burnrate-vm.XXXXXX")
VM_PID=
cleanup() {
	[ -z "$VM_PID" ] || { kill "$VM_PID" 2>/dev/null; wait "$VM_PID" 2>/dev/null || true; }
	rm -rf "$WORK"
}
trap cleanup EXIT

# vmalert -dryRun on every example's rules (both targets give this same file)
for f in "$SRC"/examples/*.yaml; do
	grep -q '^kind: ServiceLevelObjective' "$f" || continue
	"$BURNRATE" generate --target victoriametrics --format rules -f "$f" >"$WORK/example.yaml" 2>/dev/null
	if ! vmalert -dryRun -rule="$WORK/example.yaml" -loggerLevel=ERROR >"$WORK/dry.log" 2>&1; then
		echo "FAIL: vmalert -dryRun rejects the rules of $f:"; cat "$WORK/dry.log"; exit 1
	fi
	echo "ok: vmalert -dryRun accepts $(basename "$f")"
done

# scenario NAME TEST SLO:RULES...: WORK/NAME/ holds the promtool test file
# (rates expanded) and the rules of each SLO under the name its rule_files use
scenario() {
	local name=$1 test=$2 pair
	mkdir -p "$WORK/$name"
	python3 "$PT/rates.py" "$PT/$test" >"$WORK/$name/test.yaml"
	shift 2
	for pair in "$@"; do
		"$BURNRATE" generate --target victoriametrics --format rules -f "$PT/${pair%%:*}" \
			>"$WORK/$name/${pair#*:}"
	done
}
scenario outage outage/test.yaml outage/slo.yaml:rules.yaml
scenario slowburn slowburn/test.yaml outage/slo.yaml:rules.yaml
scenario steady steady/test.yaml outage/slo.yaml:rules.yaml
scenario zero zero/test.yaml outage/slo.yaml:rules.yaml
scenario lowtraffic lowtraffic/test.yaml lowtraffic/slo-min.yaml:rules-min.yaml \
	lowtraffic/slo-nomin.yaml:rules-nomin.yaml
scenario offpeak offpeak/test.yaml offpeak/slo.yaml:rules-op.yaml offpeak/slo-plain.yaml:rules-plain.yaml
scenario confidence confidence/test.yaml confidence/slo.yaml:rules-conf.yaml \
	confidence/slo-plain.yaml:rules-plain.yaml
scenario latency latency/test.yaml latency/slo.yaml:rules.yaml
scenario hostile hostile/test.yaml hostile/slo.yaml:rules.yaml
scenario presets presets/test.yaml presets/slo-low.yaml:rules-low.yaml \
	presets/slo-low-page.yaml:rules-low-page.yaml presets/slo-workbook.yaml:rules-workbook.yaml
scenario presets-quiet presets/test-quiet.yaml presets/slo-quiet.yaml:rules-quiet.yaml
# BudgetCorrections, where this tree has them: their one-off window is written at
# 1970-01-01 (promtool's time 0), moved here to replay.py's BASE (2023-12-28, a
# whole number of weeks later), and the test goes first so that its case 0 is at BASE
first=()
if [ -f "$PT/corrections/test.yaml" ]; then
	scenario corrections corrections/test.yaml corrections/slo.yaml:rules.yaml
	sed 's/"1970-01-01T/"2023-12-28T/g' "$PT/corrections/corrections.yaml" >"$WORK/corrections.yaml"
	grep -q '"1970-' "$WORK/corrections.yaml" && { echo "FAIL: a 1970 time left in corrections.yaml"; exit 1; }
	"$BURNRATE" generate --target victoriametrics --format rules -f "$PT/corrections/slo.yaml" \
		-f "$WORK/corrections.yaml" >"$WORK/corrections/rules.yaml"
	first=("$WORK/corrections/test.yaml")
fi
# a 5xx series born with its first error: where rate() differs (newseries/)
mkdir -p "$WORK/newseries"
cp "$SRC/tests/victoriametrics/newseries/test.yaml" "$WORK/newseries/test.yaml"
"$BURNRATE" generate --target victoriametrics --format rules \
	-f "$SRC/tests/victoriametrics/newseries/slo.yaml" >"$WORK/newseries/rules.yaml"
# Prometheus's own decisions on it, when promtool is here: its expectations are
# Prometheus's, not made up for VictoriaMetrics
if command -v promtool >/dev/null; then
	"$BURNRATE" generate --format rules -f "$SRC/tests/victoriametrics/newseries/slo.yaml" \
		>"$WORK/prom-rules.yaml"
	mkdir -p "$WORK/prom" && cp "$WORK/prom-rules.yaml" "$WORK/prom/rules.yaml"
	cp "$WORK/newseries/test.yaml" "$WORK/prom/test.yaml"
	(cd "$WORK/prom" && promtool test rules test.yaml) || { echo "FAIL: promtool on newseries"; exit 1; }
	rm -rf "$WORK/prom" "$WORK/prom-rules.yaml"
	echo "ok: promtool agrees with newseries/test.yaml"
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# -retentionPeriod=100y: the history is dated 2024 and must not be dropped as too
# old; -search.disableCache: backfilled data must never meet a cached answer
victoria-metrics -storageDataPath="$WORK/data" -httpListenAddr="127.0.0.1:$port" \
	-retentionPeriod=100y -search.disableCache -loggerLevel=ERROR >"$WORK/vm.log" 2>&1 &
VM_PID=$!
for _ in $(seq 1 100); do
	curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
	kill -0 "$VM_PID" 2>/dev/null || { echo "FAIL: victoria-metrics exited"; cat "$WORK/vm.log"; exit 1; }
	sleep 0.1
done

python3 "$SRC/tests/victoriametrics/replay.py" --vm "http://127.0.0.1:$port" --work "$WORK" \
	"${first[@]}" $(ls "$WORK"/*/test.yaml | grep -v '/corrections/test.yaml$')
