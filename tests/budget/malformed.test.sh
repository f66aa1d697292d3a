#!/usr/bin/env bash
# Budget status against a fake Prometheus (tests/budget/fakeprom.py, on 127.0.0.1) that
# answers known figures, then garbage, HTML 500s, error answers, slow answers, truncated
# JSON, the wrong result type, values that are not numbers, empty bodies and reset
# connections. Each time: BudgetHealthy Unknown/PrometheusUnavailable with a message that
# says why, the last figures kept, Ready untouched, no crash, and recovery when the
# answers are good again. Also: NoData for an SLO Prometheus knows nothing of, no status
# writes while the figures are steady, new figures after a spec change, the budget in events
# (allowedEvents, remainingEvents; none without allowed events, as for a raw indicator) and
# no write for a drift of the allowed count under 1%, a bearer token file re-read when it
# rotates, and a prompt SIGTERM during a slow query.
set -u
source "$(dirname "$0")/lib.sh"
budget_setup
NS=$E2E_NAMESPACE

# data ALLOWED: what the fake answers, a allowing ALLOWED failed events over the window
data() {
	cat >"$CTL_DIR/data.json.tmp" <<EOF
{"slos": [
 {"namespace": "$NS", "name": "a", "remaining": 0.81234, "allowed": $1, "ratios": {"5m": 0.001, "1h": 0.0015}},
 {"namespace": "$NS", "name": "b", "remaining": 0.5, "ratios": {"5m": 0.1, "1h": 0.1, "6h": 0.02}},
 {"namespace": "other", "name": "a", "remaining": 0.1, "allowed": 5, "ratios": {"5m": 0.5}}
]}
EOF
	mv "$CTL_DIR/data.json.tmp" "$CTL_DIR/data.json"
}
data 12960.7
echo token-one >"$CTL_DIR/server-token"
echo token-one >"$CTL_DIR/token"
budget_bg prom python3 "$BUDGET_LIB_DIR/fakeprom.py" "$CTL_DIR/data.json" "$CTL_DIR/prom.port" \
	"$CTL_DIR/server-token"
PORT=$(wait_port_file "$CTL_DIR/prom.port")
mode() { curl -fsS -X POST "http://127.0.0.1:$PORT/fake/mode/$1" >/dev/null || fail "mode $1"; }

ctl_start c --prometheus-url "http://127.0.0.1:$PORT" --budget-interval 1s --prometheus-timeout 1s \
	--prometheus-bearer-token-file "$CTL_DIR/token"
wait_for 20 grep -q '"caches synced"' "$CTL_DIR/c.log" || fail "no sync"
for n in a b c; do slo_yaml $n; echo ---; done | kubectl apply -f - >/dev/null || fail "apply"

# good answers: figures as the fake gave them (objective 99.5: error budget 0.005)
wait_for 30 has_reason a WithinBudget || { tail "$CTL_DIR/c.log"; fail "a: $(reason a)"; }
[ "$(budget a .remaining)" = 0.8123 ] || fail "a remaining $(budget a .remaining)"
[ "$(budget a .remainingPercent)" = 81.2% ] || fail "a percent $(budget a .remainingPercent)"
[ "$(budget a .spent)" = 0.1877 ] || fail "a spent $(budget a .spent)"
[ "$(budget a '.burnRates.1h')" = 0.3 ] || fail "a 1h burn rate $(budget a '.burnRates.1h')"
[ "$(budget a '.burnRates.5m')" = 0.2 ] || fail "a 5m burn rate"
[ -z "$(budget a .exhaustionTime)" ] || fail "a: exhaustion at 0.3x"
# 12960.7 rounded down; 12960 x 0.81234 = 10527.93, rounded down
[ "$(budget a .allowedEvents)" = 12960 ] || fail "a allowedEvents $(budget a .allowedEvents)"
[ "$(budget a .remainingEvents)" = 10527 ] || fail "a remainingEvents $(budget a .remainingEvents)"
[ "$(kubectl -n "$NS" get slo a -o wide --no-headers | awk '{print $5}')" = 10527 ] ||
	fail "Failures Left column: $(kubectl -n "$NS" get slo a -o wide)"
[ "$(kubectl -n "$NS" get slo a --no-headers | awk '{print $4}')" = 81.2% ] || fail "printer column"
wait_for 10 has_reason b BudgetBurning || fail "b: $(reason b)"
jpath slo b '{.status.conditions[?(@.type=="BudgetHealthy")].message}' |
	grep -q 'page-level burn: 20x over 1h and 20x over 5m (threshold 14.4x)' || fail "b message"
[ "$(budget b .exhaustionWindow)" = 1h ] || fail "b exhaustion window"
wait_for 10 has_reason c NoData || fail "c: $(reason c)"
[ -z "$(budget c '')" ] || fail "c has a budget without data"
[ -z "$(budget b .allowedEvents)$(budget b .remainingEvents)" ] || fail "b has events without allowed events"
for n in a b c; do [ "$(ready $n)" = True ] || fail "$n not Ready"; done
echo "good answers: ok"

# steady figures: no status writes over 5 intervals
sleep 2
w0=$(writes)
sleep 5
w1=$(writes)
[ "$w1" = "$w0" ] || fail "$((w1 - w0)) writes while the budget was steady"
echo "steady: no writes"

# the allowed count follows traffic: 12960 -> 13050 (0.7%) is no write, -> 13200 (1.8%) is
data 13050
sleep 3
[ "$(writes)" = "$w1" ] || fail "a write for a 0.7% drift of allowed events"
[ "$(budget a .allowedEvents)" = 12960 ] || fail "allowedEvents rewritten for a 0.7% drift"
data 13200
allowed_is() { [ "$(budget a .allowedEvents)" = "$1" ]; }
wait_for 10 allowed_is 13200 || fail "allowedEvents not rewritten for 1.8%: $(budget a .allowedEvents)"
# 13200 x 0.81234 = 10722.888
[ "$(budget a .remainingEvents)" = 10722 ] || fail "remainingEvents $(budget a .remainingEvents)"
data 12960.7
wait_for 10 allowed_is 12960 || fail "allowedEvents not back to 12960"
echo "allowed events: 0.7% drift no write, 1.8% rewritten"

# a spec change reaches the figures (the poller keeps each SLO's spec until its generation
# moves): objective 99.9 is a 0.001 budget, so a's 1h ratio 0.0015 burns at 1.5x; and back
slo_yaml a 99.9 | kubectl apply -f - >/dev/null || fail "apply a 99.9"
b15() { [ "$(budget a '.burnRates.1h')" = 1.5 ]; }
wait_for 20 b15 || fail "objective change not seen: 1h burn rate $(budget a '.burnRates.1h')"
slo_yaml a | kubectl apply -f - >/dev/null || fail "apply a 99.5"
b03() { [ "$(budget a '.burnRates.1h')" = 0.3 ]; }
wait_for 20 b03 || fail "objective change back not seen: $(budget a '.burnRates.1h')"
echo "spec change: new figures"

# bad answers, each from good: Unknown/PrometheusUnavailable and why
check_mode() {
	local m=$1 why=$2
	mode "$m"
	wait_for 20 has_reason a PrometheusUnavailable || { tail "$CTL_DIR/c.log"; fail "$m: a is $(reason a)"; }
	local msg st
	msg=$(jpath slo a '{.status.conditions[?(@.type=="BudgetHealthy")].message}')
	st=$(jpath slo a '{.status.conditions[?(@.type=="BudgetHealthy")].status}')
	[ "$st" = Unknown ] || fail "$m: status $st"
	echo "$msg" | grep -q -- "$why" || fail "$m: message \"$msg\" does not say \"$why\""
	[ "$(budget a .remaining)" = 0.8123 ] || fail "$m: last figures not kept"
	[ "$(ready a)" = True ] || fail "$m: Ready changed"
	kill -0 "$CTL_PID_c" 2>/dev/null || fail "$m: controller died"
	echo "$m: $msg"
	mode good
	wait_for 20 has_reason a WithinBudget || fail "$m: no recovery"
}
check_mode garbage "not JSON"
check_mode html500 "HTTP 500: <html><body>Internal Server Error"
check_mode baddata "bad_data"
check_mode slow "imed out"
check_mode truncated "not JSON"
check_mode matrix "want vector"
check_mode badvalue "\"lots\" is not a number"
check_mode empty "empty answer"
check_mode reset "http://127.0.0.1:$PORT"

# the token rotates on the server first (401), then in our file (re-read: recovery)
echo token-two >"$CTL_DIR/server-token"
wait_for 20 has_reason a PrometheusUnavailable || fail "a wrong token was accepted"
jpath slo a '{.status.conditions[?(@.type=="BudgetHealthy")].message}' | grep -q "HTTP 401" ||
	fail "401 not reported"
echo token-two >"$CTL_DIR/token.new" && mv "$CTL_DIR/token.new" "$CTL_DIR/token"
wait_for 20 has_reason a WithinBudget || fail "rotated token not re-read"
grep -q token-two "$CTL_DIR/c.log" && fail "the token is in the log"
echo "token rotation: ok"

# rules keep being reconciled while Prometheus misbehaves
mode garbage
slo_yaml d | kubectl apply -f - >/dev/null || fail "apply d"
rd() { [ "$(ready d)" = True ]; }
wait_for 20 rd || fail "d not Ready while Prometheus answers garbage"
[ -n "$(jpath prometheusrule d '{.metadata.name}')" ] || fail "no rule for d"
wait_for 20 has_reason d PrometheusUnavailable || fail "d: $(reason d)"
echo "rules reconciled while Prometheus is broken: ok"

# SIGTERM while a query hangs: out within the 10 s ctl_stop allows
mode slow
sleep 1.5
ctl_stop c
echo "stopped in ${CTL_STOP_MS} ms during a slow query"
grep -q 'Sanitizer' "$CTL_DIR/c.log" && fail "sanitizer report"
echo "malformed answers: ok"
