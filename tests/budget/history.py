#!/usr/bin/env python3
"""Known history for tests/budget/prometheus.test.sh, and the budget computed
from it by hand.

usage: history.py NAMESPACE END OUT.om EXPECTED.json SLODIR

burnrate's budget rules read the recorded 5m series (burnrate:sli_errors:rate5m
and burnrate:sli_requests:rate5m, averaged over the window), which a fresh
Prometheus would only have from the time it started. So this writes those
recorded series themselves, every 5 minutes up to END, as OpenMetrics for
`promtool tsdb create-blocks-from openmetrics`: the rules then evaluate over
exactly this history. The SLOs (SLODIR/<name>.yaml):

  steady     99.5% over 30d: 10 req/s, 0.1% errors; a 6 h incident at 5% ten days
             ago; 2% over the last 36 h; and an incident at 50% that ended an hour
             BEFORE the window started (must not count)
  exhausted  99.9% over 7d: 20 req/s, 0.2% errors throughout (twice the budget)
  clean      99% over 30d: 5 req/s, no errors
  burning    99% over 30d: 100 req/s, no errors in history; the test's exporter
             then serves 50% errors live, so the page windows burn at 50x
  idle       99.9% over 30d: no traffic at all (0 req/s recorded throughout)
  raw        99% over 30d, a raw indicator: its recorded 5m error ratio
             (burnrate:sli_error_ratio:rate5m) is 0.001 throughout; no event
             counts, so no allowed events
  nodata     99.5% over 30d: nothing in Prometheus at all

EXPECTED.json per SLO: remaining (= 1 - (sum errors / sum requests) / budget over
the samples in the window, the event-weighted budget; 1 - mean ratio / budget
for raw), the burn rates of the recorded long windows (1d and 3d at 30d,
16h48m at 7d; none at zero traffic, where the ratio is not recorded) at END +
60 s, and allowed (the failures the budget allows: the mean of the requests/s
samples in the window x window x budget; null for raw).
"""
import json
import math
import os
import sys

ns, end, out, expected_path, slodir = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
DAY = 86400
STEP = 300


def steady(t):
    """(requests/s, errors/s) of the steady SLO at t."""
    if end - 30 * DAY - 6 * 3600 <= t < end - 30 * DAY - 3600:
        return 10.0, 5.0            # before the window: must not count
    if end - 10 * DAY <= t < end - 10 * DAY + 6 * 3600:
        return 10.0, 0.5
    if t > end - 36 * 3600:
        return 10.0, 0.2
    return 10.0, 0.01


SLOS = {
    # name: (objective, window days, history start, rates(t))
    "steady": (99.5, 30, end - 30 * DAY - 6 * 3600, steady),
    "exhausted": (99.9, 7, end - 7 * DAY + 3600, lambda t: (20.0, 0.04)),
    "clean": (99.0, 30, end - 30 * DAY + 3600, lambda t: (5.0, 0.0)),
    "burning": (99.0, 30, end - 30 * DAY + 3600, lambda t: (100.0, 0.0)),
    "idle": (99.9, 30, end - 30 * DAY + 3600, lambda t: (0.0, 0.0)),
}
RAW = {"raw": (99.0, 30, end - 30 * DAY + 3600, lambda t: 0.001)}
LONG_WINDOWS = {30: {"1d": DAY, "3d": 3 * DAY}, 7: {"16h48m": 16 * 3600 + 48 * 60}}


def samples(name):
    _, _, start, rates = {**SLOS, **RAW}[name]
    t = start - start % STEP
    while t <= end:
        if t >= start:
            yield t, rates(t)
        t += STEP


def ratio(name, since):
    """The error ratio over the samples since; None without traffic."""
    req = err = 0.0
    for t, (r, e) in samples(name):
        if t >= since:
            req += r
            err += e
    return err / req if req else None


def allowed(name, since, window_s, eb):
    reqs = [r for t, (r, _) in samples(name) if t >= since]
    return math.fsum(reqs) / len(reqs) * window_s * eb


def raw_ratio(name, since):
    ratios = [v for t, v in samples(name) if t >= since]
    return sum(ratios) / len(ratios)


with open(out, "w") as f:
    for series, idx in (("burnrate:sli_requests:rate5m", 0), ("burnrate:sli_errors:rate5m", 1)):
        f.write("# TYPE %s gauge\n" % series)
        for name in SLOS:
            for t, rates in samples(name):
                f.write('%s{slo="%s",slo_namespace="%s"} %r %d\n' % (series, name, ns, rates[idx], t))
    f.write("# TYPE burnrate:sli_error_ratio:rate5m gauge\n")
    for name in RAW:
        for t, v in samples(name):
            f.write('burnrate:sli_error_ratio:rate5m{slo="%s",slo_namespace="%s"} %r %d\n' % (name, ns, v, t))
    f.write("# EOF\n")

expected = {}
at = end + 60
for name, (objective, days, _, _) in SLOS.items():
    eb = 1 - objective / 100
    if name == "burning":
        continue
    since = at - days * DAY
    expected[name] = {
        "remaining": 1 - (ratio(name, since) or 0) / eb,
        "burnRates": {w: ratio(name, at - s) / eb for w, s in LONG_WINDOWS[days].items()
                      if ratio(name, at - s) is not None},
        "window_s": days * DAY,
        "allowed": allowed(name, since, days * DAY, eb),
    }
for name, (objective, days, _, _) in RAW.items():
    eb = 1 - objective / 100
    expected[name] = {
        "remaining": 1 - raw_ratio(name, at - days * DAY) / eb,
        "burnRates": {w: raw_ratio(name, at - s) / eb for w, s in LONG_WINDOWS[days].items()},
        "window_s": days * DAY,
        "allowed": None,
    }
json.dump(expected, open(expected_path, "w"), indent=1, sort_keys=True)

os.makedirs(slodir, exist_ok=True)
with open(os.path.join(slodir, "raw.yaml"), "w") as f:
    f.write("""apiVersion: burnrate.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: raw, namespace: %s}
spec:
  service: raw
  objective: %s
  window: %dd
  indicator:
    raw:
      errorRatio: sum(rate(raw_errors_total[$window])) / sum(rate(raw_requests_total[$window]))
""" % (ns, RAW["raw"][0], RAW["raw"][1]))
for name, objective, days in [(n, v[0], v[1]) for n, v in SLOS.items()] + [("nodata", 99.5, 30)]:
    with open(os.path.join(slodir, name + ".yaml"), "w") as f:
        f.write("""apiVersion: burnrate.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: %s, namespace: %s}
spec:
  service: %s
  objective: %s
  window: %dd
  indicator:
    ratio:
      errors: http_requests_total{job="%s",code=~"5.."}
      total: http_requests_total{job="%s"}
""" % (name, ns, name, objective, days, name, name))
