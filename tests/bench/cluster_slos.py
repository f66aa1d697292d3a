"""For tests/bench/controller_cluster.sh: talks to the cluster of a kubeconfig with its bearer
token (no client certificates), over keep-alive TLS.

  cluster_slos.py create KUBECONFIG_JSON NS N     create N SLOs (8 threads), as
                                                  controller_state.py writes them
  cluster_slos.py state KUBECONFIG_JSON NS FILE   the SLOs of NS as a state file
                                                  (for controller_minimal.py)
  cluster_slos.py conn KUBECONFIG_JSON            prints URL TOKEN CA (CA: a file path)

KUBECONFIG_JSON is `kubectl config view --raw --minify -o json`."""
import base64
import http.client
import json
import os
import ssl
import sys
import tempfile
import threading
import urllib.parse

SLOS = "/apis/burnrate.dev/v1alpha1/namespaces/%s/servicelevelobjectives"


def connection_facts(path):
    cfg = json.load(open(path))
    cluster = cfg["clusters"][0]["cluster"]
    user = cfg["users"][0]["user"]
    token = user.get("token")
    if not token and user.get("tokenFile"):
        token = open(user["tokenFile"]).read().strip()
    if not token:
        sys.exit("cluster_slos.py: the kubeconfig's user has no token (client certificates "
                 "are not supported here)")
    ca = cluster.get("certificate-authority")
    if not ca and cluster.get("certificate-authority-data"):
        fd, ca = tempfile.mkstemp(prefix="bench-ca-")
        os.write(fd, base64.b64decode(cluster["certificate-authority-data"]))
        os.close(fd)
    return cluster["server"], token, ca


def connect(url, ca):
    u = urllib.parse.urlparse(url)
    ctx = ssl.create_default_context(cafile=ca) if ca else ssl.create_default_context()
    return http.client.HTTPSConnection(u.hostname, u.port or 443, context=ctx, timeout=60)


def slo(name, ns):
    return {"apiVersion": "burnrate.dev/v1alpha1", "kind": "ServiceLevelObjective",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"service": name, "objective": 99.5, "window": "30d",
                     "indicator": {"ratio": {
                         "errors": 'http_requests_total{job="%s",code=~"5.."}' % name,
                         "total": 'http_requests_total{job="%s"}' % name}}}}


def create(url, token, ca, ns, n):
    todo, lock, errors = list(range(n)), threading.Lock(), []

    def work():
        c = connect(url, ca)
        h = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
        while True:
            with lock:
                if not todo:
                    return
                i = todo.pop()
            c.request("POST", SLOS % ns, json.dumps(slo("slo-%05d" % i, ns)), h)
            r = c.getresponse()
            body = r.read()
            if r.status >= 300:
                errors.append("%d %s" % (r.status, body[:200]))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        sys.exit("cluster_slos.py: %d creates failed, first: %s" % (len(errors), errors[0]))


def state(url, token, ca, ns, path):
    c = connect(url, ca)
    c.request("GET", SLOS % ns, headers={"Authorization": "Bearer " + token})
    r = c.getresponse()
    items = json.loads(r.read())["items"]
    for o in items:
        o["metadata"].pop("managedFields", None)
    with open(path, "w") as f:
        json.dump({"objects": [{"plural": "servicelevelobjectives", "object": o}
                               for o in items]}, f)


def main():
    cmd, kc = sys.argv[1], sys.argv[2]
    url, token, ca = connection_facts(kc)
    if cmd == "conn":
        print(url, token, ca or "")
    elif cmd == "create":
        create(url, token, ca, sys.argv[3], int(sys.argv[4]))
    elif cmd == "state":
        state(url, token, ca, sys.argv[3], sys.argv[4])
    else:
        sys.exit("cluster_slos.py: unknown command " + cmd)


main()
