#!/usr/bin/env bash
# Two replicas with --leader-elect: exactly one writes; SIGKILL it and the other takes over
# after the lease expires; SIGTERM of a leader releases the Lease.
set -u
source "$E2E_LIB"
source "$(dirname "$0")/controller_lib.sh"
ctl_binary
e2e_apply_crds || fail "cannot apply the CRDs"
NS=$E2E_NAMESPACE
ready() { [ "$(jpath slo "$1" '{.status.conditions[?(@.type=="Ready")].status}')" = "$2" ]; }
lead=(--leader-elect --leader-election-namespace "$NS")

ctl_start a "${lead[@]}"
ctl_start b "${lead[@]}"
one_leader() { [ "$(grep -l '"became leader"' "$CTL_DIR"/a.log "$CTL_DIR"/b.log 2>/dev/null | wc -l)" = 1 ]; }
wait_for 30 one_leader || fail "no leader"
sleep 1
one_leader || fail "two leaders"
if grep -q '"became leader"' "$CTL_DIR/a.log"; then L=a F=b; else L=b F=a; fi
holder=$(kubectl -n "$NS" get lease burnrate-controller -o jsonpath='{.spec.holderIdentity}')
[ -n "$holder" ] || fail "Lease has no holder"

for n in s1 s2; do slo_yaml $n; echo ---; done | kubectl apply -f - >/dev/null || fail "apply"
for n in s1 s2; do wait_for 20 ready $n True || fail "$n never Ready"; done
grep -q '"PrometheusRule applied"' "$CTL_DIR/$L.log" || fail "leader $L did not write"
grep -q 'applied\|status updated' "$CTL_DIR/$F.log" && fail "follower $F wrote"
echo "one writer: $L"

# SIGKILL the leader: the follower takes over after the lease (15 s) and reconciles
var="CTL_PID_$L"
kill -KILL "${!var}"
slo_yaml s3 | kubectl apply -f - >/dev/null || fail "apply s3"
wait_for 40 grep -q '"became leader"' "$CTL_DIR/$F.log" || fail "$F never took over"
wait_for 20 ready s3 True || fail "s3 not reconciled by the new leader"
echo "takeover: ok"

# SIGTERM of the leader releases the Lease: a new replica takes over well before 15 s
ctl_start c "${lead[@]}"
sleep 2
ctl_stop "$F"
start=$(date +%s)
wait_for 12 grep -q '"became leader"' "$CTL_DIR/c.log" || fail "c did not take over after a release"
echo "release: c leads after $(($(date +%s) - start)) s"
ctl_stop c
