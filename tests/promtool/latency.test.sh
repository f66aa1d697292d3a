#!/bin/bash
# Latency SLO: the le matcher of an integral threshold finds the bucket whether
# the exporter prints "2" or "2.0".
source "$(dirname "$0")/lib.sh"
render "$PROMTOOL_DATA/latency/slo.yaml" rules.yaml
run_test "$PROMTOOL_DATA/latency/test.yaml"
