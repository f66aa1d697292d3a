#!/usr/bin/env bash
# hack/demo.sh as a newcomer runs it: in a fresh clone of this repository, without
# KUBECONFIG. First with a fault, an Alertmanager that does not start: a clear message,
# a non-zero exit, and every process it started stopped and every port it bound free.
# Then the real thing: exit 0 and the summary line, with a page delivered within 2
# minutes of the outage, the ticket inhibited and the budget dropped.
# The clone is of the committed tree (HEAD), as CI's is.
set -uo pipefail
SRC=${BURNRATE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v kubectl >/dev/null || { echo "kubectl missing: skipped"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/demo-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }

git clone -q "$SRC" "$T/clone" || { echo "FAIL: git clone"; exit 1; }
clone=$T/clone
unset KUBECONFIG

# leftovers CLONE: processes whose working directory is in the clone, and the ports
# the demo recorded in out/demo/ports that still accept connections
leftovers() {
	local p left=""
	for p in /proc/[0-9]*; do
		case "$(readlink "$p/cwd" 2>/dev/null)" in
		"$clone" | "$clone"/*) left+=" $(basename "$p"):$(tr '\0' ' ' <"$p/cmdline" | cut -c1-80)" ;;
		esac
	done
	[ -f "$clone/out/demo/ports" ] && while read -r name port; do
		python3 -c 'import socket,sys; s=socket.socket(); s.settimeout(1); sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)' "$port" &&
			left+=" port $port ($name) still open"
	done <"$clone/out/demo/ports"
	echo "$left"
}

# 1. Alertmanager does not start
mkdir -p "$T/bin"
printf '#!/bin/sh\necho "alertmanager: error: listen tcp: address already in use (injected by demo.test.sh)" >&2\nexit 1\n' \
	>"$T/bin/prometheus-alertmanager"
cp "$T/bin/prometheus-alertmanager" "$T/bin/alertmanager"
chmod +x "$T/bin/"*
(cd "$clone" && PATH="$T/bin:$PATH" timeout 600 bash hack/demo.sh) >"$T/fault.out" 2>&1
rc=$?
[ "$rc" != 0 ] && ok "with Alertmanager failing the demo exits $rc" || fail "with Alertmanager failing the demo exits 0"
grep -q 'demo: FAILED: Alertmanager did not start' "$T/fault.out" &&
	grep -q 'injected by demo.test.sh' "$T/fault.out" &&
	ok "it says Alertmanager did not start, and why" ||
	{ fail "no clear message about Alertmanager:"; tail -5 "$T/fault.out"; }
[ -s "$clone/out/demo/ports" ] && ok "it had started $(wc -l <"$clone/out/demo/ports") servers first" ||
	fail "it recorded no ports: the fault came before anything started, the check proves nothing"
left=$(leftovers)
[ -z "$left" ] && ok "nothing left running or listening" || fail "left behind:$left"

# 2. the demo
start=$(date +%s)
(cd "$clone" && timeout 900 bash hack/demo.sh) >"$T/demo.out" 2>&1
rc=$?
took=$(($(date +%s) - start))
summary=$(grep '^demo: [0-9]* SLOs Ready' "$T/demo.out")
echo "summary: $summary"
[ "$rc" = 0 ] && ok "the demo exits 0 (${took}s with setup and build)" || { fail "the demo exits $rc"; tail -30 "$T/demo.out"; }
n=$(ls "$clone"/examples/*.yaml | wc -l)
python3 - "$summary" "$n" <<'PY' && ok "the summary says what happened" || fail "summary: $summary"
import re, sys
s, n = sys.argv[1], int(sys.argv[2])
m = re.fullmatch(r"demo: (\d+) SLOs Ready, page for ([a-z0-9-]+)/([a-z0-9-]+) delivered to ([a-z0-9-]+) (\d+)s after "
                 r"the outage began, ticket inhibited, budget left ([0-9.]+)% -> ([0-9.]+)%", s)
if not m:
    sys.exit("summary line does not match")
if int(m.group(1)) != n:
    sys.exit("%s SLOs Ready, want %d" % (m.group(1), n))
if int(m.group(5)) > 120:
    sys.exit("the page took %ss, more than 2 minutes" % m.group(5))
if not float(m.group(7)) < float(m.group(6)):
    sys.exit("the budget did not drop")
PY
grep -q "the project's test API server" "$T/demo.out" && ok "it names the test API server as such" ||
	fail "the output does not say which API server it used"
secs=$(sed -n 's/^demo: took \([0-9]*\)s$/\1/p' "$T/demo.out")
[ -n "$secs" ] && [ "$secs" -lt 240 ] && ok "the demo itself took ${secs}s (under 4 minutes)" ||
	fail "the demo took ${secs:-?}s"
for f in logs/controller.log logs/webhook.log prometheus/rules.yml alertmanager/alertmanager.yml; do
	[ -s "$clone/out/demo/$f" ] || fail "out/demo/$f missing or empty"
done
left=$(leftovers)
[ -z "$left" ] && ok "nothing left running or listening after the demo" || fail "left behind:$left"

[ "$FAILS" = 0 ] && echo "all ok" || echo "$FAILS failure(s)"
[ "$FAILS" = 0 ]
