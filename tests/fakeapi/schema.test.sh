#!/usr/bin/env bash
# The shared table of good and bad ServiceLevelObjectives and BudgetCorrections
# (tests/data/schema/cases.txt, and every SLO in examples/), applied with kubectl as a user
# would, to the fake API server and, when KUBECONFIG is set (a real cluster), to that server
# too. Each outcome and the field path named must be the table's, and the fake and the real
# server must agree on both.
#
#   tests/fakeapi/schema.test.sh [CASE-FILE-PATTERN]
#
# On a real cluster it applies crds/ (never deletes a CRD) and works in a namespace
# schema-<random> of its own, deleted at the end. E2E_FAKE=1 (as for tests/e2e/run.sh) keeps
# it to the fake whatever KUBECONFIG says.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=${BURNRATE_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
data=$src/tests/data/schema
only=${1:-}
for c in kubectl python3 openssl; do
	command -v "$c" >/dev/null || { echo "$c missing: skipped"; exit 77; }
done
# shellcheck source=../e2e/lib.sh
source "$here/../e2e/lib.sh"

real_kubeconfig=${KUBECONFIG:-}
[ -z "${E2E_FAKE:-}" ] || real_kubeconfig=
tmp=$(mktemp -d "${TMPDIR:-/tmp}/schema-test.XXXXXX")
real_ns=
cleanup() {
	stop_fakeapi
	if [ -n "$real_ns" ]; then
		KUBECONFIG=$real_kubeconfig kubectl delete namespace "$real_ns" --wait=false >/dev/null 2>&1
	fi
	rm -rf "$tmp" "$E2E_NS_FILE"
}
trap cleanup EXIT

# The cases: "file modes outcome field message", examples/ first.
cases() {
	local f
	for f in "$src"/examples/*.yaml; do
		grep -q '^kind: ServiceLevelObjective' "$f" || continue
		echo "examples/$(basename "$f") apply,ssa,create accepted -"
	done
	grep -v '^\s*\(#\|$\)' "$data/cases.txt"
}

# The field paths a kubectl error (or warning) names, sorted, comma-separated.
fields_of() {
	{
		grep -oE '[^ "]+: (Invalid value|Required value|Unsupported value|Too long|Too many|Forbidden|Duplicate value)' "$1" |
			sed -E 's/: [A-Z][a-z]+ [a-z]+$//; s/: Forbidden$//'
		grep -oE 'unknown field \\?"[^"\\]+' "$1" | sed -E 's/.*"//'
		# server-side apply's typed conversion: " .spec.foo: field not declared in schema"
		grep -oE '(^| )\.[^ ]+: (field not declared in schema|expected [a-z]+)' "$1" |
			sed -E 's/^ ?\.//; s/: (field|expected) .*//'
	} | sort -u | paste -sd, -
}

# run_mode NS FILE MODE: sends FILE the MODE's way; prints "outcome fields" and leaves
# kubectl's output in $tmp/out.
run_mode() {
	local ns=$1 file=$2 mode=$3 rc
	local obj=$tmp/obj.yaml
	sed '/^  namespace:/d' "$file" >"$obj" # examples name their own namespaces
	case $mode in
	apply) kubectl apply -n "$ns" -f "$obj" >"$tmp/out" 2>&1 ;;
	ssa) kubectl apply --server-side -n "$ns" -f "$obj" >"$tmp/out" 2>&1 ;;
	create) kubectl create -n "$ns" -f "$obj" >"$tmp/out" 2>&1 ;;
	warn) kubectl apply --validate=warn -n "$ns" -f "$obj" >"$tmp/out" 2>&1 ;;
	ignore) kubectl apply --validate=false -n "$ns" -f "$obj" >"$tmp/out" 2>&1 ;;
	crd)
		kubectl apply --dry-run=server -f "$obj" >"$tmp/out" 2>&1 &&
			kubectl apply --server-side --dry-run=server -f "$obj" >>"$tmp/out" 2>&1
		;;
	update) # over a good object of the same kind
		local base=$data/good-minimal.yaml
		grep -q '^kind: BudgetCorrection' "$obj" && base=$data/bc-good-oneoff.yaml
		kubectl apply -n "$ns" -f "$base" >"$tmp/out" 2>&1 ||
			{ cat "$tmp/out"; fail "update: the base object was refused"; }
		kubectl apply -n "$ns" -f "$obj" >"$tmp/out" 2>&1
		;;
	*) fail "unknown mode $mode" ;;
	esac
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "refused $(fields_of "$tmp/out")"
	elif grep '^Warning: ' "$tmp/out" | grep -qv '^Warning: failed to migrate'; then
		# (kubectl's own warning when it cannot take over a client-side apply in a dry run
		# is not the server's)
		echo "warned $(fields_of "$tmp/out")"
	else
		echo "accepted -"
	fi
}

# check_server NAME: every case against the server in KUBECONFIG; results in $tmp/NAME.
check_server() {
	local name=$1 ns file modes outcome field message mode got fields path want value problem
	local failed=0
	kubectl apply -f "$src/crds/" >/dev/null || fail "$name: kubectl apply -f crds/ failed"
	kubectl wait --for condition=established --timeout=60s -f "$src/crds/" >/dev/null ||
		fail "$name: the CRDs are not established"
	ns=$(make_namespace schema) || fail "$name: cannot create a namespace"
	[ "$name" = real ] && real_ns=$ns
	: >"$tmp/$name"
	while read -r file modes outcome field message; do
		[ -z "$only" ] || [[ $file == *"$only"* ]] || continue
		case $file in examples/*) path=$src/$file ;; *) path=$data/$file ;; esac
		[ "$modes" = all ] && modes=apply,ssa,create,update
		for mode in ${modes//,/ }; do
			read -r got fields < <(run_mode "$ns" "$path" "$mode")
			echo "$file $mode $got $fields" >>"$tmp/$name"
			problem=
			if [ "$got" != "$outcome" ]; then
				problem="$outcome expected, got $got"
			elif [ "$outcome" = accepted ] && [ "$field" != - ]; then
				want=${field#*=}
				value=$(kubectl get -f "$tmp/obj.yaml" -n "$ns" -o jsonpath="{.${field%%=*}}" 2>&1)
				[ "$value" = "$want" ] || problem="${field%%=*} is '$value', expected '$want'"
			elif [ "$outcome" != accepted ]; then
				[[ ",$fields," == *",$field,"* ]] || problem="field $field not named (named: $fields)"
				grep -qF -- "$message" "$tmp/out" || problem="${problem:+$problem; }no '$message' in the output"
				if [ "$outcome" = warned ] && [ -n "$(kubectl get -f "$tmp/obj.yaml" -n "$ns" \
					-o jsonpath="{.$field}")" ]; then
					problem="${problem:+$problem; }$field was not pruned"
				fi
			fi
			if [ -n "$problem" ]; then
				echo "FAIL $name: $file ($mode): $problem"
				sed 's/^/    /' "$tmp/out" | cut -c1-400
				failed=1
			fi
			kubectl delete servicelevelobjectives.burnrate.dev,budgetcorrections.burnrate.dev --all \
				-n "$ns" >/dev/null 2>&1
		done
	done < <(cases)
	echo "$name: $(wc -l <"$tmp/$name") applications checked"
	return $failed
}

status=0
unset KUBECONFIG
start_fakeapi --bare --crd "$src/tests/fakeapi/crds/prometheusrules.crd.yaml" ||
	fail "the fake API server did not start"
check_server fake || status=1

if [ -n "$real_kubeconfig" ]; then
	export KUBECONFIG=$real_kubeconfig KUBECACHEDIR=$tmp/kubecache-real
	kubectl version >/dev/null 2>&1 || fail "cannot reach the cluster in $real_kubeconfig"
	check_server real || status=1
	# Same outcome and the same field paths on both servers.
	if ! diff "$tmp/fake" "$tmp/real" >"$tmp/diff"; then
		echo "FAIL: the fake and the real server differ (< fake, > real):"
		cat "$tmp/diff"
		status=1
	else
		echo "fake and real server agree on every case"
	fi
else
	echo "no KUBECONFIG (or E2E_FAKE set): checked against the fake API server only"
fi
exit $status
