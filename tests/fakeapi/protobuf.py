"""Just enough Kubernetes protobuf decoding for kubectl's typed requests.

kubectl sends built-in objects (kubectl create namespace, create secret, create configmap)
as application/vnd.kubernetes.protobuf. This decodes the envelope ("k8s\\0" + Unknown) and
the few fields of Namespace, ConfigMap and Secret that tests use, into the JSON shape.
Responses are always JSON (kubectl accepts it).
"""
import base64


def _varint(b, i):
    n = shift = 0
    while True:
        c = b[i]
        i += 1
        n |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return n, i


def fields(b):
    """Yields (field number, value) of a message; length-delimited values as bytes."""
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _varint(b, i)
        elif wire == 2:
            n, i = _varint(b, i)
            v, i = b[i:i + n], i + n
        elif wire == 1:
            v, i = b[i:i + 8], i + 8
        elif wire == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError("unsupported protobuf wire type %d" % wire)
        yield num, v


def _map_entry(b):
    kv = dict(fields(b))
    return kv.get(1, b"").decode(), kv.get(2, b"")


def _meta(b):
    md = {}
    for num, v in fields(b):
        if num in (1, 2, 3) and v:
            md[("name", "generateName", "namespace")[num - 1]] = v.decode()
        elif num in (11, 12):
            k, val = _map_entry(v)
            md.setdefault("labels" if num == 11 else "annotations", {})[k] = val.decode()
    return md


def decode(raw):
    """Returns the JSON form of a protobuf-encoded Namespace, ConfigMap or Secret."""
    if raw[:4] != b"k8s\x00":
        raise ValueError("not a Kubernetes protobuf envelope")
    env = dict(fields(raw[4:]))
    tm = dict(fields(env.get(1, b"")))
    kind = tm.get(2, b"").decode()
    obj = {"apiVersion": tm.get(1, b"").decode(), "kind": kind, "metadata": {}}
    for num, v in fields(env.get(2, b"")):
        if num == 1:
            obj["metadata"] = _meta(v)
        elif kind == "ConfigMap" and num == 2:
            k, val = _map_entry(v)
            obj.setdefault("data", {})[k] = val.decode()
        elif kind == "Secret" and num == 2:
            k, val = _map_entry(v)
            obj.setdefault("data", {})[k] = base64.b64encode(val).decode()
        elif kind == "Secret" and num == 3 and v:
            obj["type"] = v.decode()
        elif kind not in ("Namespace", "ConfigMap", "Secret"):
            raise ValueError("protobuf decoding of %s is not supported" % kind)
    return obj
