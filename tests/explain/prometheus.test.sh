#!/usr/bin/env bash
# burnrate explain --prometheus-url against a real Prometheus (Debian `prometheus`, on
# 127.0.0.1) holding 8 days of backfilled history (history.py: 600 events/min by day,
# 06:00-22:00 at +02:00, 60/min at night, 0.05% errors; a quiet service at 1/min and
# 0.1/min; budget gauges as burnrate's rules record them for one SLO).
#
# Checks, against figures computed here by hand from the same history (python3, over the
# hours explain reads: whole hours at local boundaries, the partial first one left out):
# events per day, events per hour at each hour of the day, the peak and off-peak rates,
# the failures the window allows and how many are left (from the raw series, and as
# recorded), the off-peak hours recommended (UTC, the quiet block), and that confidence
# and the low-traffic preset are recommended for the quiet service only. Then the
# failures: an unreachable URL, a path that answers 404, a server that answers no JSON,
# one that never answers (the timeout), and a selector without data: each a clear
# message naming the SLO and exit 1, never a crash or a hang.
set -uo pipefail
. "$(dirname "$0")/../cli/lib.sh"

# dependencies: the Debian packages when missing (as hack/setup.sh installs them)
missing=()
command -v prometheus >/dev/null && command -v promtool >/dev/null || missing+=(prometheus)
command -v python3 >/dev/null || missing+=(python3)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	echo "installing ${missing[*]}"
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"${missing[@]}" >/dev/null || { echo "FAIL: cannot install ${missing[*]}"; exit 1; }
fi

PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# 1. history and Prometheus
NOW=$(date +%s)
END=$((NOW - 30))
START=$(( (NOW - 8 * 86400) / 3600 * 3600 ))
python3 "$(dirname "$0")/history.py" "$START" "$END" "$T/history.om" || { echo "FAIL: history"; exit 1; }
promtool tsdb create-blocks-from openmetrics --max-block-duration=400h "$T/history.om" "$T/data" \
	>"$T/backfill.log" 2>&1 || { cat "$T/backfill.log"; echo "FAIL: backfill"; exit 1; }
echo "global: {scrape_interval: 1m}" >"$T/prom.yml"
PORT=$(free_port)
prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/data" \
	--storage.tsdb.retention.time=90d --web.listen-address="127.0.0.1:$PORT" \
	--log.level=warn >"$T/prom.log" 2>&1 &
PIDS+=("$!")
URL="http://127.0.0.1:$PORT"
for _ in $(seq 120); do
	curl -fs "$URL/-/ready" >/dev/null 2>&1 && break
	sleep 0.5
done
curl -fs "$URL/-/ready" >/dev/null || { tail -20 "$T/prom.log"; echo "FAIL: prometheus not ready"; exit 1; }

# SLO NAME JOB OBJECTIVE [OFFPEAK]
mkslo() {
	local sel="shop_requests_total{job=\"$2\"}"
	cat <<YAML
apiVersion: burnrate.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: $1, namespace: explain}
spec:
  service: $2
  objective: $3
  indicator:
    ratio:
      errors: ${sel%\}},code=~"5.."}
      total: $sel
YAML
	[ -n "${4:-}" ] && printf '  alerting:\n    offPeak: %s\n' "$4"
	return 0
}
mkslo shop shop 99.9 >"$T/shop.yaml"
mkslo shoplocal shop 99.9 '{from: "22:00", to: "06:00", utcOffset: "+02:00"}' >"$T/shoplocal.yaml"
mkslo rec shop 99.9 >"$T/rec.yaml"
mkslo quiet quiet 99 | sed 's/shop_requests_total/quiet_requests_total/g' >"$T/quiet.yaml"
mkslo nothing nothing 99 >"$T/nothing.yaml"

# expected NAME OFFSET_H OBJECTIVE JOB: the figures by hand, as "key value" lines
expected() {
	python3 - "$START" "$END" "$(date +%s)" "$@" <<'PY'
import os, sys
sys.path.insert(0, os.environ["HIST_DIR"])
from history import per_min
start, end, now = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
name, off_h, objective, job = sys.argv[4], int(sys.argv[5]), float(sys.argv[6]), sys.argv[7]
off = off_h * 3600
end_tool = (now + off) // 3600 * 3600 - off
events = {}
for T in range(start + 2 * 3600, end_tool + 1, 3600):   # the first whole hour is dropped
    ev = err = 0.0
    for t in range(T - 3600, T, 60):
        g, e = per_min(job, t)
        ev += g + e
        err += e
    events[T] = (ev, err)
hours = {}
for T, (ev, _) in events.items():
    hours.setdefault(((T - 3600 + off) // 3600) % 24, []).append(ev)
per_hour = {h: sum(v) / len(v) for h, v in hours.items()}
total = sum(ev for ev, _ in events.values())
errors = sum(err for _, err in events.values())
per_day = total / (len(events) / 24)
eb = 1 - objective / 100
peak = max(per_hour.values())
quiet = sorted(h for h, v in per_hour.items() if v * 5 < peak)
print("per_day %.6g" % per_day)
print("peak %.6g" % peak)
print("night %.6g" % (sum(per_hour[h] for h in quiet) / len(quiet)))
print("allowed %.6g" % (eb * per_day * 30))
print("left %.6g" % (eb * per_day * 30 * (1 - errors / total / eb)))
for h in range(24):
    print("h%02d %.6g" % (h, per_hour[h]))
# the quiet block as HH:00-HH:00 (it wraps midnight here)
first = next(h for h in quiet if (h - 1) % 24 not in quiet)
print("quiet %02d:00-%02d:00" % (first, (first + len(quiet)) % 24))
PY
}
export HIST_DIR
HIST_DIR=$(cd "$(dirname "$0")" && pwd)

# near KEY GOT [TOL]: GOT within TOL (relative, default 1%) of the expected KEY
near() {
	local want
	want=$(awk -v k="$1" '$1==k{print $2}' "$T/want")
	if [ -n "$2" ] && python3 -c "import sys; w,g,t=map(float,sys.argv[1:]); sys.exit(abs(g-w) > t*abs(w))" \
		"$want" "$2" "${3:-0.01}"; then
		ok "$NAME $1: $2 (by hand $want)"
	else
		fail "$NAME $1: explain says '$2', by hand $want"
	fi
}
# field REGEX: the first number after REGEX in the output
field() { grep -Eo -- "$1 *[0-9.]+" "$T/out" | head -1 | grep -Eo '[0-9.]+$'; }

# 2. shop, hours in UTC: figures and the off-peak recommendation
NAME=shop
expected shop 0 99.9 shop >"$T/want" || fail "hand computation"
run explain --prometheus-url "$URL" -f "$T/shop.yaml"
expect_rc 0 "explain shop from Prometheus"
near per_day "$(field 'traffic: ')"
near peak "$(field 'peak hour: ')"
near allowed "$(grep -Eo '[0-9.]+ failures allowed' "$T/out" | grep -Eo '^[0-9.]+')"
near left "$(grep -Eo 'budget left: +[0-9.]+' "$T/out" | grep -Eo '[0-9.]+$')"
near night "$(field 'off-peak rate: ')"
for h in 00 03 04 12 19 20 23; do
	near "h$h" "$(grep -Eo "$h:00 +[0-9.]+" "$T/out" | head -1 | grep -Eo '[0-9.]+$')"
done
q=$(awk '$1=="quiet"{print $2}' "$T/want")
expect_out "quiet hours: +${q} \(UTC\):" "quiet hours $q UTC"
expect_out "spec.alerting.offPeak: \{from: \"${q%-*}\", to: \"${q#*-}\", utcOffset: \"\+00:00\"\}" \
	"off-peak hours recommended: $q UTC"
expect_out "from the raw series" "budget from the raw series"
if grep -q "spec.traffic.confidence: 95\|preset: low-traffic" "$T/out"; then
	fail "shop: confidence or low-traffic recommended at 3600 events an hour at night"
else ok "shop: no confidence or low-traffic recommendation"; fi

# 3. shop with offPeak at +02:00: hours in local time, off-peak from the spec
NAME=shoplocal
expected shoplocal 2 99.9 shop >"$T/want" || fail "hand computation"
run explain --prometheus-url "$URL" -f "$T/shoplocal.yaml"
expect_rc 0 "explain shoplocal"
sed 's/^/  | /' "$T/out"
expect_out "events in each hour of the day, local at UTC\+02:00:" "hours in local time"
near per_day "$(field 'traffic: ')"
near peak "$(field 'peak hour: ')"
near night "$(field 'off-peak rate: ')"
expect_out "off-peak rate: .* in the off-peak hours \(spec.alerting.offPeak\)" "off-peak rate from the spec"
for h in 05 06 21 22; do
	near "h$h" "$(grep -Eo "$h:00 +[0-9.]+" "$T/out" | head -1 | grep -Eo '[0-9.]+$')"
done
if grep -q "spec.alerting.offPeak: {" "$T/out"; then fail "offPeak recommended though set"
else ok "no offPeak recommendation when set"; fi

# 4. the recorded budget
NAME=rec
run explain --prometheus-url "$URL" -f "$T/rec.yaml"
expect_rc 0 "explain rec"
expect_out "budget left: +500 of 2000 failures \(25% of the budget; recorded by burnrate's rules\)" \
	"budget as the rules recorded it"

# 5. the quiet service: confidence and low-traffic recommended, night figures
NAME=quiet
expected quiet 0 99 quiet >"$T/want" || fail "hand computation"
run explain --prometheus-url "$URL" -f "$T/quiet.yaml"
expect_rc 0 "explain quiet"
sed -n '/traffic:/,$s/^/  | /p' "$T/out"
near per_day "$(field 'traffic: ')"
near allowed "$(grep -Eo '[0-9.]+ failures allowed' "$T/out" | grep -Eo '^[0-9.]+')"
expect_out "spec.traffic.confidence: 95" "confidence recommended"
expect_out "spec.alerting.preset: low-traffic" "low-traffic recommended"
night=$(awk '$1=="night"{print $2}' "$T/want")
k=$(python3 -c "import sys,math; n=float(sys.argv[1])*6; print(math.floor(0.06*n)+1)" "$night")
expect_out "page 6x over 6h sees [0-9.]+ events: it pages after $k errors in a row" \
	"6h row at night: $k errors (by hand)"

# 6. failures: clear messages, exit 1, no hang
run explain --prometheus-url "$URL" -f "$T/nothing.yaml"
expect_rc 1 "selector without data"
expect_err "explain/nothing: no data: Prometheus at $URL has no events" "no data named"
DEAD=$(free_port)
run explain --prometheus-url "http://127.0.0.1:$DEAD" -f "$T/shop.yaml"
expect_rc 1 "unreachable Prometheus"
expect_err "explain/shop: cannot read spec.indicator.ratio.total from Prometheus: http://127.0.0.1:$DEAD" \
	"unreachable named"
run explain --prometheus-url "$URL/nope" -f "$T/shop.yaml"
expect_rc 1 "404"
expect_err "explain/shop: cannot read .*HTTP 404" "404 named"
run explain --prometheus-url "ftp://127.0.0.1:$PORT" -f "$T/shop.yaml"
expect_rc 1 "not http"
expect_err "must start with http" "scheme named"
# a server that answers 200 with something that is not JSON, and one that never answers
python3 - "$T/junk.port" "$T/mute.port" <<'PY' &
import http.server, socket, sys, threading
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"<html>hello</html>")
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
mute = socket.socket(); mute.bind(("127.0.0.1", 0)); mute.listen(8)   # never accepts
open(sys.argv[2], "w").write(str(mute.getsockname()[1]))
open(sys.argv[1], "w").write(str(s.server_port))
s.serve_forever()
PY
PIDS+=("$!")
for _ in $(seq 50); do [ -s "$T/junk.port" ] && break; sleep 0.1; done
run explain --prometheus-url "http://127.0.0.1:$(cat "$T/junk.port")" -f "$T/shop.yaml"
expect_rc 1 "not JSON"
expect_err "explain/shop: cannot read .*answer is not JSON" "not JSON named"
t0=$(date +%s)
run explain --prometheus-url "http://127.0.0.1:$(cat "$T/mute.port")" -f "$T/shop.yaml"
expect_rc 1 "server that never answers"
expect_err "explain/shop: cannot read .*(timed out|Timeout)" "timeout named"
[ $(( $(date +%s) - t0 )) -le 20 ] && ok "gave up within 20 s" || fail "took $(( $(date +%s) - t0 )) s"
finish
