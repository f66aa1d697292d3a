#!/usr/bin/env bash
# burnrate ui against the test API server and a real Prometheus: the overview
# lists the SLOs, hostile strings from a spec and a status come out escaped,
# every page has the CSP, the SLO page draws the backfilled burn-down as SVG,
# and with Prometheus stopped the page is still 200, with a banner.
set -u
SRC=${BURNRATE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BR=${BURNRATE:-${BURNRATE_BUILD_DIR:-$SRC/build}/cmd/burnrate/burnrate}
[ -x "$BR" ] || { echo "burnrate binary not found (set BURNRATE): skipped"; exit 77; }
for t in kubectl prometheus promtool curl python3; do
	command -v "$t" >/dev/null || { echo "$t missing: skipped"; exit 77; }
done
D=$(mktemp -d "${TMPDIR:-/tmp}/ui-test.XXXXXX")
ART=${BURNRATE_BUILD_DIR:-$D}/artifacts/ui
mkdir -p "$D/api" "$D/prom" "$ART"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	for f in "$D"/*.log; do echo "--- $f" >&2; tail -n 15 "$f" >&2; done
	exit 1
}
await() { # SECONDS COMMAND...: polls every 0.2 s
	local n=$(($1 * 5))
	shift
	while [ "$n" -gt 0 ]; do "$@" && return 0; sleep 0.2; n=$((n - 1)); done
	return 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cd "$SRC" || exit 1

# 1. the API server, the CRD, the examples and a hostile SLO with a status
python3 tests/fakeapi/fakeapi.py --bare --dir "$D/api" >"$D/api/stdout" 2>"$D/apiserver.log" &
PIDS+=($!)
await 20 grep -qs "^ready " "$D/api/stdout" || fail "the test API server did not start"
export KUBECONFIG=$D/api/kubeconfig KUBECACHEDIR=$D/api/kubecache
kubectl apply -f crds/ >/dev/null || fail "kubectl apply -f crds/"
for ns in hostile $(sed -n 's/^  namespace: //p' examples/*.yaml | sort -u); do
	kubectl create namespace "$ns" >/dev/null 2>&1
done
kubectl apply -f examples/ >/dev/null || fail "kubectl apply -f examples/"
H='<script>alert(1)</script>"'"'"'&</svg>'
HJ=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$H")
cat >"$D/hostile.yaml" <<YAML
apiVersion: burnrate.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: xss, namespace: hostile, labels: {team: hostile}}
spec:
  service: $HJ
  description: $HJ
  objective: 99.5
  window: 30d
  indicator:
    ratio:
      errors: http_requests_total{job="checkout",handler="/api/v1/orders",code=~"5.."}
      total: http_requests_total{job="checkout",handler="/api/v1/orders"}
  alerting:
    labels: {team: $HJ}
YAML
kubectl apply -f "$D/hostile.yaml" >/dev/null 2>"$D/apply.log" || fail "kubectl apply hostile: $(cat "$D/apply.log")"
python3 - "$H" >"$D/status.json" <<'PY'
import json, sys
h = sys.argv[1]
print(json.dumps({"status": {
    "budget": {"remaining": 0.1234, "remainingPercent": "12.3%", "allowedEvents": 5000,
               "remainingEvents": 617},
    "conditions": [{"type": "Ready", "status": "True", "reason": "Reconciled", "message": h,
                    "lastTransitionTime": "2026-01-01T00:00:00Z"},
                   {"type": "BudgetHealthy", "status": "False", "reason": "BudgetBurning",
                    "message": h, "lastTransitionTime": "2026-01-01T00:00:00Z"}],
    "alerts": [{"severity": "page", "burnRate": 14.4, "longWindow": "1h", "shortWindow": "5m",
                "budgetPercent": 2, "offPeakMuted": False},
               {"severity": h, "burnRate": 1, "longWindow": "3d", "shortWindow": h,
                "budgetPercent": 10}]}}))
PY
kubectl -n hostile patch slo xss --subresource=status --type=merge --patch-file "$D/status.json" \
	>/dev/null 2>"$D/patch.log" || fail "status patch: $(cat "$D/patch.log")"

# 2. Prometheus: a month of traffic backfilled and burnrate's rules for the examples;
# the hostile SLO (no rules, so no live samples to mix in) gets its budget
# backfilled, burning down from 100% to 12.34% over the month
NOW=$(date +%s)
python3 hack/demo/traffic.py history "$D/history.om" "$NOW" || fail "traffic.py history"
python3 - "$D/history.om" "$NOW" <<'PY' || fail "history of the budget"
import sys
path, now = sys.argv[1], int(float(sys.argv[2]))
lines = open(path).read().splitlines()
assert lines[-1] == "# EOF"
out = lines[:-1] + ["# TYPE burnrate:error_budget:remaining unknown"]
start = now - 30 * 86400
for t in range(start, now, 60):
    out.append('burnrate:error_budget:remaining{slo="xss",slo_namespace="hostile"} %.6f %d'
               % (1 - (1 - 0.1234) * (t - start) / (30 * 86400), t))
# its 1h error ratio over the last 8 days: 1% (a burn rate of 2 at 99.5%)
out.append("# TYPE burnrate:sli_error_ratio:rate1h unknown")
for t in range(now - 8 * 86400, now, 60):
    out.append('burnrate:sli_error_ratio:rate1h{slo="xss",slo_namespace="hostile"} 0.01 %d' % t)
open(path, "w").write("\n".join(out + ["# EOF"]) + "\n")
PY
promtool tsdb create-blocks-from openmetrics --quiet --max-block-duration=744h \
	"$D/history.om" "$D/prom/data" >"$D/backfill.log" 2>&1 || fail "backfill"
# (the groups' 1m and 5m intervals shortened, so the budget is recorded within seconds)
"$BR" generate --format rules -f examples/ 2>"$D/generate.log" |
	sed 's/^  interval: .*/  interval: 2s/' >"$D/prom/rules.yml" || fail "burnrate generate"
# the hostile SLO's page alert, firing from the start: a hand-written rule
# labelled as burnrate labels its alerts (it has no rules of its own)
cat >"$D/prom/firing.yml" <<YAML
groups:
- name: hostile/xss/alerts
  interval: 2s
  rules:
  - alert: ErrorBudgetBurn
    expr: vector(1)
    labels: {slo: xss, slo_namespace: hostile, burnrate_severity: page, severity: critical}
YAML
PROM_PORT=$(free_port)
PROM=http://127.0.0.1:$PROM_PORT
cat >"$D/prom/prometheus.yml" <<YAML
global: {scrape_interval: 10s, evaluation_interval: 2s}
rule_files: ['$D/prom/rules.yml', '$D/prom/firing.yml']
YAML
prometheus --config.file="$D/prom/prometheus.yml" --storage.tsdb.path="$D/prom/data" \
	--storage.tsdb.retention.time=60d --web.listen-address="127.0.0.1:$PROM_PORT" \
	>"$D/prometheus.log" 2>&1 &
PROM_PID=$!
PIDS+=("$PROM_PID")
await 60 curl -sf "$PROM/-/ready" -o /dev/null || fail "Prometheus did not start"

# 3. burnrate ui
UI_PORT=$(free_port)
UI=http://127.0.0.1:$UI_PORT
"$BR" ui --kubeconfig "$KUBECONFIG" --prometheus-url "$PROM" --bind-address "127.0.0.1:$UI_PORT" \
	>"$D/ui.log" 2>&1 &
UI_PID=$!
PIDS+=("$UI_PID")
await 20 curl -sf "$UI/healthz" -o /dev/null || fail "burnrate ui did not start"

get() { # PATH NAME: the page into $D/NAME.html, headers into $D/NAME.h; prints the status
	curl -s -D "$D/$2.h" -o "$D/$2.html" -w '%{http_code}' "$UI$1"
}
only_escaped() { # NAME: no hostile string survived unescaped
	! grep -q '<script' "$D/$1.html" || fail "$1: an unescaped <script>"
	! grep -qF "alert(1)</" "$D/$1.html" || fail "$1: an unescaped </script>"
	grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;&lt;/svg&gt;' "$D/$1.html" ||
		fail "$1: the hostile string is not there, escaped"
	[ "$(grep -o '<svg' "$D/$1.html" | wc -l)" = "$(grep -o '</svg>' "$D/$1.html" | wc -l)" ] ||
		fail "$1: <svg> and </svg> do not pair"
	grep -qi "^content-security-policy: default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:" \
		"$D/$1.h" || fail "$1: no CSP header"
	! grep -qi '<script\|javascript:\| on[a-z]*=' "$D/$1.html" || fail "$1: script in the page"
}

[ "$(get / overview)" = 200 ] || fail "overview: not 200"
n=$(grep -c '<tr><td>' "$D/overview.html")
want=$(($(ls examples/*.yaml | wc -l) + 1))
[ "$n" -ge "$want" ] || fail "overview: $n SLOs listed, want at least $want"
grep -q 'href="/slo/payments/checkout-availability"' "$D/overview.html" || fail "overview: no checkout"
grep -q '<tr><td>hostile</td><td><a href="/slo/hostile/xss">' "$D/overview.html" ||
	fail "overview: the SLO with a budget is not first"
grep -q 'style="width:12.3%"' "$D/overview.html" || fail "overview: no budget bar"
grep -q '(617 events)' "$D/overview.html" || fail "overview: no remainingEvents"
only_escaped overview
[ "$(get '/?namespace=payments' ns)" = 200 ] || fail "namespace filter: not 200"
grep -q '^<tr><td>payments</td>' "$D/ns.html" && ! grep -q '^<tr><td>hostile' "$D/ns.html" ||
	fail "namespace filter"
[ "$(get '/?q=%3Cscript%3E' q)" = 200 ] || fail "q: not 200"
[ "$(grep -c '<tr><td>' "$D/q.html")" = 1 ] || fail "q=<script>: want the one hostile SLO"
only_escaped q
[ "$(get '/?page=x' bad)" = 400 ] || fail "page=x: not 400"
[ "$(get '/slo/hostile/nope' missing)" = 404 ] || fail "unknown SLO: not 404"
[ "$(get '/slo/Bad_Name/x' badname)" = 400 ] || fail "bad name: not 400"

[ "$(get /slo/hostile/xss slo)" = 200 ] || fail "SLO page: not 200"
only_escaped slo
grep -q '<svg' "$D/slo.html" || fail "SLO page: no <svg>"
pts=$(grep -o '<path class="budget"[^>]*d="[^"]*"' "$D/slo.html" | grep -o '[ML][0-9.]*,[0-9.]*' | wc -l)
[ "$pts" -ge 400 ] || fail "SLO page: $pts points in the burn-down, want the month's ~500"
grep -q '>12.3[0-9]% left<' "$D/slo.html" || fail "SLO page: the last value is not 12.3x%"
grep -q '<td>page</td><td>14.4</td><td>1h</td><td>5m</td>' "$D/slo.html" || fail "SLO page: no alert table"
grep -q '<td>BudgetHealthy</td><td>False</td><td>BudgetBurning</td>' "$D/slo.html" || fail "SLO page: no conditions"
! grep -q 'class="banner"' "$D/slo.html" || fail "SLO page: a banner with Prometheus up"
# a burn-rate chart per alert row over the last day: the page row's (2x, its
# threshold 14.4x) has the day's ~500 points, the 3d row has no data
[ "$(grep -c '<svg[^>]*class="burnrate"' "$D/slo.html")" = 2 ] || fail "SLO page: not 2 burn-rate charts"
rate_pts() { grep -o '<path class="rate"[^>]*d="[^"]*"' "$D/$1.html" | head -1 | grep -o '[ML][0-9.]*,[0-9.]*' | wc -l; }
pts=$(rate_pts slo)
[ "$pts" -ge 400 ] && [ "$pts" -le 1000 ] || fail "SLO page: $pts points in the burn rate, want ~500"
grep -q '>threshold 14.4x<' "$D/slo.html" || fail "SLO page: no threshold line"
grep -q '<strong>1d</strong> <a href="/slo/hostile/xss?range=7d">7d</a>' "$D/slo.html" || fail "SLO page: no range links"
[ "$(get '/slo/hostile/xss?range=7d' slo7d)" = 200 ] || fail "range=7d: not 200"
pts=$(rate_pts slo7d)
[ "$pts" -ge 400 ] && [ "$pts" -le 1000 ] || fail "range=7d: $pts points in the burn rate, want ~500"
only_escaped slo7d
[ "$(get '/slo/hostile/xss?range=2d' badrange)" = 400 ] || fail "range=2d: not 400"
# when the alerts fired: the page alert (the hand-written rule) since now-ish, ticket never
fired() {
	get /slo/hostile/xss fired >/dev/null &&
		grep -q '<rect class="fired-page"' "$D/fired.html"
}
await 30 fired || fail "SLO page: the page alert's firing is not drawn"
today=$(date -u +%Y-%m-%d)
grep -q "<li>page: $today [0-9:]* to $today [0-9:]* (UTC)</li>" "$D/fired.html" ||
	fail "SLO page: the page alert's interval is not listed"
grep -q '<li>ticket: did not fire</li>' "$D/fired.html" || fail "SLO page: ticket fired?"
! grep -q '<rect class="fired-ticket"' "$D/fired.html" || fail "SLO page: a ticket band"
# the overview: each SLO's alert state, the burn rate of its fastest page row
# and a sparkline of its budget (three queries for a page)
[ "$(get / live)" = 200 ] || fail "overview: not 200"
grep 'href="/slo/hostile/xss"' "$D/live.html" | grep -q '<td class="fire">firing: page</td>' ||
	fail "overview: the hostile SLO's page alert is not shown"
grep 'href="/slo/payments/checkout-availability"' "$D/live.html" | grep -q '<td>ok</td>' ||
	fail "overview: checkout is not ok"
grep 'href="/slo/hostile/xss"' "$D/live.html" | grep -q '<td>2.00x <span class="muted">1h</span></td>' ||
	fail "overview: the hostile SLO's burn rate is not its backfilled 1h ratio over the budget (2x)"
# its sparkline: the month's budget, from 100% (top left) to 12.34% (bottom right)
spark=$(grep 'href="/slo/hostile/xss"' "$D/live.html" | grep -o '<svg[^>]*class="spark".*</svg>')
[ -n "$spark" ] || fail "overview: no sparkline for the hostile SLO"
n=$(echo "$spark" | grep -o '[ML][0-9.]*,[0-9.]*' | wc -l)
[ "$n" -ge 55 ] && [ "$n" -le 62 ] || fail "overview: $n points in the sparkline, want ~60"
echo "$spark" | grep -q ' d="M0\.[0-9],1\.[0-9] ' || fail "overview: the sparkline does not start at 100%: $spark"
echo "$spark" | grep -q 'L100\.0,20\.[0-9]"' || fail "overview: the sparkline does not end at 12.34%: $spark"
live_rate() {
	get / live >/dev/null &&
		grep 'href="/slo/payments/checkout-availability"' "$D/live.html" |
		grep -q '<td>[0-9.]*x <span class="muted">1h</span></td>'
}
await 30 live_rate || fail "overview: no burn rate of the fastest page row (1h) for checkout"

# the example's budget comes from burnrate's rules, once Prometheus has evaluated them
live_path() {
	get /slo/payments/checkout-availability checkout >/dev/null &&
		grep -q '<path class="budget"[^>]*d="M' "$D/checkout.html"
}
await 30 live_path || fail "checkout: no burn-down from the rules"
only_escaped_csp() { grep -qi '^content-security-policy:' "$D/$1.h" || fail "$1: no CSP"; }
only_escaped_csp checkout

# screenshots, when Chromium is there
if command -v chromium >/dev/null; then
	for page in overview:/ slo:/slo/hostile/xss; do
		name=${page%%:*}
		timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
			--disable-component-update --disable-sync --no-first-run \
			--user-data-dir="$(mktemp -d "$D/chrome.XXXXXX")" --screenshot="$ART/$name.png" \
			--window-size=1280,2000 "$UI${page#*:}" >"$D/chromium.log" 2>&1
		[ -s "$ART/$name.png" ] && [ "$(stat -c %s "$ART/$name.png")" -gt 10000 ] ||
			fail "no screenshot of $name"
		head -c 8 "$ART/$name.png" | od -An -c | grep -q 'P   N   G' || fail "$name.png is not a PNG"
	done
	echo "screenshots in $ART"
else
	echo "chromium missing: no screenshots"
fi

# many viewers, one query: the same page twice within the cache's 10 s is
# one query_range more for Prometheus, not two
q_count() { curl -s "$PROM/metrics" | sed -n 's/^prometheus_http_requests_total{code="200",handler="\/api\/v1\/query_range"} //p'; }
n0=$(q_count)
get /slo/hostile/xss c1 >/dev/null; get /slo/hostile/xss c2 >/dev/null; get /slo/hostile/xss c3 >/dev/null
n1=$(q_count)
[ -n "$n0" ] && [ $((n1 - n0)) -le 8 ] || fail "cache: $n0 -> $n1 range queries for 3 views of a page of 4 (want at most 2 rounds)"

# Prometheus gone: still 200, with a banner saying so
kill -TERM "$PROM_PID"
wait "$PROM_PID" 2>/dev/null
# (answers are cached BR_UI_CACHE_TTL = 10 s: until then the pages are served as before)
[ "$(get /slo/hostile/xss down)" = 200 ] || fail "Prometheus down: not 200"
down_banner() {
	[ "$(get /slo/hostile/xss down)" = 200 ] &&
		grep -qF "Prometheus at $PROM is unreachable: " "$D/down.html"
}
await 15 down_banner || fail "Prometheus down: no banner"
grep -q '<svg' "$D/down.html" && grep -q '>no data<' "$D/down.html" || fail "Prometheus down: no empty chart"
only_escaped down
[ "$(get / downov)" = 200 ] || fail "Prometheus down: overview not 200"
grep -qF "Prometheus at $PROM is unreachable: " "$D/downov.html" || fail "Prometheus down: no overview banner"
[ "$(grep -c '<tr><td>' "$D/downov.html")" -ge "$want" ] || fail "Prometheus down: the overview lists no SLOs"

# the API server gone before the first list: 502, with the reason, and no crash
DEAD_PORT=$(free_port)
sed "s#server: .*#server: https://127.0.0.1:$DEAD_PORT#" "$KUBECONFIG" >"$D/dead.kubeconfig"
UI2_PORT=$(free_port)
"$BR" ui --kubeconfig "$D/dead.kubeconfig" --bind-address "127.0.0.1:$UI2_PORT" >"$D/ui2.log" 2>&1 &
UI2_PID=$!
PIDS+=("$UI2_PID")
await 20 curl -sf "http://127.0.0.1:$UI2_PORT/healthz" -o /dev/null || fail "burnrate ui (no API server) did not start"
grep -q "cannot list the SLOs yet" "$D/ui2.log" || fail "burnrate ui (no API server): no warning"
for path in / /slo/payments/checkout-availability; do
	code=$(curl -s -o "$D/dead.html" -w '%{http_code}' "http://127.0.0.1:$UI2_PORT$path")
	[ "$code" = 502 ] || fail "no API server: $path answered $code, not 502"
	grep -q 'role="alert">The Kubernetes API cannot be read: .*127.0.0.1' "$D/dead.html" ||
		fail "no API server: $path does not say why: $(cat "$D/dead.html")"
done
kill -TERM "$UI2_PID"
wait "$UI2_PID" || fail "burnrate ui (no API server) exited $? after SIGTERM"
! grep -q Sanitizer "$D/ui2.log" || fail "sanitizer report (no API server)"

kill -TERM "$UI_PID"
wait "$UI_PID"
rc=$?
! grep -q Sanitizer "$D/ui.log" || fail "sanitizer report"
[ "$rc" = 0 ] || fail "burnrate ui exited $rc after SIGTERM"
echo "ok: burnrate ui"
