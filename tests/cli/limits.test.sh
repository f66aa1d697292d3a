#!/usr/bin/env bash
# The CRD's maxLength and burnrate's string limits (pkg/slo/limits.c) are the same
# numbers, field by field, so what the API server admits burnrate accepts and what it
# refuses burnrate refuses too: for every string field of the CRD's spec, a value of
# exactly maxLength characters passes `burnrate validate` and one more is refused with
# the field and the limit. Every string field must have a maxLength (or an enum): a new
# field without one fails here, and so does a field this test cannot fill in. (That
# the table holds no field the CRD lacks is tests/unit/test_slo.c's test_limits_crd.)
. "$(dirname "$0")/lib.sh"
need_pyyaml

python3 - "$SRC/crds/servicelevelobjectives.yaml" "$BURNRATE" "$T" <<'PY' || FAILS=$((FAILS + 1))
import copy, json, subprocess, sys, yaml

crd_path, burnrate, tmp = sys.argv[1:4]
crd = yaml.safe_load(open(crd_path))
spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]

def strings(node, path):
    """(schema path, schema node) of every string under node; list items are
    "[]", map values ".*", as pkg/slo/limits.c names them."""
    if node.get("type") == "string":
        yield path, node
    for name, sub in (node.get("properties") or {}).items():
        yield from strings(sub, f"{path}.{name}")
    if isinstance(node.get("items"), dict):
        yield from strings(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from strings(node["additionalProperties"], f"{path}.*")

BASE = {
    "apiVersion": "burnrate.dev/v1alpha1", "kind": "ServiceLevelObjective",
    "metadata": {"name": "limits", "namespace": "ns"},
    "spec": {"service": "svc", "objective": 99.5, "indicator": {"ratio": {
        "errors": 'http_requests_total{code=~"5.."}', "total": "http_requests_total"}}},
}

def pad(n, head="", tail="", fill="a"):
    return head + fill * (n - len(head) - len(tail)) + tail

def selector(metric):
    return lambda n, fill: pad(n, metric + '{job="', '"}', fill)

def ratio(key):
    def put(doc, v):
        r = doc["spec"]["indicator"]["ratio"]
        if key == "good":
            del r["errors"]
        r[key] = v
        return f"spec.indicator.ratio.{key}"
    return put

def at(path, concrete=None):
    """Puts the value at a dotted path (objects made as needed)."""
    def put(doc, v):
        *parents, last = path.split(".")
        node = doc
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = v
        return concrete or path
    return put

def indicator(kind, key, extra):
    def put(doc, v):
        doc["spec"]["indicator"] = {kind: dict(extra, **{key: v})}
        return f"spec.indicator.{kind}.{key}"
    return put

def row(key, other, other_value):
    def put(doc, v):
        doc["spec"].setdefault("alerting", {})["windows"] = [
            {"severity": "page", "burnRate": 14.4, other: other_value, key: v}]
        return f"spec.alerting.windows[0].{key}"
    return put

def off_peak(key):
    def put(doc, v):
        op = {"from": "22:00", "to": "06:00"}
        op[key] = [v] if key == "rows" else v
        doc["spec"].setdefault("alerting", {})["offPeak"] = op
        return "spec.alerting.offPeak." + ("rows[0]" if key == "rows" else key)
    return put

text = lambda n, fill: fill * n
# schema path -> (how to make a valid value of n characters, where it goes,
#                 whether any character will do: then it is also tried with "é",
#                 two bytes that count as one character, as the API server counts)
CASES = {
    "spec.service": (text, at("spec.service"), True),
    "spec.description": (text, at("spec.description"), True),
    "spec.window": (lambda n, f: pad(n, "", "30d", "0"), at("spec.window"), False),
    "spec.indicator.ratio.errors": (selector("e"), ratio("errors"), True),
    "spec.indicator.ratio.good": (selector("g"), ratio("good"), True),
    "spec.indicator.ratio.total": (selector("t"), ratio("total"), True),
    "spec.indicator.latency.histogram": (selector("h"),
        indicator("latency", "histogram", {"threshold": 0.5}), True),
    "spec.indicator.raw.errorRatio": (lambda n, f: pad(n, "", "e[$window]", " "),
        indicator("raw", "errorRatio", {}), False),
    "spec.indicator.timeSlice.slice": (lambda n, f: pad(n, "", "1m", "0"),
        indicator("timeSlice", "slice", {"query": "q", "goodBelow": 1}), False),
    "spec.indicator.timeSlice.query": (text,
        indicator("timeSlice", "query", {"goodBelow": 1}), True),
    "spec.indicator.timeSlice.histogram": (selector("h"),
        indicator("timeSlice", "histogram", {"quantile": 0.99, "goodBelow": 0.3}), True),
    "spec.alerting.name": (lambda n, f: "A" * n, at("spec.alerting.name"), False),
    "spec.alerting.labels.*": (text, at("spec.alerting.labels.team"), True),
    "spec.alerting.annotations.*": (text, at("spec.alerting.annotations.summary"), True),
    "spec.alerting.page.receiver": (text, at("spec.alerting.page.receiver"), True),
    "spec.alerting.page.severity": (text, at("spec.alerting.page.severity"), False),
    "spec.alerting.ticket.receiver": (text, at("spec.alerting.ticket.receiver"), True),
    "spec.alerting.ticket.severity": (text, at("spec.alerting.ticket.severity"), False),
    "spec.alerting.windows[].long": (lambda n, f: pad(n, "", "1h", "0"),
        row("long", "short", "5m"), False),
    "spec.alerting.windows[].short": (lambda n, f: pad(n, "", "5m", "0"),
        row("short", "long", "1h"), False),
    # a longer time or offset is refused for its length before its form
    "spec.alerting.offPeak.from": (lambda n, f: pad(n, "", "22:00", "0"), off_peak("from"), False),
    "spec.alerting.offPeak.to": (lambda n, f: pad(n, "", "06:00", "0"), off_peak("to"), False),
    "spec.alerting.offPeak.utcOffset": (lambda n, f: pad(n, "+", "02:00", "0"),
        off_peak("utcOffset"), False),
    "spec.alerting.offPeak.rows[]": (lambda n, f: pad(n, "", "1h", "0"), off_peak("rows"), False),
}

fails = []
def validate(doc, name):
    path = f"{tmp}/{name}.yaml"
    with open(path, "w") as f:
        json.dump(doc, f, ensure_ascii=False)  # JSON is YAML
    r = subprocess.run([burnrate, "validate", "-f", path], capture_output=True, text=True)
    if r.returncode > 2:
        fails.append(f"{name}: burnrate crashed (exit {r.returncode}): {r.stderr}")
    return r

checked = 0
for path, node in strings(spec, "spec"):
    if "enum" in node:
        continue  # bounded by its values
    if "maxLength" not in node:
        fails.append(f"{path}: a string without maxLength in the CRD")
        continue
    if path not in CASES:
        fails.append(f"{path}: no case in limits.test.sh (add how to fill it in)")
        continue
    make, put, any_char = CASES[path]
    n = node["maxLength"]
    for fill in ["a", "é"] if any_char else ["a"]:
        ok = copy.deepcopy(BASE)
        field = put(ok, make(n, fill))
        r = validate(ok, f"ok-{checked}")
        if r.returncode != 0:
            fails.append(f"{path}: {n} characters ({fill!r}) refused, the CRD allows them: "
                         + r.stderr.strip())
        bad = copy.deepcopy(BASE)
        put(bad, make(n + 1, fill))
        r = validate(bad, f"bad-{checked}")
        want = f"{field}: must be at most {n} characters, got {n + 1}"
        if r.returncode != 1 or want not in r.stderr:
            fails.append(f"{path}: {n + 1} characters ({fill!r}): want exit 1 and "
                         f"\"{want}\", got exit {r.returncode}: " + r.stderr.strip())
        checked += 1

print("\n".join(f"FAIL: {f}" for f in fails) or f"ok: {checked} limits agree with the CRD")
sys.exit(1 if fails else 0)
PY
finish
