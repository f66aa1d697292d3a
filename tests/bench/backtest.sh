#!/usr/bin/env bash
# Benchmark of burnrate backtest and report (prints figures; not a ctest test).
#
#   tests/bench/backtest.sh [BURNRATE=build/cmd/burnrate/burnrate]
#
# Backfills 60 days of one-minute counters of one service (600 requests a minute,
# 0.05% errors, an hour-long outage every 5 days) into the Debian prometheus on
# 127.0.0.1, so that even the 30-day backtest finds the 30 days before it that its
# budget averages over, then runs, for 1, 7 and 30 days: `burnrate backtest` (a
# 99.9% SLO over 30d with the default alert table, every step 1m) and `burnrate
# report` over the same range, each 3 times, and prints the best wall time, the
# highest max RSS (GNU time) and the result's totals or budget line.
set -euo pipefail
cd "$(dirname "$0")/../.."
BR=${1:-build/cmd/burnrate/burnrate}
command -v prometheus >/dev/null && command -v promtool >/dev/null || {
	echo "needs the Debian prometheus package (apt-get install prometheus)"; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)"; exit 1; }
T=$(mktemp -d)
PROM_PID=
trap '[ -n "$PROM_PID" ] && kill "$PROM_PID" 2>/dev/null; rm -rf "$T"' EXIT

NOW=$(( $(date +%s) / 60 * 60 ))
START=$((NOW - 60 * 86400))
python3 - "$START" "$NOW" "$T/h.om" <<'PY'
import sys
start, end, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
with open(path, "w") as f:
    f.write("# TYPE bench_requests counter\n")
    for code in ("200", "500"):
        v = 0.0
        for t in range(start, end + 1, 60):
            f.write('bench_requests_total{code="%s",job="bench"} %r %d\n' % (code, v, t))
            outage = (t - start) % (5 * 86400) < 3600
            err = 600.0 if outage else 0.3
            v += (600.0 - err) if code == "200" else err
    f.write("# EOF\n")
PY
promtool tsdb create-blocks-from openmetrics --max-block-duration=400h "$T/h.om" "$T/data" >/dev/null
echo "global: {scrape_interval: 1m}" >"$T/prom.yml"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/data" --storage.tsdb.retention.time=90d \
	--web.listen-address="127.0.0.1:$PORT" --log.level=warn >"$T/prom.log" 2>&1 &
PROM_PID=$!
URL="http://127.0.0.1:$PORT"
for _ in $(seq 120); do curl -fs "$URL/-/ready" >/dev/null 2>&1 && break; sleep 0.5; done
cat >"$T/slo.yaml" <<'YAML'
apiVersion: burnrate.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: bench, namespace: bench}
spec:
  service: bench
  objective: 99.9
  indicator:
    ratio:
      errors: bench_requests_total{job="bench",code="500"}
      total: bench_requests_total{job="bench"}
YAML

# measure LABEL CMD...: best wall time and highest max RSS of 3 runs
measure() {
	local label=$1 best=999999 rss=0 e m
	shift
	for _ in 1 2 3; do
		/usr/bin/time -f "%e %M" -o "$T/time" "$@" >"$T/out" 2>"$T/err" || { cat "$T/err"; exit 1; }
		read -r e m <"$T/time"
		best=$(python3 -c "print(min($best, $e))")
		[ "$m" -gt "$rss" ] && rss=$m
	done
	printf '%-22s %6.2f s  %6.1f MB  %s\n' "$label" "$best" "$(python3 -c "print($rss/1024)")" \
		"$(grep -Em1 "tickets? in|budget consumed" "$T/out" | sed "s/^ *//")"
}

echo "backtest and report, one SLO, one-minute samples, Prometheus $(prometheus --version 2>&1 | head -1 | awk '{print $3}') on 127.0.0.1"
for days in 1 7 30; do
	measure "backtest ${days}d" "$BR" backtest -f "$T/slo.yaml" --prometheus-url "$URL" \
		--from "-${days}d" --timeout 60s
	measure "report ${days}d" "$BR" report -f "$T/slo.yaml" --prometheus-url "$URL" \
		--from "-${days}d" --timeout 60s
done
