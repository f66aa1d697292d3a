#!/usr/bin/env bash
# Without the ServiceLevelObjective CRD, burnrate controller exits 1 at once with one clear
# error line (no crash loop, no stack of messages); a bad flag is a usage error (2).
# On a real cluster the CRD is deleted for the test and applied again after it, so this runs
# after the other scripts, and refuses to run where SLOs live outside the test namespaces.
# e2e: last
set -u
source "$E2E_LIB"
source "$(dirname "$0")/controller_lib.sh"
ctl_binary
CRD=servicelevelobjectives.burnrate.dev
if [ "$E2E_MODE" = cluster ] && kubectl get crd "$CRD" >/dev/null 2>&1; then
	others=$(kubectl get slo -A -o 'jsonpath={range .items[*]}{.metadata.namespace}{"\n"}{end}' | grep -v '^e2e-' | sort -u)
	[ -z "$others" ] || fail "SLOs outside the test namespaces ($others): this test deletes the CRD; run it on a test cluster"
	trap 'e2e_apply_crds || echo "could not apply the CRD again" >&2; ctl_cleanup' EXIT
	kubectl delete crd "$CRD" --timeout=60s >/dev/null || fail "cannot delete the CRD"
fi
kubectl get crd "$CRD" >/dev/null 2>&1 && fail "CRD present already"

start=$(date +%s)
timeout 20 "$BR" controller --metrics-bind-address 0 --health-probe-bind-address 0 >"$CTL_DIR/out" 2>"$CTL_DIR/err"
rc=$?
[ "$rc" = 1 ] || { cat "$CTL_DIR/err" >&2; fail "exit $rc, want 1"; }
[ $(($(date +%s) - start)) -lt 10 ] || fail "took too long to give up"
errs=$(grep -c '"level":"error"' "$CTL_DIR/err")
[ "$errs" = 1 ] || { cat "$CTL_DIR/err" >&2; fail "$errs error lines"; }
grep '"level":"error"' "$CTL_DIR/err" | grep -q 'CRD.*servicelevelobjectives.burnrate.dev.*not installed' ||
	{ cat "$CTL_DIR/err" >&2; fail "unclear error"; }
echo "missing CRD: exit 1, one line"

"$BR" controller --workers x >/dev/null 2>&1
[ $? = 2 ] || fail "bad --workers is not a usage error"
"$BR" controller --log-format xml >/dev/null 2>&1
[ $? = 2 ] || fail "bad --log-format is not a usage error"
"$BR" controller --log-format text --kubeconfig /nonexistent --metrics-bind-address 0 \
	--health-probe-bind-address 0 2>"$CTL_DIR/err2"
[ $? = 1 ] || fail "missing kubeconfig is not exit 1"
grep -q 'error.*nonexistent' "$CTL_DIR/err2" || fail "text log of the error"
echo "usage: ok"
