"""Creates SLOs as fast as W threads can (the burst of tests/bench/routing.sh): N SLOs
named burst-NNNNN across the namespaces team-00..team-(NS-1), paging pager-3 or pager-4
(receivers no preloaded SLO uses). In the order they are created, every 20th SLO is the
first of its (namespace, pager): the configuration changes all through the burst.
usage: routing_burst.py URL TOKEN CA N NS W; prints seconds."""
import http.client
import json
import ssl
import sys
import threading
import time
import urllib.parse

url, token, ca, n, nns, workers = sys.argv[1:7]
n, nns, workers = int(n), int(nns), int(workers)
u = urllib.parse.urlparse(url)
ctx = ssl.create_default_context(cafile=ca)
todo = list(range(n))
lock = threading.Lock()
errors = []


def work():
    conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx)
    hdr = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
    while True:
        with lock:
            if not todo:
                return
            i = n - len(todo)
            todo.pop()
        name, ns = "burst-%05d" % i, "team-%02d" % ((i // 20) % nns)
        pager = "pager-%d" % (3 + (i // (20 * nns)) % 2)
        slo = {"apiVersion": "burnrate.dev/v1alpha1", "kind": "ServiceLevelObjective",
               "metadata": {"name": name, "namespace": ns},
               "spec": {"service": name, "objective": 99.9,
                        "indicator": {"ratio": {"errors": 'e{job="%s"}' % name, "total": 't{job="%s"}' % name}},
                        "alerting": {"page": {"receiver": pager},
                                     "ticket": {"receiver": "slack-%d" % (i % 3)}}}}
        conn.request("POST", "/apis/burnrate.dev/v1alpha1/namespaces/%s/servicelevelobjectives" % ns,
                     json.dumps(slo), hdr)
        r = conn.getresponse()
        r.read()
        if r.status != 201:
            errors.append(r.status)


t0 = time.time()
threads = [threading.Thread(target=work) for _ in range(workers)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if errors:
    print("errors: %d (e.g. %s)" % (len(errors), errors[0]), file=sys.stderr)
    sys.exit(1)
print("%.1f" % (time.time() - t0))
