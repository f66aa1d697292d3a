#!/usr/bin/env bash
# BudgetCorrection with the controller, the user's view: creating one re-renders the rules
# of the SLOs it selects (exactly what `burnrate generate` renders from both manifests) and
# lists it in their status; its own status names the SLOs and says whether a window is open
# (and flips when one opens); relabelling an SLO out of its selector, changing its window
# and deleting it re-render the rules again; a correction that selects nothing says so in a
# condition; one the CRD accepts but burnrate refuses (overlapping windows) is Ready False
# naming the field, and applies to no SLO.
set -u
source "$E2E_LIB"
source "$(dirname "$0")/controller_lib.sh"
ctl_binary
e2e_apply_crds || fail "cannot apply the CRDs"
NS=$E2E_NAMESPACE

ctl_start a
wait_for 20 grep -q '"caches synced"' "$CTL_DIR/a.log" || { cat "$CTL_DIR/a.log"; fail "no sync"; }
! grep -q 'BudgetCorrections are off' "$CTL_DIR/a.log" || fail "corrections off: $(cat "$CTL_DIR/a.log")"

for s in checkout search; do
	slo_yaml "$s" | sed "s/^  namespace: .*/&\n  labels: {team: $s}/" >"$CTL_DIR/$s.yaml"
	kubectl apply -f "$CTL_DIR/$s.yaml" >/dev/null || fail "apply $s"
done
ready() { [ "$(jpath slo "$1" '{.status.conditions[?(@.type=="Ready")].status}')" = True ]; }
wait_for 20 ready checkout || fail "checkout never Ready"
wait_for 20 ready search || fail "search never Ready"
plain_search=$(cluster_spec search)

# a correction with a window open now (the last hour to the next) and a weekly one, on the
# weekday three days from now so that it never overlaps the first (a window that does is
# refused, as the overlap test below checks)
now=$(date -u +%s)
weekday=$(LC_ALL=C date -u -d "@$((now + 3 * 86400))" +%a | tr '[:lower:]' '[:upper:]')
start=$(date -u -d "@$((now - 3600))" +%Y-%m-%dT%H:%M:%SZ)
end=$(date -u -d "@$((now + 3600))" +%Y-%m-%dT%H:%M:%SZ)
bc_yaml() { # WINDOWS (YAML flow list): the correction, selecting team=checkout
	cat <<YAML
apiVersion: burnrate.dev/v1alpha1
kind: BudgetCorrection
metadata:
  name: maintenance
  namespace: $NS
spec:
  selector:
    matchLabels: {team: checkout}
  reason: database migration
  windows: $1
YAML
}
bc_yaml "[{start: \"$start\", end: \"$end\"}, {schedule: \"0 23 * * $weekday\", duration: 3h, utcOffset: \"+01:00\"}]" \
	>"$CTL_DIR/bc.yaml"
kubectl apply -f "$CTL_DIR/bc.yaml" >/dev/null || fail "apply the BudgetCorrection"
with_bc() { # the rules of checkout as burnrate generate renders them with the correction
	"$BR" generate -f "$CTL_DIR/checkout.yaml" -f "$CTL_DIR/bc.yaml" 2>/dev/null |
		python3 -c 'import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin)["spec"], sort_keys=True))'
}
rendered() { [ "$(with_bc)" = "$(cluster_spec checkout)" ]; }
wait_for 20 rendered || fail "checkout's rules are not what generate renders with the correction"
cluster_spec checkout | grep -q 'burnrate:budget_correction:excluding' || fail "no excluding record"
[ "$(cluster_spec search)" = "$plain_search" ] || fail "search, not selected, changed"
listed() {
	[ "$(jpath slo checkout '{.status.corrections[0].name}')" = maintenance ] &&
		[ "$(jpath slo checkout '{.status.corrections[0].active}')" = true ]
}
wait_for 20 listed || fail "checkout's status does not list the open correction: $(jpath slo checkout '{.status}')"
[ "$(jpath slo checkout '{.status.corrections[0].end}')" = "$end" ] || fail "status.corrections[0].end"
[ -z "$(jpath slo search '{.status.corrections}')" ] || fail "search lists a correction"
bc_status() {
	[ "$(jpath bc maintenance '{.status.matchedSLOs}')" = 1 ] &&
		[ "$(jpath bc maintenance '{.status.slos[0]}')" = checkout ] &&
		[ "$(jpath bc maintenance '{.status.active}')" = true ] &&
		[ "$(jpath bc maintenance '{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}
wait_for 20 bc_status || fail "the correction's status: $(jpath bc maintenance '{.status}')"
[ "$(jpath bc maintenance '{.status.window}')" = "2 windows" ] || fail "status.window"
kubectl -n "$NS" get bc maintenance | grep -q 'maintenance *2 windows *1 *true' ||
	fail "kubectl get bc: $(kubectl -n "$NS" get bc maintenance)"
echo "create: ok"

# a window that opens in a few seconds: active flips then, without any change to anything
soon=$(date -u -d "@$(($(date +%s) + 6))" +%Y-%m-%dT%H:%M:%SZ)
later=$(date -u -d "@$(($(date +%s) + 3600))" +%Y-%m-%dT%H:%M:%SZ)
bc_yaml "[{start: \"$soon\", end: \"$later\"}]" >"$CTL_DIR/bc.yaml"
kubectl apply -f "$CTL_DIR/bc.yaml" >/dev/null || fail "apply the later window"
wait_for 20 rendered || fail "the changed window is not in checkout's rules"
inactive() { [ "$(jpath bc maintenance '{.status.active}')" = false ] &&
	[ "$(jpath slo checkout '{.status.corrections[0].active}')" = false ]; }
wait_for 10 inactive || fail "active did not follow the window that has not opened yet"
[ "$(jpath bc maintenance '{.status.nextStart}')" = "$soon" ] || fail "status.nextStart"
active() { [ "$(jpath bc maintenance '{.status.active}')" = true ] &&
	[ "$(jpath slo checkout '{.status.corrections[0].active}')" = true ]; }
wait_for 20 active || fail "active did not flip when the window opened"
echo "edges: ok"

# checkout relabelled out of the selector: its rules lose the correction, which selects nothing
kubectl -n "$NS" label slo checkout team=payments --overwrite >/dev/null || fail "relabel"
plain() { [ "$(generated_spec "$CTL_DIR/checkout.yaml")" = "$(cluster_spec checkout)" ]; }
wait_for 20 plain || fail "checkout's rules still carry the correction"
nomatch() {
	[ "$(jpath bc maintenance '{.status.matchedSLOs}')" = 0 ] &&
		[ "$(jpath bc maintenance '{.status.conditions[?(@.type=="SelectsSLOs")].reason}')" = NoMatch ]
}
wait_for 20 nomatch || fail "no NoMatch condition: $(jpath bc maintenance '{.status}')"
[ -z "$(jpath slo checkout '{.status.corrections}')" ] || fail "checkout still lists the correction"
kubectl -n "$NS" label slo checkout team=checkout --overwrite >/dev/null || fail "relabel back"
wait_for 20 rendered || fail "relabelled back: the correction is not in the rules"
echo "selector: ok"

# accepted by the API server, refused by burnrate: Ready False, the rules left alone
bc_yaml "[{schedule: \"0 23 * * SAT\", duration: 3h}, {schedule: \"0 1 * * SUN\", duration: 1h}]" \
	>"$CTL_DIR/bad.yaml"
kubectl apply -f "$CTL_DIR/bad.yaml" >/dev/null || fail "the API server refused overlapping windows"
refused() {
	[ "$(jpath bc maintenance '{.status.conditions[?(@.type=="Ready")].reason}')" = InvalidSpec ] &&
		jpath bc maintenance '{.status.conditions[?(@.type=="Ready")].message}' | grep -q 'spec.windows: windows overlap'
}
wait_for 20 refused || fail "overlap: $(jpath bc maintenance '{.status.conditions}')"
# an invalid correction applies to nothing: checkout's rules are the plain ones
wait_for 20 plain || fail "checkout's rules carry an invalid correction"
echo "invalid: ok"

# deleted: the rules are the plain ones again
kubectl apply -f "$CTL_DIR/bc.yaml" >/dev/null || fail "apply again"
wait_for 20 rendered || fail "re-applied: not rendered"
kubectl -n "$NS" delete bc maintenance >/dev/null || fail "delete the correction"
wait_for 20 plain || fail "deleted: checkout's rules still carry it"
echo "delete: ok"

# a one-off window longer than a selected SLO's own window: not applied to it, and said so
slo_yaml weekly | sed "s/^  window: 30d/  window: 7d/; s/^  namespace: .*/&\n  labels: {team: weekly}/" \
	>"$CTL_DIR/weekly.yaml"
kubectl apply -f "$CTL_DIR/weekly.yaml" >/dev/null || fail "apply weekly"
wait_for 20 ready weekly || fail "weekly never Ready"
cat <<YAML | kubectl apply -f - >/dev/null || fail "apply the long correction"
apiVersion: burnrate.dev/v1alpha1
kind: BudgetCorrection
metadata: {name: long, namespace: $NS}
spec:
  selector: {matchLabels: {team: weekly}}
  reason: a long freeze
  windows: [{start: "$start", end: "$(date -u -d "@$((now + 8 * 86400))" +%Y-%m-%dT%H:%M:%SZ)"}]
YAML
too_long() {
	[ "$(jpath bc long '{.status.conditions[?(@.type=="Ready")].reason}')" = WindowLongerThanSLO ] &&
		jpath bc long '{.status.conditions[?(@.type=="Ready")].message}' | grep -q '"weekly"'
}
wait_for 20 too_long || fail "long window: $(jpath bc long '{.status.conditions}')"
[ "$(generated_spec "$CTL_DIR/weekly.yaml")" = "$(cluster_spec weekly)" ] || fail "weekly's rules carry it"
echo "longer than the SLO's window: ok"

ctl_stop a
echo "ok: BudgetCorrections with the controller"
