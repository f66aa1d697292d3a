#!/usr/bin/env bash
# The CRD is a structural schema (every node typed) with a description on every
# field but metadata, which may hold nothing but its type (so `kubectl explain slo.spec...`
# helps, and a real API server accepts it), and carries the API-server
# validations, printer columns and status subresource the design asks for. The presets
# of spec.alerting.preset are pkg/slo's: the enum lists exactly the names
# `burnrate explain --presets` prints, and the description holds "NAME: SUMMARY" for
# each, as explain prints it.
set -euo pipefail
src="${BURNRATE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BURNRATE:?set BURNRATE to the burnrate binary}"
python3 -c 'import yaml' 2>/dev/null || { echo "python3-yaml missing"; exit 77; }
presets=$(mktemp)
trap 'rm -f "$presets"' EXIT
"$BURNRATE" explain --presets >"$presets"
python3 - "$src/crds/servicelevelobjectives.yaml" "$presets" <<'PY'
import re, sys, yaml
crd = yaml.safe_load(open(sys.argv[1]))
errors = []
def check(node, path):
    if "type" not in node and not node.get("x-kubernetes-preserve-unknown-fields"):
        errors.append(f"{path}: no type")
    if path == "slo.metadata":  # the API server refuses anything else there
        if set(node) - {"type"}:
            errors.append(f"{path}: anything but type (the API server refuses it)")
    elif not node.get("description"):
        errors.append(f"{path}: no description")
    for name, sub in (node.get("properties") or {}).items():
        check(sub, f"{path}.{name}")
    if isinstance(node.get("items"), dict):
        check(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        check(node["additionalProperties"], f"{path}{{}}")
    if node.get("type") == "object" and not node.get("properties") \
       and not node.get("additionalProperties") and path not in ("slo.metadata",):
        if not node.get("x-kubernetes-preserve-unknown-fields"):
            errors.append(f"{path}: object without properties")

assert crd["apiVersion"] == "apiextensions.k8s.io/v1", crd["apiVersion"]
spec = crd["spec"]
assert spec["group"] == "burnrate.dev" and spec["scope"] == "Namespaced"
assert "slo" in spec["names"]["shortNames"]
assert crd["metadata"]["name"] == spec["names"]["plural"] + "." + spec["group"]
[v] = spec["versions"]
assert v["name"] == "v1alpha1" and v["served"] and v["storage"]
assert v["subresources"] == {"status": {}}
cols = {c["name"]: c["jsonPath"] for c in v["additionalPrinterColumns"]}
want = {"Objective": ".spec.objective", "Window": ".spec.window",
        "Budget Left": ".status.budget.remainingPercent",
        "Failures Left": ".status.budget.remainingEvents",
        "Ready": '.status.conditions[?(@.type=="Ready")].status',
        "Age": ".metadata.creationTimestamp"}
assert cols == want, cols
root = v["schema"]["openAPIV3Schema"]
check(root, "slo")
s = root["properties"]["spec"]["properties"]
o = s["objective"]
assert o["minimum"] == 0 and o["exclusiveMinimum"] is True and o["maximum"] == 100 and o["exclusiveMaximum"] is True
assert "x-kubernetes-validations" in s["indicator"]
assert "x-kubernetes-validations" in s["indicator"]["properties"]["ratio"]
rows = s["alerting"]["properties"]["windows"]["items"]
assert "x-kubernetes-validations" in rows
assert rows["properties"]["severity"]["enum"] == ["page", "ticket"]
assert s["traffic"]["properties"]["minEvents"]["minimum"] == 0
assert "pattern" in s["window"]
# presets: "NAME: SUMMARY" lines of explain --presets, continued by lines indented 4
presets, last = {}, None
for line in open(sys.argv[2]):
    m = re.match(r"^([a-z0-9-]+): (.*)$", line.rstrip("\n"))
    if m:
        last = m.group(1)
        presets[last] = m.group(2)
    elif last and line.startswith("    "):
        presets[last] += " " + line.strip()
    else:
        last = None
assert len(presets) >= 2, "explain --presets printed %r" % presets
preset = s["alerting"]["properties"]["preset"]
if preset.get("enum") != list(presets):
    errors.append("spec.alerting.preset: enum %s, explain --presets has %s" % (preset.get("enum"), list(presets)))
for name, summary in presets.items():
    if "%s: %s" % (name, summary) not in " ".join(preset.get("description", "").split()):
        errors.append("spec.alerting.preset: description lacks %r" % ("%s: %s" % (name, summary)))
st = root["properties"]["status"]["properties"]
assert st["conditions"]["x-kubernetes-list-type"] == "map"
assert st["conditions"]["x-kubernetes-list-map-keys"] == ["type"]
if errors:
    print("\n".join(errors)); sys.exit(1)
print("crd ok")
PY
