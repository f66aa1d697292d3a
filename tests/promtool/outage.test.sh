#!/bin/bash
# Scenarios 1 and 6: a full outage pages when the SRE Workbook says it should,
# the ticket follows later, and each carries its own severity labels.
source "$(dirname "$0")/lib.sh"
render "$PROMTOOL_DATA/outage/slo.yaml" rules.yaml
run_test "$PROMTOOL_DATA/outage/test.yaml"
