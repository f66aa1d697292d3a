#!/usr/bin/env bash
# ctest hook for the whole end-to-end suite (tests/e2e/run.sh); 77 when nothing ran.
# With KUBECONFIG set it runs against that cluster (tests/e2e/run.sh), else on the fake.
here=$(cd "$(dirname "$0")" && pwd)
command -v kubectl >/dev/null || { echo "kubectl missing: skipped"; exit 77; }
exec bash "$here/run.sh"
