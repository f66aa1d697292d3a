#!/usr/bin/env bash
# The demo. Installs what it needs (hack/setup.sh), builds burnrate, then:
#
#   hack/demo.sh             the operator at work on 127.0.0.1 (hack/demo/live.sh): an API
#                            server (the project's test one), Prometheus with a month of
#                            backfilled traffic, Alertmanager with a logging webhook, and
#                            burnrate controller; applies examples/, fails one service, and
#                            shows the page arrive, the ticket inhibited, the budget drop
#   hack/demo.sh --cluster   the same against the cluster $KUBECONFIG names
#   hack/demo.sh --offline   validate, explain, generate, routing, promtool and amtool checks
#
# Everything it writes goes to out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
"" | --cluster | --offline) ;;
*) echo "usage: hack/demo.sh [--cluster | --offline]" >&2; exit 2 ;;
esac
bash hack/setup.sh >/dev/null
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
if [ "${1:-}" = --offline ]; then
	exec bash hack/demo/offline.sh
fi
exec bash hack/demo/live.sh "$@"
