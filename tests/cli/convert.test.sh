#!/usr/bin/env bash
# burnrate convert: every example converted to OpenSLO and back gives the
# same rules byte for byte (and so does generate reading the OpenSLO
# directly), the converted OpenSLO's rules pass promtool, SLIs and policies
# are found across files, refusals name the OpenSLO field and write nothing,
# and usage errors exit 2.
. "$(dirname "$0")/lib.sh"

for ex in "$SRC"/examples/*.yaml; do
	name="$(basename "$ex" .yaml)"
	"$BURNRATE" generate --format rules -f "$ex" >"$T/$name.want" || fail "generate $name"
	run convert --to openslo -f "$ex"
	expect_rc 0 "$name to OpenSLO"
	cp "$T/out" "$T/$name.openslo.yaml"
	grep -q '^apiVersion: openslo/v1$' "$T/$name.openslo.yaml" || fail "$name: not openslo/v1"
	run convert --to slo -f "$T/$name.openslo.yaml"
	expect_rc 0 "$name back to a ServiceLevelObjective"
	cp "$T/out" "$T/$name.back.yaml"
	"$BURNRATE" generate --format rules -f "$T/$name.back.yaml" >"$T/$name.got" || fail "generate back $name"
	cmp -s "$T/$name.want" "$T/$name.got" && ok "$name: same rules after the round trip" ||
		{ fail "$name: rules differ after the round trip"; diff "$T/$name.want" "$T/$name.got" | head -20; }
	"$BURNRATE" generate --format rules -f "$T/$name.openslo.yaml" >"$T/$name.direct" 2>"$T/err" ||
		{ fail "generate from OpenSLO $name"; cat "$T/err"; }
	cmp -s "$T/$name.want" "$T/$name.direct" && ok "$name: generate reads the OpenSLO" ||
		fail "$name: generate from OpenSLO differs"
	if command -v promtool >/dev/null; then
		promtool check rules "$T/$name.direct" >"$T/pt" 2>&1 && ok "$name: promtool" ||
			{ fail "$name: promtool"; cat "$T/pt"; }
	fi
done
command -v promtool >/dev/null || echo "promtool missing: rules not checked with it"

# A directory of OpenSLO (all examples) validates and explains.
mkdir -p "$T/os"
cp "$T"/*.openslo.yaml "$T/os/"
run validate -f "$T/os"
expect_rc 0 "validate a directory of OpenSLO"
run explain -f "$T/os/payments-checkout.openslo.yaml"
expect_rc 0 "explain an OpenSLO SLO"
expect_out "objective: +99.5%" "explain shows the objective"

# An SLO in one file, its SLI and alert policy in another.
cat >"$T/sli.yaml" <<'YAML'
apiVersion: openslo/v1
kind: SLI
metadata: {name: web-errors}
spec:
  ratioMetric:
    bad: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(http_requests_total{job="web",code=~"5.."}[5m]))'}}}
    total: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(http_requests_total{job="web"}[5m]))'}}}
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata: {name: web-page}
spec:
  conditions:
  - kind: AlertCondition
    metadata: {name: web-page}
    spec:
      severity: page
      condition: {kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h, alertAfter: 0m}
  notificationTargets: [{targetRef: web-pager}]
YAML
cat >"$T/slo.yaml" <<'YAML'
apiVersion: openslo/v1
kind: SLO
metadata: {name: web, namespace: shop}
spec:
  service: web
  indicatorRef: web-errors
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.999}]
  alertPolicies: [{alertPolicyRef: web-page}]
YAML
run convert --to slo -f "$T/slo.yaml" -f "$T/sli.yaml"
expect_rc 0 "references found in another file"
expect_out '^      errors: "http_requests_total\{job=\\"web\\",code=~\\"5..\\"\}"$' "the SLI's bad query is the errors selector"
expect_out '^      receiver: web-pager$' "the target is the page receiver"
expect_out '^      disabled: true$' "a severity without policies is disabled"
run generate --format rules -f "$T/slo.yaml"
expect_rc 1 "the SLI is needed"
expect_err 'slo.yaml:6:17: spec.indicatorRef: no SLI "web-errors"' "a missing SLI names the field"

# Refusals name the OpenSLO field, and nothing is written.
sed 's/budgetingMethod: Occurrences/budgetingMethod: Timeslices/' "$T/slo.yaml" >"$T/ts.yaml"
run convert --to slo -f "$T/ts.yaml" -f "$T/sli.yaml"
expect_rc 1 "Timeslices without a slice refused"
expect_err 'spec.objectives\[0\].timeSliceWindow: required field is missing' "names timeSliceWindow"
[ ! -s "$T/out" ] && ok "nothing written on refusal" || fail "output written despite a refusal"
# a time-slice SLO there and back: the same rules (its timeSlice rides in an annotation,
# so a histogram slice stays one)
ts_slo=$BURNRATE_SOURCE_DIR/tests/promtool/timeslice/slo.yaml
run convert --to openslo -f "$ts_slo"
expect_rc 0 "a time-slice SLO converts to OpenSLO"
expect_out '^  budgetingMethod: Timeslices$' "as Timeslices budgeting"
expect_out '^    timeSliceWindow: 1m$' "with its slice"
cp "$T/out" "$T/ts-os.yaml"
"$BURNRATE" generate --format rules -f "$ts_slo" >"$T/ts-a.yml"
"$BURNRATE" generate --format rules -f "$T/ts-os.yaml" >"$T/ts-b.yml"
cmp -s "$T/ts-a.yml" "$T/ts-b.yml" && ok "time slices: the same rules there and back" ||
	fail "time slices: the rules differ after the round trip"
sed 's/isRolling: true/isRolling: false/' "$T/slo.yaml" >"$T/cal.yaml"
run validate -f "$T/cal.yaml" -f "$T/sli.yaml"
expect_rc 1 "validate refuses a calendar window"
expect_err 'spec.timeWindow\[0\].isRolling: must be true' "names isRolling"

# Usage.
run convert -f "$T/slo.yaml"
expect_rc 2 "--to is required"
run convert --to yaml -f "$T/slo.yaml"
expect_rc 2 "--to must be slo or openslo"
run convert --to slo
expect_rc 2 "-f is required"
run --help
expect_out 'convert +ServiceLevelObjectives to OpenSLO' "convert in the usage"
finish
