#!/bin/bash
# Scenario 4: zero traffic (flat counters, or no 5xx series at all) never
# alerts, keeps the budget at 1 and records no NaN.
source "$(dirname "$0")/lib.sh"
render "$PROMTOOL_DATA/outage/slo.yaml" rules.yaml
run_test "$PROMTOOL_DATA/zero/test.yaml"
