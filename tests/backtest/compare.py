#!/usr/bin/env python3
"""Compares burnrate backtest's intervals with the oracle's.

usage: compare.py PROMTOOL_OUTPUT START EXPECTED DIR

PROMTOOL_OUTPUT is what `promtool test rules oracle.json` printed: one failed
expression test per minute in which some alert was firing, with what it got
({burnrate_severity="page", slo="outage"} <time>, ...). START maps promtool's
t=0 to the Unix time of the backfilled history. EXPECTED is scenarios.py's
output (name pages tickets). DIR holds <name>.json, backtest --json of each.

For each SLO and severity, the oracle's firing minutes become intervals
[first, last + 1m); backtest's must be as many, each start and end within one
evaluation step (60 s) of the oracle's; and both must count the pages and
tickets EXPECTED says, so that an oracle that never fires cannot pass.
Prints one line per SLO and severity; exits 1 on any difference.
"""
import json
import re
import sys

STEP = 60
TIME = re.compile(r"time: ((?:\d+[dhms])+),")
GOT = re.compile(r'\{burnrate_severity="(page|ticket)", slo="([^"]+)"\}')
UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def seconds(text):
    return sum(int(n) * UNITS[u] for n, u in re.findall(r"(\d+)([dhms])", text))


def oracle(path, start):
    firing, at = {}, None
    for line in open(path):
        m = TIME.search(line)
        if m:
            at = start + seconds(m.group(1))
        elif line.strip().startswith("got:") and at is not None:
            for sev, slo in GOT.findall(line):
                firing.setdefault((slo, sev), []).append(at)
    return {k: runs(sorted(v)) for k, v in firing.items()}


def runs(times):
    out = []
    for t in times:
        if out and t == out[-1][1]:
            out[-1][1] = t + STEP
        else:
            out.append([t, t + STEP])
    return out


def main():
    path, start, expected, outdir = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    want = oracle(path, start)
    bad = 0
    for line in open(expected):
        name, pages, tickets = line.split()
        got = json.load(open(f"{outdir}/{name}.json"))["slo"]
        for sev, count in (("page", int(pages)), ("ticket", int(tickets))):
            ours = [[a["startUnix"], a["endUnix"]] for a in got["alerts"] if a["severity"] == sev]
            theirs = want.get((name, sev), [])
            close = len(ours) == len(theirs) and all(
                abs(a[0] - b[0]) <= STEP and abs(a[1] - b[1]) <= STEP for a, b in zip(ours, theirs))
            ok = close and len(ours) == count
            bad += not ok
            show = lambda iv: " ".join(f"{int(a - start) // 60}-{int(b - start) // 60}m" for a, b in iv) or "none"
            print(f"{'ok' if ok else 'FAIL'}: {name} {sev}: backtest {show(ours)}; "
                  f"Prometheus {show(theirs)}; expected {count}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
