"""Server-side printing (meta.k8s.io/v1 Table) for custom resources, as kubectl get asks for it.

Columns come from the CRD's additionalPrinterColumns (default: Age), after Name. jsonPath
supports what CRDs usually use: .a.b, .a[0], .a[?(@.k=="v")].b. Date cells are turned into
ages ("5m") like the real server does. Built-in types are not converted (kubectl prints the
plain objects with NAME and AGE).
"""
import datetime
import re

DEFAULT_COLUMNS = [{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]
_SEG = re.compile(r'([^.\[]+)|\[(\d+)\]|\[\?\(@\.([^=]+)==["\']([^"\']*)["\']\)\]')


def wants_table(accept):
    return "as=Table" in (accept or "") and "g=meta.k8s.io" in accept


def jsonpath(obj, path):
    """The values path selects in obj (a list; empty when nothing matches)."""
    values = [obj]
    for m in _SEG.finditer(path):
        name, index, key, want = m.groups()
        nxt = []
        for v in values:
            if name is not None and isinstance(v, dict) and name in v:
                nxt.append(v[name])
            elif index is not None and isinstance(v, list) and int(index) < len(v):
                nxt.append(v[int(index)])
            elif key is not None and isinstance(v, list):
                nxt.extend(e for e in v if isinstance(e, dict) and str(e.get(key)) == want)
        values = nxt
    return values


def age(ts):
    try:
        t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return "<invalid>"
    s = int((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds())
    if s < 0:
        return "<invalid>"
    m, h, d = s // 60, s // 3600, s // 86400
    if s < 120:
        return "%ds" % s
    if m < 10:
        return "%dm%ds" % (m, s % 60)
    if h < 3:
        return "%dm" % m
    if h < 8:
        return "%dh%dm" % (h, m % 60)
    if h < 48:
        return "%dh" % h
    if d < 8:
        return "%dd%dh" % (d, h % 24)
    return "%dd" % d


def _cell(col, obj):
    vals = jsonpath(obj, col.get("jsonPath", ""))
    if not vals:
        return None
    v = vals[0]
    if col.get("type") == "date":
        return age(v)
    if col.get("type") in ("integer", "number", "boolean") and not isinstance(v, (dict, list)):
        return v
    return ",".join(str(x) for x in vals) if len(vals) > 1 else (
        v if isinstance(v, str) else str(v))


def _columns(res):
    cols = res.columns if res.columns else DEFAULT_COLUMNS
    out = [{"name": "Name", "type": "string", "format": "name", "priority": 0,
            "description": "Name must be unique within a namespace."}]
    for c in cols:
        out.append({"name": c["name"], "type": c.get("type", "string"),
                    "format": c.get("format", ""), "priority": c.get("priority", 0),
                    "description": c.get("description", "")})
    return out


def _row(res, obj, include):
    cols = res.columns if res.columns else DEFAULT_COLUMNS
    row = {"cells": [obj["metadata"]["name"]] + [_cell(c, obj) for c in cols]}
    if include == "Object":
        row["object"] = obj
    elif include != "None":
        row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                         "metadata": obj["metadata"]}
    return row


def table(res, objs, metadata, include, headers=True):
    """A Table of objs; include is the includeObject query value (default Metadata)."""
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata,
            "columnDefinitions": _columns(res) if headers else None,
            "rows": [_row(res, o, include) for o in objs]}
