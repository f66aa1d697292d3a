#!/bin/bash
# BudgetCorrection (issue 17): a full outage inside a one-off window pages
# nobody and spends no budget, also in the minutes after the window ends; the
# same outage outside it pages; a weekly window crossing midnight mutes what
# it should and only that. bc-plain, selected by nothing, is the control.
source "$(dirname "$0")/lib.sh"
"$BURNRATE" generate --format rules -f "$PROMTOOL_DATA/corrections/slo.yaml" \
	-f "$PROMTOOL_DATA/corrections/corrections.yaml" >"$WORK/rules.yaml"
promtool check rules "$WORK/rules.yaml"
run_test "$PROMTOOL_DATA/corrections/test.yaml"
