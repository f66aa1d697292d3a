#!/usr/bin/env bash
# kubectl fidelity: the everyday kubectl verbs work on burnrate's CRD and show the right data.
# Run by tests/e2e/run.sh (fake API server or a real cluster; needs E2E_NAMESPACE, KUBECONFIG).
set -euo pipefail
# shellcheck source=../e2e/lib.sh
source "${E2E_LIB:?run me through tests/e2e/run.sh}"
command -v kubectl >/dev/null || { echo "kubectl missing"; exit 77; }
ns=${E2E_NAMESPACE:?}
src=${BURNRATE_SOURCE_DIR:?}
tmp=$(mktemp -d)
watch_pid=
cleanup() {
	[ -z "$watch_pid" ] || kill "$watch_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

step() { echo "--- $*"; }
expect() { # expect FILE REGEX: FILE's contents must match
	grep -Eq -- "$2" "$1" || { echo "expected /$2/ in:"; cat "$1"; fail "$3"; }
}

step "kubectl apply -f crds/"
kubectl apply -f "$src/crds/" >"$tmp/out"
expect "$tmp/out" 'servicelevelobjectives.burnrate.dev (created|configured|unchanged)' "CRD apply"
kubectl wait --for condition=established --timeout=60s crd/servicelevelobjectives.burnrate.dev

step "the namespace made by kubectl create namespace is Active"
[ "$(kubectl get namespace "$ns" -o jsonpath='{.status.phase}')" = Active ] || fail "namespace phase"

step "kubectl apply --server-side -f an SLO"
sed '/^  namespace:/d' "$src/examples/payments-checkout.yaml" >"$tmp/slo.yaml"
name=$(sed -n 's/^  name: //p' "$tmp/slo.yaml" | head -n 1)
kubectl apply --server-side -n "$ns" -f "$tmp/slo.yaml" >"$tmp/out"
expect "$tmp/out" "servicelevelobjective.burnrate.dev/$name serverside-applied" "SSA create"

step "kubectl get slo (and -o yaml)"
kubectl get slo -n "$ns" >"$tmp/out"
expect "$tmp/out" "^$name " "get slo lists it"
expect "$tmp/out" "^NAME +OBJECTIVE +WINDOW .*AGE" "printer columns from the CRD"
expect "$tmp/out" "^$name +99.5 +30d " "printer column values"
kubectl get slo "$name" -n "$ns" -o yaml >"$tmp/out"
expect "$tmp/out" '^  objective: 99.5$' "get -o yaml shows the spec"
expect "$tmp/out" '^  generation: 1$' "generation starts at 1"
kubectl get slo "$name" -n "$ns" -o yaml --show-managed-fields >"$tmp/out"
expect "$tmp/out" '^    manager: kubectl$' "managedFields name the apply manager"
kubectl get servicelevelobjectives.burnrate.dev -A -o name >"$tmp/out"
expect "$tmp/out" "^servicelevelobjective.burnrate.dev/$name$" "get across namespaces"

step "kubectl get --watch sees a change"
kubectl get slo "$name" -n "$ns" --watch \
	-o jsonpath='{.metadata.generation} {.spec.objective}{"\n"}' >"$tmp/watch" 2>&1 &
watch_pid=$!
wait_for 30 grep -q '^1 99.5$' "$tmp/watch" || { cat "$tmp/watch"; fail "watch: initial state"; }
kubectl patch slo "$name" -n "$ns" --type=merge -p '{"spec":{"objective":99.9}}' >/dev/null
wait_for 30 grep -q '^2 99.9$' "$tmp/watch" || { cat "$tmp/watch"; fail "watch: the change"; }
kill "$watch_pid" 2>/dev/null || true
wait "$watch_pid" 2>/dev/null || true
watch_pid=

step "kubectl patch --subresource=status --type=merge"
kubectl patch slo "$name" -n "$ns" --subresource=status --type=merge \
	-p '{"status":{"observedGeneration":2}}' >"$tmp/out"
expect "$tmp/out" "servicelevelobjective.burnrate.dev/$name patched" "status patch"
got=$(kubectl get slo "$name" -n "$ns" -o jsonpath='{.metadata.generation} {.status.observedGeneration}')
[ "$got" = "2 2" ] || fail "status patch must not bump generation: got '$got'"

step "kubectl label / get -l"
kubectl label slo "$name" -n "$ns" tier=gold >/dev/null
kubectl get slo -n "$ns" -l tier=gold -o name >"$tmp/out"
expect "$tmp/out" "/$name$" "label selector"
kubectl get slo -n "$ns" -l tier=silver -o name >"$tmp/out"
[ ! -s "$tmp/out" ] || fail "label selector tier=silver must select nothing"
[ "$(kubectl get slo "$name" -n "$ns" -o jsonpath='{.metadata.generation}')" = 2 ] ||
	fail "a label must not bump generation"

step "server-side apply conflicts between managers, --force-conflicts"
sed 's/objective: 99.5/objective: 98/' "$tmp/slo.yaml" >"$tmp/slo2.yaml"
if kubectl apply --server-side --field-manager=other -n "$ns" -f "$tmp/slo2.yaml" >"$tmp/out" 2>&1; then
	fail "a conflicting apply must fail"
fi
expect "$tmp/out" '[Cc]onflict' "conflict message"
kubectl apply --server-side --field-manager=other --force-conflicts -n "$ns" -f "$tmp/slo2.yaml" >/dev/null
[ "$(kubectl get slo "$name" -n "$ns" -o jsonpath='{.spec.objective}')" = 98 ] || fail "forced apply"

step "server dry runs change nothing"
sed 's/objective: 99.5/objective: 97/' "$tmp/slo.yaml" >"$tmp/slo3.yaml"
got=$(kubectl apply --server-side --force-conflicts --field-manager=other --dry-run=server \
	-n "$ns" -f "$tmp/slo3.yaml" -o jsonpath='{.spec.objective}')
[ "$got" = 97 ] || fail "dry-run apply should answer with the result, got '$got'"
kubectl delete slo "$name" -n "$ns" --dry-run=server >/dev/null
[ "$(kubectl get slo "$name" -n "$ns" -o jsonpath='{.spec.objective}')" = 98 ] ||
	fail "a server dry run changed the object"

step "lists: a limit pages; resourceVersion=0 comes from the watch cache in one piece"
# burnrate's informers list first with resourceVersion=0, as client-go does, and read the
# one-piece answer as it streams; relists page from etcd.
sed -e 's/^  name: .*/  name: second/' "$tmp/slo.yaml" | kubectl apply -n "$ns" -f - >/dev/null
slos=/apis/burnrate.dev/v1alpha1/namespaces/$ns/servicelevelobjectives
page() { # page QUERY: "<items> <has a continue token>"
	kubectl get --raw "$slos?$1" | python3 -c 'import json,sys; l=json.load(sys.stdin)
print(len(l["items"]), bool(l["metadata"].get("continue")), l["metadata"]["resourceVersion"] != "")'
}
[ "$(page limit=1)" = "1 True True" ] || fail "limit=1: one item and a continue token, got $(page limit=1)"
# the cache may answer a moment behind the last write: wait for both SLOs
from_cache() { [ "$(page 'limit=1&resourceVersion=0')" = "2 False True" ]; }
wait_for 10 from_cache ||
	fail "resourceVersion=0&limit=1: both SLOs and no continue token, got $(page 'limit=1&resourceVersion=0')"
cont=$(kubectl get --raw "$slos?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["continue"])')
if kubectl get --raw "$slos?limit=1&resourceVersion=1&continue=$cont" >"$tmp/out" 2>&1; then
	fail "a continue token with a resourceVersion other than 0 must be refused"
fi
expect "$tmp/out" 'resource version is not allowed when using continue|BadRequest' "continue with a resourceVersion"
[ "$(page "limit=1&resourceVersion=0&continue=$cont")" = "1 False True" ] ||
	fail "continue with resourceVersion=0: the next page, got $(page "limit=1&resourceVersion=0&continue=$cont")"
kubectl delete slo second -n "$ns" >/dev/null

step "kubectl delete"
kubectl delete slo "$name" -n "$ns" --timeout=60s >"$tmp/out"
expect "$tmp/out" "servicelevelobjective.burnrate.dev \"$name\" deleted" "delete"
if kubectl get slo "$name" -n "$ns" >"$tmp/out" 2>&1; then
	fail "deleted SLO still there"
fi
expect "$tmp/out" 'NotFound|not found' "get after delete"
echo "kubectl fidelity: ok"
