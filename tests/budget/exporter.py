#!/usr/bin/env python3
"""Serves counters for tests/budget/prometheus.test.sh: SLO "burning" gets
5 good and 5 failed requests a second from start (a 50% error ratio: 50x the
budget of a 99% objective). Binds 127.0.0.1 on a free port.
usage: exporter.py PORTFILE"""
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

T0 = time.time()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        n = 5.0 * (time.time() - T0)
        body = ("# TYPE http_requests_total counter\n"
                'http_requests_total{job="burning",code="200"} %.3f\n'
                'http_requests_total{job="burning",code="500"} %.3f\n' % (n, n)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


srv = HTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
