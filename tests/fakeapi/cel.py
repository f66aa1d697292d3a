"""A small subset of CEL, for x-kubernetes-validations rules.

Enough for rules such as `has(self.a) != has(self.b)`,
`[has(self.x), has(self.y)].filter(x, x).size() == 1` and
`timestamp(self.end) > timestamp(self.start)`: literals, self and field selection, has(),
lists, ! && || == != < <= > >= + -, size(), timestamp() of an RFC 3339 string (the real server
hands fields of format date-time to CEL as timestamps already; timestamp() of one is itself),
and the filter/exists/all/map macros.
A rule using anything else (or oldSelf, or a field that is missing) is not evaluated.
The real server reports a failed rule as `<path>: Invalid value: "<type>": <message>`.
"""
import datetime
import re

TOKEN = re.compile(r"\s*(?:(\d+\.\d+)|(\d+)|(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')|"
                   r"([A-Za-z_][A-Za-z0-9_]*)|(==|!=|<=|>=|&&|\|\||[-+!<>()\[\].,]))")


class Unsupported(Exception):
    pass


def tokens(src):
    out, pos = [], 0
    src = src.strip()
    while pos < len(src):
        m = TOKEN.match(src, pos)
        if not m or m.end() == pos:
            raise Unsupported(src[pos:])
        f, i, s, name, op = m.groups()
        out.append(("num", float(f)) if f else ("num", int(i)) if i else
                   ("str", s[1:-1]) if s else ("name", name) if name else ("op", op))
        pos = m.end()
    return out


class Parser:
    """Recursive descent to closures env -> value."""

    def __init__(self, src):
        self.t, self.i = tokens(src), 0

    def peek(self, *want):
        tok = self.t[self.i] if self.i < len(self.t) else ("end", None)
        return tok if not want or tok[1] in want else None

    def take(self, want=None):
        tok = self.peek()
        if want is not None and tok[1] != want:
            raise Unsupported("expected %s" % want)
        self.i += 1
        return tok

    def parse(self):
        e = self.binary(0)
        if self.peek()[0] != "end":
            raise Unsupported("trailing input")
        return e

    LEVELS = [("||",), ("&&",), ("==", "!="), ("<", "<=", ">", ">="), ("+", "-")]

    def binary(self, level):
        if level == len(self.LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek(*self.LEVELS[level]) and self.peek()[0] == "op":
            op = self.take()[1]
            right = self.binary(level + 1)
            left = binop(op, left, right)
        return left

    def unary(self):
        if self.peek("!") and self.peek()[0] == "op":
            self.take()
            e = self.unary()
            return lambda env: not truth(e(env))
        if self.peek("-") and self.peek()[0] == "op":
            self.take()
            e = self.unary()
            return lambda env: -e(env)
        return self.postfix(self.primary())

    def primary(self):
        kind, v = self.take()
        if kind in ("num", "str"):
            return lambda env: v
        if kind == "op" and v == "(":
            e = self.binary(0)
            self.take(")")
            return e
        if kind == "op" and v == "[":
            items = []
            while not self.peek("]"):
                items.append(self.binary(0))
                if not self.peek("]"):
                    self.take(",")
            self.take("]")
            return lambda env: [e(env) for e in items]
        if kind == "name" and v in ("true", "false", "null"):
            const = {"true": True, "false": False, "null": None}[v]
            return lambda env: const
        if kind == "name" and v == "has":
            self.take("(")
            obj = self.postfix(self.primary(), stop_at_last_field=True)
            self.take(")")
            return obj
        if kind == "name" and v == "timestamp":
            self.take("(")
            e = self.binary(0)
            self.take(")")
            return lambda env: timestamp(e(env))
        if kind == "name" and v == "size":
            self.take("(")
            e = self.binary(0)
            self.take(")")
            return lambda env: len(e(env))
        if kind == "name" and v != "oldSelf":
            return lambda env: lookup(env, v)
        raise Unsupported(str(v))

    def postfix(self, e, stop_at_last_field=False):
        while self.peek(".", "["):
            if self.take()[1] == "[":
                idx = self.binary(0)
                self.take("]")
                e = (lambda o, k: lambda env: index(o(env), k(env)))(e, idx)
                continue
            name = self.take()[1]
            if self.peek("("):
                e = self.call(e, name)
            elif stop_at_last_field and self.peek(")"):
                return (lambda o, n: lambda env: isinstance(o(env), dict) and n in o(env))(e, name)
            else:
                e = (lambda o, n: lambda env: index(o(env), n))(e, name)
        if stop_at_last_field:
            raise Unsupported("has() needs a field selection")
        return e

    def call(self, target, name):
        self.take("(")
        if name == "size":
            self.take(")")
            return lambda env: len(target(env))
        if name not in ("filter", "exists", "all", "map"):
            raise Unsupported(name)
        var = self.take()[1]
        self.take(",")
        body = self.binary(0)
        self.take(")")

        def run(env):
            items = target(env)
            if isinstance(items, dict):
                items = list(items)
            vals = [body(dict(env, **{var: x})) for x in items]
            if name == "filter":
                return [x for x, v in zip(items, vals) if truth(v)]
            if name == "map":
                return vals
            return any(map(truth, vals)) if name == "exists" else all(map(truth, vals))
        return run


RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
                     r"(?:([Zz])|([+-])(\d{2}):(\d{2}))?$")


def timestamp(v):
    """An RFC 3339 string as an aware datetime (no zone: UTC), comparable with another."""
    if isinstance(v, datetime.datetime):
        return v
    m = RFC3339.match(v) if isinstance(v, str) else None
    if not m:
        raise Unsupported("not a timestamp: %r" % (v,))
    y, mo, d, h, mi, sec, frac, _, sign, oh, om = m.groups()
    tz = datetime.timezone.utc
    if sign:
        off = datetime.timedelta(hours=int(oh), minutes=int(om))
        tz = datetime.timezone(off if sign == "+" else -off)
    return datetime.datetime(int(y), int(mo), int(d), int(h), int(mi), int(sec),
                             int((frac or "0").ljust(6, "0")[:6]), tz)


def truth(v):
    if not isinstance(v, bool):
        raise Unsupported("not a bool")
    return v


def lookup(env, name):
    if name not in env:
        raise Unsupported(name)
    return env[name]


def index(obj, key):
    try:
        return obj[key]
    except (KeyError, IndexError, TypeError):
        raise Unsupported("no such key: %s" % key)


def binop(op, a, b):
    if op == "||":
        return lambda env: truth(a(env)) or truth(b(env))
    if op == "&&":
        return lambda env: truth(a(env)) and truth(b(env))
    fn = {"==": lambda x, y: x == y and type(x) is type(y) or same_num(x, y),
          "!=": lambda x, y: not (x == y and type(x) is type(y) or same_num(x, y)),
          "<": lambda x, y: x < y, "<=": lambda x, y: x <= y, ">": lambda x, y: x > y,
          ">=": lambda x, y: x >= y, "+": lambda x, y: x + y, "-": lambda x, y: x - y}[op]
    return lambda env: fn(a(env), b(env))


def same_num(x, y):
    return (isinstance(x, (int, float)) and isinstance(y, (int, float))
            and not isinstance(x, bool) and not isinstance(y, bool) and x == y)


def evaluate(rule, value):
    """True/False, or None when the rule is outside this subset."""
    if "oldSelf" in rule:
        return None
    try:
        out = Parser(rule).parse()({"self": value})
    except (Unsupported, TypeError, ValueError, RecursionError):
        return None
    return out if isinstance(out, bool) else None


_seen = {}  # id(schema node), key -> (node, whether its subtree has key)


def subtree_has(s, key):
    """Whether a schema node or any node below it has key (remembered per node, so that
    walks over objects can skip the parts of big schemas that have nothing to do)."""
    if not isinstance(s, dict):
        return False
    hit = _seen.get((id(s), key))
    if hit is None or hit[0] is not s:
        subs = list((s.get("properties") or {}).values())
        for k in ("items", "additionalProperties"):
            if isinstance(s.get(k), dict):
                subs.append(s[k])
        hit = _seen[(id(s), key)] = (s, key in s or any(subtree_has(x, key) for x in subs))
    return hit[1]


def has_rules(s):
    return subtree_has(s, "x-kubernetes-validations")


def check(x, s, path=""):
    """(field path, schema type, message) of every rule that evaluates to false."""
    out = []
    if x is None or not has_rules(s):
        return out
    for rule in s.get("x-kubernetes-validations") or []:
        if evaluate(rule.get("rule", ""), x) is False:
            msg = (rule.get("message") or "").strip() or "failed rule: " + rule["rule"].strip()
            out.append((path or "<nil>", s.get("type", ""), msg))
    join = lambda k: path + "." + k if path else k  # noqa: E731
    if isinstance(x, dict):
        props, ap = s.get("properties") or {}, s.get("additionalProperties")
        for k, v in x.items():
            if k in props:
                out += check(v, props[k], join(k))
            elif isinstance(ap, dict):
                out += check(v, ap, join(k))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            out += check(v, s.get("items"), "%s[%d]" % (path, i))
    return out
