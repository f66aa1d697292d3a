# Shared helpers of the Alertmanager tests (sourced; not a test itself).
#   slo NAME NAMESPACE [PAGE_RECEIVER] [TICKET_RECEIVER]   an SLO manifest
#   base_secret POLICY_FILE                               a base Secret manifest on stdout
#   need TOOL                                             skip (77) without it
set -uo pipefail
: "${BURNRATE:?set BURNRATE to the burnrate binary}"
SRC="${BURNRATE_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
T="$(mktemp -d)"
CLEANUP=()
cleanup() {
	local p
	for p in "${CLEANUP[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
finish() { [ "$FAILS" = 0 ] && echo "all ok" || echo "$FAILS failure(s)"; [ "$FAILS" = 0 ]; }
need() { command -v "$1" >/dev/null || { echo "$1 not installed: skipped"; exit 77; }; }

slo() {
	cat <<YAML
apiVersion: burnrate.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: $1, namespace: $2}
spec:
  service: $1
  objective: 99.5
  indicator:
    ratio:
      errors: http_requests_total{job="$1",code=~"5.."}
      total: http_requests_total{job="$1"}
YAML
	if [ -n "${3:-}${4:-}" ]; then
		echo "  alerting:"
		[ -z "${3:-}" ] || echo "    page: {receiver: $3}"
		[ -z "${4:-}" ] || echo "    ticket: {receiver: $4}"
	fi
	echo "---"
}

# base_secret POLICY [WEBHOOK_URL]: the platform team's base Secret: a root receiver,
# one receiver per team and a shared one, a route of the team's own, with the
# policy (a file) as burnrate.yaml.
base_secret() {
	local url=${2:-http://127.0.0.1:9/}
	cat <<YAML
apiVersion: v1
kind: Secret
metadata: {name: alertmanager-base, namespace: monitoring}
stringData:
  alertmanager.yaml: |
    global: {resolve_timeout: 5m}
    route:
      receiver: default
      group_by: [alertname]
      routes:
      - receiver: infra
        matchers: ['team="infra"']
    receivers:
    - {name: default, webhook_configs: [{url: "${url}default"}]}
    - {name: infra, webhook_configs: [{url: "${url}infra"}]}
    - {name: payments-pagerduty, webhook_configs: [{url: "${url}payments-pagerduty"}]}
    - {name: payments-slack, webhook_configs: [{url: "${url}payments-slack"}]}
    - {name: search-pagerduty, webhook_configs: [{url: "${url}search-pagerduty"}]}
    - {name: shared-slack, webhook_configs: [{url: "${url}shared-slack"}]}
  burnrate.yaml: |
YAML
	sed 's/^/    /' "$1"
}
