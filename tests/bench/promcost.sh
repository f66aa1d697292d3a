#!/bin/sh
# promcost: what burnrate's rules cost in Prometheus, against what users would
# pick instead: Sloth's and Pyrra's generated rules, and a naive form.
#
# Method
#  1. gen.py writes 30 days (BENCH_SHORT=1: a day) of one-minute history for
#     10 SLOs at a service's cardinality, 100 raw series each:
#     http_requests_total{job="svc-N",instance="0..19",code="200|201|404|500|
#     503"} (errors: 5..), with a daily traffic wave and an error pattern per
#     SLO (a live outage that must page, a slow burn that must ticket, a past
#     incident, baseline). promtool backfills it (tsdb create-blocks-from
#     openmetrics, one file and block per UTC day) into a fresh data dir.
#  2. exporter.py serves the same series live, continuing the counters from
#     the end of the history, and Prometheus scrapes it once a minute
#     (honor_labels), so short windows keep seeing fresh samples.
#  3. Steady state: a form whose long windows read RECORDED series would
#     find none on a fresh server. Prometheus is started on the raw blocks and
#     the recorded series each form reads over long windows are backfilled
#     over the whole history, 1m step: burnrate's burnrate:sli_{errors,
#     requests}:rate5m (its 1d, 3d and 30d budget windows) and Sloth's
#     slo:sli_error:ratio_rate5m (its 30d window); Pyrra's and the naive
#     form's long windows read raw samples. The rules are taken from each
#     form's file (measure.py extract); measure.py backfill evaluates them
#     through query_range a day at a time and promtool writes the results
#     (tsdb create-blocks-from openmetrics), as `promtool tsdb
#     create-blocks-from rules` would but without its one block per rule per
#     2 hours (10,000 blocks for 30 days). The blocks are added and
#     Prometheus restarted without rules to let it compact them.
#     That run is the "baseline" (scrape only, no rules). So a 30d window
#     reads the whole history, 30 days in the full run; with BENCH_SHORT=1 or
#     BENCH_DAYS under 30 it reads only what there is, which favours the forms
#     that read raw samples over 30d (Pyrra, naive).
#  4. Each form then runs on its own copy of that settled data dir, global
#     evaluation_interval 30s, the same SLOs (objectives 99-99.95%, 30d):
#     - burnrate: `$BURNRATE generate --format rules` on the SLO YAMLs, or,
#       while that command does not exist, tests/bench/promcost/gen.py design
#       (the shared rule design written by hand; the output says which);
#     - sloth: Sloth's generated rules (promcost/sloth-rules.tmpl.yml, the
#       shape of examples/_gen/getting-started.yml in slok/sloth, its header
#       names the commit) re-pointed at the benchmark's series: 7 SLI windows
#       over raw samples, 30d from its recorded 5m ratio, meta and alerts;
#     - pyrra: Pyrra's generated rules (promcost/pyrra-rules.tmpl.yml, the
#       shape its slo/rules_test.go expects, scaled to 30d as slo/rules.go
#       does): 7 burn-rate windows over raw samples and the 4w2d (30d)
#       increase every 2m30s, both groups, absent alert included;
#     - naive: per SLO one group with sum(rate(errors[W]))/sum(rate(total[W]))
#       for W in 5m..3d over raw samples, the 30d budget from increase() over
#       raw samples, and the same multiwindow alerts on those.
#     After a warm-up, Prometheus's own /metrics are read twice MEASURE
#     seconds apart: rule group duration (prometheus_rule_group_duration_
#     seconds_sum), process_cpu_seconds_total, iterations, and the last
#     duration of every group; then the loaded rules (/api/v1/rules) and the
#     firing and pending alerts (/api/v1/alerts), each form's severity mapped
#     to page or ticket. Budget groups run every 5m (Pyrra's increase every
#     2m30s) and sli-long every 1m, each group at its own hash offset, so a
#     2 min window sees its share of them: the deltas estimate the steady
#     per-minute cost.
#     - options: the burnrate SLOs with traffic.confidence: 95 and offPeak
#       hours (issue 13), whose cost against burnrate's is the figure
#       reported (goal: under 1.3x).
#     - corrections: the burnrate SLOs each selected by a BudgetCorrection with
#       one weekly window (issue 17; goal: under 1.2x of burnrate's CPU).
#     "est eval" cross-checks it: sum over groups of last duration x 60/interval,
#     also printed per kind of group (which groups cost most).
#     Durations are wall-clock and inflate when the machine is busy; process
#     CPU is the figure the goals are about (issue 18: burnrate, budget
#     included, at most half of Sloth's and no more than Pyrra's, with the
#     same alerts; and at most half of naive's).
# Output: a table per form (recording and alerting rules per SLO, rule-eval
# s/min, process CPU s/min and above the baseline, sum and max of last group
# durations), the cost per kind of group, the ratios against the goals, and
# the alerts of every form against burnrate's. Not a ctest test.
#
# Env: BENCH_SHORT=1 (10 SLOs, 1 day, 60 s measurement), BENCH_SLOS and
# BENCH_DAYS (override either), BENCH_FORMS (default "burnrate sloth pyrra
# naive options corrections"; the baseline always runs), BURNRATE (binary),
# BENCH_KEEP=1 keeps the work dir. Needs prometheus, promtool, python3, curl.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
py="$here/promcost"
if [ "${BENCH_SHORT:-0}" = 1 ]; then
	slos=10 days=1 measure=60 warmup=150
else
	slos=10 days=30 measure=120 warmup=150
fi
slos=${BENCH_SLOS:-$slos} days=${BENCH_DAYS:-$days}
forms=${BENCH_FORMS:-burnrate sloth pyrra naive options corrections}
burnrate=${BURNRATE:-$src/build/cmd/burnrate/burnrate}

for t in prometheus promtool python3 curl; do
	command -v "$t" >/dev/null || { echo "promcost: $t not found" >&2; exit 77; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/promcost.XXXXXX")
prom_pid= exp_pid=
cleanup() {
	rc=$? # the script's own status, not that of the servers killed here
	# under set -e a failing last command of an && list (wait on a killed
	# server: 143) would end the trap here, before the work dir is removed
	[ -n "$prom_pid" ] && kill "$prom_pid" 2>/dev/null && wait "$prom_pid" 2>/dev/null || true
	[ -n "$exp_pid" ] && kill "$exp_pid" 2>/dev/null && wait "$exp_pid" 2>/dev/null || true
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "promcost: kept $work"; else rm -rf "$work"; fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "promcost: $(date -u +%H:%M:%S) $*" >&2; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_prom DATADIR RULEFILE|"" : writes the config and waits for /-/ready
start_prom() {
	port=$(free_port)
	url="http://127.0.0.1:$port"
	{
		echo "global: {scrape_interval: 1m, evaluation_interval: 30s}"
		echo "scrape_configs:"
		echo "- job_name: bench"
		echo "  honor_labels: true"
		echo "  static_configs: [{targets: ['127.0.0.1:$exp_port']}]"
		if [ -n "$2" ]; then echo "rule_files: ['$2']"; fi
	} >"$work/prometheus.yml"
	prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$1" \
		--web.listen-address="127.0.0.1:$port" --storage.tsdb.retention.time=60d \
		--log.level=warn >>"$work/prometheus.log" 2>&1 &
	prom_pid=$!
	i=0
	until curl -fs "$url/-/ready" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 600 ] || ! kill -0 "$prom_pid" 2>/dev/null; then
			log "prometheus did not become ready"; tail -20 "$work/prometheus.log" >&2; exit 1
		fi
		sleep 0.5
	done
}

stop_prom() {
	kill "$prom_pid" && wait "$prom_pid" 2>/dev/null || true
	prom_pid=
}

# settle: wait until the first compaction pass (1 min after start) is done
settle() {
	while :; do
		python3 "$py/measure.py" snap "$url" "$work/s1.json"
		sleep 15
		python3 "$py/measure.py" snap "$url" "$work/s2.json"
		if python3 - "$work/s1.json" "$work/s2.json" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
sys.exit(0 if b["compactions_triggered"] >= 1 and a["compactions"] == b["compactions"]
         and a["blocks"] == b["blocks"] else 1)
EOF
		then break; fi
	done
}

# run_form NAME RULEFILE : measure one form on its own copy of the settled data
run_form() {
	rm -rf "$work/data-$1"
	cp -a "$work/data" "$work/data-$1"
	if [ -n "$2" ]; then cp "$2" "$work/$1.rules.yml"; rules="$work/$1.rules.yml"; else rules=; fi
	log "$1: starting, warm-up ${warmup}s, measuring ${measure}s"
	start_prom "$work/data-$1" "$rules"
	# the copy's raw data stops when the settle run stopped; the first two
	# scrapes (up to 2 min, 1m interval) must land before rate(...[5m]) has
	# two samples again, so the warm-up is at least 150 s
	sleep "$warmup"
	python3 "$py/measure.py" snap "$url" "$work/$1.t0.json"
	sleep "$measure"
	python3 "$py/measure.py" snap "$url" "$work/$1.t1.json"
	python3 "$py/measure.py" alerts "$url" "$work/$1.alerts.json"
	python3 "$py/measure.py" rules "$url" "$work/$1.rules.json"
	stop_prom
	rm -rf "$work/data-$1"
}

# 1. history and rules
end=$(( $(date +%s) / 60 * 60 - 60 ))
log "generating $slos SLOs x 100 series x $days day(s) of 1-minute history"
mkdir -p "$work/history"
python3 "$py/gen.py" history "$work/history" "$work/state.json" "$slos" "$days" "$end"
mkdir -p "$work/slos"
python3 "$py/gen.py" slos "$work/slos" "$slos"
python3 "$py/gen.py" naive "$work/naive.yml" "$slos"
python3 "$py/gen.py" sloth "$work/sloth.yml" "$slos"
python3 "$py/gen.py" pyrra "$work/pyrra.yml" "$slos"
mkdir -p "$work/slos-options" "$work/slos-corrections"
python3 "$py/gen.py" slos "$work/slos-options" "$slos" options
python3 "$py/gen.py" slos "$work/slos-corrections" "$slos" corrections
if [ -x "$burnrate" ] && "$burnrate" generate --format rules -f "$work/slos" >"$work/burnrate.yml" 2>"$work/burnrate.err" \
	&& [ -s "$work/burnrate.yml" ]; then
	source="burnrate generate --format rules ($burnrate)"
else
	python3 "$py/gen.py" design "$work/burnrate.yml" "$slos"
	source="hand-written design rules (gen.py design): burnrate generate not available"
fi
log "burnrate rules from: $source"
# the same SLOs with traffic.confidence and offPeak (issue 13): what they add
options_rules=
if "$burnrate" generate --format rules -f "$work/slos-options" >"$work/options.yml" 2>>"$work/burnrate.err" \
	&& [ -s "$work/options.yml" ]; then
	options_rules="$work/options.yml"
fi
# the same SLOs, each selected by a BudgetCorrection with one weekly window (issue 17)
corrections_rules=
if "$burnrate" generate --format rules -f "$work/slos-corrections" >"$work/corrections.yml" 2>>"$work/burnrate.err" \
	&& [ -s "$work/corrections.yml" ]; then
	corrections_rules="$work/corrections.yml"
fi
promtool check rules "$work/burnrate.yml" "$work/naive.yml" "$work/sloth.yml" "$work/pyrra.yml" >/dev/null
# the recorded series each form reads over its long windows (step 3);
# Pyrra's and the naive form's long windows read raw samples only
python3 "$py/measure.py" extract "$work/burnrate.yml" "$work/backfill-burnrate.yml" \
	burnrate:sli_errors:rate5m burnrate:sli_requests:rate5m
python3 "$py/measure.py" extract "$work/sloth.yml" "$work/backfill-sloth.yml" slo:sli_error:ratio_rate5m

log "backfilling raw history"
t0=$(date +%s)
mkdir -p "$work/data"
for f in "$work"/history/hist-*.om; do
	promtool tsdb create-blocks-from openmetrics --quiet --max-block-duration=24h "$f" "$work/data" >/dev/null
	rm -f "$f"
done
log "raw backfill took $(( $(date +%s) - t0 ))s"

# 2. live exporter
python3 "$py/exporter.py" "$work/state.json" "$work/exporter.port" &
exp_pid=$!
i=0
until [ -s "$work/exporter.port" ]; do i=$((i + 1)); [ $i -lt 100 ] || exit 1; sleep 0.1; done
exp_port=$(cat "$work/exporter.port")

# 3. recorded 5m series over the history
start_prom "$work/data" ""
log "backfilling the recorded series that feed long windows (burnrate's, Sloth's)"
t0=$(date +%s)
mkdir -p "$work/ruleblocks"
python3 "$py/measure.py" backfill "$url" $(( end - days * 86400 + 300 )) "$end" 60 "$work/history" \
	"$work/backfill-burnrate.yml" "$work/backfill-sloth.yml"
stop_prom
for f in "$work"/history/rules-*.om; do
	promtool tsdb create-blocks-from openmetrics --quiet --max-block-duration=24h "$f" "$work/ruleblocks" >/dev/null
	rm -f "$f"
done
log "rule backfill took $(( $(date +%s) - t0 ))s"
mv "$work"/ruleblocks/* "$work/data/"
log "baseline (no rules): compacting, then measuring"
start_prom "$work/data" ""
settle
stop_prom
warmup_rules=$warmup; warmup=30
run_form baseline ""
warmup=$warmup_rules

# 4. the forms
for form in $forms; do
	case $form in
	options) if [ -n "$options_rules" ]; then run_form options "$options_rules"; fi ;;
	corrections) if [ -n "$corrections_rules" ]; then run_form corrections "$corrections_rules"; fi ;;
	*) run_form "$form" "$work/$form.yml" ;;
	esac
done

echo "promcost: $slos SLOs x 100 series, $days day(s) of 1-minute history, evaluation_interval 30s, ${measure}s measured"
echo "burnrate rules: $source"
python3 "$py/measure.py" table "$work" baseline $forms
