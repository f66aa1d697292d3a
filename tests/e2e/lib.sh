# Shell helpers for end-to-end tests: start/stop the fake API server, talk to its admin API,
# make namespaces. Source it from bash; functions return non-zero on failure.
#
#   start_fakeapi [fakeapi.py flags...]  starts tests/fakeapi/fakeapi.py on a free port and
#       exports FAKEAPI_DIR, FAKEAPI_PID, FAKEAPI_URL, FAKEAPI_TOKEN, FAKEAPI_CA, KUBECONFIG,
#       KUBECACHEDIR (kubectl's discovery cache, kept per server)
#   stop_fakeapi                         SIGTERM (saves --state if given), waits, removes the
#       directory unless FAKEAPI_KEEP=1 or it is restarting
#   restart_fakeapi                      stop and start again on the same port with the same
#       certificates, token and objects (--state), like an API server restart
#   start_faultproxy [--port N]          starts tests/e2e/faultproxy.py in front of the server
#       in KUBECONFIG (real or fake) and exports PROXY_DIR, PROXY_PID, PROXY_URL, PROXY_PORT,
#       PROXY_TOKEN, PROXY_CA, UPSTREAM_KUBECONFIG (the server behind) and KUBECONFIG (the
#       proxy's), so that kubectl and burnrate go through it
#   stop_faultproxy [--keep]             stops it (--keep: its directory stays, for a restart)
#   fake_admin PATH [JSON]               the admin API (the proxy's when one runs, else the
#       fake's): GET without JSON (POST for actions), POST with JSON; prints the response
#       body; fails on HTTP errors
#   clear_faults                         removes every fault not used up yet
#   make_namespace [PREFIX]              creates a namespace PREFIX-<random>, prints its name,
#       remembers it (in the file E2E_NS_FILE) for cleanup_namespaces
#   cleanup_namespaces                   deletes every namespace make_namespace created
#   e2e_apply_crds                       kubectl apply -f crds/ and waits until established
#   wait_for SECONDS COMMAND...          runs COMMAND every 0.2 s until it succeeds; fails
#       after SECONDS
#   fail MESSAGE                         prints to stderr and exits 1

E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FAKEAPI_PY=${FAKEAPI_PY:-$E2E_LIB_DIR/../fakeapi/fakeapi.py}
# A file, not a variable, because make_namespace usually runs in $(...).
# Created by the first make_namespace, removed by cleanup_namespaces.
: "${E2E_NS_FILE:=${TMPDIR:-/tmp}/e2e-namespaces.$$}"
export E2E_NS_FILE

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# await_ready NAME DIR PID: waits (20 s) until the server PID prints "ready URL" to DIR/stdout.
await_ready() {
	local i
	for i in $(seq 1 200); do
		grep -q '^ready ' "$2/stdout" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || { echo "$1 exited early:" >&2; cat "$2/stderr" >&2; return 1; }
		sleep 0.1
	done
	echo "$1 did not start" >&2
	return 1
}

# stop_pid PID: SIGTERM and wait (10 s) until it is gone. wait only works for our own
# children: a script run by run.sh stops its parent's server, and must not restart it
# before the old one has saved its state and let go of the port.
stop_pid() {
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	local i
	for i in $(seq 1 100); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
}

start_fakeapi() {
	if [ -z "${FAKEAPI_DIR:-}" ]; then
		FAKEAPI_DIR=$(mktemp -d "${TMPDIR:-/tmp}/fakeapi.XXXXXX") || return 1
	fi
	FAKEAPI_ARGS=("$@")
	local port_args=()
	[ -n "${FAKEAPI_PORT:-}" ] && port_args=(--port "$FAKEAPI_PORT")
	python3 "$FAKEAPI_PY" --dir "$FAKEAPI_DIR" --state "$FAKEAPI_DIR/state.json" \
		"${port_args[@]}" "$@" >"$FAKEAPI_DIR/stdout" 2>"$FAKEAPI_DIR/stderr" &
	FAKEAPI_PID=$!
	await_ready fakeapi "$FAKEAPI_DIR" "$FAKEAPI_PID" || return 1
	FAKEAPI_URL=$(sed -n 's/^ready //p' "$FAKEAPI_DIR/stdout")
	FAKEAPI_PORT=$(cat "$FAKEAPI_DIR/port")
	FAKEAPI_TOKEN=$(cat "$FAKEAPI_DIR/token")
	FAKEAPI_CA=$FAKEAPI_DIR/ca.crt
	KUBECONFIG=$FAKEAPI_DIR/kubeconfig
	KUBECACHEDIR=$FAKEAPI_DIR/kubecache
	export FAKEAPI_DIR FAKEAPI_PID FAKEAPI_URL FAKEAPI_PORT FAKEAPI_TOKEN FAKEAPI_CA
	export KUBECONFIG KUBECACHEDIR
}

stop_fakeapi() {
	[ -n "${FAKEAPI_PID:-}" ] || return 0
	stop_pid "$FAKEAPI_PID"
	FAKEAPI_PID=
	if [ "${FAKEAPI_KEEP:-0}" != 1 ] && [ "${1:-}" != --keep ]; then
		rm -rf "$FAKEAPI_DIR"
		FAKEAPI_DIR=
		FAKEAPI_PORT=
	fi
}

restart_fakeapi() {
	stop_fakeapi --keep
	start_fakeapi "${FAKEAPI_ARGS[@]}"
}

start_faultproxy() {
	UPSTREAM_KUBECONFIG=${UPSTREAM_KUBECONFIG:-$KUBECONFIG}
	[ -n "${PROXY_DIR:-}" ] || PROXY_DIR=$(mktemp -d "${TMPDIR:-/tmp}/faultproxy.XXXXXX") || return 1
	: >"$PROXY_DIR/stdout"
	python3 "$E2E_LIB_DIR/faultproxy.py" --dir "$PROXY_DIR" --upstream "$UPSTREAM_KUBECONFIG" "$@" \
		>"$PROXY_DIR/stdout" 2>"$PROXY_DIR/stderr" &
	PROXY_PID=$!
	await_ready faultproxy "$PROXY_DIR" "$PROXY_PID" || return 1
	PROXY_URL=$(sed -n 's/^ready //p' "$PROXY_DIR/stdout")
	PROXY_PORT=$(cat "$PROXY_DIR/port")
	PROXY_TOKEN=$(cat "$PROXY_DIR/token")
	PROXY_CA=$PROXY_DIR/ca.crt
	KUBECONFIG=$PROXY_DIR/kubeconfig
	export PROXY_DIR PROXY_PID PROXY_URL PROXY_PORT PROXY_TOKEN PROXY_CA UPSTREAM_KUBECONFIG KUBECONFIG
}

stop_faultproxy() {
	[ -n "${PROXY_PID:-}" ] || return 0
	stop_pid "$PROXY_PID"
	PROXY_PID=
	if [ "${1:-}" != --keep ]; then
		rm -rf "$PROXY_DIR"
		PROXY_DIR=
		KUBECONFIG=$UPSTREAM_KUBECONFIG
	fi
}

fake_admin() {
	local path=$1 method=POST
	local url=${PROXY_URL:-$FAKEAPI_URL} ca=${PROXY_CA:-$FAKEAPI_CA} token=${PROXY_TOKEN:-$FAKEAPI_TOKEN}
	local args=(-sS --fail-with-body --cacert "$ca" -H "Authorization: Bearer $token")
	if [ $# -ge 2 ]; then
		args+=(-H "Content-Type: application/json" --data-binary "$2")
	else
		case $path in
		/fake/requests | /fake/faults | /fake/watches) method=GET ;;
		esac
	fi
	curl "${args[@]}" -X "$method" "$url$path"
}

clear_faults() {
	local url=${PROXY_URL:-$FAKEAPI_URL} ca=${PROXY_CA:-$FAKEAPI_CA} token=${PROXY_TOKEN:-$FAKEAPI_TOKEN}
	curl -sS --fail-with-body --cacert "$ca" -H "Authorization: Bearer $token" -X DELETE "$url/fake/faults" >/dev/null
}

make_namespace() {
	local name
	name=${1:-e2e}-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
	kubectl create namespace "$name" >/dev/null || return 1
	echo "$name" >>"$E2E_NS_FILE"
	echo "$name"
}

cleanup_namespaces() {
	local ns
	[ -f "$E2E_NS_FILE" ] || return 0
	# straight to the server: the fault proxy may be gone (or faulty) by now
	for ns in $(cat "$E2E_NS_FILE"); do
		KUBECONFIG=${UPSTREAM_KUBECONFIG:-$KUBECONFIG} kubectl delete namespace "$ns" --wait=false >/dev/null ||
			echo "could not delete namespace $ns" >&2
	done
	rm -f "$E2E_NS_FILE"
}

e2e_apply_crds() {
	kubectl apply -f "${BURNRATE_SOURCE_DIR:?}/crds/" >/dev/null || return 1
	kubectl wait --for condition=established --timeout=60s \
		-f "$BURNRATE_SOURCE_DIR/crds/" >/dev/null
}

wait_for() {
	local deadline=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}
