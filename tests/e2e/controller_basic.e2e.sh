#!/usr/bin/env bash
# burnrate controller, the user's view: create, update, invalid spec and fix, repair of an
# edited or deleted PrometheusRule, deletion, and a clean SIGTERM.
set -u
source "$E2E_LIB"
source "$(dirname "$0")/controller_lib.sh"
ctl_binary
e2e_apply_crds || fail "cannot apply the CRDs"
NS=$E2E_NAMESPACE

ctl_start a --rule-label release=kube-prometheus-stack
wait_for 20 grep -q '"caches synced"' "$CTL_DIR/a.log" || { cat "$CTL_DIR/a.log"; fail "no sync"; }

# create
slo_yaml checkout >"$CTL_DIR/checkout.yaml"
kubectl apply -f "$CTL_DIR/checkout.yaml" >/dev/null || fail "apply"
ready() { [ "$(jpath slo "$1" '{.status.conditions[?(@.type=="Ready")].status}')" = "$2" ]; }
wait_for 20 ready checkout True || fail "checkout never Ready"
[ "$(jpath prometheusrule checkout '{.metadata.labels.release}')" = kube-prometheus-stack ] || fail "rule label"
[ "$(jpath prometheusrule checkout '{.metadata.ownerReferences[0].kind}')" = ServiceLevelObjective ] || fail "owner"
[ "$(generated_spec "$CTL_DIR/checkout.yaml")" = "$(cluster_spec checkout)" ] || fail "rule spec differs from burnrate generate"
[ "$(jpath slo checkout '{.status.observedGeneration}')" = 1 ] || fail "observedGeneration"
[ "$(jpath slo checkout '{.status.prometheusRule.name}')" = checkout ] || fail "status.prometheusRule"
# drift is told from the rule's generation, which the status records (and the CRD keeps)
rule_gen_recorded() {
	local g
	g=$(jpath prometheusrule checkout '{.metadata.generation}' 2>/dev/null)
	[ -n "$g" ] && [ "$(jpath slo checkout '{.status.prometheusRule.generation}')" = "$g" ]
}
wait_for 20 rule_gen_recorded || fail "status.prometheusRule.generation is not the rule's generation"
[ -n "$(jpath prometheusrule checkout '{.metadata.annotations.burnrate\.dev/spec-digest}')" ] ||
	fail "the rule carries no spec digest"
[ "$(jpath slo checkout '{.status.alerts[0].burnRate}')" = 14.4 ] || fail "status.alerts"
echo "create: ok"

# update: a generation bump gives new rules and observedGeneration follows
kubectl -n "$NS" label slo checkout team=payments >/dev/null || fail "label"
kubectl -n "$NS" annotate slo checkout note=kept >/dev/null || fail "annotate"
slo_yaml checkout 99.9 >"$CTL_DIR/checkout.yaml"
kubectl apply -f "$CTL_DIR/checkout.yaml" >/dev/null || fail "apply update"
gen2() { [ "$(jpath slo checkout '{.status.observedGeneration}')" = 2 ]; }
wait_for 20 gen2 || fail "observedGeneration did not follow"
# status writes carry the status alone: the user's labels, annotations and spec stay
[ "$(jpath slo checkout '{.metadata.labels.team}')" = payments ] || fail "a status write lost a label"
[ "$(jpath slo checkout '{.metadata.annotations.note}')" = kept ] || fail "a status write lost an annotation"
[ "$(jpath slo checkout '{.spec.objective}')" = 99.9 ] || fail "a status write changed the spec"
[ "$(generated_spec "$CTL_DIR/checkout.yaml")" = "$(cluster_spec checkout)" ] || fail "rule not updated"
echo "update: ok"

# out of range: the API server itself refuses it (the CRD's maximum), naming the field
out=$(kubectl -n "$NS" patch slo checkout --type merge -p '{"spec":{"objective":150}}' 2>&1) &&
	fail "the server accepted objective 150"
echo "$out" | grep -q 'spec.objective: Invalid value: 150' || fail "server's refusal names no field: $out"
[ "$(jpath slo checkout '{.spec.objective}')" = 99.9 ] || fail "a refused patch changed the SLO"
echo "server refuses objective 150: ok"

# specs the CRD accepts but burnrate refuses: Ready=False/InvalidSpec naming the field, a
# Warning Event, the rule left as it was; then fixed
before=$(cluster_spec checkout)
reason() { jpath slo checkout '{.status.conditions[?(@.type=="Ready")].reason}'; }
message() { jpath slo checkout '{.status.conditions[?(@.type=="Ready")].message}'; }
invalid() { [ "$(reason)" = InvalidSpec ] && message | grep -qF "$1"; }
kubectl -n "$NS" patch slo checkout --type merge \
	-p '{"spec":{"indicator":{"ratio":{"errors":"http_requests_total{job=\"checkout\",code=~\"5..\""}}}}' >/dev/null ||
	fail "patch malformed selector"
wait_for 20 invalid spec.indicator.ratio.errors || fail "malformed selector: $(reason): $(message)"
evs() { kubectl -n "$NS" get events -o json | python3 -c '
import json,sys
items=json.load(sys.stdin)["items"]
sys.exit(0 if any(e.get("reason")=="InvalidSpec" and e.get("type")=="Warning" and e["involvedObject"]["name"]=="checkout" for e in items) else 1)'; }
wait_for 10 evs || fail "no InvalidSpec Event"
[ "$(cluster_spec checkout)" = "$before" ] || fail "invalid spec touched the rule"
kubectl -n "$NS" patch slo checkout --type merge -p '{"spec":{"objective":90,
	"indicator":{"ratio":{"errors":"http_requests_total{job=\"checkout\",code=~\"5..\"}"}},
	"alerting":{"windows":[{"severity":"page","long":"1h","short":"5m","burnRate":14.4}]}}}' >/dev/null ||
	fail "patch hopeless table"
wait_for 20 invalid 'spec.alerting.windows[0]' || fail "table that can never fire: $(reason): $(message)"
[ "$(cluster_spec checkout)" = "$before" ] || fail "invalid spec touched the rule"
kubectl -n "$NS" patch slo checkout --type json -p '[{"op":"remove","path":"/spec/alerting"},
	{"op":"replace","path":"/spec/objective","value":99.9}]' >/dev/null || fail "fix"
wait_for 20 ready checkout True || fail "fixed SLO never Ready"
[ "$(cluster_spec checkout)" = "$before" ] || fail "the fixed SLO's rule differs from before"
echo "invalid+fix: ok"

# drift: an edited rule, then a deleted one, are repaired
kubectl -n "$NS" patch prometheusrule checkout --type merge -p '{"spec":{"groups":[]}}' >/dev/null || fail "edit rule"
repaired() { [ "$(generated_spec "$CTL_DIR/checkout.yaml")" = "$(cluster_spec checkout 2>/dev/null)" ]; }
wait_for 20 repaired || fail "edited rule not repaired"
wait_for 20 rule_gen_recorded || fail "the repaired rule's generation is not recorded"
# an edit that keeps the spec (the annotation removed) is repaired too
kubectl -n "$NS" annotate prometheusrule checkout burnrate.dev/spec-digest- >/dev/null || fail "annotate"
has_digest() { [ -n "$(jpath prometheusrule checkout '{.metadata.annotations.burnrate\.dev/spec-digest}')" ]; }
wait_for 20 has_digest || fail "the removed digest annotation was not put back"
kubectl -n "$NS" delete prometheusrule checkout >/dev/null || fail "delete rule"
sleep 0.3
wait_for 20 repaired || fail "deleted rule not recreated"
echo "repair: ok"

# delete: garbage collection removes the rule; the controller keeps running
kubectl -n "$NS" delete slo checkout >/dev/null || fail "delete slo"
gone() { ! kubectl -n "$NS" get prometheusrule checkout >/dev/null 2>&1; }
wait_for 30 gone || fail "rule outlived its SLO"
echo "delete: ok"

# metrics and probes
mp=$(ctl_port a metrics)
hp=$(ctl_port a "health probes")
[ -n "$mp" ] && [ -n "$hp" ] || fail "no metrics or health port in the log"
curl -sf "http://127.0.0.1:$hp/healthz" >/dev/null || fail "/healthz"
curl -sf "http://127.0.0.1:$hp/readyz" >/dev/null || fail "/readyz"
curl -sf "http://127.0.0.1:$mp/metrics" >"$CTL_DIR/metrics" || fail "/metrics"
for m in 'burnrate_reconcile_total{result="success"}' 'burnrate_reconcile_duration_seconds_count' \
	'burnrate_workqueue_depth' 'burnrate_watch_restarts' 'burnrate_leader 1' \
	'burnrate_api_requests_total{method="PATCH",code="201"}' 'burnrate_build_info{version=' \
	'burnrate_writes_total{kind="event"} 2'; do
	grep -qF "$m" "$CTL_DIR/metrics" || { cat "$CTL_DIR/metrics" >&2; fail "metric $m missing"; }
done
if command -v promtool >/dev/null; then
	promtool check metrics <"$CTL_DIR/metrics" >/dev/null 2>"$CTL_DIR/promtool.err" ||
		{ cat "$CTL_DIR/promtool.err" >&2; fail "promtool check metrics"; }
fi
echo "metrics: ok"

# every log line about an SLO names it
grep '"name":"checkout"' "$CTL_DIR/a.log" | grep -qv "\"namespace\":\"$NS\"" && fail "log line without namespace"
ctl_stop a
[ "$CTL_STOP_MS" -lt 10000 ] || fail "SIGTERM took ${CTL_STOP_MS} ms"
echo "sigterm: exit 0 in ${CTL_STOP_MS} ms"
