#!/usr/bin/env bash
# burnrate explain: the numbers of the 30d default table for a 99.5% SLO
# (SRE Workbook): 14.4/6/3/1, 2/5/10/10% budget, fire ratios, time to fire at
# 100% errors (1h*14.4*0.005 = 259.2s = 4m19s), reset ~ short window; and what
# minEvents means. Then what issue 13 added, each figure computed here in python3:
# confidence and z; errors in a row to fire each row with and without the Wilson bound
# at expectedEventsPerDay; the budget in events; off-peak hours in local time and UTC,
# the rows muted and what pages at night; the preset and --presets; recommendations.
. "$(dirname "$0")/lib.sh"

run explain -f "$SRC/examples/payments-checkout.yaml"
expect_rc 0 "explain payments"
expect_out "objective: +99.5% over a rolling 30d" "objective and window"
expect_out "error budget: +0.5% .*3h36m" "error budget and its outage time"
row() { expect_out "^  $1 +$2 +$3 +$4 +$5 +$6 +$7 +$8$" "row $*"; }
row page 14.4x 1h 5m 7.2% 2% 4m19s 5m
row page 6x 6h 30m 3% 5% 10m48s 30m
row ticket 3x 1d 2h 1.5% 10% 21m36s 2h
row ticket 1x 3d 6h 0.5% 10% 21m36s 6h
expect_out "14.4x over 1h/5m: pages when more than 7.2% of requests fail" "row in words"

run explain -f "$SRC/examples/booking-integration.yaml"
expect_rc 0 "explain booking"
expect_out "The 1h window needs >= 50 requests: fewer than 0.83 requests/min never pages" "minEvents meaning"

run explain -f "$SRC/examples/search-raw.yaml"
expect_out "^  page \(disabled\) " "disabled severity shown"
expect_out "page alerts are disabled" "disabled severity in words"

run explain -f "$SRC/examples/auth-latency.yaml"
expect_out "^  page +14.4x +1h +5m +0.144% " "99.99%: fires at 0.144%"

# quiet SLO NAME OBJECTIVE EVENTS_PER_DAY [TRAFFIC-EXTRA] [ALERTING-YAML]
quiet() {
	slo "$1" t "$2"
	printf '  traffic: {expectedEventsPerDay: %s%s}\n' "$3" "${4:-}"
	[ -n "${5:-}" ] && printf '  alerting:\n%s\n' "$5"
	return 0
}
# by_hand EVENTS_PER_DAY OBJECTIVE CONFIDENCE: per row of the 30d workbook table
# "row long N k k_bound", and the z and budget lines, independently of burnrate
by_hand() {
	python3 - "$@" <<'PY'
import math, sys
from statistics import NormalDist
per_day, objective, conf = map(float, sys.argv[1:])
eb = 1 - objective / 100
z = NormalDist().inv_cdf(conf / 100)
def wilson(k, n):
    p = k / n
    return (p * n + z * z / 2 - z * math.sqrt(p * (1 - p) * n + z * z / 4)) / (n + z * z)
def first(ok, n):
    return next((str(k) for k in range(1, int(n) + 1) if ok(k, n)), "never")
print("z %.4f" % z)
print("allowed %.4g" % (eb * per_day * 30))
for name, f, long_h in (("page", 14.4, 1), ("page", 6, 6), ("ticket", 3, 24), ("ticket", 1, 72)):
    n = per_day / 24 * long_h
    thr = f * eb
    print("row %s %gx %s %.4g %s %s" % (name, f, {1: "1h", 6: "6h", 24: "1d", 72: "3d"}[long_h], n,
          first(lambda k, n: k / n > thr, n), first(lambda k, n: wilson(k, n) > thr, n)))
PY
}

quiet q18 99 432 ", confidence: 95" >"$T/q18.yaml"
run explain -f "$T/q18.yaml"
expect_rc 0 "explain 18 events an hour with confidence 95"
by_hand 432 99 95 >"$T/hand"
z=$(awk '$1=="z"{print $2}' "$T/hand")
expect_out "^  confidence: +95% one-sided, z = $z " "confidence and z = $z (by hand)"
allowed=$(awk '$1=="allowed"{print $2}' "$T/hand")
expect_out "^  budget: +1% of 12960 events per 30d window: $allowed failures allowed" \
	"budget in events: $allowed failures (by hand)"
expect_out "^  traffic: +432 events a day, 18 an hour \(spec.traffic.expectedEventsPerDay\)" \
	"traffic from expectedEventsPerDay"
while read -r _ sev f long n k kb; do
	expect_out "^  $sev $f +$long +$n +$k +$kb +yes$" "$sev $f over $long: $n events, $k errors, $kb with the bound (by hand)"
done < <(grep '^row' "$T/hand")
expect_out "spec.alerting.preset: low-traffic" "low-traffic recommended at 18 an hour"
if grep -q "spec.traffic.confidence: 95" "$T/out"; then fail "confidence recommended though set"
else ok "no confidence recommendation when set"; fi

# without confidence: the bound column is the 95% one explain would suggest, marked unset
quiet q18n 99 432 >"$T/q18n.yaml"
run explain -f "$T/q18n.yaml"
expect_out "at 95% \(unset\)" "bound column marked unset"
expect_out "spec.traffic.confidence: 95" "confidence recommended at 18 an hour"
# minEvents 50 and a window that can never see 50 events
quiet q18m 99 432 "" "" | sed 's/expectedEventsPerDay: 432/expectedEventsPerDay: 432, minEvents: 50/' >"$T/q18m.yaml"
run explain -f "$T/q18m.yaml"
expect_out "^  page 14.4x +1h +18 +never \(minEvents\) +never \(minEvents\) +no: under minEvents$" \
	"1h row can't fire under minEvents"
# plenty of traffic: nothing to recommend
quiet busy 99.5 10000000 >"$T/busy.yaml"
run explain -f "$T/busy.yaml"
expect_out "Recommended: +nothing" "nothing recommended at 10M a day"
# no traffic: say how to give it
run explain -f "$SRC/examples/payments-checkout.yaml"
expect_out "^  traffic: +unknown: the figures in events" "traffic unknown"
expect_out "spec.traffic.expectedEventsPerDay, or give --prometheus-url" "both ways named"

# off-peak: local, UTC, rows muted, night
by_utc() { python3 -c 'import sys
f, t, o = sys.argv[1:]
m = lambda s: int(s[:2]) * 60 + int(s[3:])
off = (-1 if o[0] == "-" else 1) * m(o[1:])
u = lambda s: "%02d:%02d" % divmod((m(s) - off) % 1440, 60)
print("%s-%s" % (u(f), u(t)))' "$@"; }
quiet night 99 432 "" '    offPeak: {from: "23:15", to: "07:00", utcOffset: "-05:30"}' >"$T/night.yaml"
run explain -f "$T/night.yaml"
expect_rc 0 "explain off-peak"
u=$(by_utc 23:15 07:00 -05:30)
expect_out "^  off-peak: +23:15-07:00 local \(UTC-05:30\), $u UTC$" "off-peak in local time and UTC ($u by hand)"
expect_out "^  muted then: +page 14.4x over 1h/5m$" "default: the fastest page row muted"
expect_out "^  at night: +only page 6x over 6h/30m still pages: a full outage pages after 21m36s$" \
	"night: the 6h row, 6h*6*1% = 21m36s"
quiet night2 99 432 "" '    offPeak: {from: "20:00", to: "08:00", utcOffset: "+02:00", rows: [1h, 6h]}' >"$T/night2.yaml"
run explain -f "$T/night2.yaml"
u=$(by_utc 20:00 08:00 +02:00)
expect_out "^  off-peak: +20:00-08:00 local \(UTC\+02:00\), $u UTC$" "off-peak at +02:00 ($u by hand)"
expect_out "^  muted then: +page 14.4x over 1h/5m, page 6x over 6h/30m$" "both page rows muted"
expect_out "every page row is muted: an outage at night never pages" "night outage never pages"

# presets
run explain --presets
expect_rc 0 "explain --presets"
expect_out "^workbook: the SRE Workbook's table" "workbook listed"
expect_out "^low-traffic: for services with" "low-traffic listed"
expect_out "^  pages by default: no" "low-traffic does not page by default"
expect_out "^  page +14.4x +1h +5m +2%$" "workbook row at 30d"
expect_out "^  ticket +1.5x +1w +14h +35%$" "low-traffic row at 30d"
run explain --presets -f "$T/q18.yaml"
expect_rc 2 "--presets with -f"
run explain -f "$T/q18.yaml"
expect_out "^  preset: +workbook: the SRE Workbook's table" "preset in the header"
quiet lt 99 432 "" '    preset: low-traffic' >"$T/lt.yaml"
run explain -f "$T/lt.yaml"
expect_out "^  preset: +low-traffic: for services" "low-traffic preset in the header"
if grep -q "spec.alerting.preset: low-traffic" "$T/out"; then fail "low-traffic recommended though used"
else ok "no low-traffic recommendation when used"; fi
quiet own 99 432 "" '    windows: [{severity: page, long: 2h, burnRate: 10}]' >"$T/own.yaml"
run explain -f "$T/own.yaml"
expect_rc 0 "explain own windows"
expect_out "^  preset: +none: spec.alerting.windows gives the table" "own windows: no preset"

# BudgetCorrections: the ones that select the SLO, each window, the next one; the control
# SLO that nothing selects lists none
run explain -f "$BURNRATE_SOURCE_DIR/tests/promtool/corrections/slo.yaml" \
	-f "$BURNRATE_SOURCE_DIR/tests/promtool/corrections/corrections.yaml"
expect_rc 0 "explain with a BudgetCorrection"
expect_out "^  maintenance: database migration, and the weekly reindex \\(2 windows\\)$" "the correction and its reason"
expect_out "^    1970-01-01T02:00:00Z to 1970-01-01T03:00:00Z$" "the one-off window"
expect_out "^    every Thu 23:00 UTC for 2h$" "the weekly window"
expect_out "^    next: 20[0-9-]*T23:00:00Z to 20[0-9-]*T01:00:00Z$" "the next window"
[ "$(grep -c '^Budget corrections' "$T/out")" = 1 ] && ok "one SLO of two lists it" ||
	fail "Budget corrections listed $(grep -c '^Budget corrections' "$T/out") times, want 1"

# a time-slice objective: what a slice is, and the budget in slices
run explain -f "$BURNRATE_SOURCE_DIR/tests/promtool/timeslice/slo.yaml"
expect_rc 0 "explain a time-slice SLO"
expect_out "^  indicator: +time slices of 1m; a slice is bad when the p99 of http_request_duration_seconds" "what a slice is"
expect_out "216 of a 30d window's slices may be bad" "the budget in slices"
expect_out "^  traffic: +1440 events a day, 60 an hour \\(spec.indicator.timeSlice.slice" "slices counted as events"

run explain
expect_rc 2 "no -f"
: >"$T/empty.yaml"
run explain -f "$T/empty.yaml"
expect_rc 1 "empty input"
expect_err "^no ServiceLevelObjective found in $T/empty.yaml " "empty input named"
[ ! -s "$T/out" ] && ok "nothing explained" || fail "stdout not empty"
finish
