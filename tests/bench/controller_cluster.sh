#!/usr/bin/env bash
# The real-cluster mode of tests/bench/controller.sh (KUBECONFIG set): burnrate controller
# against a real kube-apiserver, next to a minimal client (prints figures; not a test).
#
#   KUBECONFIG=... tests/bench/controller.sh [N=10000] [WORKERS=4] [ROUNDS=3]
#
# Each round, burnrate and then the minimal client get N fresh SLOs in a fresh namespace
# (created before the clock starts). Burnrate's time runs from its start (process start-up
# and its first lists included) to N status writes, read from its own /metrics every 0.1 s;
# the minimal client (controller_minimal.py: one server-side apply of the PrometheusRule and
# one status PUT per SLO, WORKERS threads, keep-alive TLS, the bytes burnrate wrote) from
# its start to its exit. Per run: the API requests made (deltas of the server's
# apiserver_request_total, summed over verbs), burnrate's CPU and peak RSS from /proc, and,
# when kube-apiserver and etcd run on this machine, their CPU from /proc. After round 1,
# burnrate is restarted on the same namespace with nothing changed: the writes it makes
# (burnrate_writes_total), its CPU until every SLO went through a reconcile, its RSS. Each
# namespace is deleted, and waited for, before the next run, so every run meets the same
# server. The figure is the ratio of the medians.
#
# Needs kubectl, python3, curl, a kubeconfig whose user has a bearer token, and the right to
# create namespaces and CRDs (the burnrate and PrometheusRule CRDs are applied if missing).
set -u
: "${N:?run through tests/bench/controller.sh, which sets here, src, N, W, ROUNDS and BR}"
work=$(mktemp -d "${TMPDIR:-/tmp}/ctl-cluster-bench.XXXXXX")
CPID=
NSES=()
cleanup() {
	[ -z "$CPID" ] || kill -KILL "$CPID" 2>/dev/null
	for ns in "${NSES[@]}"; do kubectl delete ns "$ns" --wait=false >/dev/null 2>&1; done
	rm -rf "$work"
}
trap cleanup EXIT

kubectl config view --raw --minify -o json >"$work/kc.json" || exit 1
read -r URL TOKEN CA < <(python3 "$here/cluster_slos.py" conn "$work/kc.json") || exit 1
for crd in "$src/tests/fakeapi/crds/prometheusrules.crd.yaml" "$src"/crds/*.yaml; do
	kubectl apply --server-side --force-conflicts -f "$crd" >/dev/null || exit 1
done
kubectl wait --for condition=established --timeout=60s crd/servicelevelobjectives.burnrate.dev \
	crd/prometheusrules.monitoring.coreos.com >/dev/null || exit 1

APISERVER=$(pgrep -x kube-apiserver | head -n 1)
ETCD=$(pgrep -x etcd | head -n 1)
ticks() { [ -n "$1" ] && awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
server_ticks() { echo $(( $(ticks "$APISERVER") + $(ticks "$ETCD") )); }
cpu() { awk '{printf "%.2f", ($14+$15)/100}' "/proc/$1/stat"; }
rss() { awk -v k="$2:" '$1==k{printf "%.1f MB", $2/1024}' "/proc/$1/status"; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
now() { date +%s.%N; }
# Waits (up to 30 s) until kube-apiserver and etcd used under 0.1 s of CPU in a second:
# both clients start on a server that has finished with the SLOs just created (the
# minimal client used to get that time from listing them first, burnrate did not).
quiet_server() {
	local i s0
	for i in $(seq 1 30); do
		s0=$(server_ticks)
		sleep 1
		[ $(( $(server_ticks) - s0 )) -lt 10 ] && return 0
	done
}
secs() { printf "%.1f" "$(echo "$2 - $1" | bc)"; }
requests() { # the server's request count, all verbs and resources
	kubectl get --raw /metrics | awk '/^apiserver_request_total\{/{s+=$NF} END{printf "%d", s}'
}
metric() { # NAME-REGEX PORT -> sum of the matching samples of burnrate's /metrics
	curl -sf "http://127.0.0.1:$2/metrics" | awk -v re="$1" '$1 ~ re {s+=$2} END{printf "%d", s}'
}

fresh_namespace() { # label -> sets NS, with N SLOs in it
	NS="brbench-$1-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	NSES+=("$NS")
	kubectl create namespace "$NS" >/dev/null || exit 1
	python3 "$here/cluster_slos.py" create "$work/kc.json" "$NS" "$N" || exit 1
}

drop_namespace() {
	kubectl delete namespace "$NS" --timeout=600s >/dev/null 2>&1 ||
		echo "(namespace $NS not gone after 600 s)"
}

start_ctl() { # log-name
	"$BR" controller --namespace "$NS" --workers "$W" --qps 100000 --burst 100000 --resync 0 \
		--metrics-bind-address 127.0.0.1:0 --health-probe-bind-address 0 --log-level info \
		>"$work/ctl-$1.log" 2>&1 &
	CPID=$!
	PORT=
	for _ in $(seq 1 100); do
		PORT=$(sed -n 's/.*"serving metrics on port \([0-9]*\)".*/\1/p' "$work/ctl-$1.log" | head -n 1)
		[ -n "$PORT" ] && break
		sleep 0.05
	done
	[ -n "$PORT" ] || { echo "no metrics port"; cat "$work/ctl-$1.log"; exit 1; }
}

stop_ctl() { kill -TERM "$CPID"; wait "$CPID"; CPID=; }

# waits until burnrate made N status writes (converge) or N reconciles with an empty queue
wait_ctl() { # what
	local want=burnrate_writes_total.*status
	[ "$1" = reconciles ] && want=burnrate_reconcile_total
	while [ "$(metric "$want" "$PORT")" -lt "$N" ] ||
		{ [ "$1" = reconciles ] && [ "$(metric '^burnrate_workqueue_depth' "$PORT")" != 0 ]; }; do
		kill -0 "$CPID" 2>/dev/null || { echo "burnrate exited"; tail "$work/ctl-restart.log"; exit 1; }
		sleep 0.1
	done
}

burnrate_round() { # round -> SECS
	fresh_namespace "b$1"
	local r0 s0 t0 t1
	quiet_server
	r0=$(requests); s0=$(server_ticks)
	t0=$(now)
	start_ctl "$1"
	wait_ctl converge
	t1=$(now)
	SECS=$(secs "$t0" "$t1")
	echo "burnrate round $1: converged in $SECS s, cpu $(cpu "$CPID") s, peak RSS" \
		"$(rss "$CPID" VmHWM), RSS $(rss "$CPID" VmRSS), requests $(( $(requests) - r0 )), server cpu" \
		"$(( ($(server_ticks) - s0) / 100 )) s"
}

minimal_round() { # round -> SECS
	fresh_namespace "m$1"
	python3 "$here/cluster_slos.py" state "$work/kc.json" "$NS" "$work/state.json" || exit 1
	local r0 s0
	quiet_server
	r0=$(requests); s0=$(server_ticks)
	SECS=$(python3 "$here/controller_minimal.py" "$URL" "$TOKEN" "$CA" "$work/state.json" \
		"$work/rule.json" "$W" "$work/status.json") || exit 1
	echo "minimal client round $1 ($W threads): $SECS s, requests $(( $(requests) - r0 ))," \
		"server cpu $(( ($(server_ticks) - s0) / 100 )) s"
}

echo "N=$N workers=$W rounds=$ROUNDS server $URL ($(kubectl version -o json 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])'))"
burnrate_round 1
b_times=("$SECS")
# idle: after the 30 s in which the controller gives freed memory back (malloc_trim)
sleep 35
echo "idle RSS 35 s after convergence: $(rss "$CPID" VmRSS)" \
	"($(awk '$1=="RssAnon:"{printf "%.1f MB", $2/1024}' "/proc/$CPID/status") of it private)"
stop_ctl
# what the minimal client writes: burnrate's rule for the first SLO and the status it wrote
kubectl get slo -n "$NS" slo-00000 -o json >"$work/one.json"
python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["status"]))' \
	"$work/one.json" >"$work/status.json"
kubectl get prometheusrule -n "$NS" slo-00000 -o json >"$work/rule.json" || exit 1
python3 - "$work/rule.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
m = r["metadata"]
r["metadata"] = {"name": m["name"], "labels": m.get("labels", {}),
                 "annotations": m.get("annotations", {}),
                 "ownerReferences": [{"apiVersion": "burnrate.dev/v1alpha1",
                                      "kind": "ServiceLevelObjective", "name": m["name"],
                                      "uid": "x", "controller": True,
                                      "blockOwnerDeletion": True}]}
r.pop("status", None)
json.dump(r, open(sys.argv[1], "w"))
PY

# restart with nothing changed
r0=$(requests); s0=$(server_ticks)
start_ctl restart
wait_ctl reconciles
echo "restart with nothing changed: writes $(metric '^burnrate_writes_total' "$PORT"), cpu" \
	"$(cpu "$CPID") s, peak RSS $(rss "$CPID" VmHWM), requests $(( $(requests) - r0 )), server cpu" \
	"$(( ($(server_ticks) - s0) / 100 )) s"
sleep 35
echo "restart: RSS 35 s later $(rss "$CPID" VmRSS), writes $(metric '^burnrate_writes_total' "$PORT")"
stop_ctl
drop_namespace

minimal_round 1
m_times=("$SECS")
drop_namespace
for r in $(seq 2 "$ROUNDS"); do
	burnrate_round "$r"
	stop_ctl
	drop_namespace
	b_times+=("$SECS")
	minimal_round "$r"
	drop_namespace
	m_times+=("$SECS")
done
bm=$(median "${b_times[@]}")
mm=$(median "${m_times[@]}")
echo "median: burnrate $bm s, minimal client $mm s, ratio $(echo "$bm $mm" | awk '{printf "%.2f", $1 / $2}')"
