#!/bin/bash
# traffic.confidence: on a service of 18 requests an hour five failed retries
# do not page, a full outage pages within 20 minutes, half the requests
# failing for hours pages within an hour, a steady 0.5% does nothing; at 600
# requests a minute the bound changes nothing.
source "$(dirname "$0")/lib.sh"
render "$PROMTOOL_DATA/confidence/slo.yaml" rules-conf.yaml
render "$PROMTOOL_DATA/confidence/slo-plain.yaml" rules-plain.yaml
run_test "$PROMTOOL_DATA/confidence/test.yaml"
