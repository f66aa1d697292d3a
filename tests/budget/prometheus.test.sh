#!/usr/bin/env bash
# Budget status from a real Prometheus (Debian `prometheus`, on 127.0.0.1) running the
# rules `burnrate generate --format rules` writes for seven SLOs, over a known history:
#
#  1. history.py writes 30 days of the recorded 5m series every budget rule reads
#     (backfilled with promtool tsdb create-blocks-from openmetrics), and computes from it,
#     by hand, the event-weighted budget left, the long-window burn rates and the failures
#     the budget allows (mean requests/s x window x budget); exporter.py
#     serves live counters with 50% errors for the SLO "burning".
#     Only change to the generated rules: the sli-long and budget groups run every 2s
#     instead of 1m/5m, so the test does not wait minutes for their first evaluation.
#  2. The controller (against the fake API server) must report, per SLO: remaining within
#     0.0005 (0.05 percentage point; it is written to 4 decimals) of the hand-computed
#     figure, remainingPercent to match, long-window burn rates within 1% (the 3d window
#     moves a little as history ages out of it), the exhaustion time within 1% of
#     remaining x window / the 1d burn rate, and the condition: steady WithinBudget,
#     exhausted BudgetExhausted, clean WithinBudget at 100%, burning BudgetBurning (1h and
#     5m at 50x), idle (no traffic) WithinBudget at 100%, raw (a raw indicator)
#     WithinBudget, nodata NoData without figures. Ready stays True for all. The budget in
#     events: allowedEvents the hand-computed allowed rounded down, exactly; remainingEvents
#     allowedEvents x the hand-computed remaining rounded down, within 0.0005 x allowedEvents
#     (the tolerance of remaining); negative for exhausted, 0 and 0 for idle, neither for raw
#     (no event counts); for burning (live traffic) at most 100 req/s x 30d x 1% and
#     consistent with its remaining.
#  3. Prometheus stopped mid-run: Unknown/PrometheusUnavailable with the reason, last
#     figures kept, no crash, rules still reconciled; started again (same port and data):
#     back to the figures above.
set -u
source "$(dirname "$0")/lib.sh"
for t in prometheus promtool; do
	command -v "$t" >/dev/null || { echo "$t not installed: skipped"; exit 77; }
done
budget_setup
NS=$E2E_NAMESPACE
W=$CTL_DIR

# 1. history, rules, Prometheus
END=$(( $(date +%s) / 300 * 300 - 120 ))
python3 "$BUDGET_LIB_DIR/history.py" "$NS" "$END" "$W/history.om" "$W/expected.json" "$W/slos" ||
	fail "history"
"$BR" generate --format rules -f "$W/slos" >"$W/rules.gen.yml" || fail "generate"
sed -E 's/^(  interval: )(1m|5m)$/\12s/' "$W/rules.gen.yml" >"$W/rules.yml"
[ "$(grep -c 'interval: 2s' "$W/rules.yml")" -ge 9 ] || fail "group intervals not rewritten"
promtool check rules "$W/rules.yml" >/dev/null || fail "promtool check rules"
promtool tsdb create-blocks-from openmetrics --max-block-duration=800h "$W/history.om" \
	"$W/data" >/dev/null || fail "backfill"
budget_bg exporter python3 "$BUDGET_LIB_DIR/exporter.py" "$W/exporter.port"
EXP_PORT=$(wait_port_file "$W/exporter.port")
PORT=$(free_port)
start_prometheus prom "$W/data" "$W/rules.yml" "$PORT" "127.0.0.1:$EXP_PORT"

# 2. the controller's figures against the hand-computed ones
kubectl apply -f "$W/slos" >/dev/null || fail "apply"
ctl_start c --prometheus-url "http://127.0.0.1:$PORT/" --budget-interval 1s --prometheus-timeout 2s
wait_for 20 grep -q '"caches synced"' "$CTL_DIR/c.log" || fail "no sync"

check() { # prints what differs from expectations; exit 1 if anything does
	kubectl -n "$NS" get slo -o json | python3 -c '
import json, sys
exp = json.load(open(sys.argv[1]))
items = {o["metadata"]["name"]: o.get("status", {}) for o in json.load(sys.stdin)["items"]}
bad = []
def cond(st, t):
    return next((c for c in st.get("conditions", []) if c["type"] == t), {})
def rfc(s):
    import calendar, time
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))
def whole(x):
    """Rounded down; within 1e-9 of a whole number, that number (float noise)."""
    import math
    r = round(x)
    return r if abs(x - r) <= 1e-9 * max(1, abs(x)) else math.floor(x)
def events(name, b, allowed, remaining):
    """What differs in allowedEvents and remainingEvents from allowed and remaining."""
    if allowed is None:
        if "allowedEvents" in b or "remainingEvents" in b:
            return ["%s: events without event counts: %s" % (name, json.dumps(b))]
        return []
    a, r = b.get("allowedEvents"), b.get("remainingEvents")
    want_a = whole(allowed)
    want_r = whole(want_a * remaining)
    if a != want_a:
        return ["%s: allowedEvents %s, by hand %d (%.6f)" % (name, a, want_a, allowed)]
    if not isinstance(r, int) or abs(r - want_r) > 0.0005 * want_a + min(want_a, 1):
        return ["%s: remainingEvents %s, by hand %d" % (name, r, want_r)]
    return []
want_reason = {"steady": "WithinBudget", "exhausted": "BudgetExhausted", "clean": "WithinBudget",
               "burning": "BudgetBurning", "idle": "WithinBudget", "raw": "WithinBudget",
               "nodata": "NoData"}
for name, reason in want_reason.items():
    st = items.get(name, {})
    b, c = st.get("budget"), cond(st, "BudgetHealthy")
    if c.get("reason") != reason:
        bad.append("%s: reason %s, want %s" % (name, c.get("reason"), reason)); continue
    if cond(st, "Ready").get("status") != "True":
        bad.append("%s: not Ready" % name)
    if name == "nodata":
        if b is not None or c.get("status") != "Unknown":
            bad.append("nodata: %s %s" % (c.get("status"), b))
        continue
    if name == "burning":
        if not (0.9 < b["remaining"] < 1) or not all(abs(b["burnRates"][w] - 50) < 1 for w in ("5m", "1h")):
            bad.append("burning: %s" % json.dumps(b))
        if not 0 < b.get("allowedEvents", 0) <= 100 * 30 * 86400 * 0.01:
            bad.append("burning: allowedEvents %s" % b.get("allowedEvents"))
        else:
            bad += events(name, b, b["allowedEvents"], b["remaining"])
        continue
    e = exp[name]
    if abs(b["remaining"] - e["remaining"]) > 0.0005:
        bad.append("%s: remaining %s, by hand %.5f" % (name, b["remaining"], e["remaining"]))
    pct = "%.1f%%" % round(e["remaining"] * 100, 1)
    if b["remainingPercent"] != pct.replace("-0.0%", "0.0%"):
        bad.append("%s: remainingPercent %s, want %s" % (name, b["remainingPercent"], pct))
    if abs(b["spent"] - (1 - e["remaining"])) > 0.0005:
        bad.append("%s: spent %s" % (name, b["spent"]))
    bad += events(name, b, e["allowed"], e["remaining"])
    for w, r in e["burnRates"].items():
        got = b.get("burnRates", {}).get(w)
        if got is None or abs(got - r) > 0.01 * max(r, 0.01):
            bad.append("%s: burn rate %s %s, by hand %.4f" % (name, w, got, r))
    if name == "steady":
        left = rfc(b.get("exhaustionTime", "1970-01-01T00:00:00Z")) - rfc(b["evaluatedAt"])
        want = e["remaining"] * e["window_s"] / e["burnRates"]["1d"]
        if b.get("exhaustionWindow") != "1d" or abs(left - want) > 0.01 * want:
            bad.append("steady: runs out in %ds (%s), by hand %ds" % (left, b.get("exhaustionWindow"), want))
    elif "exhaustionTime" in b:
        bad.append("%s: exhaustion time %s" % (name, b["exhaustionTime"]))
print("\n".join(bad))
sys.exit(1 if bad else 0)
' "$W/expected.json"
}
quiet_check() { check >"$W/check.out" 2>&1; }
if ! wait_for 60 quiet_check; then
	cat "$W/check.out" >&2
	tail -n 20 "$CTL_DIR/c.log" >&2
	fail "budget figures differ from the hand-computed ones"
fi
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for n,e in sorted(d.items()): print("by hand: %-9s remaining %.4f allowed %s burn %s" % (n, e["remaining"], e["allowed"], {k: round(v, 3) for k, v in e["burnRates"].items()}))' "$W/expected.json"
for n in steady exhausted clean burning idle raw; do
	echo "status:  $n $(kubectl -n "$NS" get slo "$n" -o jsonpath='{.status.budget}')"
done
kubectl -n "$NS" get slo -o wide
echo "figures match the history: ok"

# 3. Prometheus stopped mid-run, then back
budget_kill prom
unavail() { for n in steady exhausted clean burning idle raw nodata; do has_reason $n PrometheusUnavailable || return 1; done; }
wait_for 30 unavail || { kubectl -n "$NS" get slo -o yaml | grep -A3 BudgetHealthy >&2; fail "not PrometheusUnavailable"; }
msg=$(jpath slo steady '{.status.conditions[?(@.type=="BudgetHealthy")].message}')
echo "$msg" | grep -q "127.0.0.1:$PORT" || fail "message does not name Prometheus: $msg"
[ "$(jpath slo steady '{.status.conditions[?(@.type=="BudgetHealthy")].status}')" = Unknown ] || fail "not Unknown"
[ -n "$(budget steady .remaining)" ] || fail "last figures dropped"
kill -0 "$CTL_PID_c" 2>/dev/null || fail "controller died"
slo_yaml during | kubectl apply -f - >/dev/null || fail "apply during"
rd() { [ "$(ready during)" = True ] && [ "$(ready steady)" = True ]; }
wait_for 20 rd || fail "rules not reconciled while Prometheus is down"
echo "Prometheus down: $msg"
start_prometheus prom "$W/data" "$W/rules.yml" "$PORT" "127.0.0.1:$EXP_PORT"
if ! wait_for 60 quiet_check; then
	cat "$W/check.out" >&2
	fail "no recovery after Prometheus came back"
fi
echo "Prometheus back: figures as before"
ok=$(ctl_metric c 'burnrate_budget_queries_total{result="success"}')
bad=$(ctl_metric c 'burnrate_budget_queries_total{result="error"}')
n=$(ctl_metric c 'burnrate_budget_query_duration_seconds_count')
[ "${ok%.*}" -gt 0 ] && [ "${bad%.*}" -gt 0 ] && [ "${n%.*}" -ge $(( ${ok%.*} + ${bad%.*} )) ] ||
	fail "budget query metrics: success $ok, error $bad, durations $n"
echo "metrics: $ok queries answered, $bad failed"
ctl_stop c
echo "budget from Prometheus: ok"
