"""A webhook receiver for the Alertmanager tests: appends one JSON line per
notification ({"path": ..., "alerts": [labels...]}) to the file given, and
writes its port to PORTFILE. Binds 127.0.0.1 only.

    python3 webhook.py LOGFILE PORTFILE
"""
import http.server
import json
import os
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            alerts = [a["labels"] for a in json.loads(body)["alerts"]]
        except (ValueError, KeyError):
            alerts = None
        with open(sys.argv[1], "a") as f:
            f.write(json.dumps({"path": self.path, "alerts": alerts}) + "\n")
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(server.server_port))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
server.serve_forever()
