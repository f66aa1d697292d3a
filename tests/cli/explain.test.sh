#!/usr/bin/env bash
# burnrate explain: the numbers of the 30d default table for a 99.5% SLO
# (SRE Workbook): 14.4/6/3/1, 2/5/10/10% budget, fire ratios, time to fire at
# 100% errors (1h*14.4*0.005 = 259.2s = 4m19s), reset ~ short window; and what
# minEvents means.
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

run explain
expect_rc 2 "no -f"
: >"$T/empty.yaml"
run explain -f "$T/empty.yaml"
expect_rc 1 "empty input"
expect_err "^no ServiceLevelObjective found in $T/empty.yaml " "empty input named"
[ ! -s "$T/out" ] && ok "nothing explained" || fail "stdout not empty"
finish
