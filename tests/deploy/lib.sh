# Helpers for the deployment tests (sourced):
#   deploy_tools        sets TOOLS (hack/tools), HELM; exits 77 when npm/node are missing
#   render ARGS...      helm template burnrate charts/burnrate -n burnrate ARGS (CRDs included)
#   to_json FILE...     the YAML documents of FILEs as [{"file", "doc"}] JSON on stdout
#   check_schemas FILE... validates every document's kind schema (validate.mjs)
src=${BURNRATE_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
work=$(mktemp -d "${TMPDIR:-/tmp}/deploy-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HELM_CACHE_HOME=$work/helm HELM_CONFIG_HOME=$work/helm HELM_DATA_HOME=$work/helm

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

deploy_tools() {
	local rc=0
	TOOLS=$(bash "$src/hack/tools.sh") || rc=$?
	[ $rc -eq 77 ] && { echo "npm/node missing: skipped"; exit 77; }
	[ $rc -eq 0 ] || fail "hack/tools.sh failed"
	HELM=$TOOLS/bin/helm
}

render() {
	"$HELM" template burnrate "$src/charts/burnrate" --namespace burnrate --include-crds "$@"
}

to_json() {
	python3 - "$@" <<'PY'
import json, sys, yaml
out = []
for f in sys.argv[1:]:
    with open(f) as fh:
        for doc in yaml.safe_load_all(fh):
            if doc is not None:
                out.append({"file": f, "doc": doc})
json.dump(out, sys.stdout)
PY
}

check_schemas() {
	to_json "$@" >"$work/objects.json" || fail "not valid YAML: $*"
	node "$src/tests/deploy/validate.mjs" "$TOOLS/node_modules" <"$work/objects.json"
}
