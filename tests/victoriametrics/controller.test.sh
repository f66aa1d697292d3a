#!/usr/bin/env bash
# burnrate controller --target victoriametrics against the fake API server
# (tests/fakeapi, which serves the VictoriaMetrics operator's VMRule CRD from
# tests/fakeapi/crds/vmrules.crd.yaml): an SLO applied with kubectl yields a
# VMRule (server-side applied, owned by the SLO, the spec `burnrate generate
# --target victoriametrics` renders) and Ready=True; no PrometheusRule is
# written; a deleted VMRule comes back (the controller watches VMRules); the
# server validates VMRules against the CRD schema: every example's VMRule is
# accepted, a malformed one refused; a bad --target is refused by name.
# With KUBECONFIG set (and E2E_FAKE unset) it runs against that cluster instead:
# the SLO and VMRule CRDs are applied where missing (never deleted), and the
# test's namespace is deleted at the end (it passes on kube-apiserver v1.26.0 too).
set -u
here=$(cd "$(dirname "$0")" && pwd)
export BURNRATE_SOURCE_DIR=${BURNRATE_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
for c in kubectl python3 openssl; do
	command -v "$c" >/dev/null || { echo "$c missing: skipped"; exit 77; }
done
: "${BURNRATE:?BURNRATE must name the burnrate binary}"
# shellcheck source=../e2e/lib.sh
source "$here/../e2e/lib.sh"
real=
[ -n "${KUBECONFIG:-}" ] && [ -z "${E2E_FAKE:-}" ] && real=1
[ -n "$real" ] || unset KUBECONFIG
unset FAKEAPI_DIR FAKEAPI_PORT FAKEAPI_PID
T=$(mktemp -d "${TMPDIR:-/tmp}/vm-ctl.XXXXXX")
CTL= NS=
cleanup() {
	[ -z "$CTL" ] || kill -TERM "$CTL" 2>/dev/null
	if [ -n "$real" ]; then
		[ -z "$NS" ] || kubectl delete namespace "$NS" --wait=false >/dev/null 2>&1
	else
		stop_fakeapi
	fi
	rm -rf "$T"
}
trap cleanup EXIT

"$BURNRATE" controller --target vm >/dev/null 2>"$T/err" && fail "--target vm accepted"
grep -q -- '--target "vm".*prometheus, victoriametrics' "$T/err" || fail "bad --target message: $(cat "$T/err")"
echo "ok: bad --target refused naming the flag and the values"

if [ -n "$real" ]; then
	for crd in "$BURNRATE_SOURCE_DIR/tests/fakeapi/crds/vmrules.crd.yaml" "$BURNRATE_SOURCE_DIR"/crds/*.yaml; do
		kubectl get -f "$crd" >/dev/null 2>&1 || kubectl apply --server-side -f "$crd" >/dev/null ||
			fail "cannot apply $crd"
	done
	kubectl wait --for condition=established --timeout=60s -f "$BURNRATE_SOURCE_DIR/crds/" >/dev/null ||
		fail "the SLO CRD is not established"
else
	start_fakeapi || fail "fake API server did not start"
fi
kubectl wait --for condition=established --timeout=30s crd/vmrules.operator.victoriametrics.com >/dev/null ||
	fail "VMRule CRD not served"
NS=vm-$RANDOM-$$
kubectl create namespace "$NS" >/dev/null || fail "namespace"

# the CRD schema: examples' VMRules accepted, a malformed one refused
"$BURNRATE" generate --target victoriametrics -f "$BURNRATE_SOURCE_DIR/examples" 2>/dev/null |
	python3 -c '
import sys, yaml
docs = [d for d in yaml.safe_load_all(sys.stdin) if d]
for d in docs:
    d["metadata"]["namespace"] = sys.argv[1]
yaml.safe_dump_all(docs, sys.stdout)' "$NS" >"$T/examples.yaml"
n=$(grep -c '^kind: VMRule$' "$T/examples.yaml")
kubectl apply --dry-run=server -f "$T/examples.yaml" >"$T/out" 2>&1 || { cat "$T/out"; fail "VMRules refused"; }
echo "ok: the server accepts the $n examples' VMRules (--dry-run=server)"
cat >"$T/bad.yaml" <<YAML
apiVersion: operator.victoriametrics.com/v1beta1
kind: VMRule
metadata: {name: bad, namespace: $NS}
spec: {groups: [{name: g, rules: [{record: x, expr: 1, labels: [a]}]}]}
YAML
kubectl apply --dry-run=server -f "$T/bad.yaml" >"$T/out" 2>&1 && fail "a malformed VMRule was accepted"
grep -q 'spec.groups\[0\].rules\[0\].labels' "$T/out" || fail "refusal names no field: $(cat "$T/out")"
echo "ok: a malformed VMRule is refused naming spec.groups[0].rules[0].labels"

"$BURNRATE" controller --target victoriametrics --namespace "$NS" --resync 0 \
	--metrics-bind-address 127.0.0.1:0 --health-probe-bind-address 127.0.0.1:0 \
	--rule-label release=vm >"$T/ctl.log" 2>&1 &
CTL=$!
cat >"$T/slo.yaml" <<YAML
apiVersion: burnrate.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: checkout
  namespace: $NS
spec:
  service: checkout
  objective: 99.5
  indicator:
    ratio:
      errors: http_requests_total{job="checkout",code=~"5.."}
      total: http_requests_total{job="checkout"}
YAML
kubectl apply -f "$T/slo.yaml" >/dev/null || fail "apply SLO"
jp() { kubectl -n "$NS" get "$1" "$2" -o "jsonpath=$3" 2>/dev/null; }
ready() { [ "$(jp slo checkout '{.status.conditions[?(@.type=="Ready")].status}')" = True ]; }
wait_for 30 ready || { cat "$T/ctl.log"; fail "SLO never Ready"; }
kubectl -n "$NS" get vmrule checkout >/dev/null 2>&1 || fail "no VMRule"
[ "$(jp vmrule checkout '{.metadata.ownerReferences[0].kind}')" = ServiceLevelObjective ] || fail "owner"
[ "$(jp vmrule checkout '{.metadata.labels.release}')" = vm ] || fail "rule label"
[ "$(jp vmrule checkout '{.metadata.labels.app\.kubernetes\.io/managed-by}')" = burnrate ] || fail "managed-by"
[ "$(jp vmrule checkout '{.metadata.managedFields[0].manager}')" = burnrate ] || fail "field manager"
# the CRD's defaults (alert: "", record: "" on every rule) dropped before comparing
# (the controller never reads a spec back: drift is its digest annotation and generation)
spec() { python3 -c '
import json, sys, yaml
spec = yaml.safe_load(sys.stdin)["spec"]
for g in spec["groups"]:
    g["rules"] = [{k: v for k, v in r.items() if not (k in ("alert", "record") and v == "")}
                  for r in g["rules"]]
print(json.dumps(spec, sort_keys=True))'; }
want=$("$BURNRATE" generate --target victoriametrics -f "$T/slo.yaml" | spec)
have=$(kubectl -n "$NS" get vmrule checkout -o yaml | spec)
[ "$want" = "$have" ] || fail "VMRule spec differs from burnrate generate --target victoriametrics"
prs=$(kubectl -n "$NS" get prometheusrules -o name 2>"$T/prs.err")
[ -z "$prs" ] || { grep -i prometheusrule "$T/ctl.log"; cat "$T/prs.err"
	fail "a PrometheusRule was written: $prs"; }
jp slo checkout '{.status.conditions[?(@.type=="RulesReady")].message}' | grep -q '^VMRule checkout has' ||
	fail "RulesReady message: $(jp slo checkout '{.status.conditions[?(@.type=="RulesReady")].message}')"
echo "ok: SLO Ready, VMRule written (owner, labels, field manager, spec of generate), no PrometheusRule"

# nothing changed, nothing written: the server's defaults must not look like drift
count=$(grep -c 'VMRule applied' "$T/ctl.log")
sleep 3
[ "$(grep -c 'VMRule applied' "$T/ctl.log")" = "$count" ] || fail "the VMRule is written again and again"
echo "ok: one write, none while nothing changes ($count apply)"

kubectl -n "$NS" delete vmrule checkout >/dev/null || fail "delete VMRule"
back() { kubectl -n "$NS" get vmrule checkout >/dev/null 2>&1; }
wait_for 20 back || { cat "$T/ctl.log"; fail "deleted VMRule not recreated"; }
echo "ok: a deleted VMRule is written again"

kill -TERM "$CTL"; wait "$CTL"; rc=$?; CTL=
[ "$rc" = 0 ] || { tail -20 "$T/ctl.log"; fail "controller exited $rc on SIGTERM"; }
grep -q 'Sanitizer' "$T/ctl.log" && { cat "$T/ctl.log"; fail "sanitizer report"; }
echo "ok: all"
