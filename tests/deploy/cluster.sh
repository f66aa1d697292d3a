#!/usr/bin/env bash
# The end-to-end suite against a real cluster with burnrate installed from deploy/.
#
#   KUBECONFIG=... [BURNRATE_IMAGE=registry/burnrate:tag] tests/deploy/cluster.sh [--keep]
#
# 1. kubectl apply --server-side -k deploy/ (CRD, namespace burnrate, RBAC, Deployment,
#    Service; the ServiceMonitor and PrometheusRule when prometheus-operator's CRDs are
#    there, which burnrate needs anyway), the image set to BURNRATE_IMAGE when given;
#    waits for the rollout.
# 2. scales the Deployment to 0 and runs tests/e2e/run.sh, whose scripts start their own
#    controller (two controllers would reconcile the same SLOs); installed.e2e.sh runs it
#    with the Deployment's arguments and its ServiceAccount's token.
# 3. with --keep scales it back to 2; else deletes the installation but not the CRD.
# Exit: 0 passed, 1 failed, 77 skipped (no KUBECONFIG, or kubectl missing).
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
[ -n "${KUBECONFIG:-}" ] || { echo "KUBECONFIG not set: no cluster to install on; skipped"; exit 77; }
command -v kubectl >/dev/null || { echo "kubectl missing: skipped"; exit 77; }
keep=${1:-}
kubectl version >/dev/null 2>&1 || { echo "cluster.sh: cannot reach the cluster in $KUBECONFIG" >&2; exit 1; }
kubectl get crd prometheusrules.monitoring.coreos.com >/dev/null 2>&1 ||
	kubectl apply --server-side -f "$src/tests/fakeapi/crds/prometheusrules.crd.yaml" >/dev/null || exit 1

echo "== install deploy/"
kubectl apply --server-side -f "$src/deploy/namespace.yaml" -f "$src/deploy/crd.yaml" || exit 1
kubectl wait --for condition=established --timeout=60s crd/servicelevelobjectives.burnrate.dev || exit 1
if kubectl get crd servicemonitors.monitoring.coreos.com >/dev/null 2>&1; then
	kubectl apply --server-side -k "$src/deploy" || exit 1
else
	echo "(no ServiceMonitor CRD: deploy/monitoring.yaml left out)"
	kubectl kustomize "$src/deploy" | python3 -c '
import sys, yaml
docs = [d for d in yaml.safe_load_all(sys.stdin) if d and d["kind"] != "ServiceMonitor"]
yaml.safe_dump_all(docs, sys.stdout)' | kubectl apply --server-side -f - || exit 1
fi
if [ -n "${BURNRATE_IMAGE:-}" ]; then
	kubectl -n burnrate set image deployment/burnrate "burnrate=$BURNRATE_IMAGE" || exit 1
fi
kubectl -n burnrate rollout status deployment/burnrate --timeout=180s || {
	kubectl -n burnrate get pods -o wide
	kubectl -n burnrate logs -l app.kubernetes.io/name=burnrate --tail=30
	exit 1
}

rc=0
echo "== the suite (installed controller scaled to 0: the scripts run their own, installed.e2e.sh"
echo "   as the Deployment runs it, with its ServiceAccount's token)"
kubectl -n burnrate scale deployment/burnrate --replicas=0 >/dev/null
kubectl -n burnrate rollout status deployment/burnrate --timeout=60s >/dev/null
bash "$src/tests/e2e/run.sh"
r=$?
[ $r -eq 0 ] || [ $r -eq 77 ] || rc=1

if [ "$keep" = --keep ]; then
	kubectl -n burnrate scale deployment/burnrate --replicas=2 >/dev/null
	echo "kept the installation (scaled back to 2)"
else
	# everything but the CRD: deleting it would delete every SLO in the cluster
	kubectl kustomize "$src/deploy" | python3 -c '
import sys, yaml
docs = [d for d in yaml.safe_load_all(sys.stdin) if d and d["kind"] != "CustomResourceDefinition"]
yaml.safe_dump_all(docs, sys.stdout)' | kubectl delete -f - --ignore-not-found --wait=false >/dev/null 2>&1
	echo "removed the installation (the CRD and SLOs stay)"
fi
exit $rc
