"""Writes a fake API server --state file holding N ServiceLevelObjectives with a status
(budget, two alert rows, Ready) in 20 namespaces (for tests/bench/ui.sh): usage
ui_state.py N FILE."""
import json
import sys
import uuid

n, path = int(sys.argv[1]), sys.argv[2]
objects = []
# the namespaces exist, so that the controller can write the SLOs' PrometheusRules
for k in range(20):
    objects.append({"group": "", "plural": "namespaces", "object": {
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "team-%02d" % k, "uid": str(uuid.uuid4()), "resourceVersion": "2",
                     "creationTimestamp": "2026-01-01T00:00:00Z"}}})
for i in range(n):
    name, ns = "slo-%05d" % i, "team-%02d" % (i % 20)
    left = (i * 37) % 1001 / 1000
    objects.append({"group": "burnrate.dev", "plural": "servicelevelobjectives", "object": {
        "apiVersion": "burnrate.dev/v1alpha1", "kind": "ServiceLevelObjective",
        "metadata": {"name": name, "namespace": ns, "uid": str(uuid.uuid4()),
                     "generation": 1, "resourceVersion": str(i + 10),
                     "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"service": name, "objective": 99.5, "window": "30d",
                 "indicator": {"ratio": {
                     "errors": 'http_requests_total{job="%s",code=~"5.."}' % name,
                     "total": 'http_requests_total{job="%s"}' % name}}},
        "status": {"budget": {"remaining": left, "remainingPercent": "%.1f%%" % (left * 100),
                              "allowedEvents": 5000, "remainingEvents": int(5000 * left)},
                   "alerts": [{"severity": "page", "burnRate": 14.4, "longWindow": "1h",
                               "shortWindow": "5m", "budgetPercent": 2},
                              {"severity": "ticket", "burnRate": 1, "longWindow": "3d",
                               "shortWindow": "6h", "budgetPercent": 10}],
                   "conditions": [{"type": "Ready", "status": "True", "reason": "Reconciled",
                                   "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}})
with open(path, "w") as f:
    json.dump({"rv": n + 20, "objects": objects}, f)
