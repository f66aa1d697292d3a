#!/usr/bin/env python3
"""The demo's traffic: the series the example SLOs read, as one deterministic
function of time, so that the backfilled history and the live exporter agree
to the sample (a counter that jumped where the two meet would read as a
reset).

    traffic.py history OUT.om NOW [DIR] OpenMetrics for promtool to backfill:
                                       the raw counters over the last 7 hours
                                       (the longest window read from raw
                                       series is 6h), and the 5m records
                                       burnrate's long windows and budget read
                                       (burnrate:sli_*:rate5m) over 30 days,
                                       at the demo Prometheus's evaluation
                                       interval so that live and backfilled
                                       samples weigh the same in
                                       avg_over_time; with DIR, the outage
                                       in DIR/outage (as serve reads it) is
                                       in the history too
    traffic.py serve DIR NOW           serves /metrics on 127.0.0.1 (port in
                                       DIR/exporter.port); while DIR/outage
                                       holds "NAMESPACE/NAME" with a start
                                       time, that SLO's service fails (from
                                       that time or its last scrape without
                                       the outage, whichever is later: no
                                       counter it serves ever steps back)
    traffic.py describe NAMESPACE/NAME rate, error share and kind of one
                                       service, as shell assignments

Every service has a daily wave (busier by day) and a small steady error share,
chosen so that each budget has been partly spent over the month: a plausible
state to start the demo from, not a fresh 100%.
"""
import http.server
import math
import os
import sys
import time

DAY = 86400.0
STEP = 30          # backfill step = the demo Prometheus's evaluation interval
RAW_HISTORY = 7 * 3600
REC_HISTORY = 30 * 86400

# slo: (per-second rate, error share, kind, series)
#   ratio:   series = (metric, good labels, bad labels)
#   latency: series = (histogram, labels, threshold le): good requests land
#            in the threshold's bucket, bad ones above it
#   raw:     series = (total metric, bad metric, labels)
SERVICES = {
    "payments/checkout-availability": (40.0, 0.0017, "ratio", (
        "http_requests_total",
        {"job": "checkout", "handler": "/api/v1/orders", "code": "200"},
        {"job": "checkout", "handler": "/api/v1/orders", "code": "503"})),
    "auth/token-check-latency": (25.0, 0.00002, "latency", (
        "grpc_server_handling_seconds", {"job": "auth", "grpc_method": "CheckToken"}, "0.2")),
    "partners/partner-api-latency": (8.0, 0.00045, "latency", (
        "http_request_duration_seconds", {"job": "partner-api"}, "2")),
    "travel/booking-integration": (0.005, 0.0031, "ratio", (
        "booking_requests_total",
        {"job": "booking-gateway", "outcome": "confirmed"},
        {"job": "booking-gateway", "outcome": "failed"})),
    "partners/partner-hotel-api": (0.005, 0.003, "ratio", (
        "partner_bookings_total",
        {"partner": "hotel-co", "outcome": "ok"},
        {"partner": "hotel-co", "outcome": "error"})),
    "partners/partner-rates-feed": (0.0035, 0.011, "ratio", (
        "rate_updates_total",
        {"feed": "partners", "result": "applied"},
        {"feed": "partners", "result": "rejected"})),
    "search/search-completeness": (15.0, 0.0023, "raw", (
        "search_requests_total", "search_partial_results_total", {"job": "search"})),
    "shop/storefront-availability": (60.0, 0.00035, "ratio", (
        "http_requests_total", {"job": "storefront", "code": "200"},
        {"job": "storefront", "code": "500"})),
}


def total(rate, t):
    """Requests up to t: the integral of rate * (1 + 0.5 sin(2 pi t / day))."""
    w = 2 * math.pi / DAY
    return rate * (t + 0.5 / w * (1 - math.cos(w * t)))


class Outage:
    """Which SLO fails, and since when (DIR/outage: "ns/name start [end]")."""

    def __init__(self, path):
        self.path = path

    def read(self):
        try:
            parts = open(self.path).read().split()
        except OSError:
            return None, 0.0, None
        if len(parts) < 2:
            return None, 0.0, None
        return parts[0], float(parts[1]), float(parts[2]) if len(parts) > 2 else None


# A slow burn that has been going on before the demo starts: (seconds before
# the demo's start, error share). The auth service's token checks have failed
# at 2.5x its budget's pace since yesterday, under every threshold (3x over
# 1d, and 1x over 3d since the three days before were clean): the outage
# then tips its ticket rows over within a minute, while its page fires.
SLOW_BURN = {"auth/token-check-latency": (20 * 3600, 0.00025)}


def counters(slo, t, start, outage=(None, 0.0, None)):
    """(requests, errors) of slo up to time t, for a demo that starts at
    start: the steady error share, a slow burn, and every request failing
    while its outage runs."""
    rate, share, _, _ = SERVICES[slo]
    req = total(rate, t)
    err = share * req
    if slo in SLOW_BURN:
        before, burn = SLOW_BURN[slo]
        if t > start - before:
            err += (burn - share) * (req - total(rate, start - before))
    name, begin, end = outage
    if name == slo and t > begin:
        # every request of the outage fails: add the ones that would have
        # succeeded (all of them, less the errors there would have been)
        stop = min(t, end) if end else t
        failing = total(rate, stop) - total(rate, begin)
        usual = counters(slo, stop, start)[1] - counters(slo, begin, start)[1]
        err += failing - usual
    return req, err


def labels(d):
    return ",".join('%s="%s"' % (k, v.replace("\\", "\\\\").replace('"', '\\"'))
                    for k, v in sorted(d.items()))


def raw_samples(slo, t, start, outage=(None, 0.0, None)):
    """The series of one service at time t: (name, labels text, value)."""
    _, _, kind, s = SERVICES[slo]
    req, err = counters(slo, t, start, outage)
    if kind == "ratio":
        metric, good, bad = s
        return [(metric, labels(good), req - err), (metric, labels(bad), err)]
    if kind == "latency":
        metric, lab, le = s
        return [(metric + "_bucket", labels(dict(lab, le=le)), req - err),
                (metric + "_bucket", labels(dict(lab, le="+Inf")), req),
                (metric + "_count", labels(lab), req)]
    metric, bad_metric, lab = s
    return [(metric, labels(lab), req), (bad_metric, labels(lab), err)]


def history(out_path, now, outage=(None, 0.0, None)):
    """Raw counters for the last 7h and the 5m records for 30 days, steady
    but for the outage given, in OpenMetrics with timestamps in seconds. Each
    name is its own family of type unknown (so no suffix rules apply) and
    each series' samples are written together, in time order."""
    end = int(now) // STEP * STEP
    series = {}  # name -> labels -> [(t, v)]

    def add(line_name, lab, t, v):
        series.setdefault(line_name, {}).setdefault(lab, []).append((t, v))

    for slo in sorted(SERVICES):
        for t in range(end - RAW_HISTORY, end + 1, STEP):
            for name, lab, value in raw_samples(slo, t, now, outage):
                add(name, lab, t, value)
    for slo in sorted(SERVICES):
        ns, name = slo.split("/")
        rate, share, kind, _ = SERVICES[slo]
        lab = labels({"slo": name, "slo_namespace": ns})
        for t in range(end - REC_HISTORY, end + 1, STEP):
            # the 5m rate of a counter whose rate is a smooth wave: the
            # counter's increase over the 5 minutes before t, per second
            req0, err0 = counters(slo, t - 300, now, outage)
            req1, err1 = counters(slo, t, now, outage)
            if kind == "raw":
                add("burnrate:sli_error_ratio:rate5m", lab, t, (err1 - err0) / (req1 - req0))
            else:
                add("burnrate:sli_requests:rate5m", lab, t, (req1 - req0) / 300.0)
                add("burnrate:sli_errors:rate5m", lab, t, (err1 - err0) / 300.0)
    with open(out_path, "w") as f:
        for name in sorted(series):
            f.write("# TYPE %s unknown\n" % name)
            for lab in sorted(series[name]):
                for t, v in series[name][lab]:
                    f.write("%s{%s} %.17g %d\n" % (name, lab, v, t))
        f.write("# EOF\n")


class Served:
    """What the exporter has answered so far, so that no counter it serves
    ever steps back: Prometheus reads a step back as a reset, and rate()
    then adds the counter's whole value (some 1e10), which gives burn rates
    of minus billions, a budget of hundreds of millions of percent, and no
    page.

    The outage file is written after the time it names: live.sh takes
    OUTAGE_AT from date +%s, up to a second before the file is in place,
    more on a loaded machine, and the end likewise. A scrape answered in
    between saw the service's requests succeed; applying the outage from
    the earlier time would take some of those back (the good bucket of a
    latency SLO, the good series of a ratio one, step back). So an outage
    applies from the time in the file or from the last answer given without
    it, whichever is later, and ends likewise; the times applied are kept
    while the file names that outage. Should anything else make a counter
    step back (the clock, say), it is held at what was served, and logged."""

    def __init__(self, start, read):
        self.start = start
        self.read = read        # () -> the outage in the file (Outage.read)
        self.last = start       # the time of the last answer
        self.applied = {}       # (slo, begin in the file) -> [begin, end] applied
        self.values = {}        # (name, labels) -> the last value served

    def outage(self, o):
        name, begin, end = o
        if name is None:
            return o
        key = (name, begin)
        if key not in self.applied:
            self.applied[key] = [max(begin, self.last), None]
            log("outage of %s from %.3f (the file says %.3f)" % (name, self.applied[key][0], begin))
        times = self.applied[key]
        if end is not None and times[1] is None:
            times[1] = max(end, self.last, times[0])
            log("outage of %s ends at %.3f (the file says %.3f)" % (name, times[1], end))
        return name, times[0], times[1]

    def samples(self, now):
        """The samples that answer a scrape at now: (name, labels, value)."""
        now = max(now, self.last)
        o = self.outage(self.read())
        self.last = now
        out = []
        for slo in sorted(SERVICES):
            for name, lab, v in raw_samples(slo, now, self.start, o):
                prev = self.values.get((name, lab))
                if prev is not None and v < prev:
                    log("%s{%s} would step back from %.6f to %.6f: held" % (name, lab, prev, v))
                    v = prev
                self.values[(name, lab)] = v
                out.append((name, lab, v))
        return out


def log(msg):
    sys.stderr.write("traffic: %s\n" % msg)
    sys.stderr.flush()


def serve(d, start):
    served = Served(start, Outage(os.path.join(d, "outage")).read)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/metrics":
                self.send_response(404)
                self.end_headers()
                return
            lines = ["%s{%s} %.6f" % sample for sample in served.samples(time.time())]
            body = ("\n".join(lines) + "\n").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    tmp = os.path.join(d, "exporter.port.tmp")
    with open(tmp, "w") as f:
        f.write(str(server.server_port))
    os.rename(tmp, os.path.join(d, "exporter.port"))
    server.serve_forever()


def describe(slo):
    rate, share, kind, _ = SERVICES[slo]
    print("svc_rate=%s svc_share=%s svc_kind=%s" % (rate, share, kind))


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "history" and len(sys.argv) in (4, 5):
        outage = Outage(os.path.join(sys.argv[4], "outage")).read() if len(sys.argv) == 5 else None
        history(sys.argv[2], float(sys.argv[3]), outage or (None, 0.0, None))
    elif cmd == "serve" and len(sys.argv) == 4:
        serve(sys.argv[2], float(sys.argv[3]))
    elif cmd == "describe" and len(sys.argv) == 3:
        describe(sys.argv[2])
    else:
        sys.exit(__doc__)
