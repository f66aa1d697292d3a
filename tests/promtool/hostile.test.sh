#!/bin/bash
# Escaping end to end: quotes, backslashes, newlines, braces, "or vector(1)"
# and template braces in spec fields reach Prometheus as data, never as code.
source "$(dirname "$0")/lib.sh"
render "$PROMTOOL_DATA/hostile/slo.yaml" rules.yaml
run_test "$PROMTOOL_DATA/hostile/test.yaml"
