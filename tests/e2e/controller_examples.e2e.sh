#!/usr/bin/env bash
# Every example of examples/ through the controller, as a user would apply them: the
# server keeps every field (nothing pruned: the CRD declares them all), each SLO becomes
# Ready with exactly the rules `burnrate generate` writes for it (confidence bounds,
# off-peak clauses, presets included), and an off-peak row that does not exist is
# InvalidSpec naming the field.
set -u
source "$E2E_LIB"
source "$(dirname "$0")/controller_lib.sh"
ctl_binary
e2e_apply_crds || fail "cannot apply the CRDs"
NS=$E2E_NAMESPACE
SRC=${BURNRATE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}

ctl_start a
wait_for 20 grep -q '"caches synced"' "$CTL_DIR/a.log" || { cat "$CTL_DIR/a.log"; fail "no sync"; }

names=()
for ex in "$SRC"/examples/*.yaml; do
	# the examples name their teams' namespaces: put them in this test's
	sed "s/^  namespace: .*/  namespace: $NS/" "$ex" >"$CTL_DIR/$(basename "$ex")"
	kubectl apply -f "$CTL_DIR/$(basename "$ex")" >/dev/null || fail "apply $(basename "$ex")"
	names+=("$(python3 -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["metadata"]["name"])' "$ex")")
done
# what the server stored is what was applied (plus the CRD's defaults): no field pruned
for i in "${!names[@]}"; do
	f="$CTL_DIR/$(basename "$(ls "$SRC"/examples/*.yaml | sed -n "$((i + 1))p")")"
	# the one default the CRD declares: spec.window 30d
	want=$(python3 -c '
import json,sys,yaml
spec=yaml.safe_load(open(sys.argv[1]))["spec"]
spec.setdefault("window", "30d")
print(json.dumps(spec, sort_keys=True))' "$f")
	got=$(kubectl -n "$NS" get slo "${names[$i]}" -o json | python3 -c '
import json,sys
spec=json.load(sys.stdin)["spec"]
print(json.dumps(spec, sort_keys=True))')
	[ "$want" = "$got" ] || fail "${names[$i]}: the server changed the spec:
applied $want
stored  $got"
done
echo "every field of every example stored: ok"

ready() { [ "$(jpath slo "$1" '{.status.conditions[?(@.type=="Ready")].status}')" = True ]; }
for i in "${!names[@]}"; do
	n=${names[$i]}
	f="$CTL_DIR/$(basename "$(ls "$SRC"/examples/*.yaml | sed -n "$((i + 1))p")")"
	wait_for 30 ready "$n" || fail "$n never Ready: $(jpath slo "$n" '{.status.conditions}')"
	[ "$(generated_spec "$f")" = "$(cluster_spec "$n")" ] || fail "$n: rule differs from burnrate generate"
done
echo "${#names[@]} examples Ready with the rules burnrate generate writes: ok"

kubectl -n "$NS" get prometheusrule partner-hotel-api -o yaml | grep -q 'burnrate:sli_error_ratio_lower:rate1h' ||
	fail "no confidence bound in partner-hotel-api's rule"
kubectl -n "$NS" get prometheusrule storefront-availability -o yaml | grep -q 'vector((time() + 72000) % 86400) < 57600' ||
	fail "no off-peak clause in storefront-availability's rule"
[ "$(jpath slo storefront-availability '{.status.alerts[?(@.offPeakMuted==true)].longWindow}')" = 1h ] ||
	fail "status.alerts does not say the 1h row is muted off-peak: $(jpath slo storefront-availability '{.status.alerts}')"
echo "confidence bound and off-peak clause in the cluster's rules, the muted row in status: ok"

# a row the table does not have: the CRD cannot know, burnrate refuses it
before=$(cluster_spec storefront-availability)
kubectl -n "$NS" patch slo storefront-availability --type merge \
	-p '{"spec":{"alerting":{"offPeak":{"rows":["2h"]}}}}' >/dev/null || fail "patch offPeak.rows"
invalid() {
	[ "$(jpath slo storefront-availability '{.status.conditions[?(@.type=="Ready")].reason}')" = InvalidSpec ] &&
		jpath slo storefront-availability '{.status.conditions[?(@.type=="Ready")].message}' |
		grep -qF 'spec.alerting.offPeak.rows[0]'
}
wait_for 20 invalid || fail "offPeak row 2h: $(jpath slo storefront-availability '{.status.conditions}')"
[ "$(cluster_spec storefront-availability)" = "$before" ] || fail "an invalid spec touched the rule"
echo "offPeak row that does not exist: InvalidSpec naming spec.alerting.offPeak.rows[0]: ok"

# and the server itself refuses what the CRD knows is wrong
out=$(kubectl -n "$NS" patch slo partner-hotel-api --type merge -p '{"spec":{"traffic":{"confidence":100}}}' 2>&1) &&
	fail "the server accepted confidence 100"
echo "$out" | grep -q 'spec.traffic.confidence' || fail "server's refusal names no field: $out"
echo "server refuses confidence 100: ok"
ctl_stop a
