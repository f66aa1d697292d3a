#!/usr/bin/env python3
"""Reads Prometheus's own metrics for the promcost benchmark.
  measure.py snap URL OUT.json        one snapshot of the counters we need
  measure.py alerts URL OUT.json      firing/pending alerts as (slo, severity, state)
  measure.py rules URL OUT.json       recording and alerting rules loaded
  measure.py extract IN.yml OUT.yml RECORD...
                                      the recording rules of IN.yml named RECORD, in
                                      one group, for promtool's rule backfill
  measure.py backfill URL START END STEP OUTDIR RULES.yml...
                                      evaluates the recording rules of RULES.yml
                                      (as extract writes them) over [START, END]
                                      every STEP s through URL's query_range and
                                      writes the results as OpenMetrics, one file
                                      per UTC day, for promtool's openmetrics
                                      backfill
  measure.py table DIR FORM...        prints the comparison table from
                                      DIR/<form>.{t0,t1,alerts,rules}.json
Standard library only.
"""
import json
import re
import sys
import urllib.request


def parse(text):
    """Prometheus text format -> {(name, labels-string): value}; enough for our own metrics."""
    out = {}
    for line in text.splitlines():
        if not line or line[0] == "#":
            continue
        head, _, val = line.rpartition(" ")
        name, _, lbl = head.partition("{")
        try:
            out.setdefault(name, []).append(("{" + lbl if lbl else "", float(val)))
        except ValueError:
            pass
    return out


def total(m, name):
    return sum(v for _, v in m.get(name, []))


def snap(url, path):
    import time
    m = parse(urllib.request.urlopen(url + "/metrics", timeout=30).read().decode())
    last = m.get("prometheus_rule_group_last_duration_seconds", [])
    res = {
        "time": time.time(),
        "cpu": total(m, "process_cpu_seconds_total"),
        "group_dur_sum": total(m, "prometheus_rule_group_duration_seconds_sum"),
        "rule_eval_sum": total(m, "prometheus_rule_evaluation_duration_seconds_sum"),
        "iterations": total(m, "prometheus_rule_group_iterations_total"),
        "missed": total(m, "prometheus_rule_group_iterations_missed_total"),
        "eval_failures": total(m, "prometheus_rule_evaluation_failures_total"),
        "last_dur": {l: v for l, v in last},
        "interval": {l: v for l, v in m.get("prometheus_rule_group_interval_seconds", [])},
        "compactions": total(m, "prometheus_tsdb_compactions_total"),
        "compactions_triggered": total(m, "prometheus_tsdb_compactions_triggered_total"),
        "blocks": total(m, "prometheus_tsdb_blocks_loaded"),
        "rules": total(m, "prometheus_rule_group_rules"),
    }
    with open(path, "w") as f:
        json.dump(res, f)


# Each form's severity names (burnrate and Pyrra critical/warning, Sloth's
# sloth_severity page/ticket) as page or ticket.
SEVERITY = {"critical": "page", "page": "page", "warning": "ticket", "ticket": "ticket"}


def alerts(url, path):
    d = json.load(urllib.request.urlopen(url + "/api/v1/alerts", timeout=30))
    res = set()
    for a in d["data"]["alerts"]:
        l = a["labels"]
        slo = l.get("slo") or l.get("sloth_service") or "?"
        sev = SEVERITY.get(l.get("sloth_severity") or l.get("severity"), l.get("severity", "?"))
        res.add((slo, sev, a["state"]))
    with open(path, "w") as f:
        json.dump(sorted(res), f)


def rules(url, path):
    d = json.load(urllib.request.urlopen(url + "/api/v1/rules", timeout=30))
    res = {"recording": 0, "alerting": 0, "groups": 0}
    for g in d["data"]["groups"]:
        res["groups"] += 1
        for r in g["rules"]:
            res[r["type"]] = res.get(r["type"], 0) + 1
    with open(path, "w") as f:
        json.dump(res, f)


def extract(src, out, names):
    """Copies the recording rules named in names, text as it is, into one
    group. Needs the layout every form here is written in: groups at column
    0 ("- name:"), rules at "  - record:" / "  - alert:", their fields
    indented deeper; no YAML parser in the standard library."""
    want = set(names)
    blocks, cur = [], None
    for line in open(src):
        if line.startswith("  - "):
            cur = None
            m = re.match(r"  - record: *(\S+)", line)
            if m and m.group(1).strip("'\"") in want:
                cur = [line]
                blocks.append(cur)
        elif line.startswith("    ") and cur is not None:
            cur.append(line)
        else:
            cur = None
    if not blocks:
        sys.exit("measure.py extract: none of %s in %s" % (" ".join(names), src))
    with open(out, "w") as f:
        f.write("groups:\n- name: backfill\n  rules:\n")
        for b in blocks:
            f.writelines(b)


def scalar(text):
    """A YAML scalar as the rule files here write it: "json", 'single' or plain."""
    text = text.strip()
    if text.startswith('"'):
        return json.loads(text)
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    return text


def recording_rules(path):
    """[(record, expr, labels)] of a file in extract's layout: each rule at
    "  - record:", fields at 4 spaces, expr quoted, plain (continued on
    deeper lines) or a "|" block, labels a block map at 6 spaces."""
    res, rule, field = [], None, None
    for line in open(path):
        body = line.rstrip("\n")
        if body.startswith("  - record:"):
            rule = [scalar(body.split(":", 1)[1]), "", {}]
            res.append(rule)
            field = None
        elif rule is None:
            continue
        elif body.startswith("    ") and not body.startswith("     "):
            key, _, val = body.strip().partition(":")
            field = key
            if key == "expr":
                rule[1] = "" if val.strip() == "|" else scalar(val)
        elif body.startswith("      ") and field == "labels":
            k, _, v = body.strip().partition(":")
            rule[2][k] = scalar(v)
        elif body.startswith("      ") and field == "expr":
            rule[1] += body.strip() + "\n"
    return res


def backfill(url, start, end, step, outdir, paths):
    """Each rule's expression over the history, as the rule would have
    recorded it every STEP s. promtool's own rule backfill writes one 2h
    block per rule (10,000 blocks for 30 rules over 30 days, too slow to
    write and to compact); this writes one OpenMetrics file per day."""
    import os
    import urllib.parse
    series = {}  # (record, labels) -> {t: v}
    day = 86400
    for path in paths:
        for record, expr, lbl in recording_rules(path):
            t = start
            while t <= end:
                t1 = min(end, t + day - step)
                q = urllib.parse.urlencode({"query": expr, "start": t, "end": t1, "step": step})
                d = json.load(urllib.request.urlopen(url + "/api/v1/query_range?" + q, timeout=600))
                for r in d["data"]["result"]:
                    m = dict(r["metric"])
                    m.pop("__name__", None)
                    m.update(lbl)
                    key = (record, tuple(sorted(m.items())))
                    series.setdefault(key, {}).update((int(float(ts)), v) for ts, v in r["values"])
                t = t1 + step
    files = {}
    for (record, lbl), pts in sorted(series.items()):
        sel = ",".join('%s="%s"' % (k, v.replace("\\", "\\\\").replace('"', '\\"')) for k, v in lbl)
        for ts in sorted(pts):
            files.setdefault(ts // day, {}).setdefault(record, []).append(
                "%s{%s} %s %d\n" % (record, sel, pts[ts], ts))
    for k, fams in files.items():
        with open(os.path.join(outdir, "rules-%d.om" % k), "w") as f:
            for record, lines in fams.items():
                f.write("# TYPE %s gauge\n" % record)
                f.writelines(lines)
            f.write("# EOF\n")


def group_kind(label):
    """{rule_group="/x/burnrate.rules.yml;bench/svc-3/sli"} -> bench/svc-N/sli"""
    m = re.search(r'rule_group="[^;"]*;([^"]*)"', label)
    return re.sub(r"svc-[0-9]+", "svc-N", m.group(1) if m else label)


def load(d, form, what):
    try:
        return json.load(open("%s/%s.%s.json" % (d, form, what)))
    except OSError:
        return None


def ratio(a, b):
    return a / b if b else float("nan")


def versus(rows, base, a, b, goal, what):
    """Prints a's cost against b's and whether a <= goal x b."""
    if a not in rows or b not in rows:
        return
    ra, rb = rows[a], rows[b]
    print()
    print("%s against %s%s:" % (a, b, what))
    print("  rule-eval ratio %s/%s: %.3f (%.4f vs %.4f s/min)" % (a, b, ratio(ra["eval"], rb["eval"]),
                                                                 ra["eval"], rb["eval"]))
    print("  process CPU ratio %s/%s: %.3f (%.4f vs %.4f s/min)" % (a, b, ratio(ra["cpu"], rb["cpu"]),
                                                                   ra["cpu"], rb["cpu"]))
    if base is not None:
        ca, cb = ra["cpu"] - base["cpu"], rb["cpu"] - base["cpu"]
        print("  process CPU above the no-rules baseline, ratio: %.3f (%.4f vs %.4f s/min)"
              % (ratio(ca, cb), ca, cb))
    if goal is not None:
        print("  goal (%s CPU <= %.2gx %s's): process CPU %s%s" % (
            a, goal, b, "MET" if ra["cpu"] <= goal * rb["cpu"] else "NOT MET",
            "" if base is None else ", above baseline %s" % (
                "MET" if ra["cpu"] - base["cpu"] <= goal * (rb["cpu"] - base["cpu"]) else "NOT MET")))


def table(d, forms):
    try:
        slos = json.load(open("%s/state.json" % d))["slos"]
    except OSError:
        slos = 0
    rows, costs = {}, {}
    hdr = "%-11s %5s %5s %6s %9s %9s %9s %9s %8s %8s %6s %6s %5s"
    print(hdr % ("form", "rec", "alert", "groups", "rule-eval", "est eval", "cpu", "cpu-base", "sum last",
                 "max last", "iters", "missed", "fails"))
    print(hdr % ("", "/SLO", "/SLO", "", "s/min", "s/min", "s/min", "s/min", "group s", "group s", "", "", ""))
    for form in forms:
        a, b = load(d, form, "t0"), load(d, form, "t1")
        if a is None or b is None:
            continue
        mins = (b["time"] - a["time"]) / 60.0
        r = {
            "eval": (b["group_dur_sum"] - a["group_dur_sum"]) / mins,
            "cpu": (b["cpu"] - a["cpu"]) / mins,
        }
        rows[form] = r
        last = list(b["last_dur"].values()) or [0.0]
        # steady state from the last duration of every group and its interval
        per = {}
        for k, v in b["last_dur"].items():
            kind = group_kind(k)
            per[kind] = per.get(kind, 0.0) + v * 60.0 / b.get("interval", {}).get(k, 30.0)
        costs[form] = per
        est = sum(per.values())
        n = load(d, form, "rules") or {}
        base = rows.get("baseline")
        print("%-11s %5.1f %5.1f %6d %9.4f %9.4f %9.4f %9s %8.4f %8.4f %6d %6d %5d" % (
            form, n.get("recording", 0) / float(slos or 1), n.get("alerting", 0) / float(slos or 1),
            len(b["last_dur"]), r["eval"], est, r["cpu"],
            "%.4f" % (r["cpu"] - base["cpu"]) if base and form != "baseline" else "-",
            sum(last), max(last), b["iterations"] - a["iterations"], b["missed"] - a["missed"],
            b["eval_failures"] - a["eval_failures"]))
    print()
    print("est eval by group (sum over SLOs of last duration x 60/interval, s/min, share):")
    for form in forms:
        per = costs.get(form)
        if not per:
            continue
        tot = sum(per.values()) or 1.0
        print("  %s: %s" % (form, ", ".join("%s %.4f (%.0f%%)" % (k, v, 100.0 * v / tot)
                                            for k, v in sorted(per.items(), key=lambda x: -x[1]))))
    base = rows.get("baseline")
    versus(rows, base, "burnrate", "sloth", 0.5, " (the rules Sloth generates)")
    versus(rows, base, "burnrate", "pyrra", 1.0, " (the rules Pyrra generates)")
    versus(rows, base, "burnrate", "naive", 0.5, " (the naive form)")
    versus(rows, base, "options", "burnrate", 1.3, ", with confidence and off-peak (issue 13)")
    versus(rows, base, "corrections", "burnrate", 1.2, ", with a BudgetCorrection each (issue 17)")
    print()
    print("alerts at the end of each run (slo/page|ticket/state):")
    seen = {}
    for form in forms:
        al = load(d, form, "alerts")
        if al is None or form == "baseline":
            continue
        seen[form] = al
        print("  %-11s %s" % (form + ":", " ".join("%s/%s/%s" % tuple(x) for x in al) or "(none)"))
    if "burnrate" in seen:
        want = sorted({tuple(x[:2]) for x in seen["burnrate"]})
        for form, al in seen.items():
            if form == "burnrate":
                continue
            got = sorted({tuple(x[:2]) for x in al})
            diff = sorted(set(want) ^ set(got))
            print("  same (slo, severity) as burnrate: %-11s %s" % (
                form, "yes" if not diff else "NO, differ in " + " ".join("%s/%s" % x for x in diff)))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "snap":
        snap(sys.argv[2], sys.argv[3])
    elif cmd == "alerts":
        alerts(sys.argv[2], sys.argv[3])
    elif cmd == "rules":
        rules(sys.argv[2], sys.argv[3])
    elif cmd == "extract":
        extract(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif cmd == "backfill":
        backfill(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7:])
    elif cmd == "table":
        table(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
