#!/bin/bash
# spec.alerting.offPeak 22:00-06:00 at +02:00, 600 requests a minute by day
# and 60 at night: a 30-minute 5% blip at night does not page, the same blip
# by day does, a 20-minute night outage pages within 5 minutes, and an outage
# crossing the evening edge pages within 5 minutes and stays paged.
source "$(dirname "$0")/lib.sh"
render "$PROMTOOL_DATA/offpeak/slo.yaml" rules-op.yaml
render "$PROMTOOL_DATA/offpeak/slo-plain.yaml" rules-plain.yaml
run_test "$PROMTOOL_DATA/offpeak/test.yaml"
