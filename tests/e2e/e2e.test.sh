#!/usr/bin/env bash
# ctest hook for the whole end-to-end suite (tests/e2e/run.sh); 77 when nothing ran.
# ctest runs it against the fake API server, whatever KUBECONFIG the caller has set.
here=$(cd "$(dirname "$0")" && pwd)
command -v kubectl >/dev/null || { echo "kubectl missing: skipped"; exit 77; }
E2E_FAKE=1 exec bash "$here/run.sh"
