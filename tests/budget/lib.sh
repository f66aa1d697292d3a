# Shared set-up of the budget tests (sourced by tests/budget/*.test.sh).
#
# budget_setup           the cluster in KUBECONFIG when set (E2E_FAKE unset), else a fake
#                        API server (tests/fakeapi), with the CRDs, a namespace
#                        ($E2E_NAMESPACE) and the burnrate binary ($BR); skips (77) without
#                        python3, kubectl or openssl
# budget_bg NAME CMD...  runs CMD in the background (log $CTL_DIR/NAME.log), killed on exit;
#                        its pid in BG_PID_<NAME>
# budget_kill NAME       kills a process budget_bg started and waits for it
# free_port              prints a free TCP port on 127.0.0.1
# wait_port_file FILE    waits (10 s) until a server wrote its port to FILE; prints it
# start_prometheus NAME DATADIR RULES PORT [SCRAPE_TARGET]
#                        the Debian prometheus on 127.0.0.1:PORT, evaluation and scrape
#                        every 1s; waits (60 s) until ready
# reason SLO, budget SLO JSONPATH, ready SLO   read an SLO's status
# Every server binds 127.0.0.1 only and is killed by the EXIT trap; every wait is bounded.
set -u
BUDGET_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${BURNRATE_SOURCE_DIR:=$(cd "$BUDGET_LIB_DIR/../.." && pwd)}"
export BURNRATE_SOURCE_DIR
# shellcheck source=../e2e/lib.sh
source "$BURNRATE_SOURCE_DIR/tests/e2e/lib.sh"
# shellcheck source=../e2e/controller_lib.sh
source "$BURNRATE_SOURCE_DIR/tests/e2e/controller_lib.sh"

BG_PIDS=()
budget_cleanup() {
	local p
	for p in "${BG_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	ctl_cleanup
	cleanup_namespaces
	stop_fakeapi
}
trap budget_cleanup EXIT

budget_setup() {
	local t
	for t in python3 kubectl openssl; do
		command -v "$t" >/dev/null || { echo "$t missing: skipped"; exit 77; }
	done
	ctl_binary
	if [ -n "${KUBECONFIG:-}" ] && [ -z "${E2E_FAKE:-}" ]; then
		E2E_MODE=cluster
		kubectl get crd prometheusrules.monitoring.coreos.com >/dev/null 2>&1 ||
			kubectl apply --server-side -f "$BURNRATE_SOURCE_DIR/tests/fakeapi/crds/prometheusrules.crd.yaml" >/dev/null ||
			fail "cannot install the PrometheusRule CRD"
	else
		unset KUBECONFIG FAKEAPI_DIR FAKEAPI_PORT FAKEAPI_PID
		E2E_MODE=fake
		start_fakeapi --bare --crd "$BURNRATE_SOURCE_DIR/tests/fakeapi/crds/prometheusrules.crd.yaml" ||
			fail "cannot start the fake API server"
	fi
	E2E_NAMESPACE=$(make_namespace budget) || fail "no namespace"
	export E2E_NAMESPACE E2E_MODE
	e2e_apply_crds || fail "cannot apply the CRDs"
}

budget_bg() {
	local name=$1
	shift
	"$@" >>"$CTL_DIR/$name.log" 2>&1 &
	BG_PIDS+=("$!")
	printf -v "BG_PID_$name" '%s' "$!"
}

budget_kill() {
	local var="BG_PID_$1"
	kill -TERM "${!var}" 2>/dev/null
	wait "${!var}" 2>/dev/null
	return 0
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port_file() {
	wait_for 10 test -s "$1" || fail "no port in $1"
	cat "$1"
}

start_prometheus() {
	local name=$1 data=$2 rules=$3 port=$4 target=${5:-}
	{
		echo "global: {scrape_interval: 1s, evaluation_interval: 1s}"
		echo "rule_files: ['$rules']"
		if [ -n "$target" ]; then
			echo "scrape_configs:"
			echo "- job_name: exporter"
			echo "  honor_labels: true"
			echo "  static_configs: [{targets: ['$target']}]"
		fi
	} >"$CTL_DIR/$name.yml"
	budget_bg "$name" prometheus --config.file="$CTL_DIR/$name.yml" \
		--storage.tsdb.path="$data" --storage.tsdb.retention.time=90d \
		--web.listen-address="127.0.0.1:$port" --log.level=warn
	local var="BG_PID_$name"
	prom_ready() { curl -fs "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1; }
	wait_for 60 prom_ready || { tail -n 20 "$CTL_DIR/$name.log" >&2; fail "prometheus $name not ready"; }
	kill -0 "${!var}" 2>/dev/null || fail "prometheus $name exited"
}

reason() {
	jpath slo "$1" '{.status.conditions[?(@.type=="BudgetHealthy")].reason}'
}

budget() {
	jpath slo "$1" "{.status.budget$2}"
}

ready() {
	jpath slo "$1" '{.status.conditions[?(@.type=="Ready")].status}'
}

has_reason() { [ "$(reason "$1")" = "$2" ]; }

# the controller's /metrics, by the port it logged
ctl_metric() {
	local port
	port=$(ctl_port "$1" metrics)
	curl -fs "http://127.0.0.1:$port/metrics" | awk -v k="$2" '$1==k{print $2}'
}
