"""For tests/bench/controller.sh: waits until the fake API server has answered N status
writes (PUT .../servicelevelobjectives/NAME/status, 200) and prints the seconds since it
started. One process and one kept-alive connection polling every 0.1 s, so that the waiting
costs the machine next to nothing and adds at most 0.1 s.
usage: wait_status.py URL TOKEN CA N PID  (gives up, exit 1, when process PID is gone)"""
import http.client
import json
import os
import ssl
import sys
import time
import urllib.parse

url, token, ca, n, pid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
start = time.time()
u = urllib.parse.urlparse(url)
conn = http.client.HTTPSConnection(u.hostname, u.port, context=ssl.create_default_context(cafile=ca))


def status_writes():
    conn.request("GET", "/fake/requests", headers={"Authorization": "Bearer " + token})
    d = json.loads(conn.getresponse().read())
    return sum(b["count"] for b in d["by"] if b["verb"] == "update" and b["subresource"] == "status"
               and b["resource"] == "burnrate.dev/servicelevelobjectives" and str(b["code"]) == "200")


while status_writes() < n:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)
    time.sleep(0.1)
print("%.2f" % (time.time() - start))
