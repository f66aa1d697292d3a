"""Structural schemas, as kube-apiserver v1.26 applies them to CRDs and custom resources.

- check_crd: the structural-schema rules a CustomResourceDefinition must follow (metadata may
  only say `type: object` and name/generateName, every field has a type, arrays have items...).
- admit: what happens to a custom resource on every write: unknown fields are pruned (and
  reported for fieldValidation Warn/Strict), nulls dropped, defaults applied, then the object
  is validated (type, required, enum, bounds, lengths, pattern, items, date-time format and
  the simple x-kubernetes-validations rules cel.py understands).

Messages and field paths are the real server's (k8s.io/kube-openapi validate errors turned
into k8s.io/apimachinery field errors); where several errors occur the real server's order is
random (Go map iteration), here it is the document's. See README.md for what is left out.
"""
import copy
import datetime
import json
import re

import cel

OMIT = object()  # a field error whose value is not shown

TYPE_NAMES = {  # field.ErrorType -> its wording
    "FieldValueRequired": "Required value", "FieldValueInvalid": "Invalid value",
    "FieldValueNotSupported": "Unsupported value", "FieldValueForbidden": "Forbidden",
    "FieldValueTooLong": "Too long", "FieldValueTooMany": "Too many",
    "FieldValueTypeInvalid": "Invalid value", "FieldValueDuplicate": "Duplicate value",
}
BARE = ("FieldValueRequired", "FieldValueForbidden", "FieldValueTooLong")  # no value shown

# Formats the real server keeps (others, such as int64, are dropped from the schema); only
# date-time is checked here.
FORMATS = {"bsonobjectid", "uri", "email", "hostname", "ipv4", "ipv6", "cidr", "mac", "uuid",
           "uuid3", "uuid4", "uuid5", "isbn", "isbn10", "isbn13", "creditcard", "ssn",
           "hexcolor", "rgbcolor", "byte", "password", "date", "duration", "datetime"}

# ObjectMeta's fields: any other key under metadata is unknown (dropped, or refused by Strict).
OBJECT_META = {"name", "generateName", "namespace", "selfLink", "uid", "resourceVersion",
               "generation", "creationTimestamp", "deletionTimestamp",
               "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences",
               "finalizers", "managedFields"}


def go_float(f):
    """A float64 as Go's %v prints it (shortest form, exponent from 1e21 or below 1e-4)."""
    if f == int(f) and abs(f) < 1e21:
        return str(int(f))
    r = repr(f)
    if "e" in r:
        mant, exp = r.split("e")
        return "%se%s%02d" % (mant, exp[0] if exp[0] == "-" else "+", abs(int(exp)))
    return r


def go_value(v):
    """A value as field.Error prints it: %v for numbers and booleans, %q for strings."""
    if v is None:
        v = "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, dict):  # Go's %#v of a map; rare in practice
        return "map[string]interface {}{%s}" % ", ".join(
            "%s:%s" % (json.dumps(k), go_value(x)) for k, x in v.items())
    return "[]interface {}{%s}" % ", ".join(go_value(x) for x in v)


class FieldError:
    """One k8s.io/apimachinery field.Error."""

    def __init__(self, etype, field, value=OMIT, detail=""):
        self.type, self.field, self.value, self.detail = etype, field, value, detail

    def body(self):
        s = TYPE_NAMES[self.type]
        if self.type not in BARE and self.value is not OMIT:
            s += ": " + go_value(self.value)
        return s + (": " + self.detail if self.detail else "")

    def __str__(self):
        return "%s: %s" % (self.field, self.body())

    def cause(self):
        return {"reason": self.type, "message": self.body(), "field": self.field}


def invalid(kind, group, name, errors):
    """The 422 Status of apierrors.NewInvalid: one message with every (distinct) error."""
    from store import ApiError
    msgs = []
    for e in errors:
        if str(e) not in msgs:
            msgs.append(str(e))
    what = kind + ("." + group if group else "")
    agg = msgs[0] if len(msgs) == 1 else "[" + ", ".join(msgs) + "]"
    return ApiError(422, "Invalid", '%s "%s" is invalid: %s' % (what, name, agg),
                    {"name": name, "group": group, "kind": kind,
                     "causes": [e.cause() for e in errors]})


# --- CustomResourceDefinition: structural schema rules -------------------------------------
def check_crd(crd):
    """The schema errors of a v1 CRD: every version needs a schema, and a structural one.

    When every version has the same schema the real server checks it once, as
    spec.validation.openAPIV3Schema; otherwise per version. Structural errors come sorted,
    then those of the OpenAPI checks (here only: properties with additionalProperties).
    """
    versions = (crd.get("spec") or {}).get("versions") or []
    schemas = [((v.get("schema") or {}).get("openAPIV3Schema")) for v in versions]
    missing = [FieldError("FieldValueRequired", "spec.versions[%d].schema.openAPIV3Schema" % i,
                          detail="schemas are required")
               for i, s in enumerate(schemas) if not isinstance(s, dict)]
    if missing:
        return missing
    if schemas and all(s == schemas[0] for s in schemas):
        where = [("spec.validation.openAPIV3Schema", schemas[0])]
    else:
        where = [("spec.versions[%d].schema.openAPIV3Schema" % i, s)
                 for i, s in enumerate(schemas)]
    errs = []
    for path, s in where:
        errs += sorted(structural(s, "root", path), key=str) + exclusive_properties(s, path)
    return errs


def exclusive_properties(s, path):
    errs = []
    if s.get("properties") and s.get("additionalProperties") not in (None, True, False):
        errs.append(FieldError("FieldValueForbidden", path + ".additionalProperties",
                               detail="additionalProperties and properties are mutual exclusive"))
    for k, v in (s.get("properties") or {}).items():
        if isinstance(v, dict):
            errs += exclusive_properties(v, "%s.properties[%s]" % (path, k))
    for k in ("items", "additionalProperties"):
        if isinstance(s.get(k), dict):
            errs += exclusive_properties(s[k], path + "." + k)
    return errs


def structural(s, level, path):
    """validateStructuralInvariants: the checks that make a schema structural."""
    errs = []
    if s.get("type") == "array" and "items" not in s:
        errs.append(FieldError("FieldValueRequired", path + ".items", detail="must be specified"))
    if isinstance(s.get("items"), dict):
        errs += structural(s["items"], "item", path + ".items")
    for k, v in (s.get("properties") or {}).items():
        if isinstance(v, dict):
            errs += structural(v, "field", "%s.properties[%s]" % (path, k))
    ap = s.get("additionalProperties")
    if ap is not None and level == "root":
        errs.append(FieldError("FieldValueForbidden", path + ".additionalProperties",
                               detail="must not be used at the root"))
    if isinstance(ap, dict):
        errs += structural(ap, "field", path + ".additionalProperties")
    if not s.get("type") and not s.get("x-kubernetes-int-or-string") \
            and not s.get("x-kubernetes-preserve-unknown-fields"):
        where = {"root": "at the root", "item": "for specified array items",
                 "field": "for specified object fields"}[level]
        errs.append(FieldError("FieldValueRequired", path + ".type",
                               detail="must not be empty " + where))
    if level == "root" and s.get("type") and s.get("type") != "object":
        errs.append(FieldError("FieldValueInvalid", path + ".type", s["type"],
                               "must be object at the root"))
    props = s.get("properties") or {}
    for meta in ("kind", "apiVersion"):
        if level == "root" and meta in props and props[meta].get("type") != "string":
            errs.append(FieldError("FieldValueInvalid", "%s.properties[%s].type" % (path, meta),
                                   props[meta].get("type", ""), "must be string"))
    if level == "root" and isinstance(props.get("metadata"), dict):
        md, mpath = props["metadata"], path + ".properties[metadata]"
        if md.get("type") != "object":
            errs.append(FieldError("FieldValueInvalid", mpath + ".type", md.get("type", ""),
                                   "must be object"))
        rest = {k: v for k, v in md.items() if k != "type"}
        names = set(rest.pop("properties", {}) or {})
        if rest or (names and not names <= {"name", "generateName"}):
            errs.append(FieldError("FieldValueForbidden", mpath, detail=(
                "must not specify anything other than name and generateName, "
                "but metadata is implicitly specified")))
    return errs


# --- custom resources ----------------------------------------------------------------------
def prune(x, s, path=""):
    """Drops the fields the schema does not declare; returns their paths (sorted)."""
    meta, found = [], []
    if isinstance(x, dict) and isinstance(x.get("metadata"), dict):
        for k in [k for k in x["metadata"] if k not in OBJECT_META]:
            meta.append("metadata." + k)
            del x["metadata"][k]
    _prune(x, s, path, found, root=True)
    return meta + sorted(found)


def _prune(x, s, path, found, root=False):
    if s is None:
        return
    join = lambda k: path + "." + k if path else k  # noqa: E731
    if isinstance(x, dict):
        props = s.get("properties") or {}
        ap = s.get("additionalProperties")
        for k in list(x):
            if root and k in ("apiVersion", "kind", "metadata"):
                continue
            if k in props:
                _prune(x[k], props[k], join(k), found)
            elif isinstance(ap, dict):
                _prune(x[k], ap, join(k), found)
            elif ap is True or s.get("x-kubernetes-preserve-unknown-fields"):
                continue
            else:
                found.append(join(k))
                del x[k]
    elif isinstance(x, list):
        for i, v in enumerate(x):
            _prune(v, s.get("items"), "%s[%d]" % (path, i), found)


def go_numbers(x):
    """Whole floats become integers, as Go's JSON encoding prints them (2.0 is 2)."""
    if isinstance(x, dict):
        for k, v in x.items():
            x[k] = go_numbers(v)
    elif isinstance(x, list):
        x[:] = [go_numbers(v) for v in x]
    elif isinstance(x, float) and x.is_integer() and abs(x) < 1e21:
        return int(x)
    return x


def drop_nulls(x, s):
    """PruneNonNullableNullsWithoutDefaults: `key: null` goes unless nullable or defaulted."""
    if not isinstance(s, dict):
        return
    if isinstance(x, dict):
        props, ap = s.get("properties") or {}, s.get("additionalProperties")
        for k in list(x):
            sub = props.get(k, ap if isinstance(ap, dict) else None)
            if sub is None:
                continue
            if x[k] is None and not sub.get("nullable") and "default" not in sub:
                del x[k]
            else:
                drop_nulls(x[k], sub)
    elif isinstance(x, list):
        for v in x:
            drop_nulls(v, s.get("items"))


def default(x, s):
    """Fills in schema defaults where a field is missing (or null and not nullable)."""
    if not cel.subtree_has(s, "default"):
        return
    if isinstance(x, dict):
        props, ap = s.get("properties") or {}, s.get("additionalProperties")
        for k, p in props.items():
            if "default" in p and (k not in x or (x[k] is None and not p.get("nullable"))):
                x[k] = copy.deepcopy(p["default"])
        for k, v in x.items():
            default(v, props.get(k, ap if isinstance(ap, dict) else None))
    elif isinstance(x, list):
        for v in x:
            default(v, s.get("items"))


def json_type(v):
    """The JSON type and the format kube-openapi infers for a decoded value."""
    if isinstance(v, bool):
        return "boolean", ""
    if isinstance(v, int):
        return "integer", "int64"
    if isinstance(v, float):
        return "number", "float64"
    if isinstance(v, str):
        return "string", ""
    if isinstance(v, list):
        return "array", ""
    return "object", ""


def validate(x, s, path=""):
    """kube-openapi's SchemaValidator: every validator that applies, in its order."""
    errs = []
    name = path
    types = ["integer", "string"] if s.get("x-kubernetes-int-or-string") else \
        [s["type"]] if s.get("type") else []
    fmt = s.get("format", "")
    fmt = fmt if fmt.replace("-", "") in FORMATS else ""
    if x is None:
        if types and not s.get("nullable"):
            errs.append(type_error(name, ",".join(types), "null"))
        return errs + check_enum(x, s, name)
    jt, jfmt = json_type(x)
    if types or fmt:  # the type validator (formats only matter for numbers here)
        float_int = jt == "number" and float(x).is_integer() and "integer" in types
        int_float = jt == "integer" and "number" in types
        lower = (fmt == "int64" and jfmt == "int32") or (fmt == "float64" and jfmt == "float32")
        numeric = "number" in types or "integer" in types
        if jt not in ("string", "array") and fmt and not (
                jt in types or jfmt == fmt or float_int or int_float or lower):
            errs.append(type_error(name, fmt, jfmt))
        elif not numeric and fmt and jt in ("string", "array"):
            pass
        elif not (jt in types or float_int or int_float):
            errs.append(type_error(name, ",".join(types), jt))
    # string
    if jt == "string":
        errs += check_string(x, s, name)
        if fmt == "date-time" and not is_date_time(x):
            errs.append(type_error(name, fmt, x))
    # number
    if jt in ("integer", "number"):
        errs += check_number(x, s, name)
    # array
    if jt == "array":
        if isinstance(s.get("items"), dict):
            for i, v in enumerate(x):
                errs += validate(v, s["items"], "%s[%d]" % (path, i))
        if "minItems" in s and len(x) < s["minItems"]:
            errs.append(err_invalid(name, len(x), "should have at least %d items" % s["minItems"]))
        if "maxItems" in s and len(x) > s["maxItems"]:
            errs.append(FieldError("FieldValueTooMany", at(name), len(x),
                                   "must have at most %d items" % s["maxItems"]))
    errs += check_enum(x, s, name)
    # object
    if jt == "object":
        errs += check_object(x, s, path)
    return errs


def at(name):
    return name[1:] if name.startswith(".") else name


def type_error(name, want, got):
    """errors.InvalidType -> field.TypeInvalid; the value shown is the type found."""
    if isinstance(got, str):
        msg = "%s in body must be of type %s: %s" % (name, want, json.dumps(got))
    else:
        msg = "%s in body must be of type %s" % (name, want)
    return FieldError("FieldValueTypeInvalid", at(name), got, msg)


def err_invalid(name, value, what):
    return FieldError("FieldValueInvalid", at(name), value, "%s in body %s" % (name, what))


def check_string(x, s, name):
    """maxLength, minLength (in characters), pattern: the first that fails."""
    if "maxLength" in s and len(x) > s["maxLength"]:
        return [FieldError("FieldValueTooLong", at(name), x,
                           "may not be longer than %d" % s["maxLength"])]
    if "minLength" in s and len(x) < s["minLength"]:
        return [err_invalid(name, x, "should be at least %d chars long" % s["minLength"])]
    if "pattern" in s and not re.search(s["pattern"], x):
        return [err_invalid(name, x, "should match '%s'" % s["pattern"])]
    return []


def check_number(x, s, name):
    """minimum then maximum; exclusive bounds in the OpenAPI v3.0 boolean form."""
    errs = []
    lo, hi = s.get("minimum"), s.get("maximum")
    if lo is not None:
        ex = s.get("exclusiveMinimum") is True
        if x < lo or (ex and x == lo):
            errs.append(err_invalid(name, x, "should be greater than %s%s" %
                                    ("" if ex else "or equal to ", go_float(float(lo)))))
    if hi is not None:
        ex = s.get("exclusiveMaximum") is True
        if x > hi or (ex and x == hi):
            errs.append(err_invalid(name, x, "should be less than %s%s" %
                                    ("" if ex else "or equal to ", go_float(float(hi)))))
    return errs


def same(a, b):
    """JSON equality without Python's True == 1."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b or (
        isinstance(a, (int, float)) and isinstance(b, (int, float))
        and not isinstance(a, bool) and not isinstance(b, bool) and a == b)


def check_enum(x, s, name):
    if "enum" not in s or any(same(x, e) for e in s["enum"]):
        return []
    values = ", ".join(json.dumps(e if isinstance(e, str) else json.dumps(e))
                       for e in s["enum"])
    return [FieldError("FieldValueNotSupported", at(name), x, "supported values: " + values)]


def check_object(x, s, path):
    errs = []
    join = lambda k: path + "." + k if path else k  # noqa: E731
    props, ap = s.get("properties") or {}, s.get("additionalProperties")
    if isinstance(ap, dict):
        for k, v in x.items():
            if k not in props:
                errs += validate(v, ap, join(k))
    for k, p in props.items():
        if k in x:
            errs += validate(x[k], p, join(k))
    for k in s.get("required") or []:
        if k not in x:
            errs.append(FieldError("FieldValueRequired", join(k)))
    return errs


DATE_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?"
                       r"([Zz]|[+-]\d{2}:\d{2})?$")


def is_date_time(v):
    """strfmt date-time: RFC 3339 (or without a zone); the empty string passes."""
    m = DATE_TIME.match(v)
    if v == "":
        return True
    if not m:
        return False
    try:
        datetime.datetime(*(int(g) for g in m.groups()[:6]))
    except ValueError:
        return False
    return True


def list_duplicates(x, s, path=""):
    """x-kubernetes-list-type map (by its keys) and set lists may not repeat an item."""
    errs = []
    if not cel.subtree_has(s, "x-kubernetes-list-type"):
        return errs
    join = lambda k: path + "." + k if path else k  # noqa: E731
    if isinstance(x, dict):
        props, ap = s.get("properties") or {}, s.get("additionalProperties")
        for k, v in x.items():
            errs += list_duplicates(v, props.get(k, ap if isinstance(ap, dict) else None),
                                    join(k))
    elif isinstance(x, list):
        kind, seen = s.get("x-kubernetes-list-type"), []
        for i, v in enumerate(x):
            errs += list_duplicates(v, s.get("items"), "%s[%d]" % (path, i))
            if kind == "map" and isinstance(v, dict):
                v = {k: v[k] for k in s.get("x-kubernetes-list-map-keys") or [] if k in v}
            elif kind != "set":
                continue
            if any(same(v, o) for o in seen):
                errs.append(FieldError("FieldValueDuplicate", "%s[%d]" % (path, i), v))
            else:
                seen.append(v)
    return errs


BLOCKING = ("FieldValueRequired", "FieldValueTooLong", "FieldValueTooMany",
            "FieldValueTypeInvalid")


def check(obj, s):
    """The field errors of a custom resource: schema validation, then the CEL rules, which
    the real server skips (saying so) when a type, required or size error came first."""
    errs = validate(obj, s)
    errs += list_duplicates(obj, s)
    if any(e.type in BLOCKING for e in errs):
        if cel.has_rules(s):
            errs.append(FieldError("FieldValueInvalid", "<nil>", None,
                                   "some validation rules were not checked because the object "
                                   "was invalid; correct the existing errors to complete "
                                   "validation"))
    else:
        errs += [FieldError("FieldValueInvalid", p, t, m) for p, t, m in cel.check(obj, s)]
    return errs


def typed_errors(x, s, path=""):
    """What server-side apply's typed conversion of an apply patch finds wrong (the
    structured-merge-diff messages): fields not in the schema, values of the wrong kind."""
    if x is None or not isinstance(s, dict) or s.get("x-kubernetes-preserve-unknown-fields") \
            or s.get("x-kubernetes-int-or-string"):
        return []
    t, jt = s.get("type"), json_type(x)[0]
    if t == "object" and jt != "object":
        return [(path, "expected map, got &{%s}" % go_v(x))]
    if t == "array" and jt != "array":
        return [(path, "expected list, got &{%s}" % go_v(x))]
    if t in ("number", "integer") and jt not in ("number", "integer"):
        return [(path, "expected numeric (int or float), got %s" % GO_TYPES.get(jt, jt))]
    if t == "string" and jt != "string":
        return [(path, "expected string, got &value.valueUnstructured{Value:%s}" % go_value(x))]
    if t == "boolean" and jt != "boolean":
        return [(path, "expected boolean, got &{%s}" % go_v(x))]
    errs = []
    if jt == "object":
        props, ap = s.get("properties") or {}, s.get("additionalProperties")
        root = path == ""
        for k in sorted(x):  # the walk of a map stops at its first undeclared field
            if root and k in ("apiVersion", "kind", "metadata"):
                continue
            if k not in props and not isinstance(ap, dict):
                errs.append((path + "." + k, "field not declared in schema"))
                break
            errs += typed_errors(x[k], props.get(k, ap), path + "." + k)
    elif jt == "array":
        for i, v in enumerate(x):
            errs += typed_errors(v, s.get("items"), "%s[%d]" % (path, i))
    return errs


GO_TYPES = {"string": "string", "boolean": "bool", "object": "map[string]interface {}",
            "array": "[]interface {}"}


def go_v(x):
    """Go's %v of a decoded JSON value."""
    if isinstance(x, str):
        return x
    if isinstance(x, dict):
        return "map[%s]" % " ".join("%s:%s" % (k, go_v(v)) for k, v in sorted(x.items()))
    if isinstance(x, list):
        return "[%s]" % " ".join(go_v(v) for v in x)
    return go_value(x)


def apply_error(res, name, ns, errors):
    """Server-side apply of a patch its typed conversion refuses is a 500, whatever
    fieldValidation says."""
    from store import ApiError
    lines = ["%s: %s" % e for e in errors]
    what = lines[0] if len(lines) == 1 else "errors:\n" + "\n".join("  " + x for x in lines)
    return ApiError(500, None, "failed to create typed patch object (%s/%s; %s, Kind=%s): %s" %
                    (ns, name, res.api_version, res.kind, what))


def strict_error(kind, version, verb, unknown, patched):
    """fieldValidation=Strict and unknown fields: create and update fail to decode the body
    (400); a merge or JSON patch fails on the patched object (422 on the field `patch`)."""
    from store import ApiError
    msg = "strict decoding error: " + ", ".join('unknown field "%s"' % p for p in unknown)
    if verb == "patch":
        body = json.dumps(patched, sort_keys=True, separators=(",", ":"))
        return invalid("", "", "", [FieldError("FieldValueInvalid", "patch", body, msg)])
    return ApiError(400, "BadRequest", '%s in version "%s" cannot be handled as a %s: %s' %
                    (kind, version, kind, msg))
