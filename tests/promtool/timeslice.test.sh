#!/bin/bash
# Time-slice objectives (issue 20): 99.5% of minutes with a p99 at most 300 ms.
# A latency regression that makes 5% of minutes bad pages when the burn-rate
# math says (the 6h/30m row, 220 minutes in); two idle hours spend nothing;
# a single bad minute does not page.
source "$(dirname "$0")/lib.sh"
render "$PROMTOOL_DATA/timeslice/slo.yaml" rules.yaml
run_test "$PROMTOOL_DATA/timeslice/test.yaml"
