#!/usr/bin/env bash
# burnrate generate --target: VMRule objects for VictoriaMetrics with the
# PrometheusRule's metadata and groups whose counters are read with
# increase_prometheus()/W instead of rate() (pkg/rules/rules.c, add_sum_rate),
# the same groups in the plain rules file of that target, and an unknown
# target refused naming the flag and the values.
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
cp "$T/out" "$T/vm"
run generate --format rules --target victoriametrics -f "$T/in"
expect_rc 0 "--format rules --target victoriametrics"
cp "$T/out" "$T/rules-vm"
run generate --format rules -f "$T/in"
cp "$T/out" "$T/rules-prom"
python3 - "$T/prom" "$T/vm" "$T/rules-prom" "$T/rules-vm" <<'PY' && ok "VMRules: the PrometheusRules' metadata; groups with counters read by increase_prometheus()/W, the rest the same" || fail "VMRule documents"
import re, sys, yaml
load = lambda f: [d for d in yaml.safe_load_all(open(f)) if d]
prom, vm = load(sys.argv[1]), load(sys.argv[2])
rules_prom, rules_vm = load(sys.argv[3])[0]["groups"], load(sys.argv[4])[0]["groups"]
assert len(prom) == len(vm) == 2
def to_vm(expr):  # what the VictoriaMetrics target writes for sum(rate(X[W]))
    def one(m):
        n, u = int(m.group(2)), m.group(3)
        return "(sum(increase_prometheus(%s[%s%s])) / %d)" % (
            m.group(1), n, u, n * {"m": 60, "h": 3600, "d": 86400}[u])
    return re.sub(r"sum\(rate\((.+?)\[(\d+)([mhd])\]\)\)", one, expr)
def vm_groups(groups):
    return [dict(g, rules=[dict(r, expr=to_vm(r["expr"])) for r in g["rules"]]) for g in groups]
for p, v in zip(prom, vm):
    assert v["apiVersion"] == "operator.victoriametrics.com/v1beta1", v["apiVersion"]
    assert v["kind"] == "VMRule", v["kind"]
    assert v["metadata"] == p["metadata"], (v["metadata"], p["metadata"])
    assert v["metadata"]["labels"]["release"] == "x"
    assert v["spec"]["groups"] == vm_groups(p["spec"]["groups"])
    assert "rate(" not in str(v["spec"]), "a rate() left in the VMRule"
assert rules_vm == vm_groups(rules_prom)
assert rules_vm == [g for d in vm for g in d["spec"]["groups"]], "--format rules and VMRule groups differ"
PY

run generate --target vm -f "$T/in"
expect_rc 2 "unknown target is a usage error"
expect_err '--target "vm".*prometheus, victoriametrics' "the error names the flag and the allowed values"
[ ! -s "$T/out" ] && ok "nothing written for a bad --target" || fail "output despite a bad --target"

run generate --help
expect_out 'victoriametrics' "--help lists the victoriametrics target"
finish
