#!/usr/bin/env bash
# burnrate generate: multi-document output, -o one file per SLO, --format
# rules, --rule-label, deterministic and input-order independent output, and
# nothing written when any input is invalid or none holds an SLO.
. "$(dirname "$0")/lib.sh"
need_pyyaml

mkdir -p "$T/in"
slo zeta ns-b 99 >"$T/in/1.yaml"
{ slo alpha ns-b 99.5; echo "---"; slo mid ns-a 99.9; } >"$T/in/2.yaml"

run generate -f "$T/in"
expect_rc 0 "generate a directory"
[ "$(grep -c '^kind: PrometheusRule$' "$T/out")" = 3 ] && ok "three PrometheusRules" || fail "want 3 PrometheusRule docs"
[ "$(grep -c '^---$' "$T/out")" = 3 ] && ok "documents separated by ---" || fail "want 3 --- separators"
order="$(grep -A3 '^metadata:' "$T/out" | grep -E '^  (name|namespace):' | paste -sd' ')"
grep -q '^  name: mid' <(grep -m1 -A3 '^metadata:' "$T/out") && ok "sorted: ns-a/mid first" || fail "not sorted by namespace/name: $order"
python3 - "$T/out" <<'PY' && ok "sorted by namespace/name" || fail "output order: $order"
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
keys = [(d["metadata"]["namespace"], d["metadata"]["name"]) for d in docs]
assert keys == [("ns-a", "mid"), ("ns-b", "alpha"), ("ns-b", "zeta")], keys
for d in docs:
    assert d["apiVersion"] == "monitoring.coreos.com/v1"
    assert d["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "burnrate"
    assert d["spec"]["groups"], d
PY
cp "$T/out" "$T/first"

run generate -f "$T/in/2.yaml" -f "$T/in/1.yaml"
cmp -s "$T/out" "$T/first" && ok "input order does not change output" || fail "output depends on -f order"
run generate -f "$T/in"
cmp -s "$T/out" "$T/first" && ok "byte-for-byte deterministic" || fail "two runs differ"

run generate -f "$T/in" -o "$T/outdir"
expect_rc 0 "-o DIR"
ls "$T/outdir" >"$T/ls"
[ "$(cat "$T/ls" | paste -sd' ')" = "ns-a_mid.yaml ns-b_alpha.yaml ns-b_zeta.yaml" ] && ok "one file per SLO" || fail "files: $(cat "$T/ls")"
[ ! -s "$T/out" ] && ok "-o writes nothing on stdout" || fail "stdout not empty with -o"
grep -q '^  name: alpha$' "$T/outdir/ns-b_alpha.yaml" && ok "file holds its SLO" || fail "ns-b_alpha.yaml content"

run generate --format rules -f "$T/in"
expect_rc 0 "--format rules"
python3 - "$T/out" <<'PY' && ok "one rules file with every SLO's groups" || fail "rules format: $(head -5 "$T/out")"
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
assert len(docs) == 1 and list(docs[0]) == ["groups"], docs
names = [g["name"] for g in docs[0]["groups"]]
assert len(names) == len(set(names)), names
for s in ("ns-a/mid/", "ns-b/alpha/", "ns-b/zeta/"):
    assert any(n.startswith(s) for n in names), (s, names)
PY

run generate --rule-label release=kube-prometheus-stack --rule-label a.b/c=d -f "$T/in/1.yaml"
expect_rc 0 "--rule-label"
expect_out "^    release: kube-prometheus-stack$" "rule label on metadata.labels"
expect_out "^    a.b/c: d$" "prefixed rule label"
run generate --rule-label 'bad key=x' -f "$T/in/1.yaml"
expect_rc 2 "invalid rule label is a usage error"
run generate --rule-label x=1 --rule-label x=2 -f "$T/in/1.yaml"
expect_rc 2 "repeated rule label is a usage error"
run generate --format xml -f "$T/in"
expect_rc 2 "unknown format"

# --runbook-base-url: page.md/ticket.md on alerts whose SLO names no runbook; the
# SLO's own runbook_url wins; nothing changes without the flag
run generate --runbook-base-url https://rb.example.com/slo -f "$T/in/1.yaml"
expect_rc 0 "--runbook-base-url"
python3 - "$T/out" <<'PY' && ok "runbook_url page.md / ticket.md" || fail "runbook_url"
import sys, yaml
doc = next(d for d in yaml.safe_load_all(open(sys.argv[1])) if d)
alerts = {r["labels"]["burnrate_severity"]: r["annotations"]["runbook_url"]
          for g in doc["spec"]["groups"] for r in g["rules"] if "alert" in r}
assert alerts == {"page": "https://rb.example.com/slo/page.md",
                  "ticket": "https://rb.example.com/slo/ticket.md"}, alerts
PY
run generate --format rules --runbook-base-url https://rb.example.com/slo -f "$T/in/1.yaml"
expect_out "runbook_url: https://rb.example.com/slo/ticket.md" "--format rules gets runbooks too"
run generate -f "$T/in/1.yaml"
grep -q runbook_url "$T/out" && fail "runbook_url without the flag" || ok "no runbook_url without the flag"
{ slo own ns 99; printf '  alerting:\n    annotations: {runbook_url: "https://wiki.example.com/own"}\n'; } >"$T/own.yaml"
run generate --runbook-base-url https://rb.example.com/slo -f "$T/own.yaml"
grep -q 'rb.example.com' "$T/out" && fail "base URL overrode the SLO's runbook_url" || ok "the SLO's runbook_url wins"
for bad in https://rb.example.com/ ftp://rb.example.com 'https://rb.example.com/{{x}}' 'https://a b'; do
	run generate --runbook-base-url "$bad" -f "$T/in/1.yaml"
	expect_rc 2 "--runbook-base-url $bad refused"
done

slo broken ns 99 | sed 's/objective: 99/objective: -1/' >"$T/in/3.yaml"
run generate -f "$T/in" -o "$T/outdir2"
expect_rc 1 "invalid input"
[ ! -e "$T/outdir2" ] && ok "nothing written when an input is invalid" || fail "outdir2 created"
[ ! -s "$T/out" ] && ok "nothing on stdout when an input is invalid" || fail "stdout not empty"

# no ServiceLevelObjective in the input: an error, as in validate, and nothing written
: >"$T/empty.yaml"
run generate -f "$T/empty.yaml" -o "$T/outdir3"
expect_rc 1 "empty input"
expect_err "^no ServiceLevelObjective found in $T/empty.yaml " "empty input named"
[ ! -e "$T/outdir3" ] && [ ! -s "$T/out" ] && ok "nothing written for an empty input" || fail "output for an empty input"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n' | { "$BURNRATE" generate -f - >"$T/out" 2>"$T/err"; echo $? >"$T/rc"; }
RC=$(cat "$T/rc"); expect_rc 1 "stdin with only a ConfigMap"
expect_err "^no ServiceLevelObjective found in <stdin> \\(1 file\\(s\\) read, 1 document\\(s\\) of other kinds skipped\\)" "stdin named"

run generate --help
expect_rc 0 "--help"
expect_out "--rule-label" "help documents --rule-label"
finish
