"""Writes a fake API server --state file for tests/bench/routing.sh: N ServiceLevelObjectives
across NS namespaces (team-00...), each paging one of pager-0..2 and ticketing one of
slack-0..2; the namespaces; and the base Secret monitoring/alertmanager-base with those
receivers and pager-3 and pager-4 (only the burst uses them), and a policy allowing all.
usage: routing_state.py N NS FILE"""
import base64
import json
import sys
import uuid

n, nns, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
pagers = ["pager-%d" % i for i in range(5)]
slacks = ["slack-%d" % i for i in range(3)]
base = "route:\n  receiver: default\nreceivers:\n- name: default\n" + "".join(
    "- name: %s\n  webhook_configs: [{url: 'http://127.0.0.1:9/%s'}]\n" % (r, r) for r in pagers + slacks)
policy = "receivers:\n" + "".join("  %s: ['*']\n" % r for r in pagers + slacks)
objects, rv = [], 10


def add(group, plural, obj):
    global rv
    rv += 1
    obj["metadata"].update({"uid": str(uuid.uuid4()), "resourceVersion": str(rv),
                            "creationTimestamp": "2026-01-01T00:00:00Z"})
    objects.append({"group": group, "plural": plural, "object": obj})


for ns in ["monitoring"] + ["team-%02d" % i for i in range(nns)]:
    add("", "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
add("", "secrets", {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                    "metadata": {"name": "alertmanager-base", "namespace": "monitoring"},
                    "data": {"alertmanager.yaml": base64.b64encode(base.encode()).decode(),
                             "burnrate.yaml": base64.b64encode(policy.encode()).decode()}})
for i in range(n):
    name = "slo-%05d" % i
    add("burnrate.dev", "servicelevelobjectives", {
        "apiVersion": "burnrate.dev/v1alpha1", "kind": "ServiceLevelObjective",
        "metadata": {"name": name, "namespace": "team-%02d" % (i % nns), "generation": 1},
        "spec": {"service": name, "objective": 99.5, "window": "30d",
                 "indicator": {"ratio": {
                     "errors": 'http_requests_total{job="%s",code=~"5.."}' % name,
                     "total": 'http_requests_total{job="%s"}' % name}},
                 "alerting": {"page": {"receiver": pagers[(i // nns) % 3]},
                              "ticket": {"receiver": slacks[(i // nns) % 3]}}}})
with open(path, "w") as f:
    json.dump({"rv": rv + 10, "objects": objects}, f)
