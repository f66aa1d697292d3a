#!/usr/bin/env bash
# A BudgetCorrection applied after the fact, against a real Prometheus (Debian
# `prometheus`, on 127.0.0.1): two days of the 5m records the budget reads are backfilled,
# 10 requests a second with 0.1% errors, and an incident six hours ago: 50% errors for 30
# minutes. Two SLOs read the same traffic at 99.5%: "fixed", which a BudgetCorrection over
# the incident selects, and "plain", which nothing selects. The correction's window covers
# the incident (from 30 s before it to 30 s after it); burnrate leaves out the records of
# the window and of the 5 minutes after it (whose 5m rates still hold its errors).
#
# By hand, from the samples written: fixed has spent 0.1% / 0.5% = 20% of its budget
# (remaining 0.8), plain far more than all of it. burnrate:error_budget:remaining in
# Prometheus and status.budget.remaining from the controller must equal those within
# 0.0005, and status.budget.excludedEvents the requests of the samples left out, as the
# budget counts events (their mean rate over the window's samples times 30d), within 0.1%.
# Only change to the generated rules: the budget group runs every 2s instead of 5m.
set -u
source "$(dirname "$0")/lib.sh"
for t in prometheus promtool; do
	command -v "$t" >/dev/null || { echo "$t not installed: skipped"; exit 77; }
done
budget_setup
NS=$E2E_NAMESPACE
W=$CTL_DIR

# 1. history, the SLOs and the correction, the hand computation
END=$(($(date +%s) / 60 * 60 - 120))
INCIDENT=$((END - 6 * 3600))
python3 - "$NS" "$END" "$INCIDENT" "$W" <<'PY' || fail "history"
import datetime, json, sys
ns, end, inc, w = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rfc = lambda t: datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
start, stop = inc - 30, inc + 30 * 60 + 30          # the correction's window
lines, samples = [], []
for t in range(end - 2 * 86400, end + 1, 60):
    err = 5.0 if inc <= t <= inc + 30 * 60 else 0.01
    samples.append((t, 10.0, err))
for name in ("burnrate:sli_requests:rate5m", "burnrate:sli_errors:rate5m"):
    lines.append("# TYPE %s unknown" % name)
    for slo in ("fixed", "plain"):
        for t, req, err in samples:
            v = req if "requests" in name else err
            lines.append('%s{slo="%s",slo_namespace="%s"} %r %d' % (name, slo, ns, v, t))
open(w + "/history.om", "w").write("\n".join(lines + ["# EOF"]) + "\n")
eb = 0.005
def remaining(kept):
    return 1 - (sum(e for _, _, e in kept) / sum(r for _, r, _ in kept)) / eb
# left out: the window and the 5 minutes after it (the samples at S..E+300)
kept = [s for s in samples if not (start <= s[0] <= stop + 300)]
left = [s for s in samples if start <= s[0] <= stop + 300]
exp = {"fixed": remaining(kept), "plain": remaining(samples),
       "excluded": sum(r for _, r, _ in left) / len(samples) * 30 * 86400,
       "left_out": len(left)}
json.dump(exp, open(w + "/expected.json", "w"))
slo = """apiVersion: burnrate.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: %s, namespace: %s, labels: {team: %s}}
spec:
  service: checkout
  objective: 99.5
  indicator:
    ratio:
      errors: http_requests_total{job="checkout",code=~"5.."}
      total: http_requests_total{job="checkout"}
"""
open(w + "/slos.yaml", "w").write(slo % ("fixed", ns, "checkout") + "---\n" + slo % ("plain", ns, "other"))
open(w + "/bc.yaml", "w").write("""apiVersion: burnrate.dev/v1alpha1
kind: BudgetCorrection
metadata: {name: incident, namespace: %s}
spec:
  selector: {matchLabels: {team: checkout}}
  reason: the provider's outage, not ours
  windows: [{start: "%s", end: "%s"}]
""" % (ns, rfc(start), rfc(stop)))
PY
python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); assert e["left_out"] == 36 and abs(e["fixed"] - 0.8) < 1e-9 and e["plain"] < 0, e' \
	"$W/expected.json" || fail "the hand computation is not what the comment says: $(cat "$W/expected.json")"
"$BR" generate --format rules -f "$W/slos.yaml" -f "$W/bc.yaml" >"$W/rules.gen.yml" || fail "generate"
sed -E 's/^(  interval: )(1m|5m)$/\12s/' "$W/rules.gen.yml" >"$W/rules.yml"
grep -q '@ ' "$W/rules.yml" || fail "no past-window subtraction in the rules"
promtool check rules "$W/rules.yml" >/dev/null || fail "promtool check rules"
promtool tsdb create-blocks-from openmetrics --max-block-duration=800h "$W/history.om" \
	"$W/data" >/dev/null || fail "backfill"
PORT=$(free_port)
start_prometheus prom "$W/data" "$W/rules.yml" "$PORT"

# 2. Prometheus's own figure
prom_remaining() { # SLO
	curl -fsG "http://127.0.0.1:$PORT/api/v1/query" \
		--data-urlencode "query=burnrate:error_budget:remaining{slo=\"$1\"}" |
		python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}
near() { # GOT WANT TOLERANCE
	python3 -c 'import sys; g, w, t = sys.argv[1:]; sys.exit(0 if g and abs(float(g) - float(w)) <= float(t) else 1)' "$@"
}
want() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$W/expected.json" "$1"; }
recorded() { near "$(prom_remaining fixed)" "$(want fixed)" 0.0005 && near "$(prom_remaining plain)" "$(want plain)" 0.0005; }
wait_for 30 recorded ||
	fail "burnrate:error_budget:remaining: fixed $(prom_remaining fixed) (want $(want fixed)), plain $(prom_remaining plain) (want $(want plain))"
echo "Prometheus: fixed $(prom_remaining fixed), plain $(prom_remaining plain): ok"

# 3. the controller's status
kubectl apply -f "$W/slos.yaml" -f "$W/bc.yaml" >/dev/null || fail "apply"
ctl_start c --prometheus-url "http://127.0.0.1:$PORT/" --budget-interval 1s --prometheus-timeout 2s
wait_for 20 grep -q '"caches synced"' "$CTL_DIR/c.log" || fail "no sync"
status_ok() {
	near "$(budget fixed .remaining)" "$(want fixed)" 0.0005 &&
		near "$(budget plain .remaining)" "$(want plain)" 0.0005 &&
		near "$(budget fixed .excludedEvents)" "$(want excluded)" "$(python3 -c "print($(want excluded) * 0.001)")" &&
		[ -z "$(budget plain .excludedEvents)" ]
}
wait_for 30 status_ok ||
	fail "status.budget: fixed $(budget fixed .remaining) / $(budget fixed .excludedEvents) excluded (want $(want fixed) / $(want excluded)), plain $(budget plain .remaining) (want $(want plain))"
[ "$(jpath slo fixed '{.status.corrections[0].name}')" = incident ] || fail "fixed does not list the correction"
[ "$(jpath slo fixed '{.status.corrections[0].active}')" = false ] || fail "a past window is active"
echo "status: fixed $(budget fixed .remaining) with $(budget fixed .excludedEvents) events left out, plain $(budget plain .remaining): ok"
ctl_stop c
echo "ok: a correction applied after the fact"
