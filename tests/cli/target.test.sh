#!/usr/bin/env bash
# burnrate generate --target: VMRule objects for VictoriaMetrics with the
# PrometheusRule's metadata and groups, the same plain rules file for either
# target, and an unknown target refused naming the flag and the values.
# The VMRules are checked against the VictoriaMetrics operator's VMRule CRD
# by the fake API server in tests/victoriametrics/controller.test.sh.
. "$(dirname "$0")/lib.sh"
need_pyyaml

mkdir -p "$T/in"
{ slo alpha ns-b 99.5; echo "---"; slo mid ns-a 99.9; } >"$T/in/1.yaml"

run generate --rule-label release=x -f "$T/in"
expect_rc 0 "default target"
cp "$T/out" "$T/prom"
run generate --target prometheus --rule-label release=x -f "$T/in"
cmp -s "$T/out" "$T/prom" && ok "--target prometheus is the default" || fail "--target prometheus differs from the default"

run generate --target victoriametrics --rule-label release=x -f "$T/in"
expect_rc 0 "--target victoriametrics"
python3 - "$T/prom" "$T/out" <<'PY' && ok "VMRules: same metadata and groups as the PrometheusRules" || fail "VMRule documents"
import sys, yaml
prom = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
vm = [d for d in yaml.safe_load_all(open(sys.argv[2])) if d]
assert len(prom) == len(vm) == 2
for p, v in zip(prom, vm):
    assert v["apiVersion"] == "operator.victoriametrics.com/v1beta1", v["apiVersion"]
    assert v["kind"] == "VMRule", v["kind"]
    assert v["metadata"] == p["metadata"], (v["metadata"], p["metadata"])
    assert v["metadata"]["labels"]["release"] == "x"
    assert v["spec"] == p["spec"]
PY

run generate --format rules -f "$T/in"
cp "$T/out" "$T/rules-prom"
run generate --format rules --target victoriametrics -f "$T/in"
expect_rc 0 "--format rules --target victoriametrics"
cmp -s "$T/out" "$T/rules-prom" && ok "--format rules is the same for both targets" || fail "--format rules differs by target"

run generate --target vm -f "$T/in"
expect_rc 2 "unknown target is a usage error"
expect_err '--target "vm".*prometheus, victoriametrics' "the error names the flag and the allowed values"
[ ! -s "$T/out" ] && ok "nothing written for a bad --target" || fail "output despite a bad --target"

run generate --help
expect_out 'victoriametrics' "--help lists the victoriametrics target"
finish
