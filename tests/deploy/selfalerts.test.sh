#!/usr/bin/env bash
# The chart's alerts on burnrate's own metrics, in `promtool test rules`: each fires on
# the failure it is named after and stays quiet on a healthy pair of replicas (one
# leader, watches ending normally every 5 to 10 minutes, no errors).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
deploy_tools
command -v promtool >/dev/null || { echo "promtool missing: skipped"; exit 77; }
render -s templates/prometheusrule.yaml | python3 -c '
import sys, yaml
rule = next(d for d in yaml.safe_load_all(sys.stdin) if d and d["kind"] == "PrometheusRule")
yaml.safe_dump(rule["spec"], sys.stdout)' >"$work/rules.yaml"
cp "$src/tests/deploy/selfalerts.yaml" "$work/test.yaml"
(cd "$work" && promtool test rules test.yaml) || fail "promtool test rules"
echo "self-alerts: ok"
