# Shared helpers of the CLI behaviour tests (sourced, not run by ctest: it
# does not end in .test.sh).
set -uo pipefail
: "${BURNRATE:?set BURNRATE to the burnrate binary}"
SRC="${BURNRATE_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
FAILS=0

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }

# run CMD...: runs burnrate, keeps stdout in $T/out, stderr in $T/err, code in $RC.
run() {
	"$BURNRATE" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	if [ "$RC" -gt 2 ]; then
		fail "burnrate $* crashed or misbehaved (exit $RC)"; cat "$T/err"
	fi
}
expect_rc() { # expect_rc WANT what
	if [ "$RC" = "$1" ]; then ok "$2 (exit $RC)"; else fail "$2: exit $RC, want $1"; sed 's/^/  stderr: /' "$T/err"; fi
}
expect_err() { # expect_err REGEX what
	if grep -Eq -- "$1" "$T/err"; then ok "$2"; else fail "$2: stderr lacks /$1/"; sed 's/^/  stderr: /' "$T/err"; fi
}
expect_out() { # expect_out REGEX what
	if grep -Eq -- "$1" "$T/out"; then ok "$2"; else fail "$2: stdout lacks /$1/"; sed 's/^/  stdout: /' "$T/out" | head -40; fi
}
# need_pyyaml: skip (exit 77) when python3 cannot read YAML.
need_pyyaml() { python3 -c 'import yaml' 2>/dev/null || { echo "python3-yaml missing: skipped"; exit 77; }; }
finish() { [ "$FAILS" = 0 ] && echo "all ok" || echo "$FAILS failure(s)"; [ "$FAILS" = 0 ]; }

# slo NAME NAMESPACE OBJECTIVE: a minimal valid SLO document.
slo() {
	cat <<YAML
apiVersion: burnrate.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: $1
  namespace: $2
spec:
  service: svc
  objective: $3
  indicator:
    ratio:
      errors: http_requests_total{job="$1",code=~"5.."}
      total: http_requests_total{job="$1"}
YAML
}
