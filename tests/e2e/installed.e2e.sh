#!/usr/bin/env bash
# burnrate as installed from deploy/ (or the chart) on a real cluster: the in-cluster
# controller makes an SLO Ready with its PrometheusRule, reports an invalid one, holds
# the Lease, serves metrics, and its service account can do what it needs and no more.
# Runs in cluster mode when tests/deploy/cluster.sh has applied deploy/ (Deployment
# burnrate in namespace burnrate, or BURNRATE_INSTALL_NAMESPACE); skipped otherwise.
set -u
source "$E2E_LIB"
INS=${BURNRATE_INSTALL_NAMESPACE:-burnrate}
[ "${E2E_MODE:-fake}" = cluster ] || { echo "needs a real cluster with deploy/ applied (tests/deploy/cluster.sh): skipped"; exit 77; }
ready=$(kubectl -n "$INS" get deployment burnrate -o 'jsonpath={.status.readyReplicas}' 2>/dev/null)
[ "${ready:-0}" -ge 1 ] || { echo "no ready burnrate Deployment in namespace $INS: skipped"; exit 77; }
NS=$E2E_NAMESPACE
SA=system:serviceaccount:$INS:burnrate

slo() {
	cat <<YAML
apiVersion: burnrate.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: $1, namespace: $NS}
spec:
  service: $1
  objective: $2
  indicator:
    ratio:
      errors: http_requests_total{job="$1",code=~"5.."}
      total: http_requests_total{job="$1"}
YAML
}
cond() { kubectl -n "$NS" get slo "$1" -o "jsonpath={.status.conditions[?(@.type==\"Ready\")].$2}" 2>/dev/null; }
is() { [ "$(cond "$1" status)" = "$2" ]; }

slo checkout 99.5 | kubectl apply -f - >/dev/null || fail "apply SLO"
wait_for 60 is checkout True || fail "checkout never Ready (in-cluster controller)"
[ "$(kubectl -n "$NS" get prometheusrule checkout -o 'jsonpath={.metadata.labels.release}')" = kube-prometheus-stack ] ||
	fail "PrometheusRule lacks release=kube-prometheus-stack"
[ "$(kubectl -n "$NS" get prometheusrule checkout -o 'jsonpath={.metadata.ownerReferences[0].kind}')" = ServiceLevelObjective ] ||
	fail "PrometheusRule not owned by its SLO"
echo "Ready with its PrometheusRule: ok"

# schema-valid but impossible: a 90% objective cannot page at 14.4x (f * eb >= 1)
kubectl -n "$NS" apply -f - >/dev/null <<YAML || fail "apply invalid SLO"
apiVersion: burnrate.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: hopeless, namespace: $NS}
spec:
  service: hopeless
  objective: 90
  indicator:
    ratio:
      errors: http_requests_total{job="x",code=~"5.."}
      total: http_requests_total{job="x"}
  alerting:
    windows:
    - {severity: page, long: 1h, short: 5m, burnRate: 14.4}
YAML
wait_for 60 is hopeless False || fail "an SLO that cannot fire never became Ready=False"
echo "invalid SLO reported: $(cond hopeless reason)"

holder=$(kubectl -n "$INS" get lease burnrate-controller -o 'jsonpath={.spec.holderIdentity}')
[ -n "$holder" ] || fail "nobody holds the Lease"
kubectl -n "$INS" get pod -l app.kubernetes.io/name=burnrate -o name | grep -q "${holder%%_*}" ||
	fail "the Lease holder $holder is not a burnrate pod"
echo "leader: $holder"

kubectl get --raw "/api/v1/namespaces/$INS/services/burnrate:8080/proxy/metrics" >"${TMPDIR:-/tmp}/br-metrics.$$" ||
	fail "metrics through the Service"
grep -q '^burnrate_leader' "${TMPDIR:-/tmp}/br-metrics.$$" || fail "no burnrate_leader metric"
rm -f "${TMPDIR:-/tmp}/br-metrics.$$"
echo "metrics through the Service: ok"

can() { kubectl auth can-i --as="$SA" "$@" 2>/dev/null; }
for yes in "list servicelevelobjectives.burnrate.dev -A" "watch servicelevelobjectives.burnrate.dev -A" \
	"update servicelevelobjectives.burnrate.dev --subresource=status -n $NS" \
	"patch prometheusrules.monitoring.coreos.com -n $NS" "create prometheusrules.monitoring.coreos.com -n $NS" \
	"create events -n $NS" "get leases.coordination.k8s.io/burnrate-controller -n $INS"; do
	[ "$(can $yes)" = yes ] || fail "the service account cannot $yes"
done
for no in "get secrets -n $NS" "list secrets -A" "delete prometheusrules.monitoring.coreos.com -n $NS" \
	"update servicelevelobjectives.burnrate.dev -n $NS" "get leases.coordination.k8s.io/other -n $INS" \
	"create pods -n $NS"; do
	[ "$(can $no)" = no ] || fail "the service account can $no"
done
echo "RBAC as granted: ok"

kubectl -n "$INS" get pods -l app.kubernetes.io/name=burnrate -o json | python3 -c '
import json, sys
for p in json.load(sys.stdin)["items"]:
    c = p["spec"]["containers"][0]
    assert p["spec"]["securityContext"]["runAsNonRoot"], "runAsNonRoot"
    assert c["securityContext"]["readOnlyRootFilesystem"], "readOnlyRootFilesystem"
    assert all(s.get("ready") for s in p["status"].get("containerStatuses", [])) or p["status"]["phase"] != "Running", "not ready"
' || fail "pod settings"
echo "installed: ok"
