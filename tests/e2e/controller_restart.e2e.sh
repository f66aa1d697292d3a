#!/usr/bin/env bash
# A restart of burnrate controller with nothing changed makes zero writes (counted at the
# fault proxy, in front of the real or fake server); a valid and an invalid SLO, so neither
# path rewrites its status (the invalid one: 90% cannot page at 14.4x, refused by burnrate).
# The valid ones are found settled without a reconcile; what changed while burnrate was
# down is reconciled all the same: drift of a rule, an SLO's spec, a BudgetCorrection.
set -u
source "$E2E_LIB"
source "$(dirname "$0")/controller_lib.sh"
ctl_binary
e2e_apply_crds || fail "cannot apply the CRDs"

for n in one two three; do
	slo_yaml $n | sed "s/^  namespace: .*/&\n  labels: {team: $n}/" >"$CTL_DIR/$n.yaml"
	cat "$CTL_DIR/$n.yaml"
	echo ---
done | kubectl apply -f - >/dev/null || fail "apply"
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
settled=$(ctl_metric b 'burnrate_reconcile_total{result="settled"}')
ctl_stop b
grep -q 'stopped after [1-9]' "$CTL_DIR/b.log" || fail "the restarted controller reconciled nothing"
[ "$w" = 0 ] || { fake_admin /fake/requests >&2; fail "restart made $w writes"; }
# the cached rules carry the input digest of their SLOs: nothing is rendered again
[ "$renders" = 0 ] || fail "the restart rendered $renders rules"
# the three valid SLOs are told settled from their metadata, status and rule; the
# invalid one (no rule of its own) is reconciled
[ "$settled" = 3 ] || fail "expected 3 SLOs found settled, saw $settled"
echo "restart: 0 writes, 0 rules rendered, 3 SLOs settled"

# drift while burnrate was down is repaired on restart all the same: a label taken off
# one rule, another rule's spec edited (its generation moves)
kubectl -n "$E2E_NAMESPACE" label prometheusrule one team- >/dev/null || fail "unlabel"
kubectl -n "$E2E_NAMESPACE" patch prometheusrule two --type json \
	-p '[{"op":"replace","path":"/spec/groups/0/rules/0/expr","value":"1"}]' >/dev/null ||
	fail "edit rule two"
ctl_start d --rule-label team=sre
back() { [ "$(jpath prometheusrule one '{.metadata.labels.team}')" = sre ] &&
	 [ "$(generated_spec "$CTL_DIR/two.yaml")" = "$(cluster_spec two)" ]; }
wait_for 20 back || fail "drift made while stopped was not repaired"
renders=$(ctl_metric d burnrate_rule_renders_total)
ctl_stop d
[ "$renders" = 2 ] || fail "expected the 2 drifted rules rendered, saw $renders"
echo "drift while stopped: repaired, 2 rules rendered"

# changed while stopped: three's spec (its generation moves), and a correction created
# for one, whose SLO did not change (corrections are in no digest)
sed -i 's/objective: 99.5/objective: 99.9/' "$CTL_DIR/three.yaml"
kubectl apply -f "$CTL_DIR/three.yaml" >/dev/null || fail "change three"
now=$(date -u +%s)
cat >"$CTL_DIR/bc.yaml" <<YAML
apiVersion: burnrate.dev/v1alpha1
kind: BudgetCorrection
metadata:
  name: maintenance
  namespace: $E2E_NAMESPACE
spec:
  selector:
    matchLabels: {team: one}
  reason: database migration
  windows: [{start: "$(date -u -d "@$((now - 7200))" +%Y-%m-%dT%H:%M:%SZ)", end: "$(date -u -d "@$((now - 3600))" +%Y-%m-%dT%H:%M:%SZ)"}]
YAML
kubectl apply -f "$CTL_DIR/bc.yaml" >/dev/null || fail "create the correction"
with_bc() {
	"$BR" generate -f "$CTL_DIR/one.yaml" -f "$CTL_DIR/bc.yaml" |
		python3 -c 'import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin)["spec"], sort_keys=True))'
}
[ "$(with_bc)" != "$(generated_spec "$CTL_DIR/one.yaml")" ] || fail "the correction changes nothing"
ctl_start e --rule-label team=sre
changed() { [ "$(generated_spec "$CTL_DIR/three.yaml")" = "$(cluster_spec three)" ] &&
	    [ "$(with_bc)" = "$(cluster_spec one)" ]; }
wait_for 20 changed || fail "what changed while stopped is not in the rules"
ctl_stop e
kubectl -n "$E2E_NAMESPACE" delete bc maintenance >/dev/null || fail "delete the correction"
echo "changed while stopped: spec and correction rendered"

# and the same controller with a changed --rule-label does write (the count can fail)
fake_admin /fake/reset-requests >/dev/null
ctl_start c --rule-label team=platform
lab() { [ "$(jpath prometheusrule "$1" '{.metadata.labels.team}')" = platform ]; }
for n in one two three; do wait_for 20 lab $n || fail "rule $n: label not updated"; done
ctl_stop c
w=$(writes)
[ "$w" -ge 3 ] || fail "expected 3 rule applies, saw $w writes"
echo "changed label: $w writes"
