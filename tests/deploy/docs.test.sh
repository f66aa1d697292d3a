#!/usr/bin/env bash
# docs/: every relative link resolves, and every runbook the alerts link to exists:
# page.md and ticket.md (--runbook-base-url) and one per alert of the chart's
# PrometheusRule (rendered with runbookBaseURL set).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$src"
python3 - <<'PY' || fail "broken links"
import glob, os, re, sys
bad = 0
for f in glob.glob("docs/**/*.md", recursive=True) + ["charts/burnrate/README.md", "README.md"]:
    for m in re.finditer(r"\]\(([^)#\s]+)", open(f).read()):
        t = m.group(1)
        if re.match(r"[a-z]+://", t):
            continue
        if not os.path.exists(os.path.normpath(os.path.join(os.path.dirname(f), t))):
            print("%s: broken link %s" % (f, t))
            bad += 1
sys.exit(1 if bad else 0)
PY
echo "links: ok"
for f in page ticket; do [ -f "docs/runbooks/$f.md" ] || fail "docs/runbooks/$f.md missing"; done
deploy_tools
render -s templates/prometheusrule.yaml --set runbookBaseURL=https://rb.example.com/x | python3 -c '
import os, sys, yaml
rule = next(d for d in yaml.safe_load_all(sys.stdin) if d and d["kind"] == "PrometheusRule")
bad = 0
for g in rule["spec"]["groups"]:
    for r in g["rules"]:
        url = r.get("annotations", {}).get("runbook_url", "")
        if not url.startswith("https://rb.example.com/x/"):
            print("%s: no runbook_url under the base" % r["alert"]); bad += 1
        elif not os.path.exists("docs/runbooks/" + url.rsplit("/", 1)[1]):
            print("%s: %s has no page in docs/runbooks/" % (r["alert"], url)); bad += 1
sys.exit(1 if bad else 0)' || fail "runbooks"
echo "runbooks: one per alert: ok"
