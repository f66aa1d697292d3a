"""Compares the RBAC a rendered chart grants with the requests a controller made.

    python3 rbac_check.py RENDERED.yaml FAKEAPI_LOG SA_NAMESPACE SA_NAME

FAKEAPI_LOG holds the request lines of tests/fakeapi/fakeapi.py --verbose for the
controller's requests only ("fakeapi: "GET /path?query HTTP/1.1" 200 -"). Each request
is turned into the attributes the API server authorizes (verb, API group, resource,
subresource, namespace, name) as the apiserver's RequestInfo does: GET of a name is get,
of a collection list (watch with watch=1); a list or watch with fieldSelector
metadata.name=X is authorized for the name X; a PATCH that created the object (201, only
server-side apply does that) is authorized as patch and as create. Then it checks, with
RBAC's rules (a Role applies in its namespace, a ClusterRole bound by a
ClusterRoleBinding everywhere; resourceNames match only requests that carry a name):

  - every request is allowed by some rule bound to the service account;
  - every (rule, verb, resource, resourceName) the service account is granted was used.

Prints each problem and exits 1 when there is any.
"""
import re
import sys
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

LINE = re.compile(r'fakeapi: "(GET|POST|PUT|PATCH|DELETE) (\S+) HTTP/[0-9.]+" (\d+)')


def request_attrs(method, target, code):
    """Returns a list of (verb, group, resource, sub, namespace, name), or None for a
    non-resource request."""
    url = urlsplit(target)
    q = parse_qs(url.query)
    parts = [unquote(p) for p in url.path.strip("/").split("/")]
    if parts[:1] == ["api"] and len(parts) >= 2:
        group, rest = "", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, rest = parts[1], parts[3:]
    else:
        return None
    if not rest:
        return None
    ns = ""
    if rest[0] == "namespaces" and len(rest) >= 3:
        ns, rest = rest[1], rest[2:]
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    sub = rest[2] if len(rest) > 2 else ""
    if method == "GET":
        watch = q.get("watch", ["false"])[0] in ("1", "true")
        verb = "get" if name else ("watch" if watch else "list")
    else:
        verb = {"POST": "create", "PUT": "update", "PATCH": "patch",
                "DELETE": "delete" if name else "deletecollection"}[method]
    if verb in ("list", "watch"):
        for sel in q.get("fieldSelector", []):
            m = re.fullmatch(r"metadata\.name==?([^,]+)", sel)
            if m:
                name = m.group(1)
    out = [(verb, group, resource, sub, ns, name)]
    if method == "PATCH" and code == 201:
        out.append(("create", group, resource, sub, ns, name))
    return out


def grants(docs, sa_ns, sa_name):
    """Yields (scope_namespace or None for cluster-wide, role description, rule)."""
    roles = {}
    for d in docs:
        if d["kind"] in ("Role", "ClusterRole"):
            roles[(d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"])] = d
    for d in docs:
        if d["kind"] not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        if not any(s.get("kind") == "ServiceAccount" and s["name"] == sa_name and
                   s.get("namespace", d["metadata"].get("namespace")) == sa_ns
                   for s in d.get("subjects", [])):
            continue
        ref = d["roleRef"]
        bns = d["metadata"].get("namespace", "") if d["kind"] == "RoleBinding" else None
        key = (ref["kind"], (bns or "") if ref["kind"] == "Role" else "", ref["name"])
        role = roles.get(key)
        if role is None:
            yield bns, "%s %s (missing)" % (ref["kind"], ref["name"]), None
            continue
        desc = "%s %s%s" % (ref["kind"], (bns + "/") if bns else "", ref["name"])
        for rule in role.get("rules", []):
            yield bns, desc, rule


def main():
    rendered, log, sa_ns, sa_name = sys.argv[1:5]
    docs = [d for d in yaml.safe_load_all(open(rendered)) if d]
    rules = list(grants(docs, sa_ns, sa_name))
    problems = []
    for scope, desc, rule in rules:
        if rule is None:
            problems.append("%s is bound to the service account but not rendered" % desc)
    # every grant unit: (index of rule, verb, group, resource, resourceName or "")
    used = set()
    units = set()
    for i, (scope, desc, rule) in enumerate(rules):
        if rule is None:
            continue
        for v in rule["verbs"]:
            for g in rule.get("apiGroups", []):
                for r in rule["resources"]:
                    for n in rule.get("resourceNames") or [""]:
                        units.add((i, v, g, r, n))
    seen = set()
    for line in open(log):
        m = LINE.search(line)
        if not m:
            continue
        method, target, code = m.group(1), m.group(2), int(m.group(3))
        if target.startswith("/fake/") or code == 401:
            continue
        attrs = request_attrs(method, target, code)
        if attrs is None:
            problems.append("non-resource request %s %s (not covered by this check)" % (method, target))
            continue
        for verb, group, resource, sub, ns, name in attrs:
            res = resource + ("/" + sub if sub else "")
            key = (verb, group, res, ns, name)
            if key in seen:
                continue
            seen.add(key)
            allowed = False
            for i, (scope, desc, rule) in enumerate(rules):
                if rule is None or (scope is not None and scope != ns):
                    continue
                if verb not in rule["verbs"] or group not in rule.get("apiGroups", []) or res not in rule["resources"]:
                    continue
                names = rule.get("resourceNames") or []
                if names and name not in names:
                    continue
                allowed = True
                used.add((i, verb, group, res, name if names else ""))
            if not allowed:
                problems.append("RBAC lacks: %s %s%s%s%s (as in %s %s)" % (
                    verb, group + "/" if group else "", res,
                    " in namespace " + ns if ns else " cluster-wide",
                    " named " + name if name else "", method, target))
    for i, v, g, r, n in sorted(units - used, key=str):
        scope, desc, rule = rules[i]
        problems.append("RBAC grants unused: %s %s%s%s in %s" % (
            v, g + "/" if g else "", r, " named " + n if n else "", desc))
    for p in problems:
        print(p)
    print("rbac: %d distinct requests, %d grants, %d problems" % (len(seen), len(units), len(problems)))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
