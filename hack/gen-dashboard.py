#!/usr/bin/env python3
"""Writes burnrate's Grafana dashboard, the one source of its JSON:

    hack/gen-dashboard.py [OUT]     default: charts/burnrate/dashboards/burnrate-slos.json

The chart ships the file as a ConfigMap (templates/dashboards.yaml), and deploy/ is made
from the chart, so nobody edits the JSON by hand: tests/grafana/dashboard.test.sh fails
when the committed file differs from what this script writes.

The dashboard reads only the series burnrate records (docs/reference.md, "What burnrate
generates"), all labelled slo and slo_namespace, and ALERTS. Python 3 standard library only.
"""
import json
import os
import sys

UID = "burnrate-slos"
DS = {"type": "prometheus", "uid": "${datasource}"}
# The SLOs the variables select; =~ so that "All" (.*) and multi-selection work.
SEL = 'slo_namespace=~"$namespace", slo=~"$slo"'
NS_SEL = 'slo_namespace=~"$namespace"'
# The default (SRE Workbook) table for a 30d window: severity, factor, long, short window.
# SLOs with their own windows or the low-traffic preset record other windows; their burn
# rate panels stay empty and `burnrate explain` shows their table.
ROWS = [
    ("page", 14.4, "1h", "5m"),
    ("page", 6, "6h", "30m"),
    ("ticket", 3, "1d", "2h"),
    ("ticket", 1, "3d", "6h"),
]


def burn_rate(window, sel):
    """Error ratio over the window divided by the error budget (1 - objective): 1x spends
    the budget in exactly the SLO window."""
    return ("burnrate:sli_error_ratio:rate%s{%s} / on (slo, slo_namespace) "
            "(1 - burnrate:slo:objective_ratio{%s})" % (window, sel, sel))


def target(ref, expr, legend="", instant=False, fmt="time_series"):
    t = {"datasource": DS, "refId": ref, "expr": expr, "legendFormat": legend or "__auto",
         "format": fmt}
    if instant:
        t.update(instant=True, range=False)
    else:
        t.update(instant=False, range=True)
    return t


def thresholds(*steps):
    """steps: (value, colour) from the lowest; the first value is null (the base)."""
    return {"mode": "absolute", "steps": [{"value": v, "color": c} for v, c in steps]}


class Layout:
    """Panel ids and grid positions, in reading order (24 columns wide)."""

    def __init__(self):
        self.id, self.x, self.y, self.h = 0, 0, 0, 0

    def place(self, panel, w, h):
        if self.x + w > 24:
            self.x, self.y, self.h = 0, self.y + self.h, 0
        self.id += 1
        panel["id"] = self.id
        panel["gridPos"] = {"x": self.x, "y": self.y, "w": w, "h": h}
        self.x += w
        self.h = max(self.h, h)
        return panel

    def row(self, title, repeat=None):
        self.x, self.y, self.h = 0, self.y + self.h, 0
        p = {"type": "row", "title": title, "collapsed": False, "panels": []}
        if repeat:
            p["repeat"] = repeat
        return self.place(p, 24, 1)


def stat(title, expr, unit="none", steps=((None, "green"),), description=""):
    return {
        "type": "stat", "title": title, "description": description, "datasource": DS,
        "targets": [target("A", expr, instant=True)],
        "fieldConfig": {"defaults": {"unit": unit, "thresholds": thresholds(*steps),
                                     "color": {"mode": "thresholds"}}, "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "colorMode": "background", "graphMode": "none", "textMode": "auto"},
    }


def timeseries(title, targets, unit, steps, description="", threshold_style="off"):
    return {
        "type": "timeseries", "title": title, "description": description, "datasource": DS,
        "targets": targets,
        "fieldConfig": {"defaults": {
            "unit": unit, "thresholds": thresholds(*steps), "color": {"mode": "palette-classic"},
            "custom": {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 0, "spanNulls": False,
                       "showPoints": "never", "thresholdsStyle": {"mode": threshold_style}},
        }, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                    "tooltip": {"mode": "multi", "sort": "desc"}},
    }


def overview(lay):
    budget_steps = ((None, "red"), (0, "orange"), (0.25, "yellow"), (0.5, "green"))
    panels = [lay.row("Overview")]
    panels.append(lay.place(stat(
        "SLOs", "count(burnrate:slo:objective_ratio{%s})" % NS_SEL,
        description="SLOs burnrate records rules for in the selected namespaces."), 6, 4))
    panels.append(lay.place(stat(
        "Budget exhausted",
        # or vector(0): none exhausted is 0, not "No data"
        "count(burnrate:error_budget:remaining{%s} <= 0) or vector(0)" % NS_SEL,
        steps=((None, "green"), (1, "red")),
        description="SLOs whose error budget over their window is spent."), 6, 4))
    panels.append(lay.place(stat(
        "Pages firing",
        'count(ALERTS{alertstate="firing", burnrate_severity="page", %s}) or vector(0)' % NS_SEL,
        steps=((None, "green"), (1, "red"))), 6, 4))
    panels.append(lay.place(stat(
        "Tickets firing",
        'count(ALERTS{alertstate="firing", burnrate_severity="ticket", %s}) or vector(0)' % NS_SEL,
        steps=((None, "green"), (1, "orange"))), 6, 4))

    # One row per SLO: four instant queries merged on their labels (slo, slo_namespace).
    cols = [("A", "burnrate:error_budget:remaining{%s}" % NS_SEL, "Budget left"),
            ("B", "burnrate:slo:objective_ratio{%s}" % NS_SEL, "Objective"),
            ("C", burn_rate("1h", NS_SEL), "Burn rate 1h"),
            ("D", burn_rate("5m", NS_SEL), "Burn rate 5m")]
    table = {
        "type": "table", "title": "SLOs", "datasource": DS,
        "description": "Budget left over each SLO's window, its objective and the burn rate "
                       "over 1h and 5m (the windows of the fastest page: 14.4x).",
        "targets": [target(r, e, instant=True, fmt="table") for r, e, _ in cols],
        "transformations": [
            {"id": "merge", "options": {}},
            {"id": "organize", "options": {
                "excludeByName": {"Time": True},
                "indexByName": {"slo_namespace": 0, "slo": 1, "Value #A": 2, "Value #B": 3,
                                "Value #C": 4, "Value #D": 5},
                "renameByName": dict([("slo_namespace", "Namespace"), ("slo", "SLO")] +
                                     [("Value #" + r, n) for r, _, n in cols])}},
        ],
        "fieldConfig": {"defaults": {"custom": {"align": "auto"}}, "overrides": [
            {"matcher": {"id": "byName", "options": "Budget left"}, "properties": [
                {"id": "unit", "value": "percentunit"}, {"id": "decimals", "value": 1},
                {"id": "thresholds", "value": thresholds(*budget_steps)},
                {"id": "custom.cellOptions", "value": {"type": "color-background"}}]},
            {"matcher": {"id": "byName", "options": "Objective"}, "properties": [
                {"id": "unit", "value": "percentunit"}, {"id": "decimals", "value": 3}]},
        ] + [{"matcher": {"id": "byName", "options": n}, "properties": [
                {"id": "unit", "value": "x"}, {"id": "decimals", "value": 2},
                {"id": "thresholds", "value": thresholds((None, "green"), (1, "yellow"), (14.4, "red"))},
                {"id": "custom.cellOptions", "value": {"type": "color-text"}}]}
             for n in ("Burn rate 1h", "Burn rate 5m")]},
        "options": {"showHeader": True, "sortBy": [{"displayName": "Budget left", "desc": False}]},
    }
    panels.append(lay.place(table, 24, 9))
    return panels


def drill_down(lay):
    """The row repeats for each SLO the slo variable selects."""
    panels = [lay.row("$slo", repeat="slo")]
    panels.append(lay.place(timeseries(
        "Error budget remaining",
        [target("A", "burnrate:error_budget:remaining{%s}" % SEL, "{{slo_namespace}}/{{slo}}")],
        "percentunit", ((None, "red"), (0, "green")),
        description="Share of the error budget left over the SLO's window; below 0 it is "
                    "spent.", threshold_style="line"), 12, 8))
    panels.append(lay.place(stat(
        "Budget left", "burnrate:error_budget:remaining{%s}" % SEL, "percentunit",
        ((None, "red"), (0, "orange"), (0.25, "yellow"), (0.5, "green"))), 4, 8))
    panels.append(lay.place(stat(
        "Objective", "burnrate:slo:objective_ratio{%s}" % SEL, "percentunit"), 4, 8))
    panels.append(lay.place(stat(
        "Failures the budget allows", "burnrate:error_budget:allowed_events{%s}" % SEL, "short",
        description="Over the window at the traffic seen; none for raw indicators."), 4, 8))
    for sev, factor, long_w, short_w in ROWS:
        panels.append(lay.place(timeseries(
            "Burn rate %s / %s (%s at %sx)" % (long_w, short_w, sev, factor),
            [target("A", burn_rate(long_w, SEL), "%s {{slo}}" % long_w),
             target("B", burn_rate(short_w, SEL), "%s {{slo}}" % short_w)],
            "x", ((None, "green"), (factor, "red")),
            description="The %s fires when both windows burn faster than %sx (the line)."
                        % (sev, factor), threshold_style="line"), 6, 8))
    state = {
        "type": "state-timeline", "title": "Alerts", "datasource": DS,
        "description": "burnrate's alerts for this SLO: pending or firing, by severity.",
        "targets": [target("A", "max by (alertname, burnrate_severity, alertstate) "
                                "(ALERTS{%s})" % SEL,
                           "{{burnrate_severity}} {{alertstate}}")],
        "fieldConfig": {"defaults": {
            "color": {"mode": "thresholds"}, "thresholds": thresholds((None, "red")),
            "mappings": [{"type": "value", "options": {"1": {"text": "active"}}}]},
            "overrides": []},
        "options": {"showValue": "never", "mergeValues": True,
                    "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True}},
    }
    panels.append(lay.place(state, 24, 5))
    return panels


def variable_query(name, label, query, multi):
    return {"type": "query", "name": name, "label": label, "datasource": DS,
            "query": {"query": query, "refId": name}, "definition": query,
            "refresh": 2, "sort": 1, "multi": multi, "includeAll": multi,
            "allValue": ".*" if multi else None, "current": {}, "options": [], "hide": 0}


def dashboard():
    lay = Layout()
    panels = overview(lay) + drill_down(lay)
    return {
        "uid": UID,
        "title": "burnrate / SLOs",
        "description": "Error budgets, burn rates and alerts of the ServiceLevelObjectives "
                       "burnrate turns into Prometheus rules. Generated by "
                       "hack/gen-dashboard.py.",
        "tags": ["burnrate", "slo"],
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-7d", "to": "now"},
        "refresh": "1m",
        "timezone": "",
        "annotations": {"list": []},
        "links": [],
        "templating": {"list": [
            {"type": "datasource", "name": "datasource", "label": "Data source",
             "query": "prometheus", "current": {}, "hide": 0, "refresh": 1, "regex": ""},
            variable_query("namespace", "Namespace",
                           "label_values(burnrate:slo:objective_ratio, slo_namespace)", True),
            variable_query("slo", "SLO",
                           'label_values(burnrate:slo:objective_ratio{slo_namespace=~"$namespace"}, slo)',
                           True),
        ]},
        "panels": panels,
    }


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        root, "charts", "burnrate", "dashboards", "burnrate-slos.json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as fh:
        json.dump(dashboard(), fh, indent=2, sort_keys=True)
        fh.write("\n")


if __name__ == "__main__":
    main()
