#!/bin/bash
# Scenario 3: a 2x slow burn for a day opens a ticket and never pages.
source "$(dirname "$0")/lib.sh"
render "$PROMTOOL_DATA/outage/slo.yaml" rules.yaml
run_test "$PROMTOOL_DATA/slowburn/test.yaml"
