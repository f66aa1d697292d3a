#!/usr/bin/env bash
# A restart of burnrate controller with nothing changed makes zero writes (counted at the
# fault proxy, in front of the real or fake server); a valid and an invalid SLO, so neither
# path rewrites its status (the invalid one: 90% cannot page at 14.4x, refused by burnrate).
set -u
source "$E2E_LIB"
source "$(dirname "$0")/controller_lib.sh"
ctl_binary
e2e_apply_crds || fail "cannot apply the CRDs"

for n in one two three; do slo_yaml $n; echo ---; done | kubectl apply -f - >/dev/null || fail "apply"
slo_yaml bad 90 | kubectl apply -f - >/dev/null || fail "apply bad"
ctl_start a --rule-label team=sre
ready() { [ "$(jpath slo "$1" '{.status.conditions[?(@.type=="Ready")].status}')" = "$2" ]; }
for n in one two three; do wait_for 20 ready $n True || fail "$n never Ready"; done
wait_for 20 ready bad False || fail "bad never Ready=False"
sleep 1 # let the informers see our own writes and settle
ctl_stop a

fake_admin /fake/reset-requests >/dev/null
ctl_start b --rule-label team=sre
wait_for 20 grep -q '"caches synced"' "$CTL_DIR/b.log" || fail "no sync"
sleep 3 # time to reconcile everything (four SLOs)
grep -q 'reconcile failed' "$CTL_DIR/b.log" && fail "reconcile failed after restart"
w=$(writes)
renders=$(ctl_metric b burnrate_rule_renders_total)
ctl_stop b
grep -q 'stopped after [1-9]' "$CTL_DIR/b.log" || fail "the restarted controller reconciled nothing"
[ "$w" = 0 ] || { fake_admin /fake/requests >&2; fail "restart made $w writes"; }
# the cached rules carry the input digest of their SLOs: nothing is rendered again
[ "$renders" = 0 ] || fail "the restart rendered $renders rules"
echo "restart: 0 writes, 0 rules rendered"

# drift while burnrate was down is repaired on restart all the same: a label taken off
# one rule, another rule's spec edited (its generation moves)
kubectl -n "$E2E_NAMESPACE" label prometheusrule one team- >/dev/null || fail "unlabel"
kubectl -n "$E2E_NAMESPACE" patch prometheusrule two --type json \
	-p '[{"op":"replace","path":"/spec/groups/0/rules/0/expr","value":"1"}]' >/dev/null ||
	fail "edit rule two"
slo_yaml two >"$CTL_DIR/two.yaml"
ctl_start d --rule-label team=sre
back() { [ "$(jpath prometheusrule one '{.metadata.labels.team}')" = sre ] &&
	 [ "$(generated_spec "$CTL_DIR/two.yaml")" = "$(cluster_spec two)" ]; }
wait_for 20 back || fail "drift made while stopped was not repaired"
renders=$(ctl_metric d burnrate_rule_renders_total)
ctl_stop d
[ "$renders" = 2 ] || fail "expected the 2 drifted rules rendered, saw $renders"
echo "drift while stopped: repaired, 2 rules rendered"

# and the same controller with a changed --rule-label does write (the count can fail)
fake_admin /fake/reset-requests >/dev/null
ctl_start c --rule-label team=platform
lab() { [ "$(jpath prometheusrule "$1" '{.metadata.labels.team}')" = platform ]; }
for n in one two three; do wait_for 20 lab $n || fail "rule $n: label not updated"; done
ctl_stop c
w=$(writes)
[ "$w" -ge 3 ] || fail "expected 3 rule applies, saw $w writes"
echo "changed label: $w writes"
