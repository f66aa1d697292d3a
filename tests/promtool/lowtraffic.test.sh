#!/bin/bash
# Scenario 5: with traffic.minEvents a burst of 5 errors on a service of 18
# requests an hour does not page, while a real outage of it still does.
source "$(dirname "$0")/lib.sh"
render "$PROMTOOL_DATA/lowtraffic/slo-min.yaml" rules-min.yaml
render "$PROMTOOL_DATA/lowtraffic/slo-nomin.yaml" rules-nomin.yaml
run_test "$PROMTOOL_DATA/lowtraffic/test.yaml"
