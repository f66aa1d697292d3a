#!/usr/bin/env python3
"""A misbehaving Prometheus for tests/backtest/faults.test.sh: answers
/api/v1/query_range in the mode named on the command line. Binds 127.0.0.1
on a free port and writes it to PORTFILE.

usage: fakeprom.py PORTFILE MODE

  good       one series, a point at every step asked for (value 1), so the
             backtest runs; counts queries and the most points asked at once
             (GET /fake/stats: {"queries": n, "max_points": m})
  garbage    200 with an HTML page
  html500    500 with an HTML page
  baddata    400 {"status":"error","errorType":"bad_data",...}
  slow       accepts, never answers
  empty      success, no series (a range with no data)
  offgrid    success, a point 30 s off the times asked for
  twoseries  success, two series where a sum has one
  truncated  success, cut half-way through the JSON
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

MODE = sys.argv[2]
STATS = {"queries": 0, "max_points": 0}
LOCK = threading.Lock()


def matrix(series):
    return {"status": "success", "data": {"resultType": "matrix", "result": series}}


def points(form):
    start, end, step = (float(form[k][0]) for k in ("start", "end", "step"))
    n = int(round((end - start) / step)) + 1
    with LOCK:
        STATS["queries"] += 1
        STATS["max_points"] = max(STATS["max_points"], n)
    return [[start + i * step, "1"] for i in range(n)]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.send(200, STATS)

    def do_POST(self):
        form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
        if MODE == "slow":
            time.sleep(3600)
        if MODE == "garbage":
            return self.send(200, b"<html>hello</html>", "text/html")
        if MODE == "html500":
            return self.send(500, b"<html>internal error</html>", "text/html")
        if MODE == "baddata":
            return self.send(400, {"status": "error", "errorType": "bad_data",
                                   "error": "invalid parameter \"query\": parse error"})
        if MODE == "empty":
            return self.send(200, matrix([]))
        pts = points(form)
        if MODE == "offgrid":
            pts[0][0] += 30
        if MODE == "truncated":
            body = json.dumps(matrix([{"metric": {}, "values": pts}])).encode()
            return self.send(200, body[: len(body) // 2])
        series = [{"metric": {}, "values": pts}]
        if MODE == "twoseries":
            series.append({"metric": {"a": "b"}, "values": pts})
        self.send(200, matrix(series))


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(sys.argv[1], "w") as f:
    f.write(str(server.server_port))
server.serve_forever()
