#!/usr/bin/env python3
"""Serves the benchmark's http_requests_total series live, continuing the
history gen.py wrote: value(minute) = value(END) + increments since END, so
the counters have no reset or jump at the backfill boundary.
usage: exporter.py STATE.json PORTFILE   (binds 127.0.0.1 on a free port and
writes the port to PORTFILE)."""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import gen

STATE = json.load(open(sys.argv[1]))
END = STATE["end_min"]
# cumulative increments per (slo, instance) for minutes past END, memoised
CACHE = {}


def value(n, inst, minute):
    key = (n, inst)
    done, ok, err = CACHE.get(key, (END, 0.0, 0.0))
    for m in range(done + 1, minute + 1):
        g, e = gen.increments(n, inst, m, END)
        ok += g
        err += e
    CACHE[key] = (max(done, minute), ok, err)
    base = STATE["values"]["%d/%d" % (n, inst)]
    return base[0] + ok, base[1] + err


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        minute = int(time.time()) // 60
        out = ["# TYPE http_requests_total counter\n"]
        for n in range(STATE["slos"]):
            for inst in range(gen.INSTANCES):
                ok, err = value(n, inst, minute)
                lbl = 'job="svc-%d",instance="%d"' % (n, inst)
                for code, v in gen.series_values(ok, err):
                    out.append('http_requests_total{%s,code="%s"} %.3f\n' % (lbl, code, v))
        body = "".join(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


srv = HTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[2], "w") as f:
    f.write(str(srv.server_address[1]))
srv.serve_forever()
