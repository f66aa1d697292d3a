"""The minimal client of tests/bench/controller.sh: for each SLO of the state file, one
server-side apply of its PrometheusRule (the body burnrate would send, rendered once by
`burnrate generate` and renamed) and one status write (PUT), with W threads, keep-alive TLS.
The status written is STATUS_JSON when given (what burnrate wrote for slo-00000, renamed per
SLO, so both write the same bytes), else a one-condition status.
usage: controller_minimal.py URL TOKEN CA STATE RULE_JSON WORKERS [STATUS_JSON]; prints seconds."""
import http.client
import json
import ssl
import sys
import threading
import time
import urllib.parse

url, token, ca, state, rule_file, workers = sys.argv[1:7]
status_template = json.load(open(sys.argv[7])) if len(sys.argv) > 7 else None
u = urllib.parse.urlparse(url)
ctx = ssl.create_default_context(cafile=ca)
slos = [o["object"] for o in json.load(open(state))["objects"] if o["plural"] == "servicelevelobjectives"]
template = json.load(open(rule_file))
todo = list(range(len(slos)))
lock = threading.Lock()
errors = []


def work():
    conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx)
    hdr = {"Authorization": "Bearer " + token}
    while True:
        with lock:
            if not todo:
                return
            i = todo.pop()
        slo = slos[i]
        name, ns = slo["metadata"]["name"], slo["metadata"]["namespace"]
        rule = json.loads(json.dumps(template).replace(template["metadata"]["name"], name))
        rule["metadata"]["ownerReferences"][0]["uid"] = slo["metadata"]["uid"]
        conn.request("PATCH", "/apis/monitoring.coreos.com/v1/namespaces/%s/prometheusrules/%s"
                     "?fieldManager=burnrate&force=true" % (ns, name),
                     json.dumps(rule, separators=(",", ":")),
                     dict(hdr, **{"Content-Type": "application/apply-patch+yaml"}))
        r = conn.getresponse()
        r.read()
        if r.status >= 300:
            errors.append(r.status)
        # the object as the state file has it: its resourceVersion is current
        if status_template:
            status = json.loads(json.dumps(status_template).replace("slo-00000", name))
        else:
            status = {"observedGeneration": 1, "conditions": [{"type": "Ready",
                      "status": "True", "reason": "Reconciled", "message": "minimal",
                      "lastTransitionTime": "2026-01-01T00:00:00Z"}]}
        obj = dict(slo, status=status)
        conn.request("PUT", "/apis/burnrate.dev/v1alpha1/namespaces/%s/servicelevelobjectives/%s/status"
                     % (ns, name), json.dumps(obj, separators=(",", ":")),
                     dict(hdr, **{"Content-Type": "application/json"}))
        r = conn.getresponse()
        r.read()
        if r.status >= 300:
            errors.append(r.status)


start = time.time()
threads = [threading.Thread(target=work) for _ in range(int(workers))]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("%.1f" % (time.time() - start))
if errors:
    print("minimal client: %d failed requests" % len(errors), file=sys.stderr)
