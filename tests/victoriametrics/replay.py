#!/usr/bin/env python3
"""Replays promtool behaviour tests on VictoriaMetrics and vmalert, and checks
that vmalert makes the page and ticket decisions the promtool tests expect.

    replay.py --vm URL --work DIR TEST.yaml...

For every test case of every TEST.yaml (a promtool test file, already expanded
by tests/promtool/rates.py, whose rule_files are next to it) it:
  1. imports the case's input_series into VictoriaMetrics through
     /api/v1/import/prometheus, with timestamps, each case in a slot of its own
     on one time line (a gap of more than the longest window, 3d, between
     cases, so no window of one case sees another's samples);
  2. has vmalert replay the rules (-replay.timeFrom/-replay.timeTo) over the
     whole time line, writing the recorded series and ALERTS back to the same
     VictoriaMetrics;
  3. runs every assertion on ALERTS (promql_expr_test whose expr reads
     ALERTS, and alert_rule_test) as an instant query at the case's eval_time,
     and accepts the result when it equals the expected one at eval_time or one
     evaluation step (1m) either side.

vmalert's replay evaluates one rule over the whole range before the next, so
a rule that reads another's recorded series needs those results stored
first: the rules are replayed in stages by dependency depth (rules that read
only raw series, then those that read them, ...), each stage a vmalert run,
with a flush of VictoriaMetrics between stages. The expressions, groups and
intervals are the generated ones; only the order of evaluation is planned.

Exit status: 0 when every assertion holds, 1 otherwise (each failure printed).
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import yaml

# 2023-12-28T00:00:00Z, a Thursday midnight like the epoch promtool starts its tests at:
# a whole number of weeks later, so that daily and weekly schedules (off-peak hours,
# BudgetCorrection windows) fall on the same hours of the case; every case starts a
# whole number of weeks after it. A test whose rules name absolute times (a one-off
# BudgetCorrection window) must come first, and have them moved by BASE.
BASE = 1703721600
WEEK_S = 7 * 86400
GAP_S = 4 * 86400          # more than the longest window (3d) plus the 5m look-back
STEP_S = 60                # the evaluation interval of the alerts


def dur_s(text):
    """promtool durations: 4326m, 6h, 1d, 1h30m."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    total, pos = 0.0, 0
    for m in re.finditer(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)", str(text)):
        if m.start() != pos:
            break
        total += float(m.group(1)) * units[m.group(2)]
        pos = m.end()
    if pos != len(str(text)) or pos == 0:
        raise ValueError(f"bad duration {text!r}")
    return int(total)


def expand_values(text):
    """promtool's series notation: 'a+bxn', 'a-bxn', 'axn', '_', '_xn', 'a'.
    Returns a list of floats or None (no sample)."""
    out = []
    for tok in str(text).split():
        m = re.fullmatch(r"([-+]?[\d.e]+|_)(?:([-+])([\d.e]+))?x(\d+)", tok)
        if m:
            n = int(m.group(4))
            if m.group(1) == "_":
                out += [None] * n
                continue
            a = float(m.group(1))
            b = float(m.group(3) or 0) * (-1 if m.group(2) == "-" else 1)
            out += [a + b * i for i in range(n + 1)]
        elif tok == "_":
            out.append(None)
        elif tok == "stale":
            out.append(None)
        else:
            out.append(float(tok))
    return out


def http(url, data=None):
    req = urllib.request.Request(url, data=data)
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.read()


def import_case(vm, case, base):
    """Imports the case's series at base + i * interval; returns its length in s."""
    interval = dur_s(case.get("interval", "1m"))
    lines, length = [], 0
    for s in case.get("input_series", []):
        for i, v in enumerate(expand_values(s["values"])):
            if v is not None:
                lines.append(f"{s['series']} {v!r} {(base + i * interval) * 1000}")
            length = max(length, i * interval)
    http(f"{vm}/api/v1/import/prometheus", "\n".join(lines).encode() + b"\n")
    return length


def max_eval(case):
    times = [dur_s(t["eval_time"]) for t in case.get("promql_expr_test", [])]
    times += [dur_s(t["eval_time"]) for t in case.get("alert_rule_test", [])]
    return max(times, default=0)


# --- staging the rules by dependency depth ----------------------------------

def stages(rule_files):
    """The rules of every file as stage files: a list of {groups: [...]} by
    depth, each group keeping its name and interval."""
    rules = []  # (group name, interval, rule)
    for f in rule_files:
        for g in yaml.safe_load(open(f))["groups"]:
            for r in g["rules"]:
                rules.append((g["name"], g.get("interval"), r))
    records = {r["record"] for _, _, r in rules if "record" in r}
    depth = {}

    def depth_of(expr):
        refs = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr)) & records
        return 1 + max((depth[x] for x in refs), default=-1) if refs else 0

    # fixpoint: records in any order; a name several SLOs record (each with
    # its own slo label) takes the deepest of its rules
    for _ in range(len(rules)):
        for _, _, r in rules:
            if "record" in r:
                depth[r["record"]] = max(depth.get(r["record"], 0), depth_of(r["expr"]))
    out = {}
    for name, interval, r in rules:
        d = depth_of(r["expr"])
        groups = out.setdefault(d, {})
        g = groups.setdefault(name, {"name": name, "rules": []})
        if interval:
            g["interval"] = interval
        g["rules"].append(r)
    return [{"groups": list(out[d].values())} for d in sorted(out)]


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def replay(vm, work, stage_docs, t_from, t_to):
    os.makedirs(work, exist_ok=True)
    for i, doc in enumerate(stage_docs):
        path = os.path.join(work, f"stage-{i}.yaml")
        with open(path, "w") as f:
            yaml.safe_dump(doc, f, sort_keys=False)
        cmd = ["vmalert", "-rule=" + path, "-datasource.url=" + vm,
               "-remoteWrite.url=" + vm, "-replay.timeFrom=" + iso(t_from),
               "-replay.timeTo=" + iso(t_to), "-replay.rulesDelay=0s",
               "-replay.disableProgressBar", "-replay.maxDatapointsPerQuery=5000",
               # vmalert 1.79 sends -datasource.queryStep (default 5m) as the
               # step of its replay range queries, not the group's interval:
               # without this every rule would be evaluated every 5 minutes
               "-datasource.queryStep=%ds" % STEP_S,
               "-loggerLevel=ERROR"]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"vmalert replay of stage {i} failed ({p.returncode}):\n{p.stderr}")
        http(f"{vm}/internal/force_flush")
        time.sleep(0.2)


# --- assertions ---------------------------------------------------------------

def parse_labels(text):
    text = text.strip()
    m = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(\{.*\})?", text)
    labels = {}
    if m.group(1):
        labels["__name__"] = m.group(1)
    for k, v in re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"', m.group(2) or ""):
        labels[k] = json.loads('"' + v + '"')  # PromQL's escapes are JSON's
    return labels


def norm(metric):
    """vmalert adds alertgroup to ALERTS; Prometheus does not: ignored."""
    return tuple(sorted((k, v) for k, v in metric.items() if k != "alertgroup"))


def query(vm, expr, t):
    q = urllib.parse.urlencode({"query": expr, "time": t, "step": "30s", "nocache": 1})
    res = json.loads(http(f"{vm}/api/v1/query?{q}"))
    if res.get("status") != "success":
        raise RuntimeError(f"query {expr!r} failed: {res}")
    return sorted((norm(r["metric"]), float(r["value"][1])) for r in res["data"]["result"])


def same(got, want):
    return len(got) == len(want) and all(
        g[0] == w[0] and math.isclose(g[1], w[1], rel_tol=1e-9) for g, w in zip(got, want))


def expr_checks(case):
    for t in case.get("promql_expr_test", []) or []:
        if "ALERTS" not in t["expr"]:
            continue
        want = sorted((norm(parse_labels(s["labels"])), float(s["value"]))
                      for s in t.get("exp_samples") or [])
        yield t["expr"], dur_s(t["eval_time"]), want, None
    for t in case.get("alert_rule_test", []) or []:
        keys = set()
        for a in t.get("exp_alerts") or []:
            keys |= set(a.get("exp_labels", {}))
        keys = sorted(keys | {"alertname"})
        want = sorted((norm(dict(a.get("exp_labels", {}), alertname=t["alertname"])), 1.0)
                      for a in t.get("exp_alerts") or [])
        expr = f'ALERTS{{alertname="{t["alertname"]}",alertstate="firing"}}'
        yield expr, dur_s(t["eval_time"]), want, keys


def one_sample_more(expr, got, want):
    """count_over_time(x[d]): Prometheus 2 counts the samples at both ends of
    the range, VictoriaMetrics (like Prometheus 3) only the newer one."""
    return (expr.startswith("count_over_time(") and len(got) == len(want) and
            all(g[0] == w[0] and w[1] - g[1] == 1 for g, w in zip(got, want)))


def project(got, keys):
    if keys is None:
        return got
    return sorted((tuple((k, v) for k, v in m if k in keys), val) for m, val in got)


def check(vm, name, case, base):
    fails = shifted = n = 0
    for expr, t, want, keys in expr_checks(case):
        n += 1
        results = {d: project(query(vm, expr, base + t + d), keys) for d in (0, -STEP_S, STEP_S)}
        if same(results[0], want):
            continue
        ok = [d for d in (-STEP_S, STEP_S) if same(results[d], want)]
        if not ok and one_sample_more(expr, results[0], want):
            shifted += 1
            print(f"  {name} t={t // 60}m: one evaluation fewer in the range (VictoriaMetrics'"
                  f" ranges are left-open, Prometheus 2's closed): {expr}")
            continue
        if ok:
            shifted += 1
            print(f"  {name} t={t // 60}m: as expected {ok[0] // 60:+d} step: {expr}\n"
                  f"    at t: {results[0]}")
            continue
        fails += 1
        print(f"FAIL {name} t={t // 60}m: {expr}\n  want {want}\n  got  {results[0]}")
    return n, fails, shifted


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vm", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("tests", nargs="+")
    a = ap.parse_args()

    cases, runs, base = [], [], BASE
    for path in a.tests:
        doc = yaml.safe_load(open(path))
        here = os.path.dirname(os.path.abspath(path))
        t_from = base
        for i, case in enumerate(doc["tests"]):
            length = max(import_case(a.vm, case, base), max_eval(case))
            cases.append((f"{os.path.relpath(path, a.work)}[{i}]", case, base))
            t_end = base + length + STEP_S
            base += ((length + GAP_S) // WEEK_S + 1) * WEEK_S
        runs.append(([os.path.join(here, f) for f in doc["rule_files"]], t_from, t_end))
    http(f"{a.vm}/internal/force_flush")
    time.sleep(1.5)
    t0 = time.time()
    # each test file's rules over its own cases only: the SLOs of different
    # tests often select the same series, and must not see each other's data
    for i, (rule_files, t_from, t_to) in enumerate(runs):
        replay(a.vm, os.path.join(a.work, f"replay-{i}"), stages(rule_files), t_from, t_to)
    time.sleep(1.5)  # freshly flushed parts become searchable within a second
    print(f"replayed {len(cases)} case(s) of {len(runs)} test file(s) in {time.time() - t0:.1f}s")
    total = fails = shifted = 0
    for name, case, b in cases:
        n, f, s = check(a.vm, name, case, b)
        total, fails, shifted = total + n, fails + f, shifted + s
    print(f"{total} ALERTS assertion(s): {total - fails - shifted} exact, "
          f"{shifted} within one step, {fails} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
