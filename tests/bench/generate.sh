#!/usr/bin/env bash
# Benchmark (not run by ctest): generates 10,000 SLO specs (ratio with errors,
# ratio with good, latency, raw, some with minEvents or a custom window) and
# times `burnrate generate` on them, once as one multi-document file and once
# as 10,000 files in nested folders. Goal: < 2 s wall and < 100 MB peak RSS.
#   usage: tests/bench/generate.sh [BURNRATE] [COUNT]
set -euo pipefail
src="$(cd "$(dirname "$0")/../.." && pwd)"
BURNRATE="${1:-${BURNRATE:-$src/build/cmd/burnrate/burnrate}}"
COUNT="${2:-10000}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

python3 - "$tmp" "$COUNT" <<'PY'
import os, sys
out, count = sys.argv[1], int(sys.argv[2])
def spec(i):
    ns, name = f"team-{i % 97:02d}", f"svc-{i:05d}"
    kind = i % 4
    head = (f"apiVersion: burnrate.dev/v1alpha1\nkind: ServiceLevelObjective\n"
            f"metadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  service: {name}\n"
            f"  objective: {[99, 99.5, 99.9, 99.95][i % 4]}\n  window: {['30d', '28d', '7d'][i % 3]}\n")
    if kind == 0:
        ind = (f"  indicator:\n    ratio:\n      errors: http_requests_total{{job=\"{name}\",code=~\"5..\"}}\n"
               f"      total: http_requests_total{{job=\"{name}\"}}\n")
    elif kind == 1:
        ind = (f"  indicator:\n    ratio:\n      good: rpc_total{{job=\"{name}\",ok=\"true\"}}\n"
               f"      total: rpc_total{{job=\"{name}\"}}\n  traffic:\n    minEvents: 50\n")
    elif kind == 2:
        ind = (f"  indicator:\n    latency:\n      histogram: http_request_duration_seconds{{job=\"{name}\"}}\n"
               f"      threshold: 0.5\n")
    else:
        ind = (f"  indicator:\n    raw:\n      errorRatio: sum(rate(bad{{job=\"{name}\"}}[$window])) / sum(rate(all{{job=\"{name}\"}}[$window]))\n")
    tail = (f"  alerting:\n    labels: {{team: {ns}}}\n"
            f"    annotations: {{runbook_url: \"https://runbooks.example.com/{name}\"}}\n")
    return head + ind + tail
docs = [spec(i) for i in range(count)]
with open(os.path.join(out, "all.yaml"), "w") as f:
    f.write("---\n".join(docs))
for i, d in enumerate(docs):
    d_ = os.path.join(out, "many", f"d{i % 100:02d}")
    os.makedirs(d_, exist_ok=True)
    with open(os.path.join(d_, f"slo-{i:05d}.yaml"), "w") as f:
        f.write(d)
PY

measure() { # measure LABEL ARGS...
	local label="$1"; shift
	/usr/bin/time -v "$BURNRATE" "$@" >"$tmp/out" 2>"$tmp/time" || { cat "$tmp/time"; exit 1; }
	local wall rss cpu
	wall="$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/time")"
	cpu="$(sed -n 's/.*User time (seconds): //p' "$tmp/time")"
	rss="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time")"
	printf '%-30s wall %-8s user %-5s peak RSS %6.1f MB  output %6.1f MB, %s PrometheusRule docs\n' \
		"$label" "$wall" "$cpu" "$(echo "$rss / 1024" | bc -l)" \
		"$(echo "$(stat -c %s "$tmp/out") / 1048576" | bc -l)" "$(grep -c '^kind: PrometheusRule' "$tmp/out" || true)"
}
echo "burnrate generate, $COUNT SLOs ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)):"
measure "one multi-document file" generate -f "$tmp/all.yaml"
measure "$COUNT files in 100 folders" generate -f "$tmp/many"
measure "validate, one file" validate -f "$tmp/all.yaml"
measure "--format rules, one file" generate --format rules -f "$tmp/all.yaml"
