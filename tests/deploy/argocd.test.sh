#!/usr/bin/env bash
# The Argo CD health check (docs/gitops/argocd-health.lua) in Lua 5.1, the language
# Argo CD's gopher-lua speaks: the verdict for SLOs in each state burnrate leaves them
# in, and the copy in docs/gitops.md is the file.
set -euo pipefail
src=${BURNRATE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v lua5.1 >/dev/null || { echo "lua5.1 missing: skipped"; exit 77; }
python3 - "$src" <<'PY'
import json, subprocess, sys, textwrap

src = sys.argv[1]
lua = open(src + "/docs/gitops/argocd-health.lua").read()
doc = open(src + "/docs/gitops.md").read()
if textwrap.indent(lua, "    ") not in doc:
    sys.exit("FAIL: docs/gitops.md does not hold docs/gitops/argocd-health.lua as it is")

def to_lua(v):
    if isinstance(v, dict):
        return "{" + ", ".join("[%s] = %s" % (json.dumps(k), to_lua(x)) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "{" + ", ".join(to_lua(x) for x in v) + "}"
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "nil"
    return json.dumps(v)

def cond(t, s, reason, msg, gen=2):
    return {"type": t, "status": s, "reason": reason, "message": msg, "observedGeneration": gen,
            "lastTransitionTime": "2026-12-01T10:00:00Z"}

meta = {"name": "checkout", "namespace": "payments", "generation": 2}
cases = [
    ("new", {"metadata": meta}, "Progressing", "waiting"),
    ("stale", {"metadata": meta, "status": {"observedGeneration": 1,
        "conditions": [cond("Ready", "True", "Reconciled", "rules are up to date", 1)]}},
        "Progressing", "not observed generation 2"),
    ("ready", {"metadata": meta, "status": {"observedGeneration": 2, "conditions": [
        cond("Ready", "True", "Reconciled", "rules are up to date"),
        cond("RulesReady", "True", "RulesApplied", "PrometheusRule checkout has 26 recording and 2 alerting rules")]}},
        "Healthy", "rules are up to date"),
    ("invalid", {"metadata": meta, "status": {"observedGeneration": 2, "conditions": [
        cond("Ready", "False", "InvalidSpec", "spec.objective: must be below 100")]}},
        "Degraded", "InvalidSpec: spec.objective"),
    ("burning", {"metadata": meta, "status": {"observedGeneration": 2, "conditions": [
        cond("Ready", "True", "Reconciled", "rules are up to date"),
        cond("BudgetHealthy", "False", "BudgetBurning", "burning at 6.2x over 1h")]}},
        "Healthy", "BudgetBurning: burning at 6.2x"),
    ("no-ready-yet", {"metadata": meta, "status": {"observedGeneration": 2, "conditions": []}},
        "Progressing", "waiting"),
]
bad = 0
for name, obj, want, msg in cases:
    prog = "obj = %s\nlocal hs = (function()\n%s\nend)()\nio.write(hs.status .. '\\n' .. hs.message)\n" % (to_lua(obj), lua)
    out = subprocess.run(["lua5.1", "-"], input=prog, capture_output=True, text=True)
    got = out.stdout.split("\n", 1)
    if out.returncode != 0 or got[0] != want or msg not in (got[1] if len(got) > 1 else ""):
        print("FAIL: %s: want %s (%s), got %r %s" % (name, want, msg, out.stdout, out.stderr))
        bad += 1
    else:
        print("ok: %s -> %s: %s" % (name, got[0], got[1]))
sys.exit(1 if bad else 0)
PY
echo "argocd health check: ok"
