#!/usr/bin/env python3
"""Expands {{rates SEG SEG ...}} in a promtool test file into the values of a
counter sampled every interval: it starts at 0, and each SEG = MINUTES:PER_STEP
adds PER_STEP at each of the next MINUTES samples. A day of traffic shaped by
hand would be a thousand numbers; this keeps the shape readable in the test.

Sums are exact (fractions) and printed to 6 decimals, so a counter never dips
(which Prometheus would read as a reset) however 0.3 rounds in binary.

    rates.py in.yaml > out.yaml
"""
import re
import sys
from fractions import Fraction


def expand(spec):
    total, out = Fraction(0), ["0"]
    for seg in spec.split():
        steps, per = seg.split(":")
        for _ in range(int(steps)):
            total += Fraction(per)
            out.append(f"{float(total):.6f}".rstrip("0").rstrip("."))
    return " ".join(out)


text = open(sys.argv[1]).read()
sys.stdout.write(re.sub(r"\{\{rates ([^}]*)\}\}", lambda m: expand(m.group(1)), text))
