#!/usr/bin/env bash
# Benchmark of burnrate controller against the fake API server (prints figures; not a test).
#
#   tests/bench/controller.sh [N=10000] [WORKERS=4] [ROUNDS=3]
#
# N SLOs are in the server's state before burnrate starts. Measures: time from start to all
# N Ready (N status writes seen by the server), API requests made, peak and idle RSS, CPU
# time; then a restart with nothing changed (requests and writes made); then a minimal
# client (one apply and one status write per SLO, WORKERS threads, the same bytes) on a
# fresh server with the same state. Burnrate and the minimal client take turns, ROUNDS
# times each; the ratio of the medians is the figure (this machine's runs vary by 10-20%).
#
# PIN=1 (the default with 2 CPUs or more): the fake API server runs on CPU 0, the client
# (burnrate or the minimal one) on CPU 1. The fake is one Python process whose threads share
# one interpreter lock; when the client's threads share its core, its speed depends on the
# scheduler more than on the client. A real API server runs on other machines. PIN=0 lets
# everything float, for comparison.
# Needs BURNRATE (the binary) or a build in build/.
#
# With KUBECONFIG set, the same comparison runs against that cluster's real API server
# instead: controller_cluster.sh (its header says what it measures).
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
N=${1:-10000}
W=${2:-4}
ROUNDS=${3:-3}
BR=${BURNRATE:-$src/build/cmd/burnrate/burnrate}
[ -x "$BR" ] || { echo "no burnrate binary (set BURNRATE)"; exit 1; }
export here src N W ROUNDS BR
[ -n "${KUBECONFIG:-}" ] && exec bash "$here/controller_cluster.sh"
if [ -z "${PIN:-}" ]; then
	PIN=0
	[ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null && PIN=1
fi
CLIENT=()
[ "$PIN" = 1 ] && CLIENT=(taskset -c 1)
source "$src/tests/e2e/lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/ctl-bench.XXXXXX")
CPID=
trap '[ -z "$CPID" ] || kill -KILL $CPID 2>/dev/null; stop_fakeapi; rm -rf "$work"' EXIT

python3 "$here/controller_state.py" "$N" "$work/state.json"

# a fresh fake API server holding the N SLOs (and nothing burnrate made)
fresh_server() {
	stop_fakeapi
	FAKEAPI_DIR=$work/api-$1
	mkdir -p "$FAKEAPI_DIR"
	cp "$work/state.json" "$FAKEAPI_DIR/state.json"
	start_fakeapi --plain-chunks >/dev/null || exit 1
	[ "$PIN" = 1 ] && taskset -a -p -c 0 "$FAKEAPI_PID" >/dev/null
	fake_admin /fake/reset-requests >/dev/null
}

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
rss() { awk -v k="$2:" '$1==k{printf "%.1f MB", $2/1024}' "/proc/$1/status"; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

run_ctl() {
	"${CLIENT[@]}" "$BR" controller --workers "$W" --qps 100000 --burst 100000 --resync 0 \
		--metrics-bind-address 0 --health-probe-bind-address 0 --log-level warn \
		>"$work/ctl-$1.log" 2>&1 &
	CPID=$!
}

# one burnrate run on a fresh server; sets SECS
burnrate_round() {
	fresh_server "b$1"
	local t0 t1
	t0=$(date +%s.%N)
	run_ctl "$1"
	python3 "$here/wait_status.py" "$FAKEAPI_URL" "$FAKEAPI_TOKEN" "$FAKEAPI_CA" "$N" "$CPID" >/dev/null ||
		{ cat "$work/ctl-$1.log"; exit 1; }
	t1=$(date +%s.%N)
	SECS=$(printf "%.1f" "$(echo "$t1 - $t0" | bc)")
	echo "burnrate round $1: converged in $SECS s, requests $(count total x x x)," \
		"writes $(count writes x x x), cpu $(cpu $CPID) s, peak RSS $(rss $CPID VmHWM)"
}

# the rule the minimal client applies: burnrate's for the first SLO, renamed per SLO
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

minimal_round() {
	fresh_server "m$1"
	SECS=$("${CLIENT[@]}" python3 "$here/controller_minimal.py" "$FAKEAPI_URL" "$FAKEAPI_TOKEN" \
		"$FAKEAPI_CA" "$work/state.json" "$work/rule.json" "$W" "$work/status.json")
	echo "minimal client round $1 ($W threads): $SECS s for $N applies + $N status writes"
}

echo "N=$N workers=$W rounds=$ROUNDS pinned=$PIN"
burnrate_round 1
b_times=("$SECS")
# idle: after the 30 s in which the controller gives freed memory back (malloc_trim)
sleep 35
echo "idle RSS 35 s after convergence: $(rss $CPID VmRSS)" \
	"($(awk '$1=="RssAnon:"{printf "%.1f MB", $2/1024}' "/proc/$CPID/status") of it private)"
# the status burnrate wrote, for the minimal client to write the same
kubectl get slo -n default slo-00000 -o json |
	python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["status"]))' >"$work/status.json"
kill -TERM $CPID; wait $CPID; CPID=

fake_admin /fake/reset-requests >/dev/null
run_ctl restart
# wait until every SLO went through a reconcile (the queue drains within seconds) and a trim
sleep 35
echo "restart with nothing changed: requests $(count total x x x), writes $(count writes x x x)," \
	"cpu $(cpu $CPID) s, RSS $(rss $CPID VmRSS)"
kill -TERM $CPID; wait $CPID; CPID=

minimal_round 1
m_times=("$SECS")
for r in $(seq 2 "$ROUNDS"); do
	burnrate_round "$r"
	kill -TERM $CPID; wait $CPID; CPID=
	b_times+=("$SECS")
	minimal_round "$r"
	m_times+=("$SECS")
done
stop_fakeapi
bm=$(median "${b_times[@]}")
mm=$(median "${m_times[@]}")
echo "median: burnrate $bm s, minimal client $mm s, ratio $(echo "$bm $mm" | awk '{printf "%.2f", $1 / $2}')"

# what any process linking libcurl (OpenSSL flavour, as Debian builds it) has resident
# once curl_global_init has run: the floor under burnrate's idle RSS
if cc -o "$work/curl_floor" "$here/curl_floor.c" -lcurl 2>/dev/null; then
	echo "floor: a program that only calls curl_global_init has $("$work/curl_floor")"
fi
