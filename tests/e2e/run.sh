#!/usr/bin/env bash
# The end-to-end entry point.
#
#   tests/e2e/run.sh [PATTERN...]
#
# Runs every tests/e2e/*.e2e.sh and tests/kubectl/*.e2e.sh whose path contains one of the
# PATTERNs (all when none), each in a fresh namespace, and reports pass/skip/fail.
#
# With KUBECONFIG set (and E2E_FAKE unset) the scripts run against that cluster (a test
# cluster: the burnrate and PrometheusRule CRDs are installed there if missing, and the
# missing-CRD script deletes the SLO CRD for a moment); each script gets a namespace of its
# own, deleted afterwards. Otherwise each script gets a fresh fake API server (tests/fakeapi),
# with the PrometheusRule CRD served and the burnrate CRDs left for the script to apply.
# Either way each script talks to the server through its own tests/e2e/faultproxy.py, whose
# admin API (fake_admin) injects faults and counts requests the same way in front of both.
# Scripts with a line "# e2e: last" run after the others (they disturb cluster-wide state).
#
# Environment given to each script: E2E_MODE (fake|cluster), E2E_NAMESPACE, E2E_LIB (source
# it for fake_admin, make_namespace...), BURNRATE_SOURCE_DIR, BURNRATE (the binary: found in
# build*/ or built when not given), KUBECONFIG (the proxy's), UPSTREAM_KUBECONFIG (the
# server's own), PROXY_URL, PROXY_TOKEN, PROXY_CA, PROXY_PORT, PROXY_PID, PROXY_DIR, and in
# fake mode FAKEAPI_DIR, FAKEAPI_URL, FAKEAPI_TOKEN, FAKEAPI_CA, FAKEAPI_PORT, FAKEAPI_PID.
# Scripts that want the burnrate CRDs applied for them call e2e_apply_crds (from lib.sh).
#
# Exit: 0 all ran scripts passed, 1 a script failed or was skipped, 77 nothing ran (no
# scripts). A skipped script fails the run: nothing here may pass by not running.
set -u
here=$(cd "$(dirname "$0")" && pwd)
export BURNRATE_SOURCE_DIR=${BURNRATE_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
export E2E_LIB=$here/lib.sh
# shellcheck source=lib.sh
source "$E2E_LIB"

if [ -n "${KUBECONFIG:-}" ] && [ -z "${E2E_FAKE:-}" ]; then
	export E2E_MODE=cluster
	# Even a fake API server started by the caller is only "a cluster" here: not ours to stop.
	unset FAKEAPI_PID FAKEAPI_DIR FAKEAPI_URL FAKEAPI_TOKEN FAKEAPI_CA FAKEAPI_PORT
	kubectl version >/dev/null 2>&1 || { echo "run.sh: cannot reach the cluster in $KUBECONFIG" >&2; exit 1; }
	# prometheus-operator's CRDs, which burnrate and deploy/ need, where they are missing
	for crd in "$BURNRATE_SOURCE_DIR/tests/fakeapi/crds/prometheusrules.crd.yaml" \
		"$BURNRATE_SOURCE_DIR/tests/e2e/crds/servicemonitors.crd.yaml"; do
		kubectl get -f "$crd" >/dev/null 2>&1 || kubectl apply --server-side -f "$crd" >/dev/null ||
			{ echo "run.sh: cannot install $crd" >&2; exit 1; }
	done
	echo "run.sh: cluster $(kubectl config view --minify -o 'jsonpath={.clusters[0].cluster.server}'), server $(kubectl version -o json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])')"
else
	export E2E_MODE=fake
	command -v python3 >/dev/null || { echo "run.sh: python3 missing: skipped"; exit 77; }
	command -v openssl >/dev/null || { echo "run.sh: openssl missing: skipped"; exit 77; }
fi

# The binary: BURNRATE, else the newest build*/ of this tree, else a build of our own.
if [ -z "${BURNRATE:-}" ]; then
	BURNRATE=$(ls -t "$BURNRATE_SOURCE_DIR"/build*/cmd/burnrate/burnrate 2>/dev/null | head -n 1)
	if [ -z "$BURNRATE" ]; then
		echo "run.sh: no burnrate binary in build*/: building one in build/"
		{ cmake -S "$BURNRATE_SOURCE_DIR" -B "$BURNRATE_SOURCE_DIR/build" >/dev/null &&
			cmake --build "$BURNRATE_SOURCE_DIR/build" -j"$(nproc)" --target burnrate >/dev/null; } ||
			{ echo "run.sh: cannot build burnrate" >&2; exit 1; }
		BURNRATE=$BURNRATE_SOURCE_DIR/build/cmd/burnrate/burnrate
	fi
fi
export BURNRATE

scripts=() last=()
for s in "$here"/*.e2e.sh "$here"/../kubectl/*.e2e.sh; do
	[ -f "$s" ] || continue
	if [ $# -gt 0 ]; then
		match=
		for p in "$@"; do
			case $s in *"$p"*) match=1 ;; esac
		done
		[ -n "$match" ] || continue
	fi
	s="$(cd "$(dirname "$s")" && pwd)/$(basename "$s")"
	if grep -q '^# e2e: last' "$s"; then last+=("$s"); else scripts+=("$s"); fi
done
scripts+=(${last[@]+"${last[@]}"})
if [ ${#scripts[@]} -eq 0 ]; then
	echo "run.sh: no end-to-end scripts to run"
	exit 77
fi

# One script: its own fake server (fake mode) and namespace; cleaned up whatever happens.
run_one() {
	local script=$1 log=$2
	(
		trap 'cat "$E2E_NS_FILE" >>"$workdir/namespaces" 2>/dev/null; cleanup_namespaces; stop_faultproxy
			[ "$E2E_MODE" != fake ] || stop_fakeapi' EXIT
		if [ "$E2E_MODE" = fake ]; then
			unset KUBECONFIG FAKEAPI_DIR FAKEAPI_PORT FAKEAPI_PID
			start_fakeapi --bare --crd "$BURNRATE_SOURCE_DIR/tests/fakeapi/crds/prometheusrules.crd.yaml" || exit 1
		fi
		unset UPSTREAM_KUBECONFIG PROXY_DIR PROXY_PORT
		start_faultproxy || exit 1
		E2E_NAMESPACE=$(make_namespace e2e) || exit 1
		export E2E_NAMESPACE
		timeout "${E2E_TIMEOUT:-300}" bash "$script"
	) >"$log" 2>&1
}

pass=0 skip=0 failed=()
workdir=$(mktemp -d "${TMPDIR:-/tmp}/e2e-run.XXXXXX")
for s in "${scripts[@]}"; do
	name=${s#"$BURNRATE_SOURCE_DIR/"}
	log=$workdir/$(basename "$s").log
	start=$(date +%s)
	run_one "$s" "$log"
	rc=$?
	secs=$(($(date +%s) - start))
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $name (${secs}s)" ;;
	77) skip=$((skip + 1)); echo "SKIP $name: $(tail -n 1 "$log")" ;;
	*)
		failed+=("$name")
		echo "FAIL $name (exit $rc, ${secs}s); last lines of its output:"
		tail -n 40 "$log" | sed 's/^/    /'
		;;
	esac
done
# A real cluster is left as it was found: every namespace the scripts made is gone.
ns_left() { for ns in $(cat "$workdir/namespaces" 2>/dev/null); do kubectl get namespace "$ns" -o name 2>/dev/null; done; }
none_left() { [ -z "$(ns_left)" ]; }
if [ "$E2E_MODE" = cluster ] && ! wait_for 120 none_left; then
	failed+=("namespaces left behind: $(ns_left | tr '\n' ' ')")
	echo "FAIL: namespaces left behind: $(ns_left | tr '\n' ' ')"
fi
rm -rf "$workdir"
echo "e2e ($E2E_MODE): $pass passed, $skip skipped, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ] && [ "$skip" -eq 0 ] || exit 1
[ "$pass" -gt 0 ] || exit 77
exit 0
