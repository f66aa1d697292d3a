#!/usr/bin/env bash
# The operator at work, all on 127.0.0.1 (hack/demo.sh runs this; --offline runs
# offline.sh instead). Started here, and stopped at the end or on any failure:
#   - a Kubernetes API server: the project's test API server (tests/fakeapi), or with
#     --cluster the one $KUBECONFIG names;
#   - a traffic exporter (traffic.py) serving the series the example SLOs read, and a
#     real Prometheus scraping it, with 30 days of the same traffic backfilled;
#   - a real Alertmanager whose receivers all post to a local webhook that logs what
#     it receives;
#   - sync.py, standing in for prometheus-operator: PrometheusRules to Prometheus,
#     burnrate's Alertmanager Secret to Alertmanager;
#   - burnrate controller, with alert routing, budget status and the web UI.
# Then it applies examples/, fails one service and shows the page arrive, the ticket
# inhibited and the budget drop, and prints one summary line; exit 0 only if all
# of that happened.
#
# Env: DEMO_OUTAGE (namespace/name of the SLO to fail, default auth/token-check-latency),
# DEMO_OUT (default out/demo).
set -uo pipefail
cd "$(dirname "$0")/../.."
SRC=$PWD
OUT=${DEMO_OUT:-$SRC/out/demo}
CLUSTER=0
[ "${1:-}" = --cluster ] && CLUSTER=1
TARGET=${DEMO_OUTAGE:-auth/token-check-latency}
TNS=${TARGET%/*} TNAME=${TARGET#*/}
BR=$SRC/build/cmd/burnrate/burnrate
T0=$(date +%s)

PIDS=()
say() { printf '%s\n' "$*"; }
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
at() { printf '[%s +%3ds] %s\n' "$(date -u +%H:%M:%S)" $(($(date +%s) - OUTAGE_AT)) "$*"; }
die() {
	printf '\ndemo: FAILED: %s\n' "$*" >&2
	printf 'demo: logs in %s\n' "$OUT/logs" >&2
	exit 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_until SECONDS CMD...: polls CMD every 0.5 s, bounded in time
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do [ "$SECONDS" -lt "$end" ] || return 1; sleep 0.5; done
}
# started NAME PID [PORT]: remembers a process to stop at the end (and its port, in
# $OUT/ports, for whoever checks that nothing is left listening)
started() {
	PIDS+=("$2")
	[ -z "${3:-}" ] || echo "$1 $3" >>"$OUT/ports"
}
# alive_and CMD...: CMD succeeds, or fails at once when the last process started died
alive_and() {
	"$@" && return 0
	kill -0 "${PIDS[${#PIDS[@]} - 1]}" 2>/dev/null || return 2
	return 1
}
# await_up SECONDS CMD...: waits for CMD while the last process started lives
await_up() {
	local end=$((SECONDS + $1)) rc
	shift
	while :; do
		alive_and "$@"
		rc=$?
		[ "$rc" = 0 ] && return 0
		[ "$rc" = 2 ] && return 2
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.3
	done
}
stop_all() {
	local i pid
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		pid=${PIDS[$i]}
		kill -TERM "$pid" 2>/dev/null || continue
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	PIDS=()
}
cleanup() {
	local rc=$?
	# on your cluster: take away what the demo put there
	if [ "$CLUSTER" = 1 ]; then
		[ -n "${APPLIED:-}" ] && kubectl delete -f "$OUT/examples" --ignore-not-found --wait=false >/dev/null 2>&1
		for ns in ${CREATED_NS:-}; do kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1; done
	fi
	stop_all
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$OUT" && mkdir -p "$OUT/logs" "$OUT/prometheus" "$OUT/alertmanager" "$OUT/examples"
command -v kubectl >/dev/null || die "kubectl is needed (it is not in Debian's archive): https://kubernetes.io/docs/tasks/tools/"
PROMETHEUS=$(command -v prometheus) || die "prometheus not installed (apt-get install prometheus)"
AM=$(command -v prometheus-alertmanager || command -v alertmanager) ||
	die "alertmanager not installed (apt-get install prometheus-alertmanager)"

# 1. the API server
if [ "$CLUSTER" = 1 ]; then
	[ -n "${KUBECONFIG:-}" ] || die "--cluster uses the cluster \$KUBECONFIG names: set it"
	kubectl version >/dev/null 2>&1 || die "the cluster in $KUBECONFIG does not answer"
	say "demo: API server: your cluster, $(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')"
else
	unset KUBECONFIG
	mkdir -p "$OUT/apiserver"
	python3 tests/fakeapi/fakeapi.py --bare --dir "$OUT/apiserver" >"$OUT/apiserver/stdout" 2>"$OUT/logs/apiserver.log" &
	started apiserver $!
	await_up 20 grep -q '^ready ' "$OUT/apiserver/stdout" ||
		die "the test API server did not start: $(tail -5 "$OUT/logs/apiserver.log")"
	echo "apiserver $(cat "$OUT/apiserver/port")" >>"$OUT/ports"
	export KUBECONFIG=$OUT/apiserver/kubeconfig KUBECACHEDIR=$OUT/apiserver/kubecache
	say "demo: API server: the project's test API server (tests/fakeapi, an in-memory stand-in for kube-apiserver) on $(sed -n 's/^ready //p' "$OUT/apiserver/stdout")"
fi

# 2. traffic, with a month of it backfilled, and Prometheus
NOW=$(date +%s)
python3 hack/demo/traffic.py serve "$OUT" "$NOW" >"$OUT/logs/exporter.log" 2>&1 &
started exporter $!
await_up 10 test -s "$OUT/exporter.port" || die "the traffic exporter did not start: $(tail -5 "$OUT/logs/exporter.log")"
echo "exporter $(cat "$OUT/exporter.port")" >>"$OUT/ports"
python3 hack/demo/traffic.py history "$OUT/history.om" "$NOW" ||
	die "could not write the traffic history"
promtool tsdb create-blocks-from openmetrics --quiet --max-block-duration=744h \
	"$OUT/history.om" "$OUT/prometheus/data" >"$OUT/logs/backfill.log" 2>&1 ||
	die "backfilling the history failed: $(tail -5 "$OUT/logs/backfill.log")"
rm -f "$OUT/history.om"
PROM_PORT=$(free_port)
PROM=http://127.0.0.1:$PROM_PORT
echo '{"groups": []}' >"$OUT/prometheus/rules.yml"
cat >"$OUT/prometheus/prometheus.yml" <<EOF
global: {scrape_interval: 10s, evaluation_interval: 30s}
rule_files: ['$OUT/prometheus/rules.yml']
alerting:
  alertmanagers: [{static_configs: [{targets: ['127.0.0.1:AM_PORT']}]}]
scrape_configs:
- job_name: demo-traffic
  honor_labels: true
  static_configs: [{targets: ['127.0.0.1:$(cat "$OUT/exporter.port")']}]
EOF
AM_PORT=$(free_port)
sed -i "s/AM_PORT/$AM_PORT/" "$OUT/prometheus/prometheus.yml"
"$PROMETHEUS" --config.file="$OUT/prometheus/prometheus.yml" --storage.tsdb.path="$OUT/prometheus/data" \
	--storage.tsdb.retention.time=60d --web.listen-address="127.0.0.1:$PROM_PORT" --web.enable-lifecycle \
	>"$OUT/logs/prometheus.log" 2>&1 &
started prometheus $! "$PROM_PORT"
await_up 60 curl -sf "$PROM/-/ready" -o /dev/null ||
	die "Prometheus did not start: $(tail -5 "$OUT/logs/prometheus.log")"
say "demo: Prometheus $("$PROMETHEUS" --version 2>&1 | sed -n '1s/prometheus, version \([^ ]*\).*/\1/p') on $PROM, scraping the traffic of $(python3 -c 'import runpy; print(len(runpy.run_path("hack/demo/traffic.py")["SERVICES"]))') services, 30 days of it backfilled"

# 3. Alertmanager, whose receivers all post to the webhook
python3 tests/alertmanager/webhook.py "$OUT/logs/webhook.log" "$OUT/webhook.port" >/dev/null 2>&1 &
started webhook $!
await_up 10 test -s "$OUT/webhook.port" || die "the webhook receiver did not start"
echo "webhook $(cat "$OUT/webhook.port")" >>"$OUT/ports"
HOOK=http://127.0.0.1:$(cat "$OUT/webhook.port")
: >"$OUT/logs/webhook.log"
cat >"$OUT/alertmanager/alertmanager.yml" <<EOF
route: {receiver: demo-default}
receivers: [{name: demo-default, webhook_configs: [{url: "$HOOK/demo-default"}]}]
EOF
AMURL=http://127.0.0.1:$AM_PORT
"$AM" --config.file="$OUT/alertmanager/alertmanager.yml" --storage.path="$OUT/alertmanager/data" \
	--web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= \
	>"$OUT/logs/alertmanager.log" 2>&1 &
started alertmanager $! "$AM_PORT"
await_up 20 curl -sf "$AMURL/-/ready" -o /dev/null ||
	die "Alertmanager did not start ($AM): $(tail -5 "$OUT/logs/alertmanager.log")"
say "demo: Alertmanager on $AMURL; every receiver posts to a webhook on $HOOK that logs to $OUT/logs/webhook.log"

# 4. CRDs, the platform team's Alertmanager base, burnrate controller, the stand-in
step kubectl apply -f crds/
kubectl apply -f crds/ || die "kubectl apply -f crds/ failed"
kubectl wait --for condition=established --timeout=60s -f crds/ >/dev/null || die "the CRD was not established"
if ! kubectl get crd prometheusrules.monitoring.coreos.com >/dev/null 2>&1; then
	kubectl apply -f tests/fakeapi/crds/prometheusrules.crd.yaml >/dev/null || die "cannot install the PrometheusRule CRD"
fi
# the namespaces missing, created in one kubectl call (a kubectl call is a second or
# more of CPU on a loaded machine, and there are eight namespaces)
CREATED_NS=
have=$(kubectl get namespaces -o name) || die "cannot list namespaces"
for ns in burnrate-demo $(sed -n 's/^  namespace: //p' examples/*.yaml | sort -u); do
	grep -qx "namespace/$ns" <<<"$have" || CREATED_NS+=" $ns"
done
if [ -n "$CREATED_NS" ]; then
	for ns in $CREATED_NS; do printf -- '---\napiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n' "$ns"; done |
		kubectl create -f - >/dev/null || die "cannot create the namespaces$CREATED_NS"
fi
# the examples' base, with every receiver a webhook and timing fit for a demo: the
# page goes out 1 s after it fires, a ticket only after 60 s (long enough for its
# page to inhibit it)
python3 - "$HOOK" examples/alertmanager/base-secret.yaml >"$OUT/base-secret.yaml" <<'PY' || die "cannot write the demo's Alertmanager base"
import sys, yaml
hook, path = sys.argv[1], sys.argv[2]
doc = yaml.safe_load(open(path))
am = yaml.safe_load(doc["stringData"]["alertmanager.yaml"])
am.pop("global", None)
am["receivers"] = [{"name": r["name"], "webhook_configs": [{"url": "%s/%s" % (hook, r["name"])}]}
                   for r in am["receivers"]]
policy = yaml.safe_load(doc["stringData"]["burnrate.yaml"])
policy["timing"] = {"page": {"group_wait": "1s", "group_interval": "10s", "repeat_interval": "1h"},
                    "ticket": {"group_wait": "60s", "group_interval": "1m", "repeat_interval": "1h"}}
doc["stringData"] = {"alertmanager.yaml": yaml.safe_dump(am), "burnrate.yaml": yaml.safe_dump(policy)}
doc["metadata"]["namespace"] = "burnrate-demo"
print(yaml.safe_dump(doc))
PY
kubectl apply -f "$OUT/base-secret.yaml" >/dev/null || die "cannot apply the Alertmanager base Secret"

UI_PORT=$(free_port)
UI=http://127.0.0.1:$UI_PORT
"$BR" controller --prometheus-url "$PROM" --budget-interval 5s \
	--alertmanager-base-secret burnrate-demo/alertmanager-base --alertmanager-secret burnrate-demo/alertmanager \
	--metrics-bind-address 127.0.0.1:0 --health-probe-bind-address 0 --log-format text \
	--ui-bind-address "127.0.0.1:$UI_PORT" >"$OUT/logs/controller.log" 2>&1 &
started controller $! "$UI_PORT"
python3 hack/demo/sync.py "$OUT/prometheus/rules.yml" "$PROM" "$OUT/alertmanager/alertmanager.yml" "$AMURL" \
	burnrate-demo/alertmanager >"$OUT/logs/sync.log" 2>&1 &
started sync $!
say "demo: burnrate controller running (routing and budget status on; log: $OUT/logs/controller.log)"
await_up 20 curl -s "$UI/" -o /dev/null || die "the controller's web UI did not start: $(tail -5 "$OUT/logs/controller.log")"
say "demo: the controller's web UI on $UI (DEMO_KEEP=1 keeps everything running at the end, to browse it)"

# 5. the examples
for f in examples/*.yaml; do cp "$f" "$OUT/examples/"; done
step kubectl apply -f examples/
kubectl apply -f "$OUT/examples" || die "kubectl apply -f examples/ failed"
APPLIED=1
N=$(ls examples/*.yaml | wc -l)
all_ready() {
	[ "$(kubectl get slo -A -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' |
		grep -c '^True$')" = "$N" ]
}
wait_until 60 all_ready || die "not every SLO became Ready: $(kubectl get slo -A 2>&1)"
# the budget left, as kubectl get slo shows it ("80.0%"), without the % sign
budget_of() { kubectl -n "$TNS" get slo "$TNAME" -o jsonpath='{.status.budget.remainingPercent}' 2>/dev/null | tr -d '%'; }
# the budget group must have run once and the controller read it
budgets_known() {
	[ "$(kubectl get slo -A -o jsonpath='{range .items[*]}{.status.budget.remainingPercent}{"\n"}{end}' | grep -c .)" -ge "$((N - 1))" ] &&
		[ -n "$(budget_of)" ]
}
say "demo: waiting for Prometheus to evaluate the budgets (the rules' first run, up to 30 s)"
wait_until 120 budgets_known || die "no budget in status: $(kubectl get slo -A 2>&1; tail -3 "$OUT/logs/controller.log")"
step kubectl get slo -A
kubectl get slo -A
BEFORE=$(budget_of)

# 6. the outage
eval "$(python3 hack/demo/traffic.py describe "$TARGET")"
objective=$(kubectl -n "$TNS" get slo "$TNAME" -o jsonpath='{.spec.objective}')
python3 - "$objective" "$svc_rate" "$TARGET" <<'PY'
import sys
o, rate, target = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
eb = 1 - o / 100
thr = 14.4 * eb
print("""
demo: outage: every request of %s fails from now on (%.0f requests/s).
      The math (SRE Workbook, default table): objective %g%% leaves an error budget of
      %.4g%%. The page row fires when more than 14.4 x %.4g%% = %.4g%% of requests fail
      over both the last 1h and the last 5m. At 100%% errors the 1h window gets there
      after 1h x %.4g%% = %.1f s of outage; then up to 10 s until Prometheus scrapes,
      30 s until it evaluates the rules, 1 s of Alertmanager group_wait.""" % (
    target, rate, o, eb * 100, eb * 100, thr * 100, thr * 100, 3600 * thr))
PY
# the exporter reads this file at every scrape: replace it in one step, or a scrape
# that lands between truncate and write sees no outage, and its counters step back
# (which Prometheus reads as a reset). The times in it are taken before it is
# written, and a scrape may come in between (more likely on a loaded machine): the
# exporter then starts (or ends) the outage at that scrape, not earlier, since
# applying it earlier would take back good requests already served (traffic.py,
# Served), and Prometheus would read the step back as a reset: minus billions of
# burn rate, no page
set_outage() { echo "$1" >"$OUT/outage.tmp" && mv "$OUT/outage.tmp" "$OUT/outage"; }
OUTAGE_AT=$(date +%s)
set_outage "$TARGET $OUTAGE_AT"
burn() { # burn WINDOW: the burn rate over a window, from the recorded ratio
	curl -sf "$PROM/api/v1/query" --data-urlencode \
		"query=burnrate:sli_error_ratio:rate$1{slo=\"$TNAME\",slo_namespace=\"$TNS\"} / (1 - $objective/100)" |
		python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print("%.1fx" % float(r[0]["value"][1]) if r else "-")'
}
alert_state() { # alert_state SEVERITY: firing, pending or -
	curl -sf "$PROM/api/v1/alerts" | python3 -c '
import json,sys
sev, slo, ns = sys.argv[1:]
st = [a["state"] for a in json.load(sys.stdin)["data"]["alerts"]
      if a["labels"].get("slo") == slo and a["labels"].get("slo_namespace") == ns
      and a["labels"].get("burnrate_severity") == sev]
print(st[0] if st else "-")' "$1" "$TNAME" "$TNS"
}
delivered() { # delivered SEVERITY: the receiver it reached, or nothing
	python3 - "$OUT/logs/webhook.log" "$TNAME" "$TNS" "$1" <<'PY'
import json, sys
log, slo, ns, sev = sys.argv[1:]
for line in open(log):
    n = json.loads(line)
    if any(a.get("slo") == slo and a.get("slo_namespace") == ns and a.get("burnrate_severity") == sev
           for a in n["alerts"] or []):
        print(n["path"].strip("/"))
        break
PY
}
am_alerts() { # what Alertmanager holds of the SLO: "page:active ticket:suppressed(...)"
	curl -sf "$AMURL/api/v2/alerts?filter=slo=\"$TNAME\"" | python3 -c '
import json,sys
print(" ".join(sorted(set(a["labels"].get("burnrate_severity","?") + ":" + a["status"]["state"]
                          + ("(inhibited by its page)" if a["status"].get("inhibitedBy") else "")
                          for a in json.load(sys.stdin)))))'
}
PAGE_AT= TICKET_FIRED=0 RECEIVER= inhibited=
while [ $(($(date +%s) - OUTAGE_AT)) -lt 180 ]; do
	page=$(alert_state page) ticket=$(alert_state ticket)
	[ "$ticket" = firing ] && TICKET_FIRED=1
	rcv=$(delivered page)
	if [ -n "$rcv" ] && [ -z "$PAGE_AT" ]; then
		PAGE_AT=$(($(date +%s) - OUTAGE_AT)) RECEIVER=$rcv
		at "PAGE delivered to receiver $rcv: $(python3 -c '
import json,sys
for line in open(sys.argv[1]):
    for a in json.loads(line)["alerts"] or []:
        if a.get("slo") == sys.argv[2] and a.get("burnrate_severity") == "page":
            print("%s{severity=%s, slo=%s/%s, service=%s}" % (a["alertname"], a.get("severity"),
                  a["slo_namespace"], a["slo"], a.get("service")))
            sys.exit()' "$OUT/logs/webhook.log" "$TNAME")"
	fi
	at "burn rate 1h $(burn 1h), 5m $(burn 5m) | page alert: $page, ticket alert: $ticket | budget left in kubectl get slo: $(budget_of)%"
	# done once Alertmanager holds the ticket and says its page inhibits it
	inhibited=$(am_alerts)
	# Alertmanager holds only what Prometheus sent as firing: a ticket there fired,
	# even when it turned firing after this round's look at Prometheus
	[[ $inhibited == *ticket:* ]] && TICKET_FIRED=1
	[ -n "$PAGE_AT" ] && [[ $inhibited == *"ticket:suppressed(inhibited by its page)"* ]] && break
	sleep 5
done
at "Alertmanager holds: ${inhibited:-nothing}"
TICKET_DELIVERED=$(delivered ticket)

# 7. the end of the outage, and the budget it cost
set_outage "$TARGET $OUTAGE_AT $(date +%s)"
at "outage over"
dropped() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[2] or 100) < float(sys.argv[1]) - 0.5 else 1)' "$BEFORE" "$(budget_of)"; }
wait_until 90 dropped
AFTER=$(budget_of)
DROPPED=0
dropped && DROPPED=1
step kubectl get slo -A
kubectl get slo -A

curl -sf "$UI/slo/$TNS/$TNAME" -o "$OUT/ui-slo.html" && grep -q '<svg' "$OUT/ui-slo.html" &&
	say "demo: the UI's page of $TARGET, with its burn-down: $UI/slo/$TNS/$TNAME (saved in $OUT/ui-slo.html)"
if [ "${DEMO_KEEP:-0}" = 1 ]; then
	say "demo: everything keeps running: $UI, Prometheus $PROM, Alertmanager $AMURL; Ctrl-C ends it"
	wait "${PIDS[@]}" 2>/dev/null
fi

# 8. the summary
stop_all
say ""
say "demo: logs in $OUT/logs, rules and configuration in $OUT/prometheus and $OUT/alertmanager"
ok=1
SUMMARY="demo: $N SLOs Ready"
if [ -n "$PAGE_AT" ]; then SUMMARY+=", page for $TARGET delivered to $RECEIVER ${PAGE_AT}s after the outage began"
else SUMMARY+=", NO page for $TARGET delivered"; ok=0; fi
if [ "$TICKET_FIRED" = 1 ] && [ -z "$TICKET_DELIVERED" ] && [[ $inhibited == *"inhibited by its page"* ]]; then
	SUMMARY+=", ticket inhibited"
else SUMMARY+=", ticket NOT inhibited (fired: $TICKET_FIRED, delivered to: ${TICKET_DELIVERED:-none})"; ok=0; fi
SUMMARY+=", budget left ${BEFORE}% -> ${AFTER}%"
[ "$DROPPED" = 1 ] || { SUMMARY+=" (did not drop)"; ok=0; }
say "$SUMMARY"
say "demo: took $(($(date +%s) - T0))s"
[ "$ok" = 1 ]
