#!/usr/bin/env python3
"""The demo's stand-in for prometheus-operator: what burnrate writes to the
API server, carried to the local Prometheus and Alertmanager. Every 2 s it
reads, with kubectl,

  - every PrometheusRule labelled app.kubernetes.io/managed-by=burnrate, and
    writes their groups to RULES (every group at the demo Prometheus's one
    evaluation interval: in a cluster the budget group runs every 5m, which
    a four-minute demo would not see move);
  - the Secret burnrate writes (--alertmanager-secret), key alertmanager.yaml,
    and writes it to AMCONFIG;

and asks the server concerned to reload when its file changed.

    sync.py RULES PROM_URL AMCONFIG AM_URL SECRET_NS/NAME

Runs until killed. Logs one line per change to stdout.
"""
import base64
import json
import os
import subprocess
import sys
import time
import urllib.request


def kubectl_json(*args):
    r = subprocess.run(["kubectl", *args, "-o", "json"], capture_output=True, text=True, timeout=20)
    if r.returncode != 0:
        return None
    try:
        return json.loads(r.stdout)
    except ValueError:
        return None


def rules_text():
    doc = kubectl_json("get", "prometheusrules", "-A", "-l", "app.kubernetes.io/managed-by=burnrate")
    if doc is None:
        return None
    groups = []
    for item in sorted(doc.get("items", []), key=lambda i: (i["metadata"]["namespace"], i["metadata"]["name"])):
        for g in item.get("spec", {}).get("groups", []):
            g = dict(g)
            g.pop("interval", None)
            groups.append(g)
    return json.dumps({"groups": groups}, indent=1, sort_keys=True) + "\n"


def secret_text(ref):
    ns, name = ref.split("/", 1)
    doc = kubectl_json("-n", ns, "get", "secret", name)
    if doc is None:
        return None
    data = doc.get("data", {}).get("alertmanager.yaml")
    return base64.b64decode(data).decode() if data else None


def replace(path, text):
    """Writes text to path when it differs; True when it changed."""
    try:
        if open(path).read() == text:
            return False
    except OSError:
        pass
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)
    return True


def reload(url):
    try:
        urllib.request.urlopen(urllib.request.Request(url + "/-/reload", method="POST"), timeout=10).read()
        return True
    except OSError:
        return False


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    rules_path, prom, am_path, am, secret = sys.argv[1:]
    while True:
        text = rules_text()
        if text is not None and replace(rules_path, text):
            n = text.count('"alert"') + text.count('"record"')
            print("sync: %d rules from the PrometheusRules -> Prometheus (reload %s)"
                  % (n, "ok" if reload(prom) else "failed"), flush=True)
        text = secret_text(secret)
        if text is not None and replace(am_path, text):
            print("sync: Secret %s -> Alertmanager (reload %s)" % (secret, "ok" if reload(am) else "failed"),
                  flush=True)
        time.sleep(2)


if __name__ == "__main__":
    main()
