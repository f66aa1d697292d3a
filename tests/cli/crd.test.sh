#!/usr/bin/env bash
# The CRD is a structural schema (every node typed) with a description on every
# field but metadata, which may hold nothing but its type (so `kubectl explain slo.spec...`
# helps, and a real API server accepts it), and carries the API-server
# validations, printer columns and status subresource the design asks for. The presets
# of spec.alerting.preset are pkg/slo's: the enum lists exactly the names
# `burnrate explain --presets` prints, and the description holds "NAME: SUMMARY" for
# each, as explain prints it. The BudgetCorrection CRD (crds/budgetcorrections.yaml) is held
# to the same rules (every node typed and described, its CEL rules, printer columns and status
# subresource), and every file of crds/ has its copy in charts/burnrate/crds/ and in
# deploy/crd.yaml.
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
python3 - "$src" <<'PY'
import os, sys, yaml
src = sys.argv[1]
crd = yaml.safe_load(open(os.path.join(src, "crds/budgetcorrections.yaml")))
errors = []
def check(node, path):
    if "type" not in node and not node.get("x-kubernetes-preserve-unknown-fields"):
        errors.append(f"{path}: no type")
    if path == "bc.metadata":  # the API server refuses anything else there
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
       and not node.get("additionalProperties") and path != "bc.metadata":
        if not node.get("x-kubernetes-preserve-unknown-fields"):
            errors.append(f"{path}: object without properties")
    # CEL rules cost: the real server refuses rules over unbounded lists and strings
    if node.get("type") == "array" and "maxItems" not in node and path.startswith("bc.spec"):
        errors.append(f"{path}: array without maxItems")
    if node.get("type") == "string" and "maxLength" not in node and "enum" not in node \
       and path.startswith("bc.spec"):
        errors.append(f"{path}: string without maxLength")

assert crd["apiVersion"] == "apiextensions.k8s.io/v1", crd["apiVersion"]
spec = crd["spec"]
assert spec["group"] == "burnrate.dev" and spec["scope"] == "Namespaced"
n = spec["names"]
assert (n["kind"], n["plural"], n["singular"], n["shortNames"]) == \
    ("BudgetCorrection", "budgetcorrections", "budgetcorrection", ["bc"]), n
# kubectl expands categories before short names: in category slo, `kubectl get slo` would
# list BudgetCorrections too
assert "slo" not in n.get("categories", []), n["categories"]
assert crd["metadata"]["name"] == n["plural"] + "." + spec["group"]
[v] = spec["versions"]
assert v["name"] == "v1alpha1" and v["served"] and v["storage"]
assert v["subresources"] == {"status": {}}
cols = {c["name"]: (c["type"], c["jsonPath"]) for c in v["additionalPrinterColumns"]}
want = {"Window": ("string", ".status.window"), "SLOs": ("integer", ".status.matchedSLOs"),
        "Active": ("boolean", ".status.active"), "Age": ("date", ".metadata.creationTimestamp")}
assert cols == want, cols
root = v["schema"]["openAPIV3Schema"]
check(root, "bc")
s = root["properties"]["spec"]
assert s["required"] == ["selector", "reason", "windows"], s["required"]
p = s["properties"]
sel = p["selector"]["properties"]
assert set(sel) == {"matchLabels", "matchExpressions"}
assert sel["matchExpressions"]["maxItems"] == 16
expr = sel["matchExpressions"]["items"]
assert expr["properties"]["operator"]["enum"] == ["In", "NotIn", "Exists", "DoesNotExist"]
assert expr["properties"]["values"]["maxItems"] == 64
assert (p["reason"]["minLength"], p["reason"]["maxLength"]) == (1, 1024)
w = p["windows"]
assert (w["minItems"], w["maxItems"]) == (1, 16)
wi = w["items"]
assert set(wi["properties"]) == {"start", "end", "schedule", "duration", "utcOffset"}
assert wi["properties"]["start"]["format"] == wi["properties"]["end"]["format"] == "date-time"
assert "default" not in wi["properties"]["utcOffset"]  # it would land in one-off windows too
rules = " ".join(r["rule"] for r in wi["x-kubernetes-validations"])
assert "timestamp(self.end) > timestamp(self.start)" in rules, rules
assert "!has(self.utcOffset) || has(self.schedule)" in rules, rules
assert "IANA" in wi["properties"]["utcOffset"]["description"]
st = root["properties"]["status"]["properties"]
assert set(st) == {"observedGeneration", "matchedSLOs", "slos", "active", "window",
                   "nextStart", "nextEnd", "conditions"}, sorted(st)
assert st["slos"]["maxItems"] == 100
assert st["conditions"]["x-kubernetes-list-type"] == "map"
assert st["conditions"]["x-kubernetes-list-map-keys"] == ["type"]
# the SLO status the corrections write into
slo = yaml.safe_load(open(os.path.join(src, "crds/servicelevelobjectives.yaml")))
sst = slo["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"]["properties"]
c = sst["corrections"]
assert c["maxItems"] == 16 and set(c["items"]["properties"]) == {"name", "reason", "active", "start", "end"}
assert sst["budget"]["properties"]["excludedEvents"]["type"] == "number"
# copies: charts/burnrate/crds/ holds the same files, byte for byte; deploy/crd.yaml every CRD
files = sorted(f for f in os.listdir(os.path.join(src, "crds")) if f.endswith(".yaml"))
chart = sorted(f for f in os.listdir(os.path.join(src, "charts/burnrate/crds")) if f.endswith(".yaml"))
if files != chart:
    errors.append("charts/burnrate/crds/ has %s, crds/ has %s" % (chart, files))
for f in set(files) & set(chart):
    if open(os.path.join(src, "crds", f)).read() != open(os.path.join(src, "charts/burnrate/crds", f)).read():
        errors.append("charts/burnrate/crds/%s differs from crds/%s" % (f, f))
ours = {d["metadata"]["name"]: d for f in files for d in yaml.safe_load_all(open(os.path.join(src, "crds", f))) if d}
deployed = {d["metadata"]["name"]: d for d in yaml.safe_load_all(open(os.path.join(src, "deploy/crd.yaml"))) if d}
if ours != deployed:
    errors.append("deploy/crd.yaml differs from crds/ (%s vs %s): run hack/gen-deploy.sh" %
                  (sorted(deployed), sorted(ours)))
if errors:
    print("\n".join(errors)); sys.exit(1)
print("budgetcorrection crd ok")
PY
