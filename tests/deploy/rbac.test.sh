#!/usr/bin/env bash
# RBAC against what the code calls. For each set of chart values below, runs
# `burnrate controller` with the arguments of the rendered Deployment against the fake API
# server (tests/fakeapi, --verbose: it logs every request), makes it use every API call
# it has (Lease election and release, SLO list/watch, PrometheusRule create by server-side
# apply, status update, an Event for an invalid SLO, and with routing the Alertmanager
# Secrets), then checks with rbac_check.py that the rendered RBAC allows every request
# and grants nothing that went unused (a BudgetCorrection in each namespace, whose status
# it writes).
#
# Scenarios: the default values (deploy/: all namespaces, leader election), watched
# namespaces with alert routing and the Prometheus budget, and target=victoriametrics
# (VMRules instead of PrometheusRules). When this build's
# `burnrate controller --help` lacks the routing or budget flags, the second scenario
# runs without them and the test exits 77 (skipped) after passing the rest.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
deploy_tools
BR=${BURNRATE:-$src/build/cmd/burnrate/burnrate}
[ -x "$BR" ] || { echo "burnrate binary not found (set BURNRATE): skipped"; exit 77; }
command -v kubectl >/dev/null || { echo "kubectl missing: skipped"; exit 77; }
command -v openssl >/dev/null || { echo "openssl missing: skipped"; exit 77; }
source "$src/tests/e2e/lib.sh"
trap 'stop_fakeapi; rm -rf "$work"' EXIT

help=$("$BR" controller --help)
has_flag() { grep -q -- "--$1\b" <<<"$help"; }
routing=0 budget=0
has_flag alertmanager-base-secret && has_flag alertmanager-secret && routing=1
has_flag prometheus-url && budget=1

# the fake server counts; wait until the controller did at least N of VERB on RESOURCE
count() {
	fake_admin /fake/requests | python3 -c '
import json, sys
v, r, s = sys.argv[1:]
print(sum(b["count"] for b in json.load(sys.stdin)["by"]
          if b["verb"] == v and b["resource"] == r and b["subresource"] == s and b["code"] < 300))' "$@"
}
at_least() { [ "$(count "$2" "$3" "${4:-}")" -ge "$1" ]; }

slo() { # NAME NAMESPACE OBJECTIVE [RECEIVER]
	cat <<YAML
apiVersion: burnrate.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: $1, namespace: $2}
spec:
  service: $1
  objective: $3
  indicator:
    ratio:
      errors: http_requests_total{job="$1",code=~"5.."}
      total: http_requests_total{job="$1"}
YAML
	[ -z "${4:-}" ] || printf '  alerting:\n    page: {receiver: %s}\n    ticket: {receiver: %s}\n' "$4" "$4"
}

correction() { # NAMESPACE: a BudgetCorrection selecting every SLO there
	cat <<YAML
apiVersion: burnrate.dev/v1alpha1
kind: BudgetCorrection
metadata: {name: maintenance, namespace: $1}
spec:
  selector: {}
  reason: maintenance
  windows: [{schedule: "0 2 * * SUN", duration: 2h}]
YAML
}

base_secret() { # NAMESPACE NAME
	cat <<YAML
apiVersion: v1
kind: Secret
metadata: {name: $2, namespace: $1}
stringData:
  alertmanager.yaml: |
    route:
      receiver: default
      group_by: [alertname, slo_namespace, slo]
    receivers:
    - name: default
    - name: payments-pager
  burnrate.yaml: |
    receivers:
      payments-pager: [payments, search]
YAML
}

# scenario NAME SA_NAMESPACE WATCHED_NAMESPACES(space-separated) HELM_ARGS...
scenario() {
	local name=$1 sa_ns=$2 watched=$3
	shift 3
	render "$@" >"$work/$name.yaml" || fail "$name: helm template"
	start_fakeapi --verbose >/dev/null || fail "$name: fakeapi"
	local nss="$sa_ns burnrate-system monitoring payments search"
	for ns in $nss; do kubectl create namespace "$ns" >/dev/null; done
	for ns in payments search; do # in each: a valid SLO, and an invalid one (an Event)
		slo checkout "$ns" 99.5 payments-pager | kubectl apply -f - >/dev/null
		slo broken "$ns" 10 | kubectl apply -f - >/dev/null  # the CRD takes it; burnrate cannot page at 10%
		correction "$ns" | kubectl apply -f - >/dev/null
	done
	[ "$routing" = 1 ] && base_secret monitoring alertmanager-base | kubectl apply -f - >/dev/null

	python3 - "$work/$name.yaml" "$KUBECONFIG" >"$work/$name.args" <<'PY'
import sys, yaml
dep = next(d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "Deployment")
for a in dep["spec"]["template"]["spec"]["containers"][0]["args"]:
    if a.startswith(("--metrics-bind-address=", "--health-probe-bind-address=")):
        a = a.split("=")[0] + "=127.0.0.1:0"
    print(a)
print("--kubeconfig=" + sys.argv[2])
PY
	local offset
	offset=$(wc -l <"$FAKEAPI_DIR/stderr")
	mapfile -t args <"$work/$name.args"
	"$BR" "${args[@]}" >"$work/$name.log" 2>&1 &
	local pid=$!
	local ok=1
	wait_for 30 at_least 1 create coordination.k8s.io/leases &&
		wait_for 30 at_least 2 apply "${RULES:-monitoring.coreos.com/prometheusrules}" &&
		wait_for 30 at_least 4 update burnrate.dev/servicelevelobjectives status &&
		wait_for 30 at_least 2 create events &&
		wait_for 30 at_least 2 update burnrate.dev/budgetcorrections status || ok=0
	# the Secret is written only where the chart's values turn routing on
	if [ "$ok" = 1 ] && grep -q -- '^--alertmanager-secret' "$work/$name.args"; then
		wait_for 30 at_least 1 apply secrets || ok=0
	fi
	sleep 3 # a lease renewal and the watches settle
	kill -TERM "$pid"
	wait "$pid" || ok=0
	[ "$ok" = 1 ] || { cat "$work/$name.log"; fail "$name: the controller did not make the expected calls"; }
	tail -n +"$((offset + 1))" "$FAKEAPI_DIR/stderr" >"$work/$name.requests"
	stop_fakeapi
	echo "== $name: $(grep -c '^fakeapi: "' "$work/$name.requests") requests"
	local checked=$work/$name.yaml
	python3 "$src/tests/deploy/rbac_check.py" "$checked" "$work/$name.requests" "$sa_ns" burnrate ||
		{ grep '^fakeapi: "' "$work/$name.requests" | sort | uniq -c; fail "$name: RBAC and the calls disagree"; }
}

# every flag the chart can render (values-full.yaml) is one burnrate controller knows
render -f "$src/tests/deploy/values-full.yaml" | python3 -c '
import re, sys, yaml
help_text = sys.argv[1]
routing, budget = sys.argv[2] == "1", sys.argv[3] == "1"
dep = next(d for d in yaml.safe_load_all(sys.stdin) if d and d["kind"] == "Deployment")
bad = []
for a in dep["spec"]["template"]["spec"]["containers"][0]["args"][1:]:
    flag = a.split("=")[0]
    if re.search(re.escape(flag) + r"\b", help_text):
        continue
    if (not routing and flag.startswith("--alertmanager")) or (not budget and flag in (
            "--prometheus-url", "--prometheus-ca", "--prometheus-bearer-token-file", "--budget-interval",
            "--prometheus-timeout")):
        continue
    bad.append(flag)
for b in bad:
    print("FAIL: the chart renders %s, which burnrate controller does not know" % b)
sys.exit(1 if bad else 0)' "$help" "$routing" "$budget" || fail "chart arguments"
echo "chart arguments: all known to burnrate controller"

scenario default burnrate "" -f /dev/null

full=(--set "watchNamespaces={payments,search}" --set leaderElection.namespace=burnrate-system
	--set runbookBaseURL=https://runbooks.example.com/burnrate)
[ "$routing" = 1 ] && full+=(--set alertmanager.baseSecret.namespace=monitoring
	--set alertmanager.baseSecret.name=alertmanager-base
	--set alertmanager.targetSecret.namespace=monitoring
	--set alertmanager.targetSecret.name=alertmanager-burnrate)
[ "$budget" = 1 ] && full+=(--set prometheus.url=http://127.0.0.1:9)
scenario namespaced burnrate "payments search" "${full[@]}"
# target=victoriametrics: VMRules (the fake serves the operator's VMRule CRD) instead
RULES=operator.victoriametrics.com/vmrules scenario victoriametrics burnrate "" --set target=victoriametrics

if [ "$routing" = 0 ] || [ "$budget" = 0 ]; then
	echo "checked without:$([ "$routing" = 1 ] || echo " routing (--alertmanager-*)")$([ "$budget" = 1 ] || echo " budget (--prometheus-url)"): not in this build; skipped"
	exit 77
fi
echo "rbac: ok"
