#!/usr/bin/env bash
# burnrate controller, alert routing, as the platform team and service teams see it: a
# base Secret (alertmanager.yaml + burnrate.yaml) in, the Alertmanager Secret out. SLOs
# created, changed and deleted (also while burnrate is stopped) -> the Secret follows;
# unknown and not-allowed receivers -> conditions; an invalid base -> the last good
# Secret is kept and the conditions say why; a burst of SLOs -> a few Secret writes.
set -u
source "$E2E_LIB"
source "$(dirname "$0")/controller_lib.sh"
ctl_binary
e2e_apply_crds || fail "cannot apply the CRDs"
NS=$E2E_NAMESPACE
NSB=$(make_namespace team-b) || fail "namespace"
AMTOOL=$(command -v amtool || true)

cat >"$CTL_DIR/base.yaml" <<'YAML'
route:
  receiver: default
  routes:
  - {receiver: infra, matchers: ['team="infra"']}
receivers:
- {name: default, webhook_configs: [{url: 'http://127.0.0.1:9/default'}]}
- {name: infra, webhook_configs: [{url: 'http://127.0.0.1:9/infra'}]}
- {name: pager, webhook_configs: [{url: 'http://127.0.0.1:9/pager'}]}
- {name: slack, webhook_configs: [{url: 'http://127.0.0.1:9/slack'}]}
YAML
printf 'receivers:\n  pager: [%s]\n  slack: ["*"]\n' "$NS" >"$CTL_DIR/policy.yaml"
kubectl -n "$NS" create secret generic am-base --from-file=alertmanager.yaml="$CTL_DIR/base.yaml" \
	--from-file=burnrate.yaml="$CTL_DIR/policy.yaml" >/dev/null || fail "base Secret"

# rslo NAME NAMESPACE [PAGE] [TICKET]: an SLO with receivers
rslo() {
	slo_yaml "$1" | sed "s/namespace: $NS/namespace: $2/"
	if [ -n "${3:-}${4:-}" ]; then
		echo "  alerting:"
		[ -z "${3:-}" ] || echo "    page: {receiver: $3}"
		[ -z "${4:-}" ] || echo "    ticket: {receiver: $4}"
	fi
}
apply() { rslo "$@" | kubectl apply -f - >/dev/null || fail "apply $1"; }
cond() { kubectl -n "$2" get slo "$1" -o "jsonpath={.status.conditions[?(@.type==\"$3\")].$4}" 2>/dev/null; }
has_cond() { [ "$(cond "$1" "$2" "$3" reason)" = "$4" ]; }
# the configuration burnrate wrote, decoded
am_config() { kubectl -n "$NS" get secret alertmanager-main -o 'jsonpath={.data.alertmanager\.yaml}' 2>/dev/null | base64 -d; }
has_route() { am_config | grep -qF -- "- slo_namespace=\"$1\"" && am_config | grep -A2 -F -- "- slo_namespace=\"$1\"" | grep -qF "burnrate_receiver=\"$2\""; }
no_route() { ! am_config | grep -qF -- "- slo_namespace=\"$1\""; }
secret_applies() { fake_admin /fake/requests | python3 -c '
import json,sys
print(sum(b["count"] for b in json.load(sys.stdin)["by"] if b["verb"]=="apply" and b["resource"]=="secrets"))'; }

apply checkout "$NS" pager slack
apply search "$NSB" "" slack
apply plain "$NS"
ctl_start a --namespace "$NSB" --alertmanager-base-secret "$NS/am-base" --alertmanager-secret "$NS/alertmanager-main"
wait_for 30 has_route "$NS" pager || { cat "$CTL_DIR/a.log"; am_config; fail "no route for $NS/pager"; }
wait_for 10 has_route "$NSB" slack || fail "no route for $NSB/slack"
[ "$(kubectl -n "$NS" get secret alertmanager-main -o 'jsonpath={.metadata.labels.app\.kubernetes\.io/managed-by}')" = burnrate ] || fail "managed-by label"
[ "$(kubectl -n "$NS" get secret alertmanager-main -o 'jsonpath={.type}')" = Opaque ] || fail "type"
if [ -n "$AMTOOL" ]; then
	am_config >"$CTL_DIR/am.yaml"
	amtool check-config "$CTL_DIR/am.yaml" >/dev/null 2>&1 || fail "amtool check-config"
	r=$(amtool config routes test --config.file="$CTL_DIR/am.yaml" slo_namespace="$NS" slo=checkout burnrate_severity=page burnrate_receiver=pager 2>/dev/null | tail -n1)
	[ "$r" = pager ] || fail "page routed to '$r'"
	r=$(amtool config routes test --config.file="$CTL_DIR/am.yaml" slo_namespace="$NSB" slo=search burnrate_severity=page burnrate_receiver=pager 2>/dev/null | tail -n1)
	[ "$r" = default ] || fail "$NSB reached pager: '$r'"
fi
wait_for 20 has_cond checkout "$NS" AlertRoutingReady Routed || fail "checkout not Routed: $(cond checkout "$NS" AlertRoutingReady message)"
wait_for 20 has_cond plain "$NS" AlertRoutingReady NoReceivers || fail "plain: $(cond plain "$NS" AlertRoutingReady reason)"
[ "$(kubectl -n "$NS" get slo checkout -o 'jsonpath={.status.routing.secret}')" = "$NS/alertmanager-main" ] || fail "status.routing.secret"
[ "$(cond checkout "$NS" Ready status)" = True ] || fail "checkout not Ready"
echo "create: ok"

# drift: the Secret edited or deleted by hand is put back
before=$(am_config)
[ "$(secret_applies)" = 1 ] || fail "$(secret_applies) Secret writes at start, want 1"
kubectl -n "$NS" patch secret alertmanager-main --type merge \
	-p "{\"data\":{\"alertmanager.yaml\":\"$(printf 'route: {receiver: x}\n' | base64 -w0)\"}}" >/dev/null || fail "edit Secret"
restored() { [ "$(am_config)" = "$before" ]; }
wait_for 20 restored || fail "edited Secret not repaired"
# the repair was a write (and not an edit that never happened)
[ "$(secret_applies)" -ge 2 ] || fail "no Secret write repaired the edit"
kubectl -n "$NS" delete secret alertmanager-main >/dev/null || fail "delete Secret"
sleep 0.3
wait_for 20 restored || fail "deleted Secret not recreated"
echo "repair: ok"

# unknown receiver: condition, Ready=False, no route; not allowed: same
apply checkout "$NS" pagre slack
wait_for 20 has_cond checkout "$NS" AlertRoutingReady ReceiverNotFound || fail "no ReceiverNotFound"
[ "$(cond checkout "$NS" Ready reason)" = ReceiverNotFound ] || fail "Ready does not fold routing"
cond checkout "$NS" AlertRoutingReady message | grep -q 'spec.alerting.page.receiver' || fail "message names no field"
nopager() { ! has_route "$NS" pager; }
wait_for 20 nopager || fail "route for a receiver no SLO uses survived"
apply search "$NSB" pager slack
wait_for 20 has_cond search "$NSB" AlertRoutingReady ReceiverNotAllowed || fail "no ReceiverNotAllowed"
[ "$(cond search "$NSB" Ready status)" = False ] || fail "not allowed but Ready"
apply checkout "$NS" pager slack
wait_for 20 has_route "$NS" pager || fail "fixed receiver not routed"
echo "change, ReceiverNotFound, ReceiverNotAllowed: ok"

# delete: the namespace's routes go
kubectl -n "$NSB" delete slo search >/dev/null || fail "delete"
gone_b() { no_route "$NSB"; }
wait_for 20 gone_b || fail "routes of a deleted SLO stayed"
echo "delete: ok"

# deleted while burnrate is stopped: rebuilt from the whole set at start
ctl_stop a
kubectl -n "$NS" delete slo checkout >/dev/null || fail "delete while stopped"
ctl_start b --namespace "$NSB" --alertmanager-base-secret "$NS/am-base" --alertmanager-secret "$NS/alertmanager-main"
gone_a() { no_route "$NS"; }
wait_for 30 gone_a || { am_config; fail "route of an SLO deleted while stopped stayed"; }
echo "delete while stopped: ok"

# invalid base: last good kept, conditions say BaseConfigInvalid; fixed -> follows again
apply checkout "$NS" pager slack
wait_for 20 has_route "$NS" pager || fail "recreated SLO not routed"
good=$(am_config)
printf 'route:\n  receiver: nobody\nreceivers:\n- name: default\n' >"$CTL_DIR/bad.yaml"
kubectl -n "$NS" create secret generic am-base --from-file=alertmanager.yaml="$CTL_DIR/bad.yaml" \
	--from-file=burnrate.yaml="$CTL_DIR/policy.yaml" --dry-run=client -o yaml | kubectl apply -f - >/dev/null 2>&1 || fail "break base"
wait_for 20 has_cond checkout "$NS" AlertRoutingReady BaseConfigInvalid || fail "no BaseConfigInvalid"
cond checkout "$NS" AlertRoutingReady message | grep -q 'undefined receiver "nobody"' || fail "message lacks the base problem: $(cond checkout "$NS" AlertRoutingReady message)"
[ "$(cond checkout "$NS" Ready reason)" = BaseConfigInvalid ] || fail "Ready reason"
apply other "$NS" "" pager   # a new route: (NS, pager, ticket)
sleep 3
[ "$(am_config)" = "$good" ] || fail "the Secret changed while the base was invalid"
kubectl -n "$NS" delete secret am-base >/dev/null || fail "delete base"
sleep 2
[ "$(am_config)" = "$good" ] || fail "the Secret changed while the base was missing"
kubectl -n "$NS" create secret generic am-base --from-file=alertmanager.yaml="$CTL_DIR/base.yaml" \
	--from-file=burnrate.yaml="$CTL_DIR/policy.yaml" >/dev/null || fail "restore base"
wait_for 20 has_cond checkout "$NS" AlertRoutingReady Routed || fail "not Routed after the fix"
other_routed() { am_config | grep -A1 -F 'burnrate_receiver="pager"' | grep -qF 'burnrate_severity="ticket"'; }
wait_for 20 other_routed || fail "Secret not updated after the base was fixed"
echo "invalid and missing base: ok"

# a burst of 40 SLOs: a few Secret writes, not one per SLO (the fault proxy counts them)
before=$(secret_applies)
for i in $(seq 1 40); do rslo "burst-$i" "$NS" "" slack; echo "---"; done | kubectl apply -f - >/dev/null || fail "burst"
allready() { [ "$(kubectl -n "$NS" get slo -o 'jsonpath={.items[*].status.conditions[?(@.type=="AlertRoutingReady")].reason}' | wc -w)" -ge 42 ]; }
wait_for 60 allready || fail "burst SLOs not reconciled"
sleep 3
n=$(($(secret_applies) - before))
echo "burst of 40 SLOs: $n Secret write(s)"
[ "$n" -le 4 ] || fail "$n Secret writes for a burst of 40 SLOs"

mp=$(ctl_port b metrics)
curl -sf "http://127.0.0.1:$mp/metrics" | grep -q 'burnrate_writes_total{kind="secret"}' || fail "no secret writes metric"
ctl_stop b
grep -q 'Secret writes' "$CTL_DIR/b.log" || fail "no Secret writes in the final log line"

# the base broken while burnrate is stopped: at the restart every SLO's condition follows
# it (with routing on, a restart takes no SLO as settled: the base is in no digest)
kubectl -n "$NS" create secret generic am-base --from-file=alertmanager.yaml="$CTL_DIR/bad.yaml" \
	--from-file=burnrate.yaml="$CTL_DIR/policy.yaml" --dry-run=client -o yaml | kubectl apply -f - >/dev/null 2>&1 || fail "break base while stopped"
ctl_start c --namespace "$NSB" --alertmanager-base-secret "$NS/am-base" --alertmanager-secret "$NS/alertmanager-main"
wait_for 20 has_cond checkout "$NS" AlertRoutingReady BaseConfigInvalid || fail "no BaseConfigInvalid after a restart"
wait_for 20 has_cond burst-40 "$NS" AlertRoutingReady BaseConfigInvalid || fail "burst-40: no BaseConfigInvalid after a restart"
settled=$(ctl_metric c 'burnrate_reconcile_total{result="settled"}')
ctl_stop c
[ "$settled" = 0 ] || fail "$settled SLOs taken as settled with routing on"
echo "base broken while stopped: ok"
echo "routing e2e: ok"
