#!/usr/bin/env bash
# The Helm chart and deploy/: helm lint; the chart's CRD is crds/'s; deploy/ is what
# hack/gen-deploy.sh makes of the chart today (so the CRD and RBAC of both agree); the
# kustomization builds; every document (deploy/, the chart with default values and with
# every option on) passes its kind's schema; wrong values fail at install
# (values.schema.json); the Deployment keeps its security and HA settings; the
# self-alerts pass promtool.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
deploy_tools
cd "$src"

"$HELM" lint --strict charts/burnrate >"$work/lint" || { cat "$work/lint"; fail "helm lint"; }
"$HELM" lint --strict charts/burnrate -f tests/deploy/values-full.yaml >"$work/lint" ||
	{ cat "$work/lint"; fail "helm lint (values-full.yaml)"; }
echo "helm lint: ok"

cmp crds/servicelevelobjectives.yaml charts/burnrate/crds/servicelevelobjectives.yaml ||
	fail "charts/burnrate/crds/ differs from crds/: cp crds/servicelevelobjectives.yaml charts/burnrate/crds/"
python3 - <<'PY' || fail "deploy/crd.yaml differs from crds/servicelevelobjectives.yaml"
import yaml, sys
a = yaml.safe_load(open("crds/servicelevelobjectives.yaml"))
b = yaml.safe_load(open("deploy/crd.yaml"))
sys.exit(a != b)
PY
echo "CRD copies: ok"

bash hack/gen-deploy.sh "$work/deploy" >/dev/null
diff -ru deploy "$work/deploy" >"$work/diff" || { cat "$work/diff"; fail "deploy/ is out of date: run hack/gen-deploy.sh"; }
echo "deploy/ in sync with the chart: ok"

kubectl kustomize deploy >"$work/kustomized.yaml" 2>"$work/err" || { cat "$work/err"; fail "kubectl kustomize deploy"; }
python3 - "$work/kustomized.yaml" deploy/*.yaml <<'PY' || fail "the kustomization does not list every file of deploy/"
import sys, yaml
def ids(files):
    return sorted((d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"])
                  for f in files for d in yaml.safe_load_all(open(f)) if d and d.get("kind") != "Kustomization")
sys.exit(ids([sys.argv[1]]) != ids(sys.argv[2:]))
PY
echo "kustomization: ok"

render >"$work/default.yaml"
render -f tests/deploy/values-full.yaml >"$work/full.yaml"
check_schemas $(ls deploy/*.yaml | grep -v kustomization.yaml) "$work/default.yaml" "$work/full.yaml" ||
	fail "schema check"

# wrong values must fail at install time
bad=(
	"log.level=verbose" "log.format=xml" "replicaCount=0" "serviceMonitr.enabled=true"
	"prometheus.url=prometheus:9090" "controller.workers=0" "controller.resync=10x"
	"watchNamespaces[0]=Payments" "ruleLabels.release=a b" "image.pullPolicy=Sometimes"
	"runbookBaseURL=https://runbooks.example.com/" "runbookBaseURL=https://x/{{y}}" "alertmanager.baseSecret.name=only-one"
	"replicaCount=2,leaderElection.enabled=false" "podDisruptionBudget.maxUnavailable=half"
	"dashboards.labelValue=1" "dashboards.label=grafana dashboard" "dashboards.enabled=yes"
)
for v in "${bad[@]}"; do
	if render --set "$v" >/dev/null 2>"$work/err"; then
		fail "--set $v was accepted"
	fi
done
echo "bad values refused: ${#bad[@]}"

# what the Deployment must keep
python3 - "$work/default.yaml" "$work/full.yaml" <<'PY'
import sys, yaml
def docs(f): return [d for d in yaml.safe_load_all(open(f)) if d]
def fail(m): sys.exit("FAIL: " + m)
for f in sys.argv[1:]:
    ds = docs(f)
    dep = next(d for d in ds if d["kind"] == "Deployment")
    pod = dep["spec"]["template"]["spec"]
    c = pod["containers"][0]
    args = c["args"]
    if dep["spec"]["replicas"] < 2 or "--leader-elect" not in args: fail(f + ": not HA with leader election")
    psc, sc = pod["securityContext"], c["securityContext"]
    if not psc.get("runAsNonRoot") or not psc.get("runAsUser") or psc["seccompProfile"]["type"] != "RuntimeDefault":
        fail(f + ": pod security context")
    if not sc.get("readOnlyRootFilesystem") or sc["capabilities"]["drop"] != ["ALL"] or sc.get("allowPrivilegeEscalation") is not False:
        fail(f + ": container security context")
    if c["livenessProbe"]["httpGet"]["path"] != "/healthz" or c["readinessProbe"]["httpGet"]["path"] != "/readyz":
        fail(f + ": probes")
    for k in ("requests", "limits"):
        if not {"cpu", "memory"} <= set(c["resources"][k]): fail(f + ": resources." + k)
    for d in ds:
        for r in d.get("rules", []) if d["kind"] in ("Role", "ClusterRole") else []:
            for field in ("apiGroups", "resources", "verbs"):
                if "*" in r[field]: fail(f + ": wildcard in " + d["kind"])
            if "secrets" in r["resources"] and not r.get("resourceNames"):
                fail(f + ": Secrets not limited by resourceNames")
PY
grep -q 'kind: Secret\|resources: \[secrets\]' "$work/default.yaml" && fail "default values grant Secrets"
grep -q -- '--namespace=payments' "$work/full.yaml" || fail "watchNamespaces not passed"
echo "Deployment and RBAC invariants: ok"

# the chart README documents every value, and only values that exist
python3 - <<'PY' || fail "charts/burnrate/README.md and values.yaml disagree"
import re, sys, yaml
values = yaml.safe_load(open("charts/burnrate/values.yaml"))
readme = open("charts/burnrate/README.md").read()
documented = set(re.findall(r"^\| `([A-Za-z][A-Za-z0-9.]*)` \|", readme, re.M))
# maps and lists of free-form content are documented as a whole
whole = {"ruleLabels", "serviceAccount.annotations", "podAnnotations", "podLabels", "nodeSelector",
         "affinity", "resources", "podSecurityContext", "securityContext", "serviceMonitor.labels",
         "prometheusRule.labels", "prometheusRule.alertLabels"}
def leaves(d, p=""):
    for k, x in d.items():
        if isinstance(x, dict) and p + k not in whole and x:
            yield from leaves(x, p + k + ".")
        else:
            yield p + k
keys = set(leaves(values))
bad = sorted(keys - documented) + ["(no such value) " + k for k in sorted(documented - keys)]
for b in bad:
    print("README: " + b)
sys.exit(1 if bad else 0)
PY
echo "chart README documents every value: ok"

# the self-alerts are valid Prometheus rules
for f in default full; do
	python3 - "$work/$f.yaml" >"$work/$f.rules.yaml" <<'PY'
import sys, yaml
rule = next(d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "PrometheusRule")
yaml.safe_dump(rule["spec"], sys.stdout)
PY
	promtool check rules "$work/$f.rules.yaml" >"$work/promtool" 2>&1 || { cat "$work/promtool"; fail "promtool check rules ($f)"; }
done
echo "self-alerts: promtool ok"
echo "chart: ok"
