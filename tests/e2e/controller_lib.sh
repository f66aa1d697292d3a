# Helpers for the controller end-to-end scripts (sourced after $E2E_LIB).
#   ctl_binary                 sets BR to the burnrate binary, or exits 77
#   ctl_start NAME [ARGS...]   runs `burnrate controller ARGS` in the background,
#                              logging to $CTL_DIR/NAME.log; its pid in CTL_PID_<NAME>
#   ctl_stop NAME              SIGTERM, waits; fails unless it exits 0 within 10 s
#   slo_yaml NAME [OBJECTIVE]  prints an SLO manifest for $E2E_NAMESPACE
#   jpath KIND NAME EXPR       kubectl get -o jsonpath
#   writes                     the fake server's count of write requests
CTL_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ctl-e2e.XXXXXX")
CTL_PIDS=()
ctl_cleanup() {
	local p
	for p in "${CTL_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	# a server or proxy restarted by ctl_restart_fakeapi is ours, not run.sh's
	[ -z "${CTL_OWN_FAKEAPI:-}" ] || kill -TERM "$FAKEAPI_PID" 2>/dev/null
	[ -z "${CTL_OWN_PROXY:-}" ] || kill -TERM "$PROXY_PID" 2>/dev/null
	rm -rf "$CTL_DIR"
}
trap ctl_cleanup EXIT

# The API server goes away and comes back: the fault proxy stops (connections refused, open
# watches cut) and starts again on the same port; on the fake, the server itself restarts
# too (same port, objects kept, watch history lost as after a real restart).
ctl_restart_fakeapi() {
	stop_faultproxy --keep
	if [ "$E2E_MODE" = fake ]; then
		FAKEAPI_ARGS=(--bare --crd "$BURNRATE_SOURCE_DIR/tests/fakeapi/crds/prometheusrules.crd.yaml")
		FAKEAPI_KEEP=1 stop_fakeapi --keep
		start_fakeapi "${FAKEAPI_ARGS[@]}" || return 1
		CTL_OWN_FAKEAPI=1
	fi
	sleep 2
	start_faultproxy --port "$PROXY_PORT" || return 1
	CTL_OWN_PROXY=1
}

ctl_binary() {
	BR=${BURNRATE:-}
	[ -n "$BR" ] || BR=${BURNRATE_BUILD_DIR:-}/cmd/burnrate/burnrate
	[ -x "$BR" ] || { echo "burnrate binary not found (set BURNRATE): skipped"; exit 77; }
}

ctl_start() {
	local name=$1
	shift
	"$BR" controller --namespace "$E2E_NAMESPACE" --resync 0 \
		--metrics-bind-address 127.0.0.1:0 --health-probe-bind-address 127.0.0.1:0 \
		"$@" >>"$CTL_DIR/$name.log" 2>&1 &
	local pid=$!
	CTL_PIDS+=("$pid")
	printf -v "CTL_PID_$name" '%s' "$pid"
}

ctl_stop() {
	local name=$1 var="CTL_PID_$1" start rc
	local pid=${!var}
	start=$(date +%s%N)
	kill -TERM "$pid" 2>/dev/null || fail "$name is not running"
	local i
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		cat "$CTL_DIR/$name.log" >&2
		fail "$name still running 10 s after SIGTERM"
	fi
	wait "$pid"
	rc=$?
	grep -q 'Sanitizer' "$CTL_DIR/$name.log" && { cat "$CTL_DIR/$name.log" >&2; fail "$name: sanitizer report"; }
	CTL_STOP_MS=$((($(date +%s%N) - start) / 1000000))
	[ "$rc" = 0 ] || { tail -n 20 "$CTL_DIR/$name.log" >&2; fail "$name exited $rc after SIGTERM"; }
}

# The port NAME serves WHAT ("metrics" or "health probes") on, from its log.
ctl_port() {
	sed -n "s/.*\"serving $2 on port \([0-9]*\)\".*/\1/p" "$CTL_DIR/$1.log" | tail -n 1
}

# The sum of the samples of METRIC that controller NAME serves now.
ctl_metric() {
	curl -sf "http://127.0.0.1:$(ctl_port "$1" metrics)/metrics" |
		awk -v m="$2" '$1 == m || index($1, m "{") == 1 {s += $2} END {print s + 0}'
}

slo_yaml() {
	cat <<YAML
apiVersion: burnrate.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: $1
  namespace: $E2E_NAMESPACE
spec:
  service: $1
  objective: ${2:-99.5}
  window: 30d
  indicator:
    ratio:
      errors: http_requests_total{job="$1",code=~"5.."}
      total: http_requests_total{job="$1"}
YAML
}

jpath() {
	kubectl -n "$E2E_NAMESPACE" get "$1" "$2" -o "jsonpath=$3" 2>/dev/null
}

writes() {
	fake_admin /fake/requests | python3 -c 'import json,sys; print(json.load(sys.stdin)["writes"])'
}

# The spec of what `burnrate generate` renders for a manifest file, as sorted JSON.
generated_spec() {
	"$BR" generate -f "$1" | python3 -c 'import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin)["spec"], sort_keys=True))'
}

cluster_spec() {
	kubectl -n "$E2E_NAMESPACE" get prometheusrule "$1" -o json |
		python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["spec"], sort_keys=True))'
}
