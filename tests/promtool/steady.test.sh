#!/bin/bash
# Scenario 2: spending at 0.9x the budget rate for three days never alerts.
source "$(dirname "$0")/lib.sh"
render "$PROMTOOL_DATA/outage/slo.yaml" rules.yaml
run_test "$PROMTOOL_DATA/steady/test.yaml"
