#!/usr/bin/env bash
# One incident, one page, in a real Alertmanager: the Debian alertmanager runs
# on 127.0.0.1 with the configuration burnrate generates and a webhook
# receiver written for the test. A firing page and ticket of one SLO deliver
# the page to the SLO's page receiver and not the ticket; a ticket of another
# SLO alone is delivered (so the check can fail).
. "$(dirname "$0")/lib.sh"
AM=$(command -v alertmanager || command -v prometheus-alertmanager) || { echo "alertmanager not installed: skipped"; exit 77; }
need curl

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# wait_until SECONDS CMD...: polls CMD every 0.2 s, bounded in time
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do [ "$SECONDS" -lt "$end" ] || return 1; sleep 0.2; done
}

python3 "$(dirname "$0")/webhook.py" "$T/hook.log" "$T/hook.port" &
CLEANUP+=($!)
wait_until 10 test -s "$T/hook.port" || { fail "webhook did not start"; finish; exit; }
hook="http://127.0.0.1:$(cat "$T/hook.port")/"

cat >"$T/policy.yaml" <<'YAML'
timing:
  page: {group_wait: 1s, group_interval: 1s, repeat_interval: 1h}
  ticket: {group_wait: 2s, group_interval: 1s, repeat_interval: 1h}
YAML
base_secret "$T/policy.yaml" "$hook" >"$T/base.yaml"
{ slo checkout payments payments-pagerduty payments-slack; slo refunds payments payments-pagerduty payments-slack; } >"$T/slos.yaml"
"$BURNRATE" generate --alertmanager-base "$T/base.yaml" -f "$T/slos.yaml" -o "$T/out" >/dev/null 2>"$T/err" ||
	{ cat "$T/err"; fail "generate"; finish; exit; }

port=$(free_port)
mkdir -p "$T/data"
"$AM" --config.file="$T/out/alertmanager.yaml" --web.listen-address="127.0.0.1:$port" \
	--cluster.listen-address= --storage.path="$T/data" --log.level=warn >"$T/am.log" 2>&1 &
CLEANUP+=($!)
am="http://127.0.0.1:$port"
wait_until 20 curl -sf "$am/-/ready" -o /dev/null || { cat "$T/am.log"; fail "alertmanager not ready"; finish; exit; }
ok "alertmanager up on 127.0.0.1:$port"

alert() { # alert SLO SEVERITY RECEIVER
	printf '{"labels":{"alertname":"SloBurn","slo_namespace":"payments","slo":"%s","burnrate_severity":"%s","burnrate_receiver":"%s","severity":"%s"}}' \
		"$1" "$2" "$3" "$([ "$2" = page ] && echo critical || echo warning)"
}
post() { curl -sf -XPOST -H 'Content-Type: application/json' "$am/api/v2/alerts" -d "[$1]" >/dev/null; }
# page and ticket of checkout at once; a ticket of refunds alone
post "$(alert checkout page payments-pagerduty),$(alert checkout ticket payments-slack),$(alert refunds ticket payments-slack)" ||
	fail "POST /api/v2/alerts"

got() { [ -s "$T/hook.log" ] && python3 - "$T/hook.log" "$@" <<'PY'
import json, sys
want_path, slo, sev = sys.argv[2:]
for line in open(sys.argv[1]):
    n = json.loads(line)
    if n["path"] == want_path and any(a.get("slo") == slo and a.get("burnrate_severity") == sev for a in n["alerts"] or []):
        sys.exit(0)
sys.exit(1)
PY
}
wait_until 20 got /payments-pagerduty checkout page && ok "the page of checkout reached payments-pagerduty" ||
	fail "no page of checkout at payments-pagerduty"
wait_until 20 got /payments-slack refunds ticket && ok "the ticket of refunds alone reached payments-slack" ||
	fail "the uninhibited ticket of refunds never arrived"
# the ticket's group_wait (2 s) has passed for refunds: checkout's ticket would have come with it
sleep 3
if grep -q '"checkout"' <(grep '"ticket"' "$T/hook.log"); then
	fail "the ticket of checkout was delivered while its page fired"
else
	ok "the ticket of checkout was inhibited by its page"
fi
grep -q '/default' "$T/hook.log" && fail "something reached the root receiver" || ok "nothing fell to the root receiver"
finish
