#!/usr/bin/env python3
"""Reads Prometheus's own metrics for the promcost benchmark.
  measure.py snap URL OUT.json        one snapshot of the counters we need
  measure.py alerts URL OUT.json      firing/pending alerts as (slo, severity, state)
  measure.py table DIR FORM...        prints the comparison table from DIR/<form>.{t0,t1,alerts}.json
"""
import json
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


def alerts(url, path):
    d = json.load(urllib.request.urlopen(url + "/api/v1/alerts", timeout=30))
    res = sorted({(a["labels"].get("slo", "?"), a["labels"].get("severity", "?"), a["state"])
                  for a in d["data"]["alerts"]})
    with open(path, "w") as f:
        json.dump(res, f)


def table(d, forms):
    rows = {}
    print("%-9s %6s %7s %10s %10s %9s %9s %9s %6s %6s %5s" % (
        "form", "rules", "groups", "rule-eval", "est eval", "cpu", "sum last", "max last", "iters", "missed", "fails"))
    print("%-9s %6s %7s %10s %10s %9s %9s %9s %6s %6s %5s" % (
        "", "", "", "s/min", "s/min", "s/min", "group s", "group s", "", "", ""))
    for form in forms:
        try:
            a = json.load(open("%s/%s.t0.json" % (d, form)))
            b = json.load(open("%s/%s.t1.json" % (d, form)))
        except OSError:
            continue
        mins = (b["time"] - a["time"]) / 60.0
        r = {
            "eval": (b["group_dur_sum"] - a["group_dur_sum"]) / mins,
            "cpu": (b["cpu"] - a["cpu"]) / mins,
        }
        rows[form] = r
        last = list(b["last_dur"].values()) or [0.0]
        # steady state from the last duration of every group and its interval
        est = sum(v * 60.0 / b.get("interval", {}).get(k, 30.0) for k, v in b["last_dur"].items())
        print("%-9s %6d %7d %10.4f %10.4f %9.4f %9.4f %9.4f %6d %6d %5d" % (
            form, b["rules"], len(b["last_dur"]), r["eval"], est, r["cpu"], sum(last), max(last),
            b["iterations"] - a["iterations"], b["missed"] - a["missed"],
            b["eval_failures"] - a["eval_failures"]))
    base = rows.get("baseline", {"cpu": 0.0})
    if "burnrate" in rows and "options" in rows:
        br, op = rows["burnrate"], rows["options"]
        print()
        print("with confidence and off-peak (options) against without (burnrate):")
        print("rule-eval ratio options/burnrate: %.3f" % (op["eval"] / br["eval"] if br["eval"] else float("nan")))
        print("process CPU ratio options/burnrate: %.3f" % (op["cpu"] / br["cpu"] if br["cpu"] else float("nan")))
        oc, bc = op["cpu"] - base["cpu"], br["cpu"] - base["cpu"]
        if "baseline" in rows and bc > 0:
            print("process CPU above the no-rules baseline, ratio: %.3f (%.4f vs %.4f s/min)" % (oc / bc, oc, bc))
        print("goal (options CPU < 1.3x burnrate): %s" % ("MET" if op["cpu"] < 1.3 * br["cpu"] else "NOT MET"))
    if "burnrate" in rows and "corrections" in rows:
        br, co = rows["burnrate"], rows["corrections"]
        print()
        print("with a BudgetCorrection each (corrections) against without (burnrate):")
        print("rule-eval ratio corrections/burnrate: %.3f" % (co["eval"] / br["eval"] if br["eval"] else float("nan")))
        print("process CPU ratio corrections/burnrate: %.3f" % (co["cpu"] / br["cpu"] if br["cpu"] else float("nan")))
        cc, bc = co["cpu"] - base["cpu"], br["cpu"] - base["cpu"]
        if "baseline" in rows and bc > 0:
            print("process CPU above the no-rules baseline, ratio: %.3f (%.4f vs %.4f s/min)" % (cc / bc, cc, bc))
        print("goal (corrections CPU < 1.2x burnrate): %s" % ("MET" if co["cpu"] < 1.2 * br["cpu"] else "NOT MET"))
    if "burnrate" in rows and "naive" in rows:
        br, nv = rows["burnrate"], rows["naive"]
        print()
        print("rule-eval ratio burnrate/naive: %.3f" % (br["eval"] / nv["eval"] if nv["eval"] else float("nan")))
        print("process CPU ratio burnrate/naive: %.3f" % (br["cpu"] / nv["cpu"] if nv["cpu"] else float("nan")))
        bc, nc = br["cpu"] - base["cpu"], nv["cpu"] - base["cpu"]
        if "baseline" in rows and nc > 0:
            print("process CPU above the no-rules baseline, ratio: %.3f (%.4f vs %.4f s/min)" % (bc / nc, bc, nc))
        goal = br["cpu"] <= 0.5 * nv["cpu"]
        print("goal (burnrate CPU <= half of naive): %s" % ("MET" if goal else "NOT MET"))
        try:
            fa = json.load(open("%s/burnrate.alerts.json" % d))
            fb = json.load(open("%s/naive.alerts.json" % d))
            print("alerts burnrate: %s" % " ".join("%s/%s/%s" % tuple(x) for x in fa))
            print("alerts naive:    %s" % " ".join("%s/%s/%s" % tuple(x) for x in fb))
            same = [x[:2] for x in fa] == [x[:2] for x in fb]
            print("same alerts (slo, severity): %s" % ("yes" if same else "NO"))
        except OSError:
            pass


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "snap":
        snap(sys.argv[2], sys.argv[3])
    elif cmd == "alerts":
        alerts(sys.argv[2], sys.argv[3])
    elif cmd == "table":
        table(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
