#!/usr/bin/env bash
# Errors on the leader Lease never vanish. A replica whose requests on its Lease fail (403)
# logs the error once, with the Lease, the HTTP code, the Status reason and message; counts
# every failed attempt in burnrate_leader_election_errors_total{code}; fails /readyz with a
# body that says why; writes nothing. When the error goes, it logs the recovery, leads,
# becomes ready and reconciles. A second replica, waiting while the first one leads, is
# ready and logs no error, as before.
#
# Part 1 injects the 403 through the fault proxy's /fake/faults (in front of either server). Part 2 runs on a real cluster only (E2E_MODE=cluster): the controller runs as
# a ServiceAccount whose Role has no rights on Leases, so the 403 is the real authorizer's;
# then the rights are granted and it recovers.
set -u
source "$E2E_LIB"
source "$(dirname "$0")/controller_lib.sh"
ctl_binary
e2e_apply_crds || fail "cannot apply the CRDs"
NS=$E2E_NAMESPACE
LEASE=burnrate-controller
lead=(--leader-elect --leader-election-namespace "$NS")
ready() { [ "$(jpath slo "$1" '{.status.conditions[?(@.type=="Ready")].status}')" = "$2" ]; }

# loglines NAME MSG [KEY=VALUE...]: how many JSON lines of NAME's log have msg MSG and
# every KEY=VALUE given (VALUE ending in '*': the field starts with the rest).
loglines() {
	python3 - "$CTL_DIR/$1.log" "${@:2}" <<'PY'
import json, sys
path, msg, want = sys.argv[1], sys.argv[2], [a.split("=", 1) for a in sys.argv[3:]]
def ok(d, k, v):
    f = d.get(k)
    return isinstance(f, str) and (f.startswith(v[:-1]) if v.endswith("*") else f == v)
n = 0
for line in open(path, errors="replace"):
    try:
        d = json.loads(line)
    except ValueError:
        continue
    if isinstance(d, dict) and d.get("msg") == msg and all(ok(d, k, v) for k, v in want):
        n += 1
print(n)
PY
}
has_line() { [ "$(loglines "$@")" -ge 1 ]; }

# probe NAME PATH: the HTTP code of NAME's health port for PATH; the body in $CTL_DIR/body.
probe() {
	curl -s -o "$CTL_DIR/body" -w '%{http_code}' "http://127.0.0.1:$(ctl_port "$1" "health probes")$2"
}
# metric NAME SERIES: the value of SERIES (name and labels, as rendered) on NAME's /metrics.
metric() {
	curl -s "http://127.0.0.1:$(ctl_port "$1" metrics)/metrics" |
		awk -v s="$2" '$1 == s { print $2 }'
}
metric_at_least() { [ "$(metric "$1" "$2")" ] && awk -v v="$(metric "$1" "$2")" -v m="$3" 'BEGIN { exit !(v >= m) }'; }
readyz_is() { [ "$(probe "$1" /readyz)" = "$2" ]; }

# expect_forbidden NAME MESSAGE: NAME logged the 403 once with MESSAGE (a prefix, ending in
# '*', or all of it), /readyz says it, the metrics count it, it writes nothing.
expect_forbidden() {
	local name=$1 message=$2 err=(code=403 reason=Forbidden)
	local line=("leader election: cannot get Lease" namespace="$NS" name="$LEASE" kind=Lease verb=get)
	wait_for 30 has_line "$name" "${line[@]}" "${err[@]}" error="$message" ||
		{ tail -n 20 "$CTL_DIR/$name.log" >&2; fail "$name: no log line naming the Lease, 403, Forbidden and the message"; }
	grep '"leader election: cannot get Lease"' "$CTL_DIR/$name.log" | head -n 1
	# several attempts (one per retry period, 2 s): still one line, and no leader
	wait_for 30 metric_at_least "$name" 'burnrate_leader_election_errors_total{code="403"}' 3 ||
		fail "$name: burnrate_leader_election_errors_total{code=\"403\"} not counting: $(metric "$name" 'burnrate_leader_election_errors_total{code="403"}')"
	[ "$(loglines "$name" "leader election: cannot get Lease")" = 1 ] ||
		fail "$name: the error is logged at every attempt, not once"
	[ "$(metric "$name" burnrate_leader_election_failing)" = 1 ] || fail "$name: burnrate_leader_election_failing is not 1"
	[ "$(metric "$name" burnrate_leader)" = 0 ] || fail "$name: leads without the Lease"
	grep -q '"became leader"' "$CTL_DIR/$name.log" && fail "$name: became leader without the Lease"
	local code
	code=$(probe "$name" /readyz)
	[ "$code" = 503 ] || fail "$name: /readyz is $code while the Lease is forbidden"
	cat "$CTL_DIR/body"
	grep -qF "Lease $NS/$LEASE: HTTP 403 Forbidden: ${message%\*}" "$CTL_DIR/body" ||
		fail "$name: /readyz does not name the Lease and the error: $(cat "$CTL_DIR/body")"
	[ "$(probe "$name" /healthz)" = 200 ] || fail "$name: /healthz fails (it must not restart)"
}

# expect_recovered NAME SLO: NAME logged the recovery once, leads, is ready, reconciles SLO.
expect_recovered() {
	local name=$1
	wait_for 30 grep -q '"became leader"' "$CTL_DIR/$name.log" ||
		{ tail -n 20 "$CTL_DIR/$name.log" >&2; fail "$name: never became leader once the Lease worked"; }
	wait_for 10 has_line "$name" "leader election: the Lease works again" namespace="$NS" \
		name="$LEASE" kind=Lease "lastError=cannot get Lease: HTTP 403 Forbidden*" ||
		fail "$name: the recovery is not logged"
	[ "$(loglines "$name" "leader election: the Lease works again")" = 1 ] || fail "$name: recovery logged twice"
	wait_for 10 readyz_is "$name" 200 || fail "$name: /readyz still $(probe "$name" /readyz): $(cat "$CTL_DIR/body")"
	[ "$(cat "$CTL_DIR/body")" = ok ] || fail "$name: /readyz body $(cat "$CTL_DIR/body")"
	[ "$(metric "$name" burnrate_leader_election_failing)" = 0 ] || fail "$name: burnrate_leader_election_failing is not 0"
	[ "$(metric "$name" burnrate_leader)" = 1 ] || fail "$name: burnrate_leader is not 1"
	wait_for 30 ready "$2" True || fail "$2 not Ready after the recovery"
	local holder
	holder=$(kubectl -n "$NS" get lease "$LEASE" -o jsonpath='{.spec.holderIdentity}')
	[ -n "$holder" ] || fail "the Lease has no holder"
}

# expect_follower NAME: NAME, started while another replica leads, stays ready and silent:
# waiting for the holder is no error.
expect_follower() {
	local name=$1
	wait_for 20 grep -q '"caches synced"' "$CTL_DIR/$name.log" || fail "$name: no sync"
	sleep 5 # two or three attempts on the Lease (retry period 2 s)
	readyz_is "$name" 200 || fail "$name: a follower is not ready: $(cat "$CTL_DIR/body")"
	[ "$(metric "$name" burnrate_leader)" = 0 ] || fail "$name: a follower leads"
	[ "$(metric "$name" burnrate_leader_election_failing)" = 0 ] || fail "$name: a follower counts as failing"
	[ -z "$(curl -s "http://127.0.0.1:$(ctl_port "$name" metrics)/metrics" | grep '^burnrate_leader_election_errors_total')" ] ||
		fail "$name: a follower counts errors"
	grep -q '"kind":"Lease"' "$CTL_DIR/$name.log" && fail "$name: a follower logs Lease errors"
	ctl_stop "$name"
}

# ---- part 1: an injected 403 on the Lease (fault injection) ----
msg="leases.coordination.k8s.io \"$LEASE\" is forbidden: User \"system:serviceaccount:$NS:burnrate\" cannot get resource \"leases\" in API group \"coordination.k8s.io\" in the namespace \"$NS\""
fault=$(python3 -c 'import json,sys; print(json.dumps([{"path": "/namespaces/%s/leases" % sys.argv[1], "status": 403, "count": 100000, "message": sys.argv[2]}]))' "$NS" "$msg")
fake_admin /fake/faults "$fault" >/dev/null || fail "cannot inject the fault"
slo_yaml s1 | kubectl apply -f - >/dev/null || fail "apply s1"
ctl_start a "${lead[@]}"
wait_for 20 grep -q '"caches synced"' "$CTL_DIR/a.log" || fail "a: no sync"
expect_forbidden a "$msg"
[ -z "$(jpath slo s1 '{.status.conditions}')" ] || fail "s1 got a status with nobody leading"
clear_faults || fail "cannot clear the faults"
expect_recovered a s1
echo "injected 403: logged once, readyz 503 naming it, counted; recovered: ok"
ctl_start b "${lead[@]}"
expect_follower b
echo "a follower while a leads: ready, no error: ok"
ctl_stop a

# ---- part 2: the real authorizer's 403 (real clusters only) ----
if [ "$E2E_MODE" != cluster ]; then
	echo "ran the fault part only (the fake API server has no RBAC; the ServiceAccount part runs with E2E_MODE=cluster)"
	exit 0
fi
SA=burnrate-nolease
kubectl apply -f - >/dev/null <<YAML || fail "cannot create the ServiceAccount and Role"
apiVersion: v1
kind: ServiceAccount
metadata: {name: $SA, namespace: $NS}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: $SA, namespace: $NS}
rules:
- apiGroups: [burnrate.dev]
  resources: [servicelevelobjectives]
  verbs: [list, watch]
- apiGroups: [burnrate.dev]
  resources: [servicelevelobjectives/status]
  verbs: [update]
- apiGroups: [monitoring.coreos.com]
  resources: [prometheusrules]
  verbs: [list, watch, create, patch]
- apiGroups: [""]
  resources: [events]
  verbs: [create]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: $SA, namespace: $NS}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: $SA}
subjects: [{kind: ServiceAccount, name: $SA, namespace: $NS}]
YAML
[ "$(kubectl auth can-i get leases -n "$NS" --as "system:serviceaccount:$NS:$SA")" = no ] ||
	fail "the ServiceAccount can read Leases"
token=$(kubectl -n "$NS" create token "$SA" --duration 1h) || fail "kubectl create token"
view() { kubectl config view --raw --minify --flatten -o "jsonpath=$1"; }
server=$(view '{.clusters[0].cluster.server}')
ca=$(view '{.clusters[0].cluster.certificate-authority-data}')
tls_name=$(view '{.clusters[0].cluster.tls-server-name}')
insecure=$(view '{.clusters[0].cluster.insecure-skip-tls-verify}')
[ -n "$server" ] || fail "no server in the current kubeconfig"
{
	echo "apiVersion: v1"
	echo "kind: Config"
	echo "clusters:"
	echo "- name: e2e"
	echo "  cluster:"
	echo "    server: $server"
	[ -z "$ca" ] || echo "    certificate-authority-data: $ca"
	[ -z "$tls_name" ] || echo "    tls-server-name: $tls_name"
	[ "$insecure" != true ] || echo "    insecure-skip-tls-verify: true"
	echo "users:"
	echo "- name: $SA"
	echo "  user: {token: $token}"
	echo "contexts:"
	echo "- name: e2e"
	echo "  context: {cluster: e2e, user: $SA, namespace: $NS}"
	echo "current-context: e2e"
} >"$CTL_DIR/sa.kubeconfig"
chmod 600 "$CTL_DIR/sa.kubeconfig"

slo_yaml s2 | kubectl apply -f - >/dev/null || fail "apply s2"
ctl_start rbac --kubeconfig "$CTL_DIR/sa.kubeconfig" "${lead[@]}"
wait_for 30 grep -q '"caches synced"' "$CTL_DIR/rbac.log" ||
	{ tail -n 20 "$CTL_DIR/rbac.log" >&2; fail "rbac: no sync (the Role misses something?)"; }
expect_forbidden rbac "leases.coordination.k8s.io \"$LEASE\" is forbidden: User \"system:serviceaccount:$NS:$SA\" cannot get resource \"leases\"*"
grep -q "$token" "$CTL_DIR/rbac.log" && fail "the token is in the log"

# the rights the chart grants: the controller recovers without a restart
kubectl apply -f - >/dev/null <<YAML || fail "cannot grant the Lease rights"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: $SA-lease, namespace: $NS}
rules:
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [create]
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  resourceNames: [$LEASE]
  verbs: [get, update]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: $SA-lease, namespace: $NS}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: $SA-lease}
subjects: [{kind: ServiceAccount, name: $SA, namespace: $NS}]
YAML
expect_recovered rbac s2
echo "real 403 (RBAC): logged once, readyz 503 naming it, counted; rights granted: recovered: ok"
ctl_start rbac2 --kubeconfig "$CTL_DIR/sa.kubeconfig" "${lead[@]}"
expect_follower rbac2
echo "a follower while rbac leads: ready, no error: ok"
ctl_stop rbac
