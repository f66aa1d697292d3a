#!/bin/bash
# spec.alerting.preset: every preset renders and passes promtool check rules;
# low-traffic opens tickets and pages only when asked; the workbook preset
# is the default table; zero traffic with every option of issue 13 raises
# nothing and records no NaN.
source "$(dirname "$0")/lib.sh"
render "$PROMTOOL_DATA/presets/slo-low.yaml" rules-low.yaml
render "$PROMTOOL_DATA/presets/slo-low-page.yaml" rules-low-page.yaml
render "$PROMTOOL_DATA/presets/slo-workbook.yaml" rules-workbook.yaml
render "$PROMTOOL_DATA/presets/slo-quiet.yaml" rules-quiet.yaml
# naming the default preset changes nothing
sed '/preset: workbook/d' "$PROMTOOL_DATA/presets/slo-workbook.yaml" >"$WORK/wb-none.yaml"
"$BURNRATE" generate --format rules -f "$WORK/wb-none.yaml" | cmp - "$WORK/rules-workbook.yaml"
# without pages asked for, low-traffic has no page alert at all
if grep -q 'burnrate_severity: page' "$WORK/rules-low.yaml"; then
	echo "FAIL: the low-traffic preset generated a page alert nobody asked for"
	exit 1
fi
run_test "$PROMTOOL_DATA/presets/test.yaml"
run_test "$PROMTOOL_DATA/presets/test-quiet.yaml"
