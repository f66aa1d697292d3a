#!/usr/bin/env bash
# Budget status with two replicas and --leader-elect: only the leader queries Prometheus
# (5 queries per interval in all: remaining, allowed events, excluded events (the
# BudgetCorrection CRD is served here), the ratio names, the one window recorded; not 10), and after the leader stops (SIGTERM releases the Lease) the other one takes over the
# polling and writes the next change.
set -u
source "$(dirname "$0")/lib.sh"
budget_setup
NS=$E2E_NAMESPACE

data() {
	cat >"$CTL_DIR/data.json.tmp" <<EOF
{"slos": [{"namespace": "$NS", "name": "a", "remaining": $1, "ratios": {"1h": 0.001}}]}
EOF
	mv "$CTL_DIR/data.json.tmp" "$CTL_DIR/data.json"
}
data 0.9
budget_bg prom python3 "$BUDGET_LIB_DIR/fakeprom.py" "$CTL_DIR/data.json" "$CTL_DIR/prom.port"
PORT=$(wait_port_file "$CTL_DIR/prom.port")
queries() { curl -fs "http://127.0.0.1:$PORT/fake/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["queries"])'; }

args=(--leader-elect --leader-election-namespace "$NS" --prometheus-url "http://127.0.0.1:$PORT"
      --budget-interval 1s)
ctl_start a "${args[@]}"
ctl_start b "${args[@]}"
one_leader() { [ "$(grep -l '"became leader"' "$CTL_DIR"/a.log "$CTL_DIR"/b.log 2>/dev/null | wc -l)" = 1 ]; }
wait_for 30 one_leader || fail "no leader"
if grep -q '"became leader"' "$CTL_DIR/a.log"; then L=a F=b; else L=b F=a; fi
slo_yaml a | kubectl apply -f - >/dev/null || fail "apply"
wait_for 20 has_reason a WithinBudget || fail "a: $(reason a)"
[ "$(budget a .remaining)" = 0.9 ] || fail "remaining $(budget a .remaining)"

# 6 s of polling at 1 s: 30 queries from one poller (35 when the window catches a 7th
# poll); two would make 60 or more
q0=$(queries)
sleep 6
q=$(( $(queries) - q0 ))
[ "$q" -ge 20 ] && [ "$q" -le 42 ] || fail "$q queries in 6 s: not one poller at 5 queries per interval"
echo "one poller: $q queries in 6 s"

# the leader stops; the follower takes over and writes the next change
ctl_stop "$L"
data 0.7
wait_for 30 grep -q '"became leader"' "$CTL_DIR/$F.log" || fail "$F never took over"
r07() { [ "$(budget a .remaining)" = 0.7 ]; }
wait_for 20 r07 || fail "the new leader did not write the change: $(budget a .remaining)"
echo "takeover: ok"
ctl_stop "$F"
