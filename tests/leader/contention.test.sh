#!/usr/bin/env bash
# Two processes contend for one Lease on tests/fakeapi: exactly one leads;
# SIGKILL the leader and the other takes over once the lease expires (lease
# 6 s, renew deadline 4 s, retry 1 s here); SIGTERM a leader and it releases
# the lease, so a third contender takes over within about one retry period.
# The contenders are tests/unit/test_leader.c in its child mode. With KUBECONFIG set they
# contend on that cluster instead (a Lease of a random name in namespace default, deleted
# afterwards).
set -u
src=${BURNRATE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${BURNRATE_BUILD_DIR:-$src/build}/tests/test_leader
fake=$src/tests/fakeapi/fakeapi.py
command -v python3 >/dev/null && [ -f "$fake" ] || { echo "skip: no python3 or fakeapi"; exit 77; }
[ -x "$bin" ] || { echo "skip: $bin not built"; exit 77; }

dir=$(mktemp -d /tmp/br-contention-XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$dir"/*.out "$dir"/*.killed; do echo "== $f"; cat "$f"; done; exit 1; }
now() { date +%s.%N; }
since() { python3 -c "import sys; print('%.3f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$(now)"; }

LEASE=contention
if [ -n "${KUBECONFIG:-}" ]; then
	command -v kubectl >/dev/null || fail "KUBECONFIG set but no kubectl"
	kubeconfig=$KUBECONFIG
	LEASE=contention-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
	trap 'kubectl -n default delete lease "$LEASE" --ignore-not-found >/dev/null; cleanup' EXIT
	lease_json() { kubectl -n default get lease "$LEASE" -o json; }
	echo "on the cluster in $KUBECONFIG, Lease default/$LEASE"
else
	python3 "$fake" --dir "$dir" --port 0 --bare >"$dir/fake.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do grep -q '^ready' "$dir/fake.log" && break; sleep 0.1; done
	grep -q '^ready' "$dir/fake.log" || fail "fakeapi did not start"
	port=$(cat "$dir/port")
	kubeconfig=$dir/kubeconfig
	lease_json() {
		curl -s --cacert "$dir/ca.crt" -H "Authorization: Bearer $(cat "$dir/token")" \
			"https://127.0.0.1:$port/apis/coordination.k8s.io/v1/namespaces/default/leases/$LEASE"
	}
fi

lease() { # prints holderIdentity ("-" if empty) leaseTransitions leaseDurationSeconds
	lease_json | python3 -c 'import json,sys; s=json.load(sys.stdin)["spec"]; print(s.get("holderIdentity") or "-", s.get("leaseTransitions",0), s["leaseDurationSeconds"])'
}

declare -A pid_of
contender() { # id
	BR_LEADER_CHILD=1 BR_LEADER_KUBECONFIG="$kubeconfig" BR_LEADER_NAME="$LEASE" BR_LEADER_ID="$1" \
	BR_LEADER_LEASE=6 BR_LEADER_RENEW=4 BR_LEADER_RETRY=1 "$bin" >"$dir/$1.out" 2>&1 &
	pid_of[$1]=$!
	pids+=($!)
}
leaders() { cat "$dir"/*.out | awk '$1=="started"{s[$2]++} $1=="stopped"{s[$2]--} END{for(k in s) if(s[k]>0) print k}' | sort; }

contender one
contender two
for _ in $(seq 100); do [ -n "$(leaders)" ] && break; sleep 0.1; done
first=$(leaders)
[ -n "$first" ] || fail "nobody leads after 10 s"
sleep 3 # several renewals and attempts
[ "$(leaders)" = "$first" ] || fail "leaders changed: '$(leaders)' (was '$first')"
[ "$(grep -c '^started' "$dir"/one.out "$dir"/two.out | awk -F: '{n+=$2} END{print n}')" = 1 ] ||
	fail "more than one started"
read -r holder transitions _ < <(lease)
[ "$holder" = "$first" ] || fail "lease holder '$holder', leader '$first'"
echo "leader: $first (leaseTransitions $transitions)"
other=$([ "$first" = one ] && echo two || echo one)

t0=$(now)
kill -9 "${pid_of[$first]}"
wait "${pid_of[$first]}" 2>/dev/null
mv "$dir/$first.out" "$dir/$first.killed" # it can no longer say "stopped"
for _ in $(seq 200); do grep -q '^started' "$dir/$other.out" && break; sleep 0.05; done
took=$(since "$t0")
grep -q '^started' "$dir/$other.out" || fail "$other did not take over within 10 s"
echo "takeover after SIGKILL: $took s (lease 6 s, retry 1 s)"
python3 -c "import sys; t=float(sys.argv[1]); sys.exit(0 if 3.5 <= t <= 8.5 else 1)" "$took" ||
	fail "takeover after $took s: expected between lease-retry and lease+retry+slack"
read -r holder t2 _ < <(lease)
[ "$holder" = "$other" ] || fail "lease holder '$holder', expected '$other'"
[ "$t2" = $((transitions + 1)) ] || fail "leaseTransitions $t2, expected $((transitions + 1))"

contender three
sleep 2
[ "$(leaders | tr '\n' ' ')" = "$other " ] || fail "leaders '$(leaders)' while $other holds the lease"
t0=$(now)
kill -TERM "${pid_of[$other]}"
wait "${pid_of[$other]}" || fail "$other exited $?"
grep -q '^stopped' "$dir/$other.out" || fail "$other did not report stopped"
for _ in $(seq 200); do grep -q '^started' "$dir/three.out" && break; sleep 0.05; done
took=$(since "$t0")
grep -q '^started' "$dir/three.out" || fail "three did not take over after release"
echo "takeover after release: $took s"
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 3.0 else 1)" "$took" ||
	fail "takeover after release took $took s: the lease was not released"
kill -TERM "${pid_of[three]}"
wait "${pid_of[three]}" || fail "three exited $?"
read -r holder _ dur < <(lease)
[ "$holder" = - ] && [ "$dur" = 1 ] || fail "after stop: holder '$holder', duration $dur"
echo "PASS"
