#!/usr/bin/env bash
# burnrate as a user installs it. On a real cluster: `kubectl apply --server-side -k deploy/`
# and `helm install` of charts/burnrate succeed without the CRD and with it, and so does
# `kubectl apply -f crds/`; then the controller runs as the Deployment runs it: the
# Deployment's own arguments, in-cluster configuration with the ServiceAccount's token
# (`kubectl create token`), every request judged by the real authorizer. SLOs become Ready,
# an impossible one is reported, no request is refused (no 401/403 at the fault proxy), it
# holds its Lease, and `kubectl auth can-i` says the ServiceAccount can do what it needs and
# nothing more. The fake API server serves no apps/v1, RBAC or TokenRequest: there the
# controller runs with the arguments of deploy/deployment.yaml and a token the fake is told
# to accept, and the install and RBAC checks are left to the real server (said in the output).
# Deletes the SLO CRD on a real cluster, so it runs after the other scripts.
# e2e: last
set -u
source "$E2E_LIB"
source "$(dirname "$0")/controller_lib.sh"
ctl_binary
src=$BURNRATE_SOURCE_DIR
NS=$E2E_NAMESPACE
INS=burnrate
SA=system:serviceaccount:$INS:burnrate
CRD=servicelevelobjectives.burnrate.dev

crd_gone() { ! kubectl get crd "$CRD" >/dev/null 2>&1; }
delete_crd() {
	kubectl delete crd "$CRD" --ignore-not-found --timeout=60s >/dev/null || fail "cannot delete the CRD"
	wait_for 30 crd_gone || fail "the CRD is still there"
}
established() { kubectl wait --for condition=established --timeout=60s "crd/$CRD" >/dev/null; }

if [ "$E2E_MODE" = cluster ]; then
	others=$(kubectl get slo -A -o 'jsonpath={range .items[*]}{.metadata.namespace}{"\n"}{end}' 2>/dev/null | grep -v '^e2e-' | sort -u)
	[ -z "$others" ] || fail "SLOs outside the test namespaces ($others): this test deletes the CRD; run it on a test cluster"
	tools=$(bash "$src/hack/tools.sh") || fail "hack/tools.sh (helm)"
	export HELM_CACHE_HOME=$CTL_DIR/helm HELM_CONFIG_HOME=$CTL_DIR/helm HELM_DATA_HOME=$CTL_DIR/helm
	helm() { "$tools/bin/helm" "$@"; }

	delete_crd
	kubectl apply --server-side -k "$src/deploy" >"$CTL_DIR/apply1" 2>&1 || { cat "$CTL_DIR/apply1" >&2; fail "apply -k deploy/ without the CRD"; }
	established || fail "deploy/'s CRD not established"
	kubectl apply --server-side -k "$src/deploy" >"$CTL_DIR/apply2" 2>&1 || { cat "$CTL_DIR/apply2" >&2; fail "apply -k deploy/ with the CRD"; }
	kubectl apply -f "$src/crds/" >"$CTL_DIR/apply3" 2>&1 || { cat "$CTL_DIR/apply3" >&2; fail "kubectl apply -f crds/ with the CRD"; }
	echo "kubectl apply --server-side -k deploy/ (without and with the CRD), apply -f crds/: ok"

	helm install e2e-helm "$src/charts/burnrate" -n "$NS" >"$CTL_DIR/helm1" 2>&1 || { cat "$CTL_DIR/helm1" >&2; fail "helm install with the CRD"; }
	helm uninstall e2e-helm -n "$NS" >/dev/null || fail "helm uninstall"
	delete_crd
	helm install e2e-helm "$src/charts/burnrate" -n "$NS" >"$CTL_DIR/helm2" 2>&1 || { cat "$CTL_DIR/helm2" >&2; fail "helm install without the CRD"; }
	established || fail "the chart's CRD not established"
	helm uninstall e2e-helm -n "$NS" >/dev/null || fail "helm uninstall"
	kubectl apply --server-side -k "$src/deploy" >/dev/null 2>&1 || fail "apply -k deploy/ again"
	kubectl explain slo.spec.indicator.ratio | grep -q 'errors' || fail "kubectl explain does not describe the indicator"
	echo "helm install (with and without the CRD), kubectl explain: ok"

	# where pods can run, the installed ones would contend for the Lease: this test runs its own
	kubectl -n "$INS" scale deployment/burnrate --replicas=0 >/dev/null || fail "scale to 0"
	deployment=$(kubectl -n "$INS" get deployment burnrate -o json) || fail "no Deployment"
	token=$(kubectl -n "$INS" create token burnrate --duration=1h) || fail "kubectl create token"
else
	echo "fake API server: no apps/v1, RBAC or TokenRequest; install and RBAC checks run on a real cluster"
	e2e_apply_crds || fail "cannot apply the CRDs"
	kubectl create namespace "$INS" >/dev/null 2>&1
	deployment=$(python3 -c 'import json,sys,yaml; print(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"]=="Deployment"][0]))' "$src/deploy/deployment.yaml")
	token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	fake_admin /fake/token "{\"token\": \"$token\", \"keepOld\": true}" >/dev/null || fail "token"
fi

# The container's arguments, with the ports moved to free ones on 127.0.0.1.
mapfile -t args < <(python3 -c '
import json, sys
c = json.loads(sys.argv[1])["spec"]["template"]["spec"]["containers"][0]
for a in c["args"]:
    if a.startswith(("--metrics-bind-address=", "--health-probe-bind-address=")):
        a = a.split("=")[0] + "=127.0.0.1:0"
    print(a)' "$deployment")
[ "${args[0]}" = controller ] || fail "the Deployment does not run burnrate controller: ${args[*]}"
sa=$CTL_DIR/serviceaccount
mkdir -p "$sa"
printf '%s' "$token" >"$sa/token"
cp "$PROXY_CA" "$sa/ca.crt"
printf '%s' "$INS" >"$sa/namespace"
KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$PROXY_PORT BR_KUBE_SA_DIR=$sa \
	POD_NAMESPACE=$INS KUBECONFIG='' "$BR" "${args[@]}" >"$CTL_DIR/installed.log" 2>&1 &
pid=$!
CTL_PIDS+=("$pid")
fake_admin /fake/reset-requests >/dev/null

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
wait_for 60 is checkout True || { tail -n 20 "$CTL_DIR/installed.log" >&2; fail "checkout never Ready"; }
[ "$(jpath prometheusrule checkout '{.metadata.labels.release}')" = kube-prometheus-stack ] ||
	fail "PrometheusRule lacks release=kube-prometheus-stack (the Deployment's --rule-label)"
[ "$(jpath prometheusrule checkout '{.metadata.ownerReferences[0].kind}')" = ServiceLevelObjective ] ||
	fail "PrometheusRule not owned by its SLO"
echo "Ready with its PrometheusRule, as the Deployment runs it: ok"

# schema-valid but impossible: a 90% objective cannot page at 14.4x (f * eb >= 1)
slo hopeless 90 | kubectl apply -f - >/dev/null || fail "apply invalid SLO"
wait_for 60 is hopeless False || fail "an SLO that cannot fire never became Ready=False"
echo "invalid SLO reported: $(cond hopeless reason)"

holder=$(kubectl -n "$INS" get lease burnrate-controller -o 'jsonpath={.spec.holderIdentity}')
[ -n "$holder" ] || fail "nobody holds the Lease"
[ "${holder##*_}" = "$pid" ] || fail "the Lease holder $holder is not this controller (pid $pid)"
mp=$(ctl_port installed metrics)
curl -sf "http://127.0.0.1:$mp/metrics" | grep -q '^burnrate_leader 1' || fail "not leading by its metrics"
echo "leader: $holder"

refused=$(fake_admin /fake/requests | python3 -c '
import json, sys
print(" ".join("%s %s/%s: %d" % (b["verb"], b["resource"], b["subresource"], b["code"])
               for b in json.load(sys.stdin)["by"] if b["code"] in (401, 403)))')
[ -z "$refused" ] || fail "requests refused: $refused"
grep -qi 'forbidden\|unauthorized' "$CTL_DIR/installed.log" && { cat "$CTL_DIR/installed.log" >&2; fail "a refusal in the log"; }
echo "no request refused: ok"

if [ "$E2E_MODE" = cluster ]; then
	can() { kubectl auth can-i --as="$SA" "$@" 2>/dev/null; }
	for yes in "list servicelevelobjectives.burnrate.dev -A" "watch servicelevelobjectives.burnrate.dev -A" \
		"update servicelevelobjectives.burnrate.dev --subresource=status -n $NS" \
		"patch prometheusrules.monitoring.coreos.com -n $NS" "create prometheusrules.monitoring.coreos.com -n $NS" \
		"create events -n $NS" "get leases.coordination.k8s.io/burnrate-controller -n $INS" \
		"update leases.coordination.k8s.io/burnrate-controller -n $INS"; do
		[ "$(can $yes)" = yes ] || fail "the service account cannot $yes"
	done
	for no in "get secrets -n $NS" "get secrets -n $INS" "list secrets -A" "watch secrets -A" \
		"delete servicelevelobjectives.burnrate.dev -n $NS" "delete prometheusrules.monitoring.coreos.com -n $NS" \
		"delete leases.coordination.k8s.io/burnrate-controller -n $INS" "delete events -n $NS" \
		"delete namespaces" "deletecollection prometheusrules.monitoring.coreos.com -n $NS" \
		"update servicelevelobjectives.burnrate.dev -n $NS" "update leases.coordination.k8s.io/other -n $INS" \
		"update leases.coordination.k8s.io/burnrate-controller -n $NS" "create pods -n $NS"; do
		[ "$(can $no)" = no ] || fail "the service account can $no"
	done
	echo "RBAC on the real authorizer, as granted and no more: ok"
fi

kill -TERM "$pid"
wait "$pid" || fail "the controller exited $? after SIGTERM"
grep -q 'Sanitizer' "$CTL_DIR/installed.log" && { cat "$CTL_DIR/installed.log" >&2; fail "sanitizer report"; }
echo "installed: ok"
