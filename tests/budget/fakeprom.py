#!/usr/bin/env python3
"""A fake Prometheus for the budget tests: answers /api/v1/query from a data
file, or misbehaves on demand. Binds 127.0.0.1 on a free port.

usage: fakeprom.py DATA.json PORTFILE [TOKENFILE]

With TOKENFILE (re-read on every query) a query needs "Authorization: Bearer
<its contents>"; else it gets a 401 error answer.

DATA.json (re-read when it changes): {"slos": [{"namespace": ..., "name": ...,
"remaining": 0.8, "allowed": 12960, "ratios": {"1h": 0.001, ...}}, ...]}
("allowed" optional: none for a raw indicator) or, for many SLOs,
{"generate": {"namespace": "default", "count": 1000, "prefix": "slo-",
"remaining": 0.8, "allowed": 12960, "ratios": {...}, "jitter": 0.0004,
"override": {"slo-00007": {"remaining": 0.5}}}} (names prefix%05d; jitter:
every answer moves remaining and ratios by up to that much, up or down, as a
live budget does between reads; allowed by up to that fraction of itself).

Answers as Prometheus would, from the series burnrate's rules record (labels
slo, slo_namespace and __name__): a query of burnrate:error_budget:remaining
gets the remaining samples (without __name__, as last_over_time drops it),
one of burnrate:error_budget:allowed_events the allowed samples;
"count by (__name__)" gets one sample per recorded ratio name; a query of one
ratio name (burnrate:sli_error_ratio:rate1h) that window's samples; any other
query the ratio samples of every window. An aggregation "by (slo,
slo_namespace)" drops __name__. Control, on the same port:
  POST /fake/mode/<mode>   good | garbage | html500 | baddata | slow | truncated
                           | matrix | badvalue | empty | reset (closes the
                           connection without an answer)
  GET  /fake/stats         {"queries": n, "mode": m, "bytes": answered}
"""
import json
import os
import random
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

DATA, PORTFILE = sys.argv[1], sys.argv[2]
TOKENFILE = sys.argv[3] if len(sys.argv) > 3 else None
state = {"mode": "good", "queries": 0, "bytes": 0, "mtime": None, "slos": []}
lock = threading.Lock()


def slos():
    """The SLO list, re-read when the file changed."""
    st = os.stat(DATA)
    if state["mtime"] != st.st_mtime_ns:
        doc = json.load(open(DATA))
        if "generate" in doc:
            g = doc["generate"]
            doc["slos"] = []
            for i in range(g["count"]):
                name = "%s%05d" % (g["prefix"], i)
                s = {"namespace": g["namespace"], "name": name, "remaining": g["remaining"],
                     "allowed": g.get("allowed"),
                     "ratios": dict(g.get("ratios", {})), "jitter": g.get("jitter", 0)}
                s.update(g.get("override", {}).get(name, {}))
                doc["slos"].append(s)
        state["slos"] = doc["slos"]
        state["mtime"] = st.st_mtime_ns
    return state["slos"]


def jittered(s, v):
    j = s.get("jitter", 0)
    return v + random.uniform(-j, j) if j else v


RATIO = "burnrate:sli_error_ratio:rate"


def sample(metric, value, now):
    return {"metric": metric, "value": [now, value]}


def answer(query):
    now = time.time()
    result = []
    one = re.search(re.escape(RATIO) + r"([0-9a-z]+)(?![0-9a-z.])", query)
    keep_name = "by (slo, slo_namespace)" not in query
    if "count by (__name__)" in query:
        names = {}
        for s in slos():
            for w in s.get("ratios", {}):
                names[RATIO + w] = names.get(RATIO + w, 0) + 1
        result = [sample({"__name__": n}, str(c), now) for n, c in sorted(names.items())]
    elif "error_budget:allowed_events" in query:
        for s in slos():
            if s.get("allowed") is not None:
                labels = {"slo": s["name"], "slo_namespace": s["namespace"]}
                v = float(s["allowed"])
                v = max(0.0, v * (1 + random.uniform(-1, 1) * s.get("jitter", 0)))
                result.append(sample(labels, repr(v), now))
    elif "error_budget:remaining" in query:
        for s in slos():
            if s.get("remaining") is not None:
                labels = {"slo": s["name"], "slo_namespace": s["namespace"]}
                result.append(sample(labels, repr(jittered(s, float(s["remaining"]))), now))
    else:
        for s in slos():
            for w, r in s.get("ratios", {}).items():
                if one and one.group(1) != w:
                    continue
                m = {"slo": s["name"], "slo_namespace": s["namespace"]}
                if keep_name:
                    m["__name__"] = RATIO + w
                result.append(sample(m, repr(max(0.0, jittered(s, float(r)))), now))
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, code, body, ctype="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/fake/stats":
            with lock:
                self.reply(200, json.dumps({"queries": state["queries"], "mode": state["mode"],
                                            "bytes": state["bytes"]}))
            return
        self.reply(404, "not found", "text/plain")

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode()
        if self.path.startswith("/fake/mode/"):
            with lock:
                state["mode"] = self.path.rsplit("/", 1)[1]
            self.reply(200, "{}")
            return
        if self.path != "/api/v1/query":
            self.reply(404, "not found", "text/plain")
            return
        query = parse_qs(body).get("query", [""])[0]
        if TOKENFILE:
            want = "Bearer " + open(TOKENFILE).read().strip()
            if self.headers.get("Authorization") != want:
                self.reply(401, json.dumps({"status": "error", "errorType": "unauthorized",
                                            "error": "bad or missing bearer token"}))
                return
        with lock:
            state["queries"] += 1
            mode = state["mode"]
        if mode == "good":
            with lock:
                body = json.dumps(answer(query))
                state["bytes"] += len(body)
            self.reply(200, body)
        elif mode == "garbage":
            self.reply(200, b"\x00\xff garbage \x7f{{{")
        elif mode == "html500":
            self.reply(500, "<html><body>Internal Server Error</body></html>", "text/html")
        elif mode == "baddata":
            self.reply(400, json.dumps({"status": "error", "errorType": "bad_data",
                                        "error": "invalid parameter \"query\": 1:1: parse error"}))
        elif mode == "slow":
            time.sleep(30)
            self.reply(200, json.dumps(answer(query)))
        elif mode == "truncated":
            self.reply(200, json.dumps(answer(query))[:40])
        elif mode == "matrix":
            self.reply(200, json.dumps({"status": "success",
                                        "data": {"resultType": "matrix", "result": []}}))
        elif mode == "badvalue":
            self.reply(200, json.dumps({"status": "success", "data": {"resultType": "vector",
                "result": [{"metric": {"slo": "x", "slo_namespace": "y"}, "value": [1, "lots"]}]}}))
        elif mode == "empty":
            self.reply(200, "")
        elif mode == "reset":
            self.close_connection = True
            self.wfile.flush()
            self.connection.shutdown(2)
        else:
            self.reply(500, "unknown mode", "text/plain")

    def log_message(self, *args):
        pass


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
