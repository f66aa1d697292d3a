#!/usr/bin/env bash
# The Grafana dashboard (charts/burnrate/dashboards/burnrate-slos.json):
#  a. it has what Grafana needs to import it: uid, title, schemaVersion, a templating list
#     with the datasource, namespace and slo variables, and panels each with a datasource
#     and targets (rows aside), and unique ids;
#  b. it is what hack/gen-dashboard.py writes (the one source: nobody edits the JSON);
#  c. the chart renders it as a ConfigMap labelled grafana_dashboard: "1" whose JSON is the
#     file, and folder and label are configurable;
#  d. every PromQL expression of it (panel targets and the variables' label_values), with
#     the variables filled in, runs on a real Prometheus (Debian `prometheus`, on
#     127.0.0.1) that evaluates burnrate's rules for examples/ over the demo's backfilled
#     history (hack/demo/traffic.py), and returns data: once with one SLO selected and once
#     with "All". The exception is the alerts panel (ALERTS without `or vector(0)`): no
#     alert need be firing over this history, so it must only run (status success).
# Skips (77) without prometheus/promtool, or npm/node for helm (hack/tools.sh).
set -euo pipefail
src=${BURNRATE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BR=${BURNRATE:-$src/build/cmd/burnrate/burnrate}
work=$(mktemp -d "${TMPDIR:-/tmp}/grafana-test.XXXXXX")
prom_pid=
cleanup() {
	[ -z "$prom_pid" ] || kill "$prom_pid" 2>/dev/null || true
	[ -z "$prom_pid" ] || wait "$prom_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
export HELM_CACHE_HOME=$work/helm HELM_CONFIG_HOME=$work/helm HELM_DATA_HOME=$work/helm
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
for t in prometheus promtool; do
	command -v "$t" >/dev/null || { echo "$t not installed: skipped"; exit 77; }
done
rc=0
tools=$(bash "$src/hack/tools.sh") || rc=$?
[ $rc -eq 77 ] && { echo "npm/node missing (helm): skipped"; exit 77; }
[ $rc -eq 0 ] || fail "hack/tools.sh failed"
HELM=$tools/bin/helm
[ -x "$BR" ] || fail "no burnrate binary at $BR (set BURNRATE)"
cd "$src"
JSON=charts/burnrate/dashboards/burnrate-slos.json

# a. what Grafana needs
python3 - "$JSON" <<'PY' || fail "dashboard JSON incomplete"
import json, sys
d = json.load(open(sys.argv[1]))
bad = []
for k in ("uid", "title", "schemaVersion", "panels", "templating"):
    if not d.get(k):
        bad.append("no " + k)
names = [v.get("name") for v in d.get("templating", {}).get("list", [])]
for v in ("datasource", "namespace", "slo"):
    if v not in names:
        bad.append("no variable " + v)
ids = [p.get("id") for p in d.get("panels", [])]
if len(ids) != len(set(ids)) or None in ids:
    bad.append("panel ids missing or repeated: %s" % ids)
for p in d.get("panels", []):
    if p.get("type") == "row":
        continue
    where = "panel %s (%s)" % (p.get("id"), p.get("title"))
    if not p.get("datasource") or not p.get("targets") or not p.get("gridPos"):
        bad.append(where + ": no datasource, targets or gridPos")
    for t in p.get("targets", []):
        if not t.get("expr") or not t.get("refId") or not t.get("datasource"):
            bad.append(where + ": a target without expr, refId or datasource")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
echo "dashboard fields: ok"

# b. the generator's output, byte for byte
python3 hack/gen-dashboard.py "$work/gen.json" || fail "hack/gen-dashboard.py"
cmp -s "$JSON" "$work/gen.json" ||
	fail "$JSON differs from hack/gen-dashboard.py's output: change the script and run it"
echo "committed JSON is the generator's: ok"

# c. the chart's ConfigMap
"$HELM" template burnrate charts/burnrate --namespace burnrate >"$work/default.yaml" || fail "helm template"
"$HELM" template burnrate charts/burnrate --namespace burnrate --set dashboards.folder=SLOs \
	--set dashboards.label=dash --set dashboards.labelValue=yes --set dashboards.namespace=monitoring \
	>"$work/custom.yaml" || fail "helm template (custom)"
"$HELM" template burnrate charts/burnrate --namespace burnrate --set dashboards.enabled=false \
	>"$work/off.yaml" || fail "helm template (off)"
python3 - "$JSON" "$work/default.yaml" "$work/custom.yaml" "$work/off.yaml" <<'PY' || fail "ConfigMap"
import json, sys, yaml
want = json.load(open(sys.argv[1]))
def cms(f):
    return [d for d in yaml.safe_load_all(open(f)) if d and d["kind"] == "ConfigMap"]
def check(f, ns, label, value, folder):
    cm = cms(f)
    if len(cm) != 1:
        sys.exit("%s: %d ConfigMaps" % (f, len(cm)))
    m = cm[0]["metadata"]
    if m["labels"].get(label) != value or m["namespace"] != ns:
        sys.exit("%s: labels %s, namespace %s" % (f, m["labels"], m["namespace"]))
    if (m.get("annotations") or {}).get("grafana_folder") != folder:
        sys.exit("%s: annotations %s" % (f, m.get("annotations")))
    if json.loads(cm[0]["data"]["burnrate-slos.json"]) != want:
        sys.exit("%s: the ConfigMap's JSON is not the file" % f)
check(sys.argv[2], "burnrate", "grafana_dashboard", "1", None)
check(sys.argv[3], "monitoring", "dash", "yes", "SLOs")
if cms(sys.argv[4]):
    sys.exit("dashboards.enabled=false still renders a ConfigMap")
PY
echo "chart ConfigMap (label, folder, namespace, off): ok"

# d. every query on a real Prometheus
now=$(date +%s)
python3 hack/demo/traffic.py history "$work/history.om" "$now" || fail "traffic.py history"
promtool tsdb create-blocks-from openmetrics --max-block-duration=744h "$work/history.om" \
	"$work/data" >/dev/null || fail "backfill"
"$BR" generate --format rules -f examples/ >"$work/rules.gen.yml" 2>/dev/null || fail "burnrate generate"
# every group every 5s instead of 1m/5m, so the first evaluation of each comes within seconds
sed -E 's/^(  interval: )(1m|5m)$/\15s/' "$work/rules.gen.yml" >"$work/rules.yml"
grep -qE '^  interval: (1m|5m)$' "$work/rules.yml" && fail "group intervals not rewritten"
promtool check rules "$work/rules.yml" >/dev/null || fail "promtool check rules"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'global: {evaluation_interval: 5s}\nrule_files: [%s]\n' "$work/rules.yml" >"$work/prometheus.yml"
# retention beyond the 30 days backfilled, or the oldest blocks would go
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
	--storage.tsdb.retention.time=90d --web.listen-address="127.0.0.1:$port" --log.level=warn \
	>"$work/prometheus.log" 2>&1 &
prom_pid=$!
python3 - "$JSON" "http://127.0.0.1:$port" <<'PY' || { tail -n 20 "$work/prometheus.log" >&2; fail "queries"; }
import json, re, sys, time, urllib.error, urllib.parse, urllib.request
d = json.load(open(sys.argv[1]))
base = sys.argv[2]
queries = []  # (where, expr, range?)
for v in d["templating"]["list"]:
    if v["type"] == "query":
        # label_values(METRIC, LABEL): Grafana asks for LABEL's values among METRIC's series
        m = re.fullmatch(r"label_values\((.+), *(\w+)\)", v["query"]["query"])
        queries.append(("variable " + v["name"], "count by (%s) (%s)" % (m[2], m[1]), False))
for p in d["panels"]:
    for t in p.get("targets", []):
        queries.append(("panel %s %s" % (p["title"], t["refId"]), t["expr"], t.get("range", False)))
# one SLO of the default table (all its windows recorded), then "All"
selections = [{"namespace": "payments", "slo": "checkout-availability"},
              {"namespace": ".*", "slo": ".*"}]
builtin = {"__rate_interval": "1m", "__range": "10m", "__interval": "30s"}

def fill(expr, sel):
    vals = dict(builtin, **sel)
    out = re.sub(r"\$\{?(\w+)\}?", lambda m: vals[m[1]], expr)  # KeyError: unknown variable
    return out

def run(expr, rng):
    now = time.time()
    if rng:
        q = {"query": expr, "start": now - 600, "end": now, "step": 30}
        url = base + "/api/v1/query_range?" + urllib.parse.urlencode(q)
    else:
        url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": expr, "time": now})
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        return json.load(e)

def check():
    bad = []
    for sel in selections:
        for where, expr, rng in queries:
            q = fill(expr, sel)
            r = run(q, rng)
            if r.get("status") != "success":
                bad.append("%s: %s: %s" % (where, q, r.get("error")))
            # the alerts panel: nothing need fire over this history (see the header)
            elif not r["data"]["result"] and not ("ALERTS{" in expr and "or vector(0)" not in expr):
                bad.append("%s: no data: %s" % (where, q))
    return bad

deadline = time.time() + 90
while True:
    try:
        bad = check()
    except (urllib.error.URLError, ConnectionError):
        bad = ["Prometheus not ready"]
    if not bad:
        break
    if time.time() > deadline:
        print("\n".join(bad), file=sys.stderr)
        sys.exit(1)
    time.sleep(2)
print("%d queries x %d selections return data (the alerts panel: runs)" % (len(queries), len(selections)))
PY
echo "queries on Prometheus: ok"
echo "grafana dashboard: ok"
