#!/usr/bin/env bash
# Regenerates the golden files from examples/. Review `git diff tests/golden`
# before committing: a changed golden file is a changed product.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$(cd "$here/../.." && pwd)"
BURNRATE="${BURNRATE:-$src/build/cmd/burnrate/burnrate}"
for ex in "$src"/examples/*.yaml; do
	name="$(basename "$ex" .yaml)"
	"$BURNRATE" generate -f "$ex" >"$here/$name.yaml"
	"$BURNRATE" generate --format rules -f "$ex" >"$here/$name.rules.yaml"
	echo "updated $name"
done
