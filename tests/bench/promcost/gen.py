#!/usr/bin/env python3
"""Data and rule generator for the promcost benchmark (see ../promcost.sh).

Subcommands (all output is deterministic for a given --end and --slos):
  history  DIR STATE.json SLOS DAYS END
                                OpenMetrics history, one sample per minute per
                                series, from END - DAYS to END, one file per UTC
                                day (DIR/hist-K.om, so promtool reads each day
                                once and writes one block for it), plus the
                                final counter values so exporter.py can
                                continue them.
  slos     DIR                  one ServiceLevelObjective YAML per SLO.
  naive    OUT.yml              the naive rules (written for this benchmark).
  sloth    OUT.yml              Sloth's rules: sloth-rules.tmpl.yml per SLO.
  pyrra    OUT.yml              Pyrra's rules: pyrra-rules.tmpl.yml per SLO.
  design   OUT.yml              burnrate's rule design written by hand (used
                                only while `burnrate generate` is not there).

Traffic model, per SLO N (job="svc-N"): 20 instances (pods) x 5 codes
(200, 201, 404 good; 500, 503 errors) = 100 series, as a service behind a
deployment reports them. Requests per minute per instance vary with a daily
sine; each code takes a fixed share of the good or the failed requests. The
error ratio is a baseline of 0.02% plus a pattern chosen by N % 10:
  0: a hard outage (20% errors) since 30 minutes before END, still going on
     (must page, and tickets too: it burns days of budget in minutes; at 30
     minutes the 1d window is well over 3x, so the forms, measured minutes
     apart while it goes on, agree on the ticket);
  1: a slow burn at 2.5x the budget since 2 days before END, still going on
     (must ticket, must not page; 2.5x and not 2x so that Pyrra's 2x ticket
     row is not decided by rounding);
  2: a 1 h incident at 20% errors three days before END (budget spent, quiet
     now);
  others: baseline only.
The pattern is a pure function of (N, minute), so the exporter continues the
same series past END.
"""
import json
import math
import os
import sys

OBJECTIVES = (99.9, 99.5, 99.95, 99.9, 99.0)
INSTANCES = 20
# (code, share of the good or of the failed requests)
GOOD_CODES = (("200", 0.85), ("201", 0.10), ("404", 0.05))
ERROR_CODES = (("500", 0.70), ("503", 0.30))


def objective(n):
    return OBJECTIVES[n % len(OBJECTIVES)]


def rate_per_min(n, inst, minute):
    """Requests per minute of one instance of svc-N at an absolute minute."""
    base = 60.0 + 37.0 * ((n * 7 + inst * 3) % 11)
    return base * (1.0 + 0.3 * math.sin(2 * math.pi * (minute % 1440) / 1440.0))


def error_ratio(n, minute, end_min):
    eb = 1.0 - objective(n) / 100.0
    p = 0.0002
    kind = n % 10
    if kind == 0 and minute > end_min - 30:
        p = 0.2
    elif kind == 1 and minute > end_min - 2 * 1440:
        p = max(p, 2.5 * eb)
    elif kind == 2 and end_min - 3 * 1440 - 60 < minute <= end_min - 3 * 1440:
        p = 0.2
    return p


def increments(n, inst, minute, end_min):
    """(good, errors) requests of one instance during one minute."""
    r = rate_per_min(n, inst, minute)
    p = error_ratio(n, minute, end_min)
    return r * (1.0 - p), r * p


def series_values(ok, err):
    """[(code, counter)] of one instance from its good and failed totals."""
    return [(c, ok * f) for c, f in GOOD_CODES] + [(c, err * f) for c, f in ERROR_CODES]


def cmd_history(argv):
    out, state_path, slos, days, end = argv[0], argv[1], int(argv[2]), float(argv[3]), int(argv[4])
    end_min = end // 60
    start_min = end_min - int(days * 1440)
    state = {"end_min": end_min, "slos": slos, "values": {}}
    totals = {}
    first = start_min
    k = 0
    while first <= end_min:
        last = min(end_min, (first // 1440 + 1) * 1440 - 1)  # to the end of this UTC day
        with open(os.path.join(out, "hist-%03d.om" % k), "w") as f:
            f.write("# HELP http_requests Requests served.\n# TYPE http_requests counter\n")
            for n in range(slos):
                for inst in range(INSTANCES):
                    ok, err = totals.get((n, inst), (0.0, 0.0))
                    oks, errs = [], []
                    for m in range(first, last + 1):
                        g, e = increments(n, inst, m, end_min)
                        ok += g
                        err += e
                        oks.append(ok)
                        errs.append(err)
                    totals[(n, inst)] = (ok, err)
                    lbl = 'http_requests_total{job="svc-%d",instance="%d",code="' % (n, inst)
                    for code, share in GOOD_CODES + ERROR_CODES:
                        vals = oks if (code, share) in GOOD_CODES else errs
                        pre = lbl + code + '"} '
                        f.writelines("%s%.3f %d\n" % (pre, v * share, (first + i) * 60)
                                     for i, v in enumerate(vals))
            f.write("# EOF\n")
        first, k = last + 1, k + 1
    for (n, inst), v in totals.items():
        state["values"]["%d/%d" % (n, inst)] = list(v)
    with open(state_path, "w") as f:
        json.dump(state, f)


# The options of issue 13 that add rules: the Wilson bound on every long
# window and off-peak hours on the fastest page row.
OPTIONS = """  traffic:
    confidence: 95
  alerting:
    offPeak: {from: "22:00", to: "06:00", utcOffset: "+02:00"}
"""


# A BudgetCorrection per SLO (issue 17): one weekly window, Sundays 02:00
# for 2h, selecting that SLO by its label.
CORRECTION = """---
apiVersion: burnrate.dev/v1alpha1
kind: BudgetCorrection
metadata:
  name: svc-%d-maintenance
  namespace: bench
spec:
  selector: {matchLabels: {svc: svc-%d}}
  reason: weekly maintenance
  windows: [{schedule: "0 2 * * SUN", duration: 2h}]
"""


def cmd_slos(argv):
    out, slos = argv[0], int(argv[1])
    options = len(argv) > 2 and argv[2] == "options"
    corrections = len(argv) > 2 and argv[2] == "corrections"
    for n in range(slos):
        with open("%s/svc-%d.yaml" % (out, n), "w") as f:
            f.write("""apiVersion: burnrate.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: svc-%d
  namespace: bench
  labels: {svc: svc-%d}
spec:
  service: svc-%d
  objective: %s
  window: 30d
  indicator:
    ratio:
      errors: http_requests_total{job="svc-%d",code=~"5.."}
      total: http_requests_total{job="svc-%d"}
""" % (n, n, n, objective(n), n, n) + (OPTIONS if options else "") +
                    (CORRECTION % (n, n) if corrections else ""))


# The Workbook's table: (severity, long, short, burn rate).
TABLE = (("critical", "1h", "5m", 14.4), ("critical", "6h", "30m", 6.0),
         ("warning", "1d", "2h", 3.0), ("warning", "3d", "6h", 1.0))
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
SECONDS = {"5m": 300, "30m": 1800, "1h": 3600, "2h": 7200, "6h": 21600, "1d": 86400, "3d": 259200}


def g(x):
    return "%.10g" % x


def alert_expr(metric, sel, eb, severity):
    rows = []
    for sev, lw, sw, f in TABLE:
        if sev != severity:
            continue
        rows.append("(%s%s{%s} / %s > %s and %s%s{%s} / %s > %s)" % (
            metric, lw, sel, g(eb), g(f), metric, sw, sel, g(eb), g(f)))
    return " or ".join(rows)


def alerts(metric, sel, eb, name, n, indent):
    out = []
    for sev in ("critical", "warning"):
        out.append('%s- alert: %s\n%s  expr: %s\n%s  labels:\n%s    severity: %s\n'
                   '%s    slo: svc-%d\n%s    slo_namespace: bench\n' % (
                       indent, name, indent, alert_expr(metric, sel, eb, sev), indent, indent, sev,
                       indent, n, indent))
    return "".join(out)


def cmd_naive(argv):
    out, slos = argv[0], int(argv[1])
    with open(out, "w") as f:
        f.write("groups:\n")
        for n in range(slos):
            eb = 1.0 - objective(n) / 100.0
            err = 'http_requests_total{job="svc-%d",code=~"5.."}' % n
            tot = 'http_requests_total{job="svc-%d"}' % n
            f.write("- name: naive/svc-%d\n  rules:\n" % n)
            for w in WINDOWS:
                f.write('  - record: slo:sli_error:ratio_rate%s\n    expr: sum(rate(%s[%s])) / sum(rate(%s[%s]))\n'
                        '    labels: {slo: svc-%d, slo_namespace: bench}\n' % (w, err, w, tot, w, n))
            f.write('  - record: slo:error_budget:remaining\n'
                    '    expr: 1 - (sum(increase(%s[30d])) / sum(increase(%s[30d]))) / %s\n'
                    '    labels: {slo: svc-%d, slo_namespace: bench}\n' % (err, tot, g(eb), n))
            f.write(alerts("slo:sli_error:ratio_rate", 'slo="svc-%d",slo_namespace="bench"' % n,
                           eb, "NaiveSvc%d" % n, n, "  "))


def fill(template, subst):
    """The template's rule groups (its comment header dropped), @KEY@ replaced."""
    text = "".join(l for l in open(os.path.join(os.path.dirname(os.path.abspath(__file__)), template))
                   if not l.startswith("#"))
    for k, v in subst.items():
        text = text.replace("@%s@" % k, v)
    if "@" in text.replace("@SLO@", ""):
        sys.exit("gen.py: %s: unfilled placeholder" % template)
    return text


def cmd_sloth(argv):
    """Sloth's shape (sloth-rules.tmpl.yml): its objective ratio and budget
    are Go float64 (objective / 100 and (100 - objective) / 100), printed
    shortest, which Python's repr matches."""
    out, slos = argv[0], int(argv[1])
    with open(out, "w") as f:
        f.write("groups:\n")
        for n in range(slos):
            o = objective(n)
            f.write(fill("sloth-rules.tmpl.yml", {
                "SLO": "svc-%d" % n, "ALERT": "Svc%dHighErrorRate" % n, "OBJECTIVE": g(o), "RATIO": repr(o / 100.0),
                "BUDGET": repr((100.0 - o) / 100.0),
                "ERRORS": 'http_requests_total{job="svc-%d",code=~"5.."}' % n,
                "TOTAL": 'http_requests_total{job="svc-%d"}' % n}))


def pyrra_absent_for(target):
    """Pyrra's AbsentDuration for a 30d window: the page row's threshold
    (14 x budget) times its long window (1h4m), in whole seconds, plus its for
    (2m), rounded to the minute (half away from zero)."""
    secs = int(14 * (1.0 - target) * 3840) + 120
    mins = int(secs / 60.0 + 0.5)
    return "%dh%dm" % (mins // 60, mins % 60) if mins >= 60 else "%dm" % mins


def cmd_pyrra(argv):
    out, slos = argv[0], int(argv[1])
    with open(out, "w") as f:
        f.write("groups:\n")
        for n in range(slos):
            t = objective(n) / 100.0
            f.write(fill("pyrra-rules.tmpl.yml", {
                "SLO": "svc-%d" % n, "TARGET": repr(t), "ABSENT_FOR": pyrra_absent_for(t)}))


def cmd_design(argv):
    """burnrate's design (the shared contract), hand-written, budget included."""
    out, slos = argv[0], int(argv[1])
    with open(out, "w") as f:
        f.write("groups:\n")
        for n in range(slos):
            eb = 1.0 - objective(n) / 100.0
            sel = 'slo="svc-%d",slo_namespace="bench"' % n
            err = 'http_requests_total{job="svc-%d",code=~"5.."}' % n
            tot = 'http_requests_total{job="svc-%d"}' % n
            lbl = "    labels: {slo: svc-%d, slo_namespace: bench}\n" % n

            def ratio(w):
                return ("  - record: burnrate:sli_error_ratio:rate%s\n    expr: burnrate:sli_errors:rate%s{%s} / "
                        "(burnrate:sli_requests:rate%s{%s} > 0)\n%s" % (w, w, sel, w, sel, lbl))
            f.write("- name: bench/svc-%d/sli\n  rules:\n" % n)
            for w in WINDOWS[:5]:
                f.write("  - record: burnrate:sli_requests:rate%s\n    expr: sum(rate(%s[%s]))\n%s" % (w, tot, w, lbl))
                f.write("  - record: burnrate:sli_errors:rate%s\n    expr: sum(rate(%s[%s])) or 0 * sum(rate(%s[%s]))\n%s"
                        % (w, err, w, tot, w, lbl))
                f.write(ratio(w))
            f.write("- name: bench/svc-%d/sli-long\n  interval: 1m\n  rules:\n" % n)
            for w in WINDOWS[5:]:
                for k in ("requests", "errors"):
                    f.write("  - record: burnrate:sli_%s:rate%s\n    expr: avg_over_time(burnrate:sli_%s:rate5m{%s}[%s])\n%s"
                            % (k, w, k, sel, w, lbl))
                f.write(ratio(w))
            f.write("- name: bench/svc-%d/budget\n  interval: 5m\n  rules:\n" % n)
            for k in ("requests", "errors"):
                f.write("  - record: burnrate:sli_%s:rate30d\n    expr: avg_over_time(burnrate:sli_%s:rate5m{%s}[30d])\n%s"
                        % (k, k, sel, lbl))
            f.write("  - record: burnrate:error_budget:remaining\n    expr: 1 - ((burnrate:sli_errors:rate30d{%s} / "
                    "(burnrate:sli_requests:rate30d{%s} > 0)) or (0 * burnrate:sli_requests:rate30d{%s})) / %s\n%s"
                    % (sel, sel, sel, g(eb), lbl))
            f.write("  - record: burnrate:slo:objective_ratio\n    expr: vector(%s)\n%s" % (g(objective(n) / 100.0), lbl))
            f.write("- name: bench/svc-%d/alerts\n  rules:\n" % n)
            f.write(alerts("burnrate:sli_error_ratio:rate", sel, eb, "Svc%d" % n, n, "  "))


def main():
    cmds = {"history": cmd_history, "slos": cmd_slos, "naive": cmd_naive, "sloth": cmd_sloth,
            "pyrra": cmd_pyrra, "design": cmd_design}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit("usage: gen.py history|slos|naive|sloth|pyrra|design ...")
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
