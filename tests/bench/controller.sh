#!/usr/bin/env bash
# Benchmark of burnrate controller against the fake API server (prints figures; not a test).
#
#   tests/bench/controller.sh [N=10000] [WORKERS=4]
#
# N SLOs are in the server's state before burnrate starts. Measures: time from start to all
# N Ready (N status writes seen by the server), API requests made, peak and idle RSS, CPU
# time; then a restart with nothing changed (requests and writes made); then a minimal
# client (one apply and one status write per SLO, WORKERS threads) on a fresh server.
# Needs BURNRATE (the binary) or a build in build/.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
N=${1:-10000}
W=${2:-4}
BR=${BURNRATE:-$src/build/cmd/burnrate/burnrate}
[ -x "$BR" ] || { echo "no burnrate binary (set BURNRATE)"; exit 1; }
source "$src/tests/e2e/lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/ctl-bench.XXXXXX")
CPID=
trap '[ -z "$CPID" ] || kill -KILL $CPID 2>/dev/null; stop_fakeapi; rm -rf "$work"' EXIT

python3 "$here/controller_state.py" "$N" "$work/state.json"
FAKEAPI_DIR=$work/api
mkdir -p "$FAKEAPI_DIR"
cp "$work/state.json" "$FAKEAPI_DIR/state.json"
start_fakeapi --plain-chunks >/dev/null || exit 1

count() { # verb resource subresource code -> count
	fake_admin /fake/requests | python3 -c '
import json,sys
v,r,s,c=sys.argv[1:]
d=json.load(sys.stdin)
if v=="total": print(d["total"]); sys.exit()
if v=="writes": print(d["writes"]); sys.exit()
print(sum(b["count"] for b in d["by"] if b["verb"]==v and b["resource"]==r and b["subresource"]==s and str(b["code"])==c))' "$@"
}
cpu() { awk '{printf "%.2f", ($14+$15)/100}' "/proc/$1/stat"; }
rss() { awk -v k="$2:" '$1==k{print $2/1024" MB"}' "/proc/$1/status"; }

run_ctl() {
	"$BR" controller --workers "$W" --qps 100000 --burst 100000 --resync 0 \
		--metrics-bind-address 0 --health-probe-bind-address 0 --log-level warn \
		>"$work/ctl-$1.log" 2>&1 &
	CPID=$!
}

fake_admin /fake/reset-requests >/dev/null
t0=$(date +%s.%N)
run_ctl 1
until [ "$(count update burnrate.dev/servicelevelobjectives status 200)" -ge "$N" ]; do
	kill -0 $CPID 2>/dev/null || { cat "$work/ctl-1.log"; exit 1; }
	sleep 0.5
done
t1=$(date +%s.%N)
echo "N=$N workers=$W"
echo "converged: $(echo "$t1 - $t0" | bc) s, requests $(count total x x x), writes $(count writes x x x)"
echo "controller: cpu $(cpu $CPID) s, peak RSS $(rss $CPID VmHWM)"
# idle: after the 30 s in which the controller gives freed memory back (malloc_trim)
sleep 35
echo "idle RSS 35 s after convergence: $(rss $CPID VmRSS)"
# the status burnrate wrote, for the minimal client to write the same
kubectl get slo -n default slo-00000 -o json |
	python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["status"]))' >"$work/status.json"
kill -TERM $CPID; wait $CPID; CPID=

fake_admin /fake/reset-requests >/dev/null
run_ctl 2
sleep 2
# wait until every SLO went through a reconcile (the queue drains within seconds) and a trim
sleep 33
echo "restart with nothing changed: requests $(count total x x x), writes $(count writes x x x)," \
	"cpu $(cpu $CPID) s, RSS $(rss $CPID VmRSS)"
kill -TERM $CPID; wait $CPID; CPID=
stop_fakeapi

# minimal client on a fresh server with the same state
FAKEAPI_DIR=$work/api2
mkdir -p "$FAKEAPI_DIR"
cp "$work/state.json" "$FAKEAPI_DIR/state.json"
start_fakeapi --plain-chunks >/dev/null || exit 1
python3 - "$work/state.json" >"$work/one.yaml" <<'PY'
import json,sys
o=json.load(open(sys.argv[1]))["objects"][0]["object"]
print(json.dumps(o))
PY
"$BR" generate -f "$work/one.yaml" | python3 -c 'import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin)))' >"$work/rule.json"
python3 - "$work/rule.json" "$work/state.json" <<'PY'
import json,sys
r=json.load(open(sys.argv[1])); o=json.load(open(sys.argv[2]))["objects"][0]["object"]
r["metadata"]["ownerReferences"]=[{"apiVersion":"burnrate.dev/v1alpha1","kind":"ServiceLevelObjective","name":o["metadata"]["name"],"uid":"x","controller":True,"blockOwnerDeletion":True}]
json.dump(r,open(sys.argv[1],"w"))
PY
secs=$(python3 "$here/controller_minimal.py" "$FAKEAPI_URL" "$FAKEAPI_TOKEN" "$FAKEAPI_CA" \
	"$work/state.json" "$work/rule.json" "$W" "$work/status.json")
echo "minimal client ($W threads): $secs s for $N applies + $N status writes"
