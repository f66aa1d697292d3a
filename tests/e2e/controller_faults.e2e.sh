#!/usr/bin/env bash
# Faults between burnrate and the API server (real or fake), injected by the fault proxy:
# watches cut, history compacted (410), 409, 500 and 429 (with Retry-After) on our writes, the
# server unreachable and back. Everything converges and nothing is lost.
set -u
source "$E2E_LIB"
source "$(dirname "$0")/controller_lib.sh"
ctl_binary
e2e_apply_crds || fail "cannot apply the CRDs"
NS=$E2E_NAMESPACE
ready() { [ "$(jpath slo "$1" '{.status.conditions[?(@.type=="Ready")].status}')" = "$2" ]; }
gen() { [ "$(jpath slo "$1" '{.status.observedGeneration}')" = "$2" ]; }

ctl_start a
wait_for 20 grep -q '"caches synced"' "$CTL_DIR/a.log" || fail "no sync"
watching() { [ "$(fake_admin /fake/watches | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')" -ge 2 ]; }
wait_for 20 watching || fail "not watching"

# watches cut, then SLOs created while the controller reconnects
fake_admin /fake/cut-watches >/dev/null
for n in a1 a2 a3; do slo_yaml $n; echo ---; done | kubectl apply -f - >/dev/null || fail "apply"
for n in a1 a2 a3; do wait_for 30 ready $n True || fail "$n lost after a watch cut"; done
echo "watch cut: ok"

# history compacted and open watches expired: relist, and a change made meanwhile is seen
wait_for 20 watching || fail "not watching again"
fake_admin /fake/compact '{"expireWatches": true}' >/dev/null
kubectl -n "$NS" patch slo a1 --type merge -p '{"spec":{"objective":99.9}}' >/dev/null
slo_yaml b1 | kubectl apply -f - >/dev/null
wait_for 30 gen a1 2 || fail "change during a 410 lost"
wait_for 30 ready b1 True || fail "b1 lost after 410"
echo "410: ok"

# 409 and then 500 on the status write, 429 with Retry-After on the apply: requeued, converge
fake_admin /fake/faults '[{"method":"PUT","path":"servicelevelobjectives/c1/status","status":409,"count":2},
  {"method":"PUT","path":"servicelevelobjectives/c1/status","status":500,"count":1},
  {"method":"PATCH","path":"prometheusrules/c1","status":429,"retryAfter":1,"count":8}]' >/dev/null
slo_yaml c1 | kubectl apply -f - >/dev/null
wait_for 40 ready c1 True || { tail -n 20 "$CTL_DIR/a.log" >&2; fail "c1 did not converge after 409/429"; }
left=$(fake_admin /fake/faults)
echo "$left" | grep -q c1 && fail "faults not all consumed: $left"
grep -q '"reconcile failed' "$CTL_DIR/a.log" || fail "no failure was seen (faults not injected?)"
echo "409/500/429: ok"

# API server unreachable, then back (on the fake: restarted, state kept): reconnect, go on
ctl_restart_fakeapi || fail "fakeapi restart"
slo_yaml d1 | kubectl apply -f - >/dev/null || fail "apply after restart"
wait_for 60 ready d1 True || { tail -n 20 "$CTL_DIR/a.log" >&2; fail "d1 not reconciled after the API server restarted"; }
echo "server restart: ok"
ctl_stop a
