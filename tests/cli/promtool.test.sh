#!/usr/bin/env bash
# Every generated output passes `promtool check rules`: each example's
# --format rules output, all examples in one file, and the spec.groups of
# every PrometheusRule document.
. "$(dirname "$0")/lib.sh"
need_pyyaml
command -v promtool >/dev/null || { echo "promtool missing"; exit 77; }

check() { # check FILE what
	if promtool check rules "$1" >"$T/pt" 2>&1; then ok "$2"; else fail "$2"; cat "$T/pt"; fi
}
for ex in "$SRC"/examples/*.yaml; do
	name="$(basename "$ex" .yaml)"
	"$BURNRATE" generate --format rules -f "$ex" >"$T/$name.rules.yaml" || fail "generate $name"
	check "$T/$name.rules.yaml" "promtool: $name --format rules"
done
"$BURNRATE" generate --format rules -f "$SRC/examples" >"$T/all.rules.yaml" || fail "generate all"
check "$T/all.rules.yaml" "promtool: all examples in one rules file"

"$BURNRATE" generate -f "$SRC/examples" >"$T/all.prom.yaml" || fail "generate PrometheusRules"
python3 - "$T/all.prom.yaml" "$T" <<'PY' || fail "extracting spec.groups"
import sys, yaml
for i, d in enumerate(d for d in yaml.safe_load_all(open(sys.argv[1])) if d):
    with open(f"{sys.argv[2]}/pr-{i}.yaml", "w") as f:
        yaml.safe_dump({"groups": d["spec"]["groups"]}, f, sort_keys=False)
PY
n=0
for f in "$T"/pr-*.yaml; do
	check "$f" "promtool: spec.groups of PrometheusRule $(basename "$f")"
	n=$((n + 1))
done
[ "$n" = "$(ls "$SRC"/examples/*.yaml | wc -l)" ] && ok "one PrometheusRule per example" || fail "got $n PrometheusRules"
finish
