#!/usr/bin/env bash
# The fake API server's own tests: YAML reader, Kubernetes semantics, watch, faults, restart.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
command -v python3 >/dev/null || { echo "python3 missing: skipped"; exit 77; }
command -v openssl >/dev/null || { echo "openssl missing: skipped"; exit 77; }
cd "$here"
export PYTHONDONTWRITEBYTECODE=1
exec python3 -m unittest -v test_miniyaml test_fakeapi
