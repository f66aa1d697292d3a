"""Writes a fake API server --state file holding N ServiceLevelObjectives in namespace default
(for tests/bench/controller.sh): usage controller_state.py N FILE."""
import json
import sys
import uuid

n, path = int(sys.argv[1]), sys.argv[2]
objects = []
for i in range(n):
    name = "slo-%05d" % i
    objects.append({"group": "burnrate.dev", "plural": "servicelevelobjectives", "object": {
        "apiVersion": "burnrate.dev/v1alpha1", "kind": "ServiceLevelObjective",
        "metadata": {"name": name, "namespace": "default", "uid": str(uuid.uuid4()),
                     "generation": 1, "resourceVersion": str(i + 10),
                     "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"service": name, "objective": 99.5, "window": "30d",
                 "indicator": {"ratio": {
                     "errors": 'http_requests_total{job="%s",code=~"5.."}' % name,
                     "total": 'http_requests_total{job="%s"}' % name}}}}})
with open(path, "w") as f:
    json.dump({"rv": n + 20, "objects": objects}, f)
