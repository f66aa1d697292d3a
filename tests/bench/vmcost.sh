#!/bin/sh
# vmcost: what burnrate's rules cost in vmalert and VictoriaMetrics, measured as
# tests/bench/promcost.sh measures them in Prometheus, on the same history.
#
# Method (promcost.sh's, with VictoriaMetrics in place of Prometheus)
#  1. promcost/gen.py writes a week (BENCH_SHORT=1: a day) of one-minute
#     history for 50 (10) SLOs, 100 series each (promcost's traffic model,
#     one file per day); it is imported into a fresh single-node
#     victoria-metrics (/api/v1/import/prometheus, timestamps in ms), and
#     promcost/exporter.py serves the series live, scraped once a minute by
#     victoria-metrics itself (-promscrape.config, honor_labels).
#  2. Fairness as in promcost: the long windows read the recorded 5m series, so
#     vmalert's replay mode backfills burnrate:sli_{errors,requests}:rate5m over
#     the history first.
#  3. baseline: victoria-metrics alone (scrape, no rules), process CPU over
#     MEASURE seconds after a 30 s warm-up.
#  4. burnrate: vmalert evaluates `burnrate generate --target victoriametrics
#     --format rules` every 30s (-evaluationInterval, promcost's
#     evaluation_interval), querying and writing back to the same
#     victoria-metrics; after the warm-up, process_cpu_seconds_total of both
#     processes is read twice MEASURE seconds apart.
# Output: CPU seconds per minute of victoria-metrics (baseline and with rules),
# of vmalert, and the rules' cost (vmalert + victoria-metrics above its
# baseline), to set beside promcost.sh's "burnrate" row (Prometheus process CPU
# less its baseline); and the alerts vmalert has firing. Not a ctest test;
# durations and CPU inflate when the machine is busy.
#
# Env: BENCH_SHORT=1 (10 SLOs, 1 day, 60 s measurement), BURNRATE (binary),
# BENCH_KEEP=1 keeps the work dir. Needs victoria-metrics, vmalert, python3, curl.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
py="$here/promcost"
if [ "${BENCH_SHORT:-0}" = 1 ]; then
	slos=10 days=1 measure=60 warmup=150
else
	slos=50 days=7 measure=120 warmup=150
fi
burnrate=${BURNRATE:-$src/build/cmd/burnrate/burnrate}

for t in victoria-metrics vmalert python3 curl; do
	command -v "$t" >/dev/null || { echo "vmcost: $t not found" >&2; exit 77; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/vmcost.XXXXXX")
vm_pid= vma_pid= exp_pid=
cleanup() {
	rc=$?
	for p in $vma_pid $vm_pid $exp_pid; do { kill "$p" && wait "$p"; } 2>/dev/null || true; done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "vmcost: kept $work"; else rm -rf "$work"; fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "vmcost: $(date -u +%H:%M:%S) $*" >&2; }
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# cpu URL: process_cpu_seconds_total of the process serving URL/metrics
cpu() {
	curl -fs "$1/metrics" | sed -n 's/^process_cpu_seconds_total \([0-9.e+-]*\)$/\1/p'
}
wait_up() { # URL PID LOG
	i=0
	until curl -fs "$1/health" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 "$2" 2>/dev/null; then log "$1 did not start"; tail -20 "$3" >&2; exit 1; fi
		sleep 0.2
	done
}

# 1. history, SLOs, rules
end=$(( $(date +%s) / 60 * 60 - 60 ))
log "generating $slos SLOs x 100 series x $days day(s) of 1-minute history"
mkdir -p "$work/history"
python3 "$py/gen.py" history "$work/history" "$work/state.json" "$slos" "$days" "$end"
mkdir -p "$work/slos"
python3 "$py/gen.py" slos "$work/slos" "$slos"
"$burnrate" generate --target victoriametrics --format rules -f "$work/slos" >"$work/rules.yml" 2>"$work/burnrate.err"
python3 - "$work/rules.yml" "$work/base5m.yml" <<'EOF'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
want = ("burnrate:sli_errors:rate5m", "burnrate:sli_requests:rate5m")
groups = []
for g in doc["groups"]:
    rules = [r for r in g["rules"] if r.get("record") in want]
    if rules:
        groups.append({"name": g["name"], "rules": rules})
yaml.safe_dump({"groups": groups}, open(sys.argv[2], "w"))
EOF

# 2. exporter, victoria-metrics scraping it, the history imported
python3 "$py/exporter.py" "$work/state.json" "$work/exporter.port" &
exp_pid=$!
i=0
until [ -s "$work/exporter.port" ]; do i=$((i + 1)); [ $i -lt 100 ] || exit 1; sleep 0.1; done
printf 'global: {scrape_interval: 1m}\nscrape_configs:\n- job_name: bench\n  honor_labels: true\n  static_configs: [{targets: ["127.0.0.1:%s"]}]\n' \
	"$(cat "$work/exporter.port")" >"$work/scrape.yml"
vm_port=$(free_port)
vm="http://127.0.0.1:$vm_port"
victoria-metrics -storageDataPath="$work/data" -httpListenAddr="127.0.0.1:$vm_port" \
	-retentionPeriod=100y -promscrape.config="$work/scrape.yml" -loggerLevel=WARN >"$work/vm.log" 2>&1 &
vm_pid=$!
wait_up "$vm" "$vm_pid" "$work/vm.log"
log "importing the history"
python3 - "$vm" "$work"/history/hist-*.om <<'EOF'
import sys, urllib.request
def post(lines):
    urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/api/v1/import/prometheus",
                                                  data="".join(lines).encode()), timeout=300)
batch = []
for path in sys.argv[2:]:
    for line in open(path):
        if line.startswith("#"):
            continue
        series, value, ts = line.rsplit(" ", 2)
        batch.append("%s %s %d\n" % (series, value, int(ts) * 1000))  # OpenMetrics s -> ms
        if len(batch) >= 200000:
            post(batch)
            batch = []
if batch:
    post(batch)
EOF
rm -rf "$work/history"
curl -fs "$vm/internal/force_flush" >/dev/null
sleep 2
log "backfilling burnrate's 5m recorded series (vmalert replay)"
t0=$(date +%s)
iso() { python3 -c 'import sys,time; print(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(sys.argv[1]))))' "$1"; }
# -datasource.queryStep=60s: vmalert 1.79 steps its replay queries by it (tests/victoriametrics/replay.py)
vmalert -rule="$work/base5m.yml" -datasource.url="$vm" -remoteWrite.url="$vm" \
	-replay.timeFrom="$(iso $(( end - ${days%.*} * 86400 + 300 )))" -replay.timeTo="$(iso "$end")" \
	-replay.rulesDelay=0s -replay.disableProgressBar -replay.maxDatapointsPerQuery=5000 \
	-datasource.queryStep=60s -loggerLevel=ERROR >"$work/replay.log" 2>&1 ||
	{ tail -20 "$work/replay.log" >&2; exit 1; }
curl -fs "$vm/internal/force_flush" >/dev/null
log "backfill took $(( $(date +%s) - t0 ))s"

# 3. baseline
sleep 30
b0=$(cpu "$vm"); sleep "$measure"; b1=$(cpu "$vm")

# 4. vmalert with burnrate's rules
vma_port=$(free_port)
vma="http://127.0.0.1:$vma_port"
# no Alertmanager: the notifier's failed sends are logged, and cost next to nothing
vmalert -rule="$work/rules.yml" -datasource.url="$vm" -remoteWrite.url="$vm" -remoteRead.url="$vm" \
	-notifier.url=http://127.0.0.1:9 -evaluationInterval=30s -httpListenAddr="127.0.0.1:$vma_port" \
	-loggerLevel=ERROR >"$work/vmalert.log" 2>&1 &
vma_pid=$!
wait_up "$vma" "$vma_pid" "$work/vmalert.log"
log "burnrate rules: warm-up ${warmup}s, measuring ${measure}s"
sleep "$warmup"
v0=$(cpu "$vm"); a0=$(cpu "$vma"); sleep "$measure"; v1=$(cpu "$vm"); a1=$(cpu "$vma")
curl -fs "$vma/api/v1/alerts" >"$work/alerts.json"

echo "vmcost: $slos SLOs, $days day(s) of 1-minute history, evaluationInterval 30s, ${measure}s measured"
echo "rules: $(grep -c 'record:' "$work/rules.yml") recording, $(grep -c 'alert:' "$work/rules.yml") alerting ($burnrate generate --target victoriametrics)"
python3 - "$measure" "$b0" "$b1" "$v0" "$v1" "$a0" "$a1" "$work/alerts.json" <<'EOF'
import json, sys
m = float(sys.argv[1]) / 60
b0, b1, v0, v1, a0, a1 = map(float, sys.argv[2:8])
base, vm, va = (b1 - b0) / m, (v1 - v0) / m, (a1 - a0) / m
print("CPU s/min: victoria-metrics baseline %.3f, with rules %.3f; vmalert %.3f" % (base, vm, va))
print("rules' cost (vmalert + victoria-metrics above baseline): %.3f CPU s/min" % (va + vm - base))
alerts = json.load(open(sys.argv[8]))["data"]["alerts"]
firing = sorted({(a["labels"].get("slo"), a["labels"].get("severity"), a["state"]) for a in alerts})
print("alerts: %s" % (", ".join("%s/%s %s" % f for f in firing) or "none"))
EOF
