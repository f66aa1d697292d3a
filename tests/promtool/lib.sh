# lib.sh: shared set-up for the promtool behaviour tests (sourced, not run).
#
# Each test renders one or more SLOs with
#   $BURNRATE generate --format rules -f <slo.yaml>
# checks the rules with `promtool check rules`, then runs `promtool test rules`
# on a test file that names the rendered files in rule_files. Exit status is
# promtool's: any failed assertion fails the test. 77 = skipped.
set -euo pipefail

if ! command -v promtool >/dev/null 2>&1; then
	echo "SKIP: promtool not installed"
	exit 77
fi
: "${BURNRATE:?BURNRATE must name the burnrate binary}"
: "${BURNRATE_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

PROMTOOL_DATA="$BURNRATE_SOURCE_DIR/tests/promtool"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/burnrate-promtool.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# render <slo.yaml> <out.yaml>: the SLO as a plain Prometheus rules file,
# then promtool's own syntax and lint check of it.
render() {
	"$BURNRATE" generate --format rules -f "$1" >"$WORK/$2"
	promtool check rules "$WORK/$2"
}

# run_test <test.yaml>: promtool unit test, with rule_files resolved in $WORK,
# after rates.py has expanded any {{rates ...}} series.
run_test() {
	python3 "$PROMTOOL_DATA/rates.py" "$1" >"$WORK/$(basename "$1")"
	(cd "$WORK" && promtool test rules "$(basename "$1")")
}
