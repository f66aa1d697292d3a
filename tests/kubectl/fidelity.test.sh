#!/usr/bin/env bash
# ctest hook for the kubectl fidelity steps (fidelity.e2e.sh), run through tests/e2e/run.sh.
here=$(cd "$(dirname "$0")" && pwd)
command -v kubectl >/dev/null || { echo "kubectl missing: skipped"; exit 77; }
exec bash "$here/../e2e/run.sh" kubectl/fidelity
