"""A small YAML subset reader, so the fake API server needs only the standard library.

It reads what Kubernetes manifests use: block mappings and sequences (also "- key: v"
items), plain, single- and double-quoted scalars, block scalars (| |- > >-), simple
flow collections ([a, b], {}), comments and several documents split by "---".
Anchors (&a) and aliases (*a) work as mapping values; merge keys, tags and multi-line
quoted scalars are not supported (load() raises ValueError).
JSON is valid YAML: a document starting with { or [ goes to json.loads.
"""
import copy
import json
import re

_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$")


def _strip_comment(s):
    """Removes a trailing ' # comment' outside quotes."""
    quote = None
    for i, c in enumerate(s):
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or s[i - 1] in " \t"):
            return s[:i].rstrip()
    return s.rstrip()


def _scalar(s):
    s = s.strip()
    if s == "" or s in ("~", "null", "Null", "NULL"):
        return None
    if s[0] == '"':
        return json.loads(s)
    if s[0] == "'":
        return s[1:-1].replace("''", "'")
    if s[0] in "[{":
        return _flow(s)
    if s in ("true", "True", "TRUE"):
        return True
    if s in ("false", "False", "FALSE"):
        return False
    if _INT.match(s):
        return int(s)
    if _FLOAT.match(s):
        return float(s)
    if s[0] in "&*!|>":
        raise ValueError("unsupported YAML: " + s)
    return s


def _split_flow(s):
    """Splits the inside of a flow collection at top-level commas."""
    parts, depth, quote, cur = [], 0, None, ""
    for c in s:
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        cur += c
    if cur.strip():
        parts.append(cur)
    return parts


def _flow(s):
    inner = s[1:-1]
    if s[0] == "[":
        return [_scalar(p) for p in _split_flow(inner)]
    out = {}
    for p in _split_flow(inner):
        k, _, v = p.partition(":")
        out[_scalar(k)] = _scalar(v)
    return out


def _key_value(text):
    """Splits 'key: value' at the first ': ' outside quotes; None if not a mapping line."""
    quote = None
    for i, c in enumerate(text):
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"" and i == 0:
            quote = c
        elif c == ":" and (i + 1 == len(text) or text[i + 1] == " "):
            return _scalar(text[:i]), text[i + 1:].strip()
    return None


class _Reader:
    def __init__(self, text):
        self.lines = text.split("\n")
        self.i = 0
        self.anchors = {}

    def _next(self):
        """Index and indent of the next meaningful line, or (None, -1)."""
        j = self.i
        while j < len(self.lines):
            s = _strip_comment(self.lines[j])
            if s.strip():
                return j, len(s) - len(s.lstrip(" "))
            j += 1
        return None, -1

    def node(self, min_indent):
        j, ind = self._next()
        if j is None or ind < min_indent:
            return None
        self.i = j
        text = _strip_comment(self.lines[j]).strip()
        if text == "-" or text.startswith("- "):
            return self.seq(ind)
        if _key_value(text) is not None:
            return self.mapping(ind)
        self.i = j + 1
        return _scalar(text)

    def seq(self, ind):
        out = []
        while True:
            j, cur = self._next()
            if j is None or cur != ind:
                return out
            text = _strip_comment(self.lines[j]).strip()
            if not (text == "-" or text.startswith("- ")):
                return out
            rest = self.lines[j][ind + 1:]
            if not rest.strip():
                self.i = j + 1
                out.append(self.node(ind + 1))
                continue
            # Re-read the item as if it were indented where its content starts.
            self.lines[j] = " " * (ind + 1) + rest
            out.append(self.node(ind + 1))

    def mapping(self, ind):
        out = {}
        while True:
            j, cur = self._next()
            if j is None or cur != ind:
                return out
            text = _strip_comment(self.lines[j]).strip()
            kv = _key_value(text)
            if kv is None or text.startswith("- "):
                return out
            key, value = kv
            self.i = j + 1
            anchor = None
            if value.startswith("*"):
                if value[1:] not in self.anchors:
                    raise ValueError("YAML: unknown alias " + value)
                out[key] = copy.deepcopy(self.anchors[value[1:]])
                continue
            if value.startswith("&"):
                anchor, _, value = value[1:].partition(" ")
                value = value.strip()
            out[key] = self.value(value, ind)
            if anchor:
                self.anchors[anchor] = copy.deepcopy(out[key])

    def value(self, value, ind):
        """The value of a mapping key whose line holds value (maybe empty)."""
        if value == "":
            nj, nind = self._next()
            nxt = _strip_comment(self.lines[nj]).strip() if nj is not None else ""
            if nj is not None and nind == ind and (nxt == "-" or nxt.startswith("- ")):
                return self.seq(ind)
            return self.node(ind + 1)
        if value[0] in "|>":
            return self.block_scalar(value, ind)
        return _scalar(self.continued(value, ind))

    def continued(self, value, ind):
        """Joins the continuation lines of a multi-line plain scalar with spaces."""
        if value[0] in "'\"[{":
            return value
        while True:
            j, cur = self._next()
            if j is None or cur <= ind:
                return value
            value += " " + _strip_comment(self.lines[j]).strip()
            self.i = j + 1

    def block_scalar(self, header, ind):
        lines, block_ind = [], None
        while self.i < len(self.lines):
            raw = self.lines[self.i]
            if raw.strip():
                cur = len(raw) - len(raw.lstrip(" "))
                if cur <= ind:
                    break
                if block_ind is None:
                    block_ind = cur
                lines.append(raw[block_ind:])
            else:
                lines.append("")
            self.i += 1
        while lines and lines[-1] == "":
            lines.pop()
        if header[0] == "|":
            text = "\n".join(lines)
        else:
            text = re.sub(r"(?<!\n)\n(?!\n)", " ", "\n".join(lines))
        if "-" not in header and lines:
            text += "\n"
        return text


def load_all(text):
    """Returns the list of documents in text (empty documents skipped)."""
    docs = []
    for part in re.split(r"^---[ \t]*$", text, flags=re.M):
        stripped = "\n".join(_strip_comment(l) for l in part.split("\n")).strip()
        if not stripped:
            continue
        if stripped[0] in "{[":
            docs.append(json.loads(part))
            continue
        r = _Reader(part)
        doc = r.node(0)
        j, _ = r._next()
        if j is not None:
            raise ValueError("YAML: cannot parse line %d: %r" % (j + 1, r.lines[j]))
        if doc is not None:
            docs.append(doc)
    return docs


def load(text):
    docs = load_all(text)
    if len(docs) != 1:
        raise ValueError("expected one YAML document, found %d" % len(docs))
    return docs[0]
