#!/usr/bin/env bash
# The web UI as the controller serves it (--ui-bind-address), against the
# API server (the test one, or the real one when KUBECONFIG is set) and a real
# Prometheus that evaluates burnrate's own rules (carried from the
# PrometheusRules by hack/demo/sync.py) over the demo's traffic: a month of
# it backfilled, the checkout service failing for the last ten minutes.
#   - two replicas with --leader-elect: both serve the UI, the one that does
#     not lead from its caches alone;
#   - the overview lists every example SLO, each with the budget figure that
#     its status.budget holds;
#   - checkout's burn-down has about 500 points over its 30 days and ends at
#     the budget in its status; its page alert, fired by burnrate's rule,
#     shows as firing on the overview and as a band on its page;
#   - Chromium screenshots of both pages (build/artifacts/ui/controller-*.png).
set -u
SRC=${BURNRATE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BR=${BURNRATE:-${BURNRATE_BUILD_DIR:-$SRC/build}/cmd/burnrate/burnrate}
[ -x "$BR" ] || { echo "burnrate binary not found (set BURNRATE): skipped"; exit 77; }
for t in kubectl prometheus promtool curl python3; do
	command -v "$t" >/dev/null || { echo "$t missing: skipped"; exit 77; }
done
D=$(mktemp -d "${TMPDIR:-/tmp}/ui-ctl-test.XXXXXX")
ART=${BURNRATE_BUILD_DIR:-$D}/artifacts/ui
mkdir -p "$D/api" "$D/prom" "$ART"
PIDS=()
NS_MADE=()
REAL=${KUBECONFIG:+1}
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ -n "$REAL" ]; then
		kubectl delete -f "$SRC/examples/" --ignore-not-found --wait=false >/dev/null 2>&1
		for p in "${NS_MADE[@]}"; do kubectl delete namespace "$p" --wait=false >/dev/null 2>&1; done
	fi
	rm -rf "$D"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	for f in "$D"/*.log; do echo "--- $f" >&2; tail -n 15 "$f" >&2; done
	exit 1
}
await() { # SECONDS COMMAND...: polls every 0.5 s
	local n=$(($1 * 2))
	shift
	while [ "$n" -gt 0 ]; do "$@" && return 0; sleep 0.5; n=$((n - 1)); done
	return 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cd "$SRC" || exit 1

# 1. the API server (the real one when KUBECONFIG is set), the CRDs, the namespaces
if [ -z "$REAL" ]; then
	python3 tests/fakeapi/fakeapi.py --bare --dir "$D/api" >"$D/api/stdout" 2>"$D/apiserver.log" &
	PIDS+=($!)
	await 20 grep -qs "^ready " "$D/api/stdout" || fail "the test API server did not start"
	export KUBECONFIG=$D/api/kubeconfig KUBECACHEDIR=$D/api/kubecache
fi
kubectl apply -f crds/ >/dev/null || fail "kubectl apply -f crds/"
kubectl get crd prometheusrules.monitoring.coreos.com >/dev/null 2>&1 ||
	kubectl apply -f tests/fakeapi/crds/prometheusrules.crd.yaml >/dev/null || fail "PrometheusRule CRD"
kubectl wait --for condition=established --timeout=60s -f crds/ >/dev/null || fail "CRD not established"
LEASE_NS=burnrate-ui-test
for ns in $LEASE_NS $(sed -n 's/^  namespace: //p' examples/*.yaml | sort -u); do
	kubectl get namespace "$ns" >/dev/null 2>&1 && continue
	kubectl create namespace "$ns" >/dev/null || fail "create namespace $ns"
	NS_MADE+=("$ns")
done

# 2. the traffic: a month backfilled, then served live; checkout has failed
# every request for the last ten minutes (in the history too)
NOW=$(date +%s)
echo "payments/checkout-availability $((NOW - 600))" >"$D/outage"
python3 hack/demo/traffic.py serve "$D" "$NOW" >"$D/exporter.log" 2>&1 &
PIDS+=($!)
await 10 test -s "$D/exporter.port" || fail "the traffic exporter did not start"
python3 hack/demo/traffic.py history "$D/history.om" "$NOW" "$D" || fail "traffic.py history"
# checkout's budget over the month, for the burn-down (the rules record it only
# from now on): 100% a month ago down to 90% an hour ago, a sample a minute
# (the rules then record ~60%, so the last point is theirs)
python3 - "$D/history.om" "$NOW" <<'PY' || fail "history of the budget"
import sys
path, now = sys.argv[1], int(sys.argv[2])
lines = open(path).read().splitlines()
assert lines[-1] == "# EOF"
out = lines[:-1] + ["# TYPE burnrate:error_budget:remaining unknown"]
start, end = now - 30 * 86400, now - 3600
for t in range(start, end, 60):
    out.append('burnrate:error_budget:remaining{slo="checkout-availability",slo_namespace="payments"}'
               ' %.6f %d' % (1 - 0.1 * (t - start) / (end - start), t))
open(path, "w").write("\n".join(out + ["# EOF"]) + "\n")
PY
promtool tsdb create-blocks-from openmetrics --quiet --max-block-duration=744h \
	"$D/history.om" "$D/prom/data" >"$D/backfill.log" 2>&1 || fail "backfill"
rm -f "$D/history.om"
PROM_PORT=$(free_port)
PROM=http://127.0.0.1:$PROM_PORT
echo '{"groups": []}' >"$D/prom/rules.yml"
cat >"$D/prom/prometheus.yml" <<YAML
global: {scrape_interval: 2s, evaluation_interval: 2s}
rule_files: ['$D/prom/rules.yml']
scrape_configs:
- job_name: demo-traffic
  honor_labels: true
  static_configs: [{targets: ['127.0.0.1:$(cat "$D/exporter.port")']}]
YAML
prometheus --config.file="$D/prom/prometheus.yml" --storage.tsdb.path="$D/prom/data" \
	--storage.tsdb.retention.time=60d --web.listen-address="127.0.0.1:$PROM_PORT" --web.enable-lifecycle \
	>"$D/prometheus.log" 2>&1 &
PIDS+=($!)
await 60 curl -sf "$PROM/-/ready" -o /dev/null || fail "Prometheus did not start"

# 3. two controller replicas serving the UI, and the PrometheusRules carried to Prometheus
declare -A UI
for r in a b; do
	port=$(free_port)
	UI[$r]=http://127.0.0.1:$port
	"$BR" controller --leader-elect --leader-election-namespace "$LEASE_NS" \
		--prometheus-url "$PROM" --budget-interval 2s --ui-bind-address "127.0.0.1:$port" \
		--metrics-bind-address 0 --health-probe-bind-address 0 --log-format text \
		>"$D/controller-$r.log" 2>&1 &
	PIDS+=($!)
done
python3 hack/demo/sync.py "$D/prom/rules.yml" "$PROM" "$D/am.yml" http://127.0.0.1:9 none/none \
	>"$D/sync.log" 2>&1 &
PIDS+=($!)
for r in a b; do
	await 20 curl -s -o /dev/null "${UI[$r]}/" || fail "replica $r: the UI did not start"
done
kubectl apply -f examples/ >/dev/null || fail "kubectl apply -f examples/"
N=$(ls examples/*.yaml | wc -l)
budgets() { # NAMESPACE/NAME remainingPercent, one line per SLO with a budget
	kubectl get slo -A -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name} {.status.budget.remainingPercent}{"\n"}{end}' |
		awk 'NF == 2'
}
all_budgets() { [ "$(budgets | wc -l)" -ge "$((N - 1))" ]; }
await 120 all_budgets || fail "not every SLO has a budget in its status: $(budgets)"
one_leader() { [ "$(grep -l 'became leader' "$D"/controller-*.log | wc -l)" = 1 ]; }
await 30 one_leader || fail "no single leader"
if grep -q 'became leader' "$D/controller-a.log"; then FOLLOWER=b; else FOLLOWER=a; fi

get() { # REPLICA PATH NAME: the page into $D/NAME.html; prints the status
	curl -s -o "$D/$3.html" -w '%{http_code}' "${UI[$1]}$2"
}
# the overview's budget cell of SLO ns/name: "12.3%"
ui_budget() {
	grep "href=\"/slo/$2\"" "$D/$1.html" |
		sed -n 's#.*</span></span>\([^ <]*\)\( <span class="muted">([0-9.e+]* events)</span>\)\{0,1\}</td>.*#\1#p'
}
# every SLO with a budget shows the figure of its status (the checkout's moves
# while it fails: compare with the status just before and just after the page)
same_budgets() { # REPLICA
	local before after slo pct shown
	before=$(budgets)
	[ "$(get "$1" "/?page=1" "ov-$1")" = 200 ] || return 1
	after=$(budgets)
	[ "$(grep -c '<tr><td>' "$D/ov-$1.html")" = "$N" ] || return 1
	while read -r slo pct; do
		shown=$(ui_budget "ov-$1" "$slo")
		[ "$shown" = "$pct" ] || grep -qx "$slo $shown" <<<"$after" || return 1
	done <<<"$before"
}
for r in a b; do
	await 30 same_budgets "$r" ||
		fail "replica $r: the overview's budgets differ from status.budget: $(budgets); shown: $(grep -o '</span></span>[^<]*' "$D/ov-$r.html")"
done
echo "both replicas list the $N SLOs with their status.budget (the follower is $FOLLOWER)"

# 4. checkout's page alert, fired by burnrate's rule
page_fired() {
	[ "$(get "$FOLLOWER" / live)" = 200 ] &&
		grep 'href="/slo/payments/checkout-availability"' "$D/live.html" |
		grep -q '<td class="fire">firing: page</td>'
}
await 60 page_fired || fail "the overview does not show checkout's page alert firing: $(curl -s "$PROM/api/v1/query?query=ALERTS")"
grep 'href="/slo/payments/checkout-availability"' "$D/live.html" |
	grep -q '<td>[0-9.]*x <span class="muted">1h</span></td>' || fail "overview: no burn rate of checkout's 1h page row"
grep 'href="/slo/payments/checkout-availability"' "$D/live.html" | grep -q 'class="spark"' ||
	fail "overview: no sparkline for checkout"
band() {
	[ "$(get "$FOLLOWER" /slo/payments/checkout-availability slo)" = 200 ] &&
		grep -q '<rect class="fired-page"' "$D/slo.html"
}
await 30 band || fail "checkout's page: no band where the page alert fired"

# 5. the burn-down: the month's ~500 points, ending at the budget in the status.
# The page ends at now rounded down to 10 s, and its answers are shared for 10 s:
# a page asked for within 10 s of the rules' first evaluation can still end at the
# backfilled history (90%), so the page is asked for again until the end is theirs.
burn_down_ends_at_status() {
	[ "$(get "$FOLLOWER" /slo/payments/checkout-availability slo)" = 200 ] || return 1
	pts=$(grep -o '<path class="budget"[^>]*d="[^"]*"' "$D/slo.html" | grep -o '[ML][0-9.]*,[0-9.]*' | wc -l)
	last=$(sed -n 's/.*<text class="last"[^>]*>\(-\{0,1\}[0-9.]*\)% left<.*/\1/p' "$D/slo.html")
	status=$(kubectl -n payments get slo checkout-availability -o jsonpath='{.status.budget.remaining}')
	[ -n "$last" ] && [ -n "$status" ] || return 1
	python3 - "$last" "$status" <<'PY'
import sys
last, status = float(sys.argv[1]), float(sys.argv[2]) * 100
# the status is written when the figure moves by a tenth of a point or more,
# and the budget falls by ~0.03 points a second while checkout fails
sys.exit(0 if abs(last - status) < 1.0 else 1)
PY
}
await 30 burn_down_ends_at_status || fail "checkout's burn-down ends at $last%, its status says $status"
[ "$pts" -ge 450 ] && [ "$pts" -le 520 ] || fail "checkout's burn-down: $pts points, want ~500"
echo "checkout: $pts points in its burn-down, ending at $last% (status: $status)"

# 6. screenshots, from the follower
if command -v chromium >/dev/null; then
	for page in overview:/ slo:/slo/payments/checkout-availability; do
		name=controller-${page%%:*}
		timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
			--disable-component-update --disable-sync --no-first-run \
			--user-data-dir="$(mktemp -d "$D/chrome.XXXXXX")" --screenshot="$ART/$name.png" \
			--window-size=1400,1800 "${UI[$FOLLOWER]}${page#*:}" >"$D/chromium.log" 2>&1
		[ -s "$ART/$name.png" ] && [ "$(stat -c %s "$ART/$name.png")" -gt 10000 ] ||
			fail "no screenshot of $name"
		head -c 8 "$ART/$name.png" | od -An -c | grep -q 'P   N   G' || fail "$name.png is not a PNG"
	done
	echo "screenshots in $ART"
else
	echo "chromium missing: no screenshots"
fi

for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
for r in a b; do
	await 20 grep -q 'stopped after' "$D/controller-$r.log" || fail "replica $r did not stop cleanly"
	! grep -q Sanitizer "$D/controller-$r.log" || fail "replica $r: sanitizer report"
done
echo "ok: the controller's web UI"
