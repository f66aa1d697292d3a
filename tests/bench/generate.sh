#!/usr/bin/env bash
# Benchmark (not run by ctest): generates 10,000 SLO specs (ratio with errors,
# ratio with good, latency, raw, some with minEvents or a custom window) and
# times `burnrate generate` on them, once as one multi-document file and once
# as 10,000 files in nested folders. Goal: < 2 s wall and < 100 MB peak RSS;
# each line says whether it is met. Wall time depends on the machine's load,
# so with BENCH_CALLGRIND=1 it also counts instructions (valgrind callgrind)
# on the first 1,000 SLOs: a figure that does not.
#   usage: [BENCH_CALLGRIND=1] tests/bench/generate.sh [BURNRATE] [COUNT]
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
with open(os.path.join(out, "first1000.yaml"), "w") as f:
    f.write("---\n".join(docs[:1000]))
for i, d in enumerate(docs):
    d_ = os.path.join(out, "many", f"d{i % 100:02d}")
    os.makedirs(d_, exist_ok=True)
    with open(os.path.join(d_, f"slo-{i:05d}.yaml"), "w") as f:
        f.write(d)
PY

measure() { # measure LABEL ARGS...
	local label="$1"; shift
	/usr/bin/time -v "$BURNRATE" "$@" >"$tmp/out" 2>"$tmp/time" || { cat "$tmp/time"; exit 1; }
	local wall rss cpu sys secs verdict
	wall="$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/time")"
	cpu="$(sed -n 's/.*User time (seconds): //p' "$tmp/time")"
	sys="$(sed -n 's/.*System time (seconds): //p' "$tmp/time")"
	rss="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time")"
	# m:ss.cc (or h:mm:ss) to seconds
	secs="$(echo "$wall" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')"
	verdict=ok
	if [ "$(echo "$secs >= 2" | bc -l)" = 1 ] || [ "$rss" -ge 102400 ]; then verdict=OVER; fi
	printf '%-30s wall %-8s user %-5s sys %-5s peak RSS %6.1f MB  output %6.1f MB, %s PrometheusRule docs  [%s]\n' \
		"$label" "$wall" "$cpu" "$sys" "$(echo "$rss / 1024" | bc -l)" \
		"$(echo "$(stat -c %s "$tmp/out") / 1048576" | bc -l)" \
		"$(grep -c '^kind: PrometheusRule' "$tmp/out" || true)" "$verdict"
}
echo "burnrate generate, $COUNT SLOs ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)):"
measure "one multi-document file" generate -f "$tmp/all.yaml"
measure "$COUNT files in 100 folders" generate -f "$tmp/many"
measure "validate, one file" validate -f "$tmp/all.yaml"
measure "--format rules, one file" generate --format rules -f "$tmp/all.yaml"
if [ "${BENCH_CALLGRIND:-0}" = 1 ] && command -v valgrind >/dev/null; then
	valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" "$BURNRATE" generate \
		-f "$tmp/first1000.yaml" >/dev/null 2>"$tmp/vg" || { cat "$tmp/vg"; exit 1; }
	printf '%-30s %s instructions (callgrind; profile with callgrind_annotate)\n' \
		"generate, first 1,000 SLOs" "$(sed -n 's/.*I *refs: *//p' "$tmp/vg")"
fi
