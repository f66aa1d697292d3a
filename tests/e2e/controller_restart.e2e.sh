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
ctl_stop b
grep -q 'stopped after [1-9]' "$CTL_DIR/b.log" || fail "the restarted controller reconciled nothing"
[ "$w" = 0 ] || { fake_admin /fake/requests >&2; fail "restart made $w writes"; }
echo "restart: 0 writes"

# and the same controller with a changed --rule-label does write (the count can fail)
fake_admin /fake/reset-requests >/dev/null
ctl_start c --rule-label team=platform
lab() { [ "$(jpath prometheusrule "$1" '{.metadata.labels.team}')" = platform ]; }
for n in one two three; do wait_for 20 lab $n || fail "rule $n: label not updated"; done
ctl_stop c
w=$(writes)
[ "$w" -ge 3 ] || fail "expected 3 rule applies, saw $w writes"
echo "changed label: $w writes"
