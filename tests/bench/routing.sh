#!/usr/bin/env bash
# Benchmark of alert routing (prints figures; not a test).
#
#   tests/bench/routing.sh [N=10000] [NAMESPACES=50] [BURST=2000]
#
# N SLOs across NAMESPACES namespaces, paging 3 receivers and ticketing 3, are in the fake
# API server's state with the base Secret before burnrate starts. Reports: time until the
# Alertmanager Secret is written and every SLO has a status, the Secret's size (decoded and
# as stored, base64) against the 1 MiB limit, its routes, and the Secret writes made; then
# BURST more SLOs, paging 2 receivers no SLO used before (so the configuration changes all
# through the burst), are created as fast as 8 client threads can while burnrate runs, and the
# Secret writes during that burst are counted (the debounce at work).
# Needs BURNRATE (the binary) or a build in build/.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
N=${1:-10000}
NNS=${2:-50}
BURST=${3:-2000}
BR=${BURNRATE:-$src/build/cmd/burnrate/burnrate}
[ -x "$BR" ] || { echo "no burnrate binary (set BURNRATE)"; exit 1; }
source "$src/tests/e2e/lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/routing-bench.XXXXXX")
CPID=
trap '[ -z "$CPID" ] || kill -KILL $CPID 2>/dev/null; stop_fakeapi; rm -rf "$work"' EXIT

python3 "$here/routing_state.py" "$N" "$NNS" "$work/state.json"
FAKEAPI_DIR=$work/api
mkdir -p "$FAKEAPI_DIR"
cp "$work/state.json" "$FAKEAPI_DIR/state.json"
start_fakeapi --plain-chunks >/dev/null || exit 1

count() { # verb resource subresource -> count of 2xx requests
	fake_admin /fake/requests | python3 -c '
import json,sys
v,r,s=sys.argv[1:]
print(sum(b["count"] for b in json.load(sys.stdin)["by"] if b["verb"]==v and b["resource"]==r and b["subresource"]==s and 200<=b["code"]<300))' "$@"
}
secret_json() {
	curl -sf --cacert "$FAKEAPI_CA" -H "Authorization: Bearer $FAKEAPI_TOKEN" \
		"$FAKEAPI_URL/api/v1/namespaces/monitoring/secrets/alertmanager-main"
}

fake_admin /fake/reset-requests >/dev/null
t0=$(date +%s.%N)
"$BR" controller --workers 4 --qps 100000 --burst 100000 --resync 0 \
	--metrics-bind-address 0 --health-probe-bind-address 0 --log-level warn \
	--alertmanager-base-secret monitoring/alertmanager-base \
	--alertmanager-secret monitoring/alertmanager-main >"$work/ctl.log" 2>&1 &
CPID=$!
end=$((SECONDS + 900))
until [ "$(count update burnrate.dev/servicelevelobjectives status)" -ge "$N" ] && secret_json >/dev/null; do
	kill -0 $CPID 2>/dev/null || { cat "$work/ctl.log"; exit 1; }
	[ "$SECONDS" -lt "$end" ] || { echo "not converged in 900 s"; exit 1; }
	sleep 0.5
done
t1=$(date +%s.%N)
sleep 3 # the debounce period, and a last rebuild
secret_json >"$work/secret.json"
python3 - "$work/secret.json" "$N" "$NNS" <<'PY'
import base64, json, sys
s = json.load(open(sys.argv[1]))
b64 = s["data"]["alertmanager.yaml"]
text = base64.b64decode(b64).decode()
routes = text.count("- slo_namespace=")
print("N=%s SLOs in %s namespaces: Secret alertmanager.yaml %d bytes (%.1f KiB; %d base64 in the Secret, %.1f%% of 1 MiB), %d generated routes"
      % (sys.argv[2], sys.argv[3], len(text), len(text) / 1024, len(b64), 100.0 * len(b64) / (1 << 20), routes))
open(sys.argv[1] + ".yaml", "w").write(text)
PY
if command -v amtool >/dev/null; then
	amtool check-config "$work/secret.json.yaml" >/dev/null 2>&1 && echo "amtool check-config: SUCCESS" || echo "amtool check-config: FAILED"
fi
echo "converged in $(echo "$t1 - $t0" | bc) s; Secret writes at start: $(count apply secrets '')"

fake_admin /fake/reset-requests >/dev/null
secs=$(python3 "$here/routing_burst.py" "$FAKEAPI_URL" "$FAKEAPI_TOKEN" "$FAKEAPI_CA" "$BURST" "$NNS" 8) || exit 1
end=$((SECONDS + 600))
until [ "$(count update burnrate.dev/servicelevelobjectives status)" -ge "$BURST" ]; do
	[ "$SECONDS" -lt "$end" ] || { echo "burst not reconciled in 600 s"; exit 1; }
	sleep 0.5
done
sleep 3
echo "burst: $BURST SLOs created in $secs s -> $(count apply secrets '') Secret write(s) until all were reconciled"
secret_json | python3 -c 'import base64,json,sys; print("Secret after the burst: %d bytes" % len(base64.b64decode(json.load(sys.stdin)["data"]["alertmanager.yaml"])))'
kill -TERM $CPID; wait $CPID; CPID=
grep -i 'error' "$work/ctl.log" | head -5
