#!/usr/bin/env bash
# Golden tests: every example renders, byte for byte, to its checked-in
# PrometheusRule (<example>.yaml) and plain rules file (<example>.rules.yaml).
# After an intended change, run tests/golden/update.sh and review the diff:
# these files are the product.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="${BURNRATE_SOURCE_DIR:-$(cd "$here/../.." && pwd)}"
: "${BURNRATE:?set BURNRATE to the burnrate binary}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0
for ex in "$src"/examples/*.yaml; do
	name="$(basename "$ex" .yaml)"
	for fmt in prometheusrule rules; do
		want="$here/$name.yaml"
		[ "$fmt" = rules ] && want="$here/$name.rules.yaml"
		if [ ! -f "$want" ]; then
			echo "FAIL $name ($fmt): no golden file $want (run tests/golden/update.sh)"
			fail=1
			continue
		fi
		if ! "$BURNRATE" generate --format "$fmt" -f "$ex" >"$tmp/out"; then
			echo "FAIL $name ($fmt): burnrate generate exited non-zero"
			fail=1
			continue
		fi
		if ! cmp -s "$want" "$tmp/out"; then
			echo "FAIL $name ($fmt): output differs from $(basename "$want"):"
			diff -u "$want" "$tmp/out"
			fail=1
		fi
		n=$((n + 1))
	done
done
[ "$n" -gt 0 ] || { echo "FAIL: no examples found"; exit 1; }
[ "$fail" = 0 ] && echo "ok: $n golden outputs match"
exit "$fail"
