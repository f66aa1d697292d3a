#!/usr/bin/env python3
"""The histories of tests/backtest/oracle.test.sh: one job per scenario, each
with its SLO (a ratio indicator, a latency one and a raw one), written three ways from the same numbers so that Prometheus and
promtool see identical samples:

  history.om      OpenMetrics for `promtool tsdb create-blocks-from openmetrics`,
                  sample k at START + 60 k (START: a UTC midnight)
  oracle.json     a `promtool test rules` file (JSON is YAML) with the same
                  samples from t=0 (promtool's 1970-01-01 00:00 UTC, also a
                  midnight, so off-peak hours line up), the rules of every SLO,
                  and one expression test per minute whose expected answer is
                  empty: promtool prints what it got, which is when each SLO's
                  page and ticket were firing in Prometheus's own rule engine
  slo-<name>.yaml the SLOs

usage: scenarios.py START OUTDIR
Prints "name expected-pages expected-tickets" per scenario (a sanity floor:
the oracle must agree with these counts too, so an empty oracle cannot pass).
"""
import json
import os
import sys
from fractions import Fraction as F

MINUTES = 24 * 60  # a day: every row can fire (long windows average what there is)

# name: (objective, extra spec YAML, segments, pages, tickets); a segment is
# (minutes, events per minute, error share), played in order, the last one
# repeated to the end.
SCENARIOS = {
    # 600/min, 30 minutes of 100% errors: the 1h/5m row pages within minutes
    "outage": (99.9, "", [(600, 600, 0.0001), (30, 600, 1), (0, 600, 0.0001)], 1, 1),
    # 3 hours of 2% errors (20x): pages through the 1h/5m row, then 6h/30m
    "partial": (99.9, "", [(300, 600, 0.0002), (180, 600, 0.02), (0, 600, 0.0002)], 1, 1),
    # 0.4% errors for the whole day (4x a 99.9% budget): tickets, no page
    "slowburn": (99.9, "", [(120, 300, 0.0001), (0, 300, 0.004)], 0, 1),
    # 0.02% errors: nothing
    "healthy": (99.9, "", [(0, 600, 0.0002)], 0, 0),
    # no traffic at all for 12 hours between healthy hours: nothing, no NaN
    "zero": (99.9, "", [(300, 100, 0.0005), (720, 0, 0), (0, 100, 0.0005)], 0, 0),
    # 0.3 events a minute (18 an hour) and minEvents 50: five failing retries
    # in one minute do not page (they do raise a ticket: 5 of the day's 125
    # events are 4x over 1d); a 3-hour outage later pages (6h sees 108)
    "lowtraffic": (99, "  traffic: {minEvents: 50}\n",
                   [(400, F(3, 10), 0), (1, 5, 1), (500, F(3, 10), 0), (180, F(3, 10), 1),
                    (0, F(3, 10), 0)], 1, 2),
    # 1 event a minute with the Wilson bound at 95%: the burst does not page,
    # an hour-long outage does
    "confidence": (99, "  traffic: {confidence: 95}\n",
                   [(400, 1, 0), (1, 5, 1), (500, 1, 0), (60, 1, 1), (0, 1, 0)], 1, 1),
    # off-peak 22:00-06:00 at +02:00 (20:00-04:00 UTC), 600/min: a 30-minute
    # 5% blip at 10:00 UTC pages through the 1h/5m row; the same blip at 21:00
    # UTC does not (that row is muted, and 900 errors are 4.2x over 6h); a
    # 20-minute outage at 23:00 UTC pages through the 6h/30m row
    "offpeak": (99.9, '  alerting:\n    offPeak: {from: "22:00", to: "06:00", utcOffset: "+02:00"}\n',
                [(600, 600, 0), (30, 600, F(1, 20)), (630, 600, 0), (30, 600, F(1, 20)),
                 (90, 600, 0), (20, 600, 1), (0, 600, 0)], 2, 2),
    # a latency SLO (99% under 0.5 s, from a classic histogram's le="0.5"
    # bucket and _count): 40 minutes of 30% slow requests page
    "latency": (99, "", [(500, 600, 0.001), (40, 600, F(3, 10)), (0, 600, 0.001)], 1, 1, "latency"),
    # a raw error ratio, whose long windows average the 5m ratio: an hour at
    # 20% errors of a 99.5% budget pages
    "raw": (99.5, "", [(700, 100, 0.001), (60, 100, F(1, 5)), (0, 100, 0.001)], 1, 1, "raw"),
}


def per_minute(segments):
    """(events, errors) added at each of the MINUTES samples after the first."""
    out = []
    for minutes, events, share in segments:
        n = minutes if minutes else MINUTES - len(out)
        for _ in range(n):
            out.append((F(events), F(events) * F(share)))
    return out[:MINUTES]


def text(v):
    return f"{float(v):.6f}".rstrip("0").rstrip(".")


def counters(segments):
    """The good and error counters, as value strings, MINUTES + 1 samples."""
    good, bad = [F(0)], [F(0)]
    for events, errors in per_minute(segments):
        good.append(good[-1] + events - errors)
        bad.append(bad[-1] + errors)
    return [text(v) for v in good], [text(v) for v in bad]


INDICATORS = {
    "ratio": """    ratio:
      errors: bt_requests_total{{job="{name}",code="500"}}
      total: bt_requests_total{{job="{name}"}}
""",
    "latency": """    latency:
      histogram: bt_latency_seconds{{job="{name}"}}
      threshold: 0.5
""",
    "raw": """    raw:
      errorRatio: sum(rate(bt_requests_total{{job="{name}",code="500"}}[$window])) / sum(rate(bt_requests_total{{job="{name}"}}[$window]))
""",
}


def slo_yaml(name, objective, extra, kind):
    return f"""apiVersion: burnrate.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {{name: {name}, namespace: backtest}}
spec:
  service: {name}
  objective: {objective}
  indicator:
{INDICATORS[kind].format(name=name)}{extra}"""


def samples(kind, name, segments):
    """(family, series, values) of a scenario: the good and error counters,
    or for a latency SLO the le="0.5" bucket (fast) and _count (all)."""
    good, bad = counters(segments)
    if kind != "latency":
        return [("bt_requests_total", f'bt_requests_total{{code="{c}",job="{name}"}}', v)
                for c, v in (("200", good), ("500", bad))]
    total = [text(F(g) + F(b)) for g, b in zip(good, bad)]
    return [("bt_latency_seconds_bucket", f'bt_latency_seconds_bucket{{job="{name}",le="0.5"}}', good),
            ("bt_latency_seconds_count", f'bt_latency_seconds_count{{job="{name}"}}', total)]


def main():
    start, out = int(sys.argv[1]), sys.argv[2]
    assert start % 86400 == 0
    series, families = [], {}
    for name, (objective, extra, segments, pages, tickets, *kind) in SCENARIOS.items():
        kind = kind[0] if kind else "ratio"
        with open(os.path.join(out, f"slo-{name}.yaml"), "w") as f:
            f.write(slo_yaml(name, objective, extra, kind))
        for family, sel, values in samples(kind, name, segments):
            series.append({"series": sel, "values": " ".join(values)})
            families.setdefault(family, []).extend(
                f"{sel} {v} {start + 60 * k}" for k, v in enumerate(values))
        print(name, pages, tickets)
    om = []
    for family, lines in families.items():
        # counters of OpenMetrics end in _total; the histogram's parts are
        # written as families of unknown type, which Prometheus stores as is
        om.append("# TYPE bt_requests counter" if family == "bt_requests_total"
                  else f"# TYPE {family} unknown")
        om += lines
    om.append("# EOF")
    with open(os.path.join(out, "history.om"), "w") as f:
        f.write("\n".join(om) + "\n")
    expr = 'count by (slo, burnrate_severity) (ALERTS{alertstate="firing"}) * 0 + time()'
    tests = [{"expr": expr, "eval_time": f"{m}m", "exp_samples": []} for m in range(MINUTES)]
    # groups in the order burnrate writes them (promtool's own order is
    # arbitrary): each evaluation reads the records of the same timestamp
    order = [f"backtest/{n}/{g}" for n in SCENARIOS for g in ("sli", "sli-long", "budget", "alerts")]
    oracle = {"rule_files": [f"rules-{n}.yaml" for n in SCENARIOS], "evaluation_interval": "1m",
              "group_eval_order": order,
              "tests": [{"interval": "1m", "input_series": series, "promql_expr_test": tests}]}
    with open(os.path.join(out, "oracle.json"), "w") as f:
        json.dump(oracle, f)


if __name__ == "__main__":
    main()
