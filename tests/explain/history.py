#!/usr/bin/env python3
"""Known traffic for tests/explain/prometheus.test.sh, as OpenMetrics for
`promtool tsdb create-blocks-from openmetrics`, and the figures burnrate
explain must find in it, computed by hand.

usage: history.py START END OUT.om

Counters, one sample a minute from START to END (Unix seconds; START on a
whole UTC hour), day hours being 06:00-22:00 local at +02:00 (04:00-20:00 UTC):

  shop_requests_total{job="shop",code="200"|"500"}  600 events/min by day,
        60/min at night; 0.05% of them code 500
  quiet_requests_total{job="quiet"}                  1/min by day, 0.1/min at
        night; no error series at all (counts as zero errors)

and two gauges, as burnrate's rules record them, for the SLO explain/rec over
the last 20 minutes: burnrate:error_budget:allowed_events 2000 and
burnrate:error_budget:remaining 0.25.
"""
import sys

OFFSET_H = 2
ERROR_SHARE = 0.0005


def day(t):
    """Whether t (Unix seconds) is in the day hours, 06:00-22:00 at +02:00."""
    local_h = (t // 3600 + OFFSET_H) % 24
    return 6 <= local_h < 22


def per_min(job, t):
    """(good, errors) events per minute of job at t."""
    if job == "shop":
        n = 600.0 if day(t) else 60.0
        return n * (1 - ERROR_SHARE), n * ERROR_SHARE
    return (1.0 if day(t) else 0.1), 0.0


def counter(f, family, series, start, end):
    """series: [(labels, job, index into per_min)]."""
    f.write("# TYPE %s counter\n" % family)
    for labels, job, idx in series:
        value = 0.0
        for t in range(start, end + 1, 60):
            f.write("%s_total{%s} %r %d\n" % (family, labels, value, t))
            value += per_min(job, t)[idx]


def main():
    start, end, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    assert start % 3600 == 0
    with open(out, "w") as f:
        counter(f, "shop_requests", [('code="200",job="shop"', "shop", 0),
                                     ('code="500",job="shop"', "shop", 1)], start, end)
        counter(f, "quiet_requests", [('job="quiet"', "quiet", 0)], start, end)
        for name, value in (("burnrate:error_budget:allowed_events", 2000.0),
                            ("burnrate:error_budget:remaining", 0.25)):
            f.write("# TYPE %s gauge\n" % name)
            for t in range(end - 1200, end + 1, 60):
                f.write('%s{slo="rec",slo_namespace="explain"} %r %d\n' % (name, value, t))
        f.write("# EOF\n")


if __name__ == "__main__":
    main()
