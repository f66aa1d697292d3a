#!/usr/bin/env bash
# The example base (examples/alertmanager/base-secret.yaml) with the example SLOs: the
# merged configuration passes amtool, and every example SLO's page and ticket reach the
# receivers its spec names, while the same labels from another namespace fall to the root.
source "$(dirname "$0")/lib.sh"
need amtool
base="$SRC/examples/alertmanager/base-secret.yaml"
"$BURNRATE" generate --alertmanager-base "$base" -f "$SRC/examples" -o "$T/out" 2>"$T/err" ||
	{ cat "$T/err"; fail "generate with the example base"; finish; exit; }
amtool check-config "$T/out/alertmanager.yaml" >/dev/null 2>&1 && ok "amtool check-config" ||
	fail "amtool check-config refuses the example configuration"
route() { amtool config routes test --config.file="$T/out/alertmanager.yaml" "$@" 2>/dev/null; }
for f in "$SRC"/examples/*.yaml; do
	# namespace, name and the two receivers of the example, from its manifest
	read -r ns name page ticket < <(python3 -c '
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
a = d["spec"].get("alerting", {})
print(d["metadata"]["namespace"], d["metadata"]["name"],
      a.get("page", {}).get("receiver", "-"), a.get("ticket", {}).get("receiver", "-"))' "$f")
	for sev in page ticket; do
		want=$([ "$sev" = page ] && echo "$page" || echo "$ticket")
		[ "$want" = - ] && continue
		got=$(route slo_namespace="$ns" slo="$name" burnrate_severity="$sev" burnrate_receiver="$want")
		[ "$got" = "$want" ] && ok "$ns/$name $sev -> $want" || fail "$ns/$name $sev went to '$got', not $want"
		got=$(route slo_namespace=elsewhere slo="$name" burnrate_severity="$sev" burnrate_receiver="$want")
		[ "$got" = platform-default ] || fail "another namespace's $sev with $want reached '$got'"
	done
done
finish
