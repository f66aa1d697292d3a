#!/usr/bin/env bash
# burnrate controller, what its own writes cost and what a resync repairs: the
# status burnrate writes and the rule it applies do not send the SLO round the
# queue again (only the spec makes rules), yet a status someone else overwrote
# is put right by the next resync, and a relabelled PrometheusRule at once.
set -u
source "$E2E_LIB"
source "$(dirname "$0")/controller_lib.sh"
ctl_binary
e2e_apply_crds || fail "cannot apply the CRDs"
NS=$E2E_NAMESPACE

ctl_start a --resync 4s
wait_for 20 grep -q '"caches synced"' "$CTL_DIR/a.log" || { cat "$CTL_DIR/a.log"; fail "no sync"; }
mp=$(ctl_port a metrics)
reconciles() {
	curl -sf "http://127.0.0.1:$mp/metrics" |
		awk '/^burnrate_reconcile_total\{result="success"\}/{print $2}'
}
ready() { [ "$(jpath slo "$1" '{.status.conditions[?(@.type=="Ready")].status}')" = "$2" ]; }

# one SLO: one reconcile writes the rule and the status; neither the rule's
# ADDED event (the rule the worker applied, expected) nor its own status
# write brings it back
slo_yaml solo >"$CTL_DIR/solo.yaml"
before=$(reconciles)
kubectl apply -f "$CTL_DIR/solo.yaml" >/dev/null || fail "apply"
wait_for 20 ready solo True || fail "solo never Ready"
sleep 1.5 # less than the resync period, time for stray events to come in
after=$(reconciles)
[ $((after - before)) -eq 1 ] || fail "one new SLO took $((after - before)) reconciles"
echo "own writes: $((after - before)) reconciles for a new SLO"

# someone else's status: the resync puts it back
kubectl -n "$NS" patch slo solo --subresource=status --type merge \
	-p '{"status":{"conditions":[{"type":"Ready","status":"False","reason":"Tampered","message":"x","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}' \
	>/dev/null || fail "patch status"
ready solo False || fail "the status patch did not take"
wait_for 15 ready solo True || fail "overwritten status not repaired by the resync"
echo "resync repairs status: ok"

# a label edit on the rule (a drift the cache keeps) is repaired at once
kubectl -n "$NS" label prometheusrule solo app.kubernetes.io/managed-by=someone-else --overwrite >/dev/null ||
	fail "relabel"
relabelled() { [ "$(jpath prometheusrule solo '{.metadata.labels.app\.kubernetes\.io/managed-by}')" = burnrate ]; }
wait_for 3 relabelled || fail "relabelled rule not repaired"
echo "rule label drift: ok"
ctl_stop a
