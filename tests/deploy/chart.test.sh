#!/usr/bin/env bash
# The Helm chart and deploy/: helm lint; the chart's CRD is crds/'s; deploy/ is what
# hack/gen-deploy.sh makes of the chart today (so the CRD and RBAC of both agree); the
# kustomization builds; every document (deploy/, the chart with default values and with
# every option on) passes its kind's schema; wrong values fail at install
# (values.schema.json); the Deployment keeps its security and HA settings; the web UI
# is off by default (and in deploy/) and ui.enabled adds its flag, container port, Service
# port and the port-forward command in the notes; the self-alerts pass promtool.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
deploy_tools
cd "$src"

"$HELM" lint --strict charts/burnrate >"$work/lint" || { cat "$work/lint"; fail "helm lint"; }
"$HELM" lint --strict charts/burnrate -f tests/deploy/values-full.yaml >"$work/lint" ||
	{ cat "$work/lint"; fail "helm lint (values-full.yaml)"; }
echo "helm lint: ok"

for f in crds/*.yaml; do
	cmp "$f" "charts/burnrate/$f" || fail "charts/burnrate/crds/ differs from crds/: cp $f charts/burnrate/crds/"
done
python3 - <<'PY' || fail "deploy/crd.yaml differs from crds/*.yaml: run hack/gen-deploy.sh"
import glob, yaml, sys
a = [d for f in sorted(glob.glob("crds/*.yaml")) for d in yaml.safe_load_all(open(f)) if d]
b = [d for d in yaml.safe_load_all(open("deploy/crd.yaml")) if d]
key = lambda d: d["metadata"]["name"]
sys.exit(sorted(a, key=key) != sorted(b, key=key))
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
render --set ui.enabled=true >"$work/ui.yaml"
render --set ui.enabled=true,ui.port=9000,ui.service.enabled=false >"$work/ui-noservice.yaml"
check_schemas $(ls deploy/*.yaml | grep -v kustomization.yaml) "$work/default.yaml" "$work/full.yaml" \
	"$work/ui.yaml" "$work/ui-noservice.yaml" || fail "schema check"

# wrong values must fail at install time
bad=(
	"log.level=verbose" "log.format=xml" "replicaCount=0" "serviceMonitr.enabled=true"
	"prometheus.url=prometheus:9090" "controller.workers=0" "controller.resync=10x"
	"watchNamespaces[0]=Payments" "ruleLabels.release=a b" "image.pullPolicy=Sometimes"
	"runbookBaseURL=https://runbooks.example.com/" "runbookBaseURL=https://x/{{y}}" "alertmanager.baseSecret.name=only-one"
	"replicaCount=2,leaderElection.enabled=false" "podDisruptionBudget.maxUnavailable=half"
	"dashboards.labelValue=1" "dashboards.label=grafana dashboard" "dashboards.enabled=yes"
	"ui.enabled=yes" "ui.port=0" "ui.port=65536" "ui.servce.enabled=false"
	"ui.enabled=true,ui.port=8080" "ui.enabled=true,ui.port=8081" "ui.enabled=true,service.port=8090"
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

# the web UI (--ui-bind-address): off with the default values and in deploy/; ui.enabled
# adds the flag, a containerPort named ui and, unless ui.service.enabled=false, a Service
# port named ui
python3 - "$work/default.yaml" deploy/deployment.yaml,deploy/service.yaml "$work/ui.yaml" "$work/ui-noservice.yaml" <<'PY' ||
import sys, yaml
def fail(m): sys.exit("FAIL: " + m)
def ui(files):
    ds = [d for f in files.split(",") for d in yaml.safe_load_all(open(f)) if d]
    c = next(d for d in ds if d["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"][0]
    svc = next(d for d in ds if d["kind"] == "Service")
    flags = [a for a in c["args"] if a.startswith("--ui-bind-address")]
    return (flags, {p["name"]: p for p in c["ports"]}, {p["name"]: p for p in svc["spec"]["ports"]})
default, deploy, on, noservice = sys.argv[1:]
for f in (default, deploy):
    flags, cports, sports = ui(f)
    if flags or "ui" in cports or "ui" in sports:
        fail(f + ": the UI is on by default: %s %s %s" % (flags, sorted(cports), sorted(sports)))
flags, cports, sports = ui(on)
if flags != ["--ui-bind-address=:8090"]: fail("ui.enabled: args %s" % flags)
if cports.get("ui") != {"name": "ui", "containerPort": 8090, "protocol": "TCP"}:
    fail("ui.enabled: containerPort %s" % cports.get("ui"))
if sports.get("ui") != {"name": "ui", "port": 8090, "targetPort": "ui", "protocol": "TCP"}:
    fail("ui.enabled: Service port %s" % sports.get("ui"))
if sports.get("metrics", {}).get("targetPort") != "metrics" or set(cports) != {"metrics", "health", "ui"}:
    fail("ui.enabled: the other ports changed: %s %s" % (sorted(cports), sorted(sports)))
flags, cports, sports = ui(noservice)
if flags != ["--ui-bind-address=:9000"] or cports.get("ui", {}).get("containerPort") != 9000:
    fail("ui.port=9000: %s %s" % (flags, cports.get("ui")))
if "ui" in sports: fail("ui.service.enabled=false: the Service has a ui port")
PY
	fail "web UI values"
BR=${BURNRATE:-$src/build/cmd/burnrate/burnrate}
if [ -x "$BR" ]; then
	"$BR" controller --help 2>&1 | grep -q -- '--ui-bind-address ADDR' ||
		fail "$BR controller --help lacks --ui-bind-address"
fi
# the install notes (helm template leaves NOTES.txt out: render it as a document of a copy)
cp -r charts/burnrate "$work/notes-chart"
{ printf 'kind: Notes\ntext: |\n'; sed 's/^/  /' charts/burnrate/templates/NOTES.txt; } >"$work/notes-chart/templates/notes.yaml"
notes() {
	"$HELM" template burnrate "$work/notes-chart" --namespace burnrate --show-only templates/notes.yaml "$@" |
		python3 -c 'import sys, yaml; sys.stdout.write(yaml.safe_load(sys.stdin)["text"])'
}
notes >"$work/notes" || fail "rendering NOTES.txt"
grep -q 'port-forward' "$work/notes" && fail "NOTES.txt: port-forward with the UI off"
notes --set ui.enabled=true >"$work/notes" || fail "rendering NOTES.txt (ui.enabled)"
grep -qF 'kubectl -n burnrate port-forward svc/burnrate 8090:8090' "$work/notes" &&
	grep -qF 'http://127.0.0.1:8090/' "$work/notes" || { cat "$work/notes"; fail "NOTES.txt: no port-forward to the UI"; }
grep -q WARNING "$work/notes" && fail "NOTES.txt: exposure warning with a ClusterIP Service"
notes --set ui.enabled=true,ui.service.enabled=false >"$work/notes" || fail "rendering NOTES.txt (no ui Service port)"
grep -qF 'kubectl -n burnrate port-forward deploy/burnrate 8090:8090' "$work/notes" ||
	{ cat "$work/notes"; fail "NOTES.txt: no port-forward to the Deployment"; }
notes --set ui.enabled=true,service.type=LoadBalancer >"$work/notes" || fail "rendering NOTES.txt (LoadBalancer)"
grep -q 'WARNING: service.type is LoadBalancer' "$work/notes" || { cat "$work/notes"; fail "NOTES.txt: no exposure warning"; }
echo "web UI: off by default, flag, ports and notes with ui.enabled: ok"

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
