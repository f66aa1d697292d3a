#!/usr/bin/env bash
# burnrate generate --format mimir -o DIR: one file per Kubernetes namespace,
# DIR/<namespace>.yaml = {namespace: NS, groups: [...]} (the layout
# `mimirtool rules load` takes), holding exactly the groups --format rules
# gives for that namespace's SLOs; it needs -o DIR. mimirtool itself is not run.
. "$(dirname "$0")/lib.sh"
need_pyyaml

mkdir -p "$T/in"
{ slo alpha ns-b 99.5; echo "---"; slo mid ns-a 99.9; echo "---"; slo zeta ns-b 99; } >"$T/in/1.yaml"

run generate --format mimir -f "$T/in"
expect_rc 2 "--format mimir without -o"
expect_err '--format mimir needs -o DIR' "the error says why"

run generate --format mimir -f "$T/in" -o "$T/out-mimir"
expect_rc 0 "--format mimir -o DIR"
[ "$(ls "$T/out-mimir" | paste -sd' ')" = "ns-a.yaml ns-b.yaml" ] && ok "one file per namespace" ||
	fail "files: $(ls "$T/out-mimir")"
run generate --format rules -f "$T/in"
python3 - "$T/out" "$T/out-mimir" <<'PY' && ok "each file: its namespace and exactly its SLOs' groups, as --format rules" || fail "mimir files"
import os, sys, yaml
groups = yaml.safe_load(open(sys.argv[1]))["groups"]
for ns in ("ns-a", "ns-b"):
    doc = yaml.safe_load(open(os.path.join(sys.argv[2], ns + ".yaml")))
    assert list(doc) == ["namespace", "groups"], list(doc)
    assert doc["namespace"] == ns
    assert doc["groups"] == [g for g in groups if g["name"].startswith(ns + "/")], ns
PY
run generate --format mimir --target victoriametrics -f "$T/in" -o "$T/out-vm"
expect_rc 0 "--format mimir --target victoriametrics"
grep -q 'increase_prometheus' "$T/out-vm/ns-a.yaml" && ok "follows --target" || fail "target ignored"
finish
