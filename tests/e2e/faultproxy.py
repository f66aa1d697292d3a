#!/usr/bin/env python3
"""A fault-injecting TLS proxy in front of a Kubernetes API server, real or fake.

The end-to-end scripts inject faults and count requests through the admin API of
tests/fakeapi (/fake/faults, /fake/requests, /fake/cut-watches, /fake/compact...). This
proxy serves the same admin API in front of any API server, so the same scripts run
unchanged against the real kube-apiserver:

    python3 faultproxy.py --dir DIR --upstream KUBECONFIG [--port N] [--verbose]

It writes DIR/ca.crt, server.crt/key, token, kubeconfig (pointing at the proxy, with the
proxy's token) and port, prints "ready https://127.0.0.1:PORT", and serves until SIGTERM.
A request that carries the proxy's token goes upstream with the upstream kubeconfig's own
credentials (token or client certificate); any other Authorization header goes upstream
as it is, so a ServiceAccount token is judged by the real authorizer. /fake/ paths the
proxy does not serve itself are passed to the upstream fake API server.

Faults are the fake's (a method, a path regex searched in the request line's path and
query, a count, a status with optional retryAfter, or delayMs); requests are counted by
verb, resource, subresource and code as the fake counts them. Watches are streamed line
by line, so a cut, an end or a 410 ERROR event ("compact") lands between two events.
"""
import argparse
import base64
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import ThreadingHTTPServer

sys.dont_write_bytecode = True  # the source tree may be read-only (CI)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakeapi"))
import fakeapi  # noqa: E402
from store import ApiError  # noqa: E402

HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host",
       "proxy-connection", "te", "trailer", "upgrade"}


class Upstream:
    """Where requests go and with which credentials, read from a kubeconfig by kubectl."""

    def __init__(self, kubeconfig, workdir):
        cfg = json.loads(subprocess.run(
            ["kubectl", "config", "view", "--raw", "--minify", "-o", "json"],
            env=dict(os.environ, KUBECONFIG=kubeconfig), check=True,
            stdout=subprocess.PIPE).stdout)
        cluster, user = cfg["clusters"][0]["cluster"], cfg["users"][0]["user"]
        url = urllib.parse.urlsplit(cluster["server"])
        self.host, self.port = url.hostname, url.port or 443
        self.ctx = ssl.create_default_context()
        self.ctx.set_alpn_protocols(["http/1.1"])
        if cluster.get("certificate-authority-data"):
            self.ctx.load_verify_locations(
                cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
        elif cluster.get("certificate-authority"):
            self.ctx.load_verify_locations(cafile=cluster["certificate-authority"])
        if cluster.get("insecure-skip-tls-verify"):
            self.ctx.check_hostname, self.ctx.verify_mode = False, ssl.CERT_NONE
        cert = self.file_of(user, "client-certificate", workdir)
        if cert:
            self.ctx.load_cert_chain(cert, self.file_of(user, "client-key", workdir))
        token = user.get("token")
        if not token and user.get("tokenFile"):
            with open(user["tokenFile"]) as fh:
                token = fh.read().strip()
        self.auth = "Bearer " + token if token else None

    @staticmethod
    def file_of(user, key, workdir):
        if user.get(key + "-data"):
            fd, path = tempfile.mkstemp(dir=workdir, prefix="upstream-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(base64.b64decode(user[key + "-data"]))
            return path
        return user.get(key)

    def connect(self):
        return http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=3600)


class Proxy(fakeapi.Server):
    """The shared state: faults and counters (the fake's own code), open watch streams."""

    def __init__(self, args, upstream):
        super().__init__(args)
        self.upstream = upstream
        self.streams = set()
        self.streams_lock = threading.Lock()
        self.expire_below = 0  # a watch from a resourceVersion under this gets a 410

    def signal_streams(self, what):
        with self.streams_lock:
            streams = list(self.streams)
        for s in streams:
            s.signal(what)
        return len(streams)

    def current_rv(self):
        conn = self.upstream.connect()
        headers = {"Authorization": self.upstream.auth} if self.upstream.auth else {}
        conn.request("GET", "/api/v1/namespaces?limit=1", headers=headers)
        doc = json.loads(conn.getresponse().read())
        conn.close()
        return int(doc["metadata"]["resourceVersion"])


class Stream:
    """One watch being relayed; another thread may cut, end or expire it."""

    def __init__(self, conn):
        self.conn = conn
        self.what = None

    def signal(self, what):
        self.what = what
        try:  # wakes the relaying thread out of its read
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        except (OSError, AttributeError):
            pass


class Handler(fakeapi.Handler):
    server_version = "faultproxy"
    S = None  # the Proxy, set in main()
    conn = None  # this client connection's upstream connection

    def route(self, method):
        url = urllib.parse.urlsplit(self.path)
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        info = {"verb": method.lower(), "resource": "", "sub": ""}
        self._body = self.read_body()
        ours = self.headers.get("Authorization", "") == "Bearer " + self.S.token
        try:
            if url.path.startswith("/fake/") and self.admin(method, url.path, ours):
                return
            self.classify(method, [p for p in url.path.split("/") if p], q, info)
            self.inject(method)
            if info["verb"] == "watch" and self.expired(q):
                code = self.send_expired(q)
            else:
                code = self.forward(method, ours, info["verb"] == "watch")
        except ApiError as e:
            code = self.send_error_status(e)
        except (OSError, http.client.HTTPException) as e:
            self.drop_upstream()
            self.close_connection = True
            code = 0
            if self.S.args.verbose:
                sys.stderr.write("faultproxy: %s %s: %r\n" % (method, self.path, e))
        self.S.count(info["verb"], info["resource"], info["sub"], code)

    def inject(self, method):
        fault = self.S.take_fault(method, self.path)
        if not fault:
            return
        if fault.get("delayMs"):
            time.sleep(fault["delayMs"] / 1000.0)
        if fault.get("status"):
            code = int(fault["status"])
            after = fault.get("retryAfter")
            raise ApiError(code, fault.get("reason", fakeapi.reason_for(code)),
                           fault.get("message", "injected fault"),
                           {"retryAfterSeconds": after} if after is not None else None,
                           {"Retry-After": after} if after is not None else {})

    # --- relaying -----------------------------------------------------------
    def upstream_headers(self, ours):
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        if ours:
            headers.pop("Authorization", None)
            if self.S.upstream.auth:
                headers["Authorization"] = self.S.upstream.auth
        return headers

    def drop_upstream(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def forward(self, method, ours, watch):
        if self.conn is None:
            self.conn = self.S.upstream.connect()
        body = self._body if (self._body or method in ("POST", "PUT", "PATCH")) else None
        try:
            self.conn.request(method, self.path, body=body, headers=self.upstream_headers(ours))
            resp = self.conn.getresponse()
        except (OSError, http.client.HTTPException):
            self.drop_upstream()
            raise ApiError(503, "ServiceUnavailable", "faultproxy: upstream unreachable")
        if resp.chunked and watch:
            return self.relay_stream(resp)
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        if resp.will_close:
            self.drop_upstream()
        return resp.status

    def relay_stream(self, resp):
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        stream = Stream(self.conn)
        with self.S.streams_lock:
            self.S.streams.add(stream)
        pending = b""
        try:
            while stream.what is None:
                try:
                    data = resp.read1(65536)
                except (OSError, http.client.HTTPException, ValueError):
                    data = b""
                if not data:
                    break
                pending += data
                cut = pending.rfind(b"\n") + 1  # whole events only
                if cut:
                    self.write_chunk(pending[:cut])
                    pending = pending[cut:]
        finally:
            with self.S.streams_lock:
                self.S.streams.discard(stream)
            self.drop_upstream()  # a watch's connection is not reused
        if stream.what == "CUT":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return 200
        if stream.what == "EXPIRE":
            self.write_chunk(self.expired_event())
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
        return 200

    def write_chunk(self, data):
        self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
        self.wfile.flush()

    # --- a simulated compaction (410 Gone) ----------------------------------
    def expired(self, q):
        try:
            rv = int(q.get("resourceVersion") or 0)
        except ValueError:
            return False
        return 0 < rv < self.S.expire_below

    def expired_event(self):
        e = ApiError(410, "Expired", "too old resource version: %d (%d)" %
                     (self.S.expire_below - 1, self.S.expire_below))
        return json.dumps({"type": "ERROR", "object": e.status()}).encode() + b"\n"

    def send_expired(self, q):
        """As the watch cache answers a watch from a compacted resourceVersion."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.write_chunk(self.expired_event())
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
        return 200

    # --- admin --------------------------------------------------------------
    def admin(self, method, path, ours):
        """Serves the proxy's part of the admin API; False passes the request upstream."""
        S = self.S
        if not ours:
            raise ApiError(401, "Unauthorized", "Unauthorized")
        body = self.json_body() if method in ("POST", "PUT") else None
        if path == "/fake/cut-watches" and method == "POST":
            n = S.signal_streams("END" if (body or {}).get("clean") else "CUT")
            self.send_json(200, {"cut": n})
        elif path == "/fake/compact" and method == "POST":
            S.expire_below = S.current_rv() + 1
            if (body or {}).get("expireWatches"):
                S.signal_streams("EXPIRE")
            self.send_json(200, {"resourceVersion": str(S.expire_below - 1)})
        elif path == "/fake/watches" and method == "GET":
            with S.streams_lock:
                n = len(S.streams)
            self.send_json(200, {"count": n})
        elif path in ("/fake/requests", "/fake/reset-requests", "/fake/faults"):
            fakeapi.Handler.admin(self, method, path)
        else:
            return False
        return True


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", required=True, help="where certificates, token and kubeconfig go")
    p.add_argument("--upstream", required=True, help="kubeconfig of the API server behind")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--verbose", action="store_true")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    os.makedirs(args.dir, exist_ok=True)
    S = Proxy(args, Upstream(args.upstream, args.dir))
    S.token = fakeapi.ensure_token(args.dir)
    fakeapi.ensure_certs(args.dir)
    Handler.S = S
    httpd = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    httpd.daemon_threads = True
    httpd.handle_error = lambda req, addr: args.verbose and sys.stderr.write(
        "faultproxy: error from %s: %r\n" % (addr, sys.exc_info()[1]))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(args.dir, "server.crt"), os.path.join(args.dir, "server.key"))
    ctx.set_alpn_protocols(["http/1.1"])
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)
    fakeapi.write_kubeconfig(args.dir, httpd.server_address[1], S.token)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    signal.signal(signal.SIGINT, lambda *a: os._exit(0))
    print("ready https://127.0.0.1:%d" % httpd.server_address[1], flush=True)
    httpd.serve_forever(poll_interval=0.2)


if __name__ == "__main__":
    main(sys.argv[1:])
