#!/bin/bash
# Scenario 7: error budget remaining over the SLO window is event-weighted
# (errors / events), checked against a figure computed by hand.
source "$(dirname "$0")/lib.sh"
render "$PROMTOOL_DATA/budget/slo.yaml" rules.yaml
run_test "$PROMTOOL_DATA/budget/test.yaml"
