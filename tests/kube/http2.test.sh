#!/usr/bin/env bash
# Many workers, few connections: burnrate's requests share a few kept-alive
# HTTP/1.1 connections (--workers + 1), or with --http2 one HTTP/2 connection
# where the server offers HTTP/2, as client-go's do.
#
# The fake API server speaks HTTP/1.1 only, so nginx (Debian's nginx-light)
# stands in front of it as the TLS and HTTP/2 end, the way a real API server
# would answer, and logs each request with the id of the connection it came
# on. burnrate controller with 8 workers then reconciles 40 SLOs through
# nginx, twice: by default every request but the watches and lists (which
# have connections of their own) must have come over HTTP/1.1 and over at
# most 9 connections; with --http2, over HTTP/2 and at most two connections
# (one, plus one that a reconnect may add).
set -u
source "${BURNRATE_SOURCE_DIR:?}/tests/e2e/lib.sh"
BR=${BURNRATE:?}
command -v nginx >/dev/null || { echo "nginx not installed: skipped"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/http2.XXXXXX")
NGINX_PID= CTL_PID=
cleanup() {
	[ -z "$CTL_PID" ] || kill -KILL "$CTL_PID" 2>/dev/null
	[ -z "$NGINX_PID" ] || kill -TERM "$NGINX_PID" 2>/dev/null
	stop_fakeapi
	rm -rf "$work"
}
trap cleanup EXIT

start_fakeapi >/dev/null || fail "fake API server did not start"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/tmp"
cat >"$work/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log warn;
events { worker_connections 256; }
http {
	log_format conn '\$connection \$server_protocol \$request_method \$status "\$request_uri" "\$http_user_agent"';
	access_log $work/access.log conn;
	client_body_temp_path $work/tmp/body;
	proxy_temp_path $work/tmp/proxy;
	fastcgi_temp_path $work/tmp/fastcgi;
	uwsgi_temp_path $work/tmp/uwsgi;
	scgi_temp_path $work/tmp/scgi;
	server {
		listen 127.0.0.1:$port ssl http2;
		ssl_certificate $FAKEAPI_DIR/server.crt;
		ssl_certificate_key $FAKEAPI_DIR/server.key;
		http2_max_concurrent_streams 128;
		location / {
			proxy_pass https://127.0.0.1:$FAKEAPI_PORT;
			proxy_http_version 1.1;
			proxy_buffering off;
			proxy_request_buffering off;
			proxy_read_timeout 3600s;
		}
	}
}
EOF
nginx -p "$work" -c "$work/nginx.conf" 2>"$work/nginx.stderr" &
NGINX_PID=$!
wait_for 10 curl -sk -o /dev/null "https://127.0.0.1:$port/" || { cat "$work/nginx.stderr" "$work/error.log"; fail "nginx did not start"; }
sed "s#server: .*#server: https://127.0.0.1:$port#" "$KUBECONFIG" >"$work/kubeconfig"

# Creates 40 SLOs in namespace $1 (kubectl, as a user would), runs the
# controller on them through nginx with the flags after the third argument
# until all are Ready, and checks the requests it made: protocol $2, at
# most $3 connections.
through_nginx() {
	local ns=$1 proto=$2 most=$3
	shift 3
	kubectl create namespace "$ns" >/dev/null || fail "namespace"
	for i in $(seq 1 40); do
		cat <<EOF
---
apiVersion: burnrate.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: svc-$i, namespace: $ns}
spec:
  service: svc-$i
  objective: 99.5
  indicator:
    ratio:
      errors: http_requests_total{job="svc-$i",code=~"5.."}
      total: http_requests_total{job="svc-$i"}
EOF
	done >"$work/slos.yaml"
	kubectl apply -f "$work/slos.yaml" >/dev/null || fail "apply SLOs"
	local from=$(($(wc -l <"$work/access.log") + 1))
	"$BR" controller --kubeconfig "$work/kubeconfig" --namespace "$ns" --workers 8 \
		--resync 0 --metrics-bind-address 0 --health-probe-bind-address 0 \
		--log-level warn "$@" >"$work/ctl.log" 2>&1 &
	CTL_PID=$!
	all_ready() {
		[ "$(kubectl -n "$ns" get slo -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True)" = 40 ]
	}
	wait_for 60 all_ready || { cat "$work/ctl.log"; fail "the SLOs never became Ready through nginx"; }
	kill -TERM "$CTL_PID"; wait "$CTL_PID"; CTL_PID=
	tail -n +"$from" "$work/access.log" >"$work/run.log"
	python3 - "$work/run.log" "$proto" "$most" <<'PY' || fail "requests did not share $proto connections"
import re, sys
reqs = []
for line in open(sys.argv[1]):
    m = re.match(r'(\d+) (\S+) (\S+) (\d+) "([^"]*)" "([^"]*)"', line)
    # watches and lists have connections of their own
    if m and m.group(6).startswith("burnrate/") and "watch=" not in m.group(5) \
            and "limit=" not in m.group(5):
        reqs.append(m.groups())
conns = {r[0] for r in reqs}
protos = {r[1] for r in reqs}
writes = sum(1 for r in reqs if r[2] in ("PATCH", "PUT", "POST"))
print(f"{len(reqs)} requests ({writes} writes) by 8 workers over {len(conns)} connection(s), {sorted(protos)}")
ok = len(reqs) >= 80 and writes >= 80 and protos == {sys.argv[2]} and len(conns) <= int(sys.argv[3])
sys.exit(0 if ok else 1)
PY
}

through_nginx h1 HTTP/1.1 9
through_nginx h2 HTTP/2.0 2 --http2
echo "ok: many workers, few connections"
