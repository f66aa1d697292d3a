#!/usr/bin/env bash
# The merged Alertmanager configuration with the real amtool: it passes
# `amtool check-config`, and `amtool config routes test` shows that a page of
# an SLO reaches its page receiver, its ticket its ticket receiver, SLOs
# without receivers the root receiver, the base's own routes still work, and
# alerts with another namespace's labels never reach a namespace's receivers
# (also when they name that namespace's receiver). A receiver the policy keeps
# from a namespace, or one the base lacks, makes generate fail.
. "$(dirname "$0")/lib.sh"
need amtool

cat >"$T/policy.yaml" <<'YAML'
receivers:
  payments-pagerduty: [payments]
  payments-slack: [payments]
  search-pagerduty: [search]
  shared-slack: ["*"]
timing:
  page: {group_wait: 10s}
YAML
base_secret "$T/policy.yaml" >"$T/base.yaml"
{
	slo checkout payments payments-pagerduty payments-slack
	slo refunds payments payments-pagerduty shared-slack
	slo query search search-pagerduty shared-slack
	slo index search "" shared-slack
	slo plain search
	slo other intruder "" shared-slack
} >"$T/slos.yaml"

"$BURNRATE" generate --alertmanager-base "$T/base.yaml" -f "$T/slos.yaml" -o "$T/out" 2>"$T/err" ||
	{ cat "$T/err"; fail "generate"; finish; exit; }
cfg=$T/out/alertmanager.yaml
amtool check-config "$cfg" >"$T/check" 2>&1 && ok "amtool check-config" || { cat "$T/check"; fail "amtool check-config"; }

# route NS SLO SEVERITY RECEIVER_LABEL -> the receiver(s) amtool picks
route() {
	local labels=(slo_namespace="$1" slo="$2" burnrate_severity="$3" alertname=X)
	[ -z "$4" ] || labels+=(burnrate_receiver="$4")
	amtool config routes test --config.file="$cfg" "${labels[@]}" 2>&1 | tail -n 1
}
expect() { # expect WANT NS SLO SEVERITY RECEIVER_LABEL
	local got
	got=$(route "$2" "$3" "$4" "$5")
	[ "$got" = "$1" ] && ok "$2/$3 $4 (receiver label '${5}') -> $1" ||
		fail "$2/$3 $4 (receiver label '${5}') -> '$got', want $1"
}
expect payments-pagerduty payments checkout page payments-pagerduty
expect payments-slack payments checkout ticket payments-slack
expect shared-slack payments refunds ticket shared-slack
expect search-pagerduty search query page search-pagerduty
expect shared-slack search query ticket shared-slack
expect shared-slack intruder other ticket shared-slack
expect default search plain page ""
expect default search plain ticket ""
expect default search index page ""
# isolation: namespace B's alerts naming A's receivers fall to the root
expect default search query page payments-pagerduty
expect default search query ticket payments-slack
expect default intruder other page payments-pagerduty
expect default intruder other page search-pagerduty
# a page route never takes a ticket and the other way round
expect default payments checkout ticket payments-pagerduty
expect default payments checkout page payments-slack
# the base's own routes still work after the generated ones
got=$(amtool config routes test --config.file="$cfg" team=infra alertname=Y | tail -n 1)
[ "$got" = infra ] && ok "base route team=infra -> infra" || fail "base route -> '$got'"

# every alert of namespace B, whatever receiver it names, never reaches a receiver
# only namespace A may use (the policy's per-namespace receivers)
declare -A only=([payments-pagerduty]=payments [payments-slack]=payments [search-pagerduty]=search)
for ns in payments search intruder; do
	for recv in payments-pagerduty payments-slack search-pagerduty shared-slack default ""; do
		for sev in page ticket; do
			got=$(route "$ns" s "$sev" "$recv")
			owner=${only[$got]:-}
			[ -z "$owner" ] || [ "$owner" = "$ns" ] ||
				fail "$ns alert ($sev, receiver label '$recv') reached $got, which belongs to $owner"
		done
	done
done
ok "no namespace reaches another namespace's receivers (36 label sets)"

# the generated routes follow the policy's timing, with defaults for the rest
python3 - "$cfg" <<'PY' && ok "timing and group_by of the generated routes" || fail "timing/group_by"
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
routes = c["route"]["routes"]
gen = [r for r in routes if any(m.startswith("burnrate_severity=") for m in r.get("matchers", []))]
# keyed by (namespace, receiver, severity): checkout and refunds share one page route
assert len(gen) == 6, [r["receiver"] for r in gen]
assert routes[len(gen)]["receiver"] == "infra", "base routes come after the generated ones"
for r in gen:
    page = 'burnrate_severity="page"' in r["matchers"]
    assert r["group_by"] == ["slo_namespace", "slo", "burnrate_severity"], r
    assert r["group_wait"] == ("10s" if page else "5m"), r
    assert r["group_interval"] == ("5m" if page else "30m"), r
    assert r["repeat_interval"] == ("1h" if page else "24h"), r
inh = c["inhibit_rules"][-1]
assert inh == {"source_matchers": ['burnrate_severity="page"'],
               "target_matchers": ['burnrate_severity="ticket"'],
               "equal": ["slo_namespace", "slo"]}, inh
PY

# output is deterministic and independent of input order
tac_slos() { python3 -c 'import sys; d=open(sys.argv[1]).read().split("---\n"); print("---\n".join(reversed([x for x in d if x.strip()])))' "$1"; }
tac_slos "$T/slos.yaml" >"$T/rev.yaml"
"$BURNRATE" generate --alertmanager-base "$T/base.yaml" -f "$T/rev.yaml" -o "$T/out2" 2>/dev/null
cmp -s "$cfg" "$T/out2/alertmanager.yaml" && ok "deterministic" || fail "output depends on input order"

# refused: a receiver not allowed for the namespace, one the base lacks
slo sneaky intruder payments-pagerduty >"$T/sneaky.yaml"
"$BURNRATE" generate --alertmanager-base "$T/base.yaml" -f "$T/sneaky.yaml" >"$T/o" 2>"$T/err"
rc=$?
[ "$rc" = 1 ] && grep -q 'intruder/sneaky: spec.alerting.page.receiver: .*ReceiverNotAllowed' "$T/err" &&
	[ ! -s "$T/o" ] && ok "not allowed receiver refused, nothing written" ||
	{ cat "$T/err"; fail "not allowed receiver: exit $rc"; }
slo typo payments payments-pagerdty >"$T/typo.yaml"
"$BURNRATE" generate --alertmanager-base "$T/base.yaml" -f "$T/typo.yaml" >"$T/o" 2>"$T/err"
rc=$?
[ "$rc" = 1 ] && grep -q 'payments/typo: spec.alerting.page.receiver: receiver "payments-pagerdty" is not defined.*ReceiverNotFound' "$T/err" &&
	ok "unknown receiver refused" || { cat "$T/err"; fail "unknown receiver: exit $rc"; }

# validate makes the same checks and writes nothing
"$BURNRATE" validate --alertmanager-base "$T/base.yaml" -f "$T/slos.yaml" >"$T/o" 2>"$T/err" &&
	grep -q 'all routable' "$T/o" && ok "validate: all routable" || { cat "$T/err"; fail "validate"; }
"$BURNRATE" validate --alertmanager-base "$T/base.yaml" -f "$T/sneaky.yaml" >/dev/null 2>"$T/err"
[ $? = 1 ] && grep -q 'ReceiverNotAllowed' "$T/err" && ok "validate: not allowed receiver, exit 1" ||
	{ cat "$T/err"; fail "validate of a not allowed receiver"; }
printf 'route: {receiver: x}\nreceivers: [{name: y}]\n' >"$T/badbase.yaml"
"$BURNRATE" validate --alertmanager-base "$T/badbase.yaml" -f "$T/slos.yaml" >/dev/null 2>"$T/err"
[ $? = 1 ] && grep -q "badbase.yaml:1:19: route.receiver: undefined receiver \"x\"" "$T/err" &&
	ok "invalid base: file:line:col: field: problem" || { cat "$T/err"; fail "invalid base message"; }

# without a policy any namespace may use any receiver of the base
sed '/burnrate.yaml/,$d' "$T/base.yaml" >"$T/nopolicy.yaml"
"$BURNRATE" generate --alertmanager-base "$T/nopolicy.yaml" -f "$T/sneaky.yaml" -o "$T/out3" 2>"$T/err" &&
	amtool check-config "$T/out3/alertmanager.yaml" >/dev/null 2>&1 &&
	[ "$(amtool config routes test --config.file="$T/out3/alertmanager.yaml" slo_namespace=intruder slo=sneaky burnrate_severity=page burnrate_receiver=payments-pagerduty | tail -n1)" = payments-pagerduty ] &&
	ok "no policy: any namespace may use any receiver" || { cat "$T/err"; fail "no policy"; }

# a plain alertmanager.yaml works as the base too
python3 -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["stringData"]["alertmanager.yaml"])' "$T/base.yaml" >"$T/plain.yaml"
"$BURNRATE" generate --alertmanager-base "$T/plain.yaml" -f "$T/slos.yaml" >"$T/stream.yaml" 2>"$T/err" &&
	python3 - "$T/stream.yaml" <<'PY' && ok "stdout: rules, then the configuration as the last document" || { cat "$T/err"; fail "stdout stream"; }
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
assert all(d["kind"] == "PrometheusRule" for d in docs[:-1]) and len(docs) == 7, len(docs)
assert docs[-1]["route"]["receiver"] == "default"
PY
finish
