"""Writes: create, update, merge/JSON patch, server-side apply, delete (with garbage collection).

Field ownership (managedFields) is simplified: a "field" is a top-level key's child
(spec.replicas, status.conditions, data.key), a single label/annotation, or
metadata.ownerReferences / metadata.finalizers as whole lists; anything deeper belongs to
that child as a whole. Apply conflicts, force and the removal of fields a manager
stops applying all work at that granularity.
"""
import copy
import json

import miniyaml
import schema
from store import ApiError, key_of, new_uid, not_found, now, with_type

TOP_SKIP = ("apiVersion", "kind", "metadata")
CRDS = ("apiextensions.k8s.io", "customresourcedefinitions")


class Validation:
    """A write's fieldValidation directive (Ignore, Warn, Strict; the server's default is
    Warn) and the warnings it collects for the response's Warning headers."""

    def __init__(self, directive=None):
        self.directive = directive or "Warn"
        self.warnings = []


def spec_of(obj):
    """What metadata.generation tracks: everything except metadata and status."""
    return {k: v for k, v in obj.items() if k not in TOP_SKIP + ("status",)}


def field_paths(obj, part):
    """The owned-field paths of obj; part is "main" (no status) or "status"."""
    out = set()
    for k, v in obj.items():
        if k in TOP_SKIP or (k == "status") != (part == "status"):
            continue
        if isinstance(v, dict) and v:
            out.update((k, sub) for sub in v)
        else:
            out.add((k,))
    if part == "main":
        md = obj.get("metadata") or {}
        for m in ("labels", "annotations"):
            out.update(("metadata", m, key) for key in (md.get(m) or {}))
        for m in ("ownerReferences", "finalizers"):  # owned as whole lists
            if m in md:
                out.add(("metadata", m))
    return out


def get_path(obj, path):
    for p in path:
        if not isinstance(obj, dict) or p not in obj:
            return None
        obj = obj[p]
    return obj


def set_path(obj, path, value):
    for p in path[:-1]:
        if not isinstance(obj.get(p), dict):
            obj[p] = {}
        obj = obj[p]
    obj[path[-1]] = copy.deepcopy(value)


def del_path(obj, path):
    parent = get_path(obj, path[:-1]) if len(path) > 1 else obj
    if isinstance(parent, dict):
        parent.pop(path[-1], None)
        if len(path) > 1 and not parent and path[0] != "metadata":
            del_path(obj, path[:-1])


def to_fields_v1(paths):
    out = {}
    for path in sorted(paths):
        node = out
        for p in path:
            node = node.setdefault("f:" + p, {})
    return out


def from_fields_v1(fv, prefix=()):
    paths = set()
    for k, v in (fv or {}).items():
        if not k.startswith("f:"):
            continue
        p = prefix + (k[2:],)
        if v and (len(p) < 2 or (p[0] == "metadata" and len(p) < 3)):
            paths |= from_fields_v1(v, p)
        else:
            paths.add(p)
    return paths


def overlaps(a, b):
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch (also used for strategic merge patches)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def json_patch(doc, ops):
    """RFC 6902 JSON patch: add, remove, replace, test."""
    doc = copy.deepcopy(doc)
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent = doc
        for p in parts[:-1]:
            parent = parent[int(p)] if isinstance(parent, list) else parent[p]
        last = parts[-1]
        kind = op["op"]
        if isinstance(parent, list):
            idx = len(parent) if last == "-" else int(last)
            if kind == "add":
                parent.insert(idx, op["value"])
            elif kind == "remove":
                parent.pop(idx)
            elif kind == "replace":
                parent[idx] = op["value"]
            elif kind == "test" and parent[idx] != op["value"]:
                raise ApiError(422, "Invalid", "test operation failed at " + op["path"])
        elif kind in ("add", "replace"):
            if kind == "replace" and last not in parent:
                raise ApiError(422, "Invalid", "replace: missing path " + op["path"])
            parent[last] = op["value"]
        elif kind == "remove":
            if last not in parent:
                raise ApiError(422, "Invalid", "remove: missing path " + op["path"])
            del parent[last]
        elif kind == "test" and parent.get(last) != op["value"]:
            raise ApiError(422, "Invalid", "test operation failed at " + op["path"])
    return doc


class Writer:
    def __init__(self, store):
        self.s = store

    # --- helpers -----------------------------------------------------------
    def _check_body(self, res, ns, name, body):
        if not isinstance(body, dict):
            raise ApiError(400, "BadRequest", "the body of the request must be an object")
        if res.crd and body.get("kind") not in (None, res.kind):  # customResourceValidator
            raise schema.invalid(str(body["kind"]), res.group, name or (
                body.get("metadata") or {}).get("name", ""), [schema.FieldError(
                    "FieldValueInvalid", "kind", body["kind"], "must be " + res.kind)])
        if body.get("kind") not in (None, res.kind):
            raise ApiError(400, "BadRequest", "kind %s does not match %s" %
                           (body.get("kind"), res.kind))
        md = body.setdefault("metadata", {})
        if not isinstance(md, dict):
            raise ApiError(400, "BadRequest", "metadata must be an object")
        if name is not None and md.get("name") not in (None, name):
            raise ApiError(400, "BadRequest",
                           "the name of the object (%s) does not match the name on the URL (%s)"
                           % (md.get("name"), name))
        if res.namespaced:
            if md.get("namespace") not in (None, "", ns):
                raise ApiError(400, "BadRequest", "the namespace of the provided object does "
                               "not match the namespace sent on the request")
            md["namespace"] = ns
            if ("", ns) not in self.s.objects[("", "namespaces")]:
                raise ApiError(404, "NotFound", 'namespaces "%s" not found' % ns,
                               {"name": ns, "kind": "namespaces"})
        else:
            md.pop("namespace", None)

    def _decode(self, res, obj, fv, verb, patched=None, defaults=True):
        """What decoding a custom resource does (schema.py): unknown fields are pruned (an
        error under fieldValidation=Strict, a warning under Warn), nulls dropped, defaults
        filled in."""
        s = res.schema if res.crd else None
        if not isinstance(s, dict) or s.get("x-kubernetes-preserve-unknown-fields"):
            return
        unknown = schema.prune(obj, s)
        schema.go_numbers(obj)
        fv = fv or Validation()
        if unknown and fv.directive == "Strict":
            raise schema.strict_error(res.kind, res.version, verb, unknown, patched)
        if unknown and fv.directive == "Warn":
            fv.warnings += ['unknown field "%s"' % p for p in unknown]
        if defaults:
            self._defaults(res, obj)

    def _defaults(self, res, obj):
        s = res.schema if res.crd else None
        if isinstance(s, dict) and not s.get("x-kubernetes-preserve-unknown-fields"):
            schema.drop_nulls(obj, s)
            schema.default(obj, s)

    def _validate(self, res, obj):
        """422 for a CRD whose schema is not structural, or a custom resource its schema
        refuses."""
        name = obj["metadata"].get("name", "")
        if res.gr == CRDS:
            errs = schema.check_crd(obj)
            if errs:
                raise schema.invalid("CustomResourceDefinition", "apiextensions.k8s.io", name,
                                     errs)
        elif res.crd and isinstance(res.schema, dict) \
                and not res.schema.get("x-kubernetes-preserve-unknown-fields"):
            errs = schema.check(obj, res.schema)
            if errs:
                raise schema.invalid(res.kind, res.group, name, errs)

    def _existing(self, res, ns, name):
        return self.s.objects[res.gr].get(((ns or "") if res.namespaced else "", name))

    def _track(self, obj, manager, operation, subresource, paths, replace, shared=()):
        """Records that manager owns paths; other managers lose them (forced or Update)."""
        entries = obj["metadata"].get("managedFields") or []
        mine = None
        for e in entries:
            fields = from_fields_v1(e.get("fieldsV1"))
            if (e.get("manager"), e.get("operation"), e.get("subresource", "")) == \
                    (manager, operation, subresource):
                mine = e
                fields = set(paths) if replace else fields | set(paths)
            else:
                fields = {f for f in fields if not any(overlaps(f, p) for p in paths)
                          or f in shared}
            e["fieldsV1"] = to_fields_v1(fields)
        if mine is None:
            mine = {"manager": manager, "operation": operation,
                    "apiVersion": obj.get("apiVersion", ""), "fieldsType": "FieldsV1",
                    "fieldsV1": to_fields_v1(paths)}
            if subresource:
                mine["subresource"] = subresource
            entries.append(mine)
        mine["time"] = now()
        obj["metadata"]["managedFields"] = [e for e in entries if e["fieldsV1"]]

    def _commit(self, res, old, new, manager, subresource, changed_paths=None, op="Update"):
        """Applies generation/status rules, tracks ownership and stores if anything changed."""
        if old is None:
            return self.s.put(res, new, "ADDED")
        if subresource == "status":
            status, mf = new.get("status"), new["metadata"].get("managedFields")
            new = copy.deepcopy(old)
            new.pop("status", None)
            if status is not None:
                new["status"] = status
            if mf is not None:
                new["metadata"]["managedFields"] = mf
        elif res.status:
            new.pop("status", None)
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
        md, omd = new["metadata"], old["metadata"]
        for k in ("uid", "creationTimestamp", "generation", "deletionTimestamp", "name",
                  "namespace"):
            if k in omd:
                md[k] = omd[k]
            else:
                md.pop(k, None)
        if "managedFields" not in md or md["managedFields"] is None:
            md["managedFields"] = copy.deepcopy(omd.get("managedFields", []))
        md["resourceVersion"] = omd["resourceVersion"]
        if spec_of(new) != spec_of(old):
            md["generation"] = omd.get("generation", 0) + 1
        self._validate(res, new)
        if strip_mf(new) == strip_mf(old):
            return with_type(res, old)  # a no-op write does not bump resourceVersion
        if changed_paths is None:
            part = "status" if subresource == "status" else "main"
            changed_paths = {p for p in field_paths(new, part) | field_paths(old, part)
                             if get_path(new, p) != get_path(old, p)}
        if changed_paths and manager:
            self._track(new, manager, op, subresource, changed_paths, False)
        if md.get("deletionTimestamp") and not md.get("finalizers"):
            self.s.objects[res.gr][key_of(new)] = new
            return with_type(res, self.s._remove(res.gr, new))
        return self.s.put(res, new, "MODIFIED")

    # --- verbs -------------------------------------------------------------
    def create(self, res, ns, body, manager, fv=None):
        with self.s.lock:
            self._check_body(res, ns, None, body)
            self._decode(res, body, fv, "create")
            md = body["metadata"]
            if not md.get("name"):
                if not md.get("generateName"):
                    raise ApiError(422, "Invalid", "name or generateName is required",
                                   {"causes": [{"reason": "FieldValueRequired",
                                                "field": "metadata.name"}]})
                md["name"] = md["generateName"] + new_uid()[:5]
            if md.get("resourceVersion"):
                raise ApiError(400, "BadRequest",
                               "resourceVersion should not be set on objects to be created")
            obj = self._new_object(res, body)
            self._validate(res, obj)  # before the name is looked up, as the real server does
            if self._existing(res, ns, md["name"]) is not None:
                what = res.plural + ("." + res.group if res.group else "")
                raise ApiError(409, "AlreadyExists", '%s "%s" already exists' %
                               (what, md["name"]), {"name": md["name"], "group": res.group,
                                                    "kind": res.plural})
            if manager:
                self._track(obj, manager, "Update", "", field_paths(obj, "main"), True)
            return self.s.put(res, obj, "ADDED")

    def _new_object(self, res, body):
        obj = copy.deepcopy(body)
        obj["apiVersion"], obj["kind"] = res.api_version, res.kind
        if res.status:
            obj.pop("status", None)
        if res.gr == ("", "namespaces"):
            obj["status"] = {"phase": "Active"}
        md = obj["metadata"]
        md.update(uid=new_uid(), creationTimestamp=now(), generation=1)
        md.pop("deletionTimestamp", None)
        md["managedFields"] = []
        return obj

    def update(self, res, ns, name, body, manager, subresource="", fv=None):
        with self.s.lock:
            self._check_body(res, ns, name, body)
            self._decode(res, body, fv, "update")
            old = self._existing(res, ns, name)
            if old is None:
                raise not_found(res, name)
            rv = body["metadata"].get("resourceVersion")
            if not rv and res.crd:  # custom resources refuse unconditional updates
                raise ApiError(422, "Invalid", '%s.%s "%s" is invalid: metadata.resourceVersion: '
                               "Invalid value: 0x0: must be specified for an update" %
                               (res.plural, res.group, name),
                               {"name": name, "group": res.group, "kind": res.kind, "causes": [
                                   {"reason": "FieldValueInvalid",
                                    "field": "metadata.resourceVersion"}]})
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise conflict(res, name)
            new = copy.deepcopy(body)
            new["apiVersion"], new["kind"] = res.api_version, res.kind
            return self._commit(res, old, new, manager, subresource)

    def patch(self, res, ns, name, raw, ctype, manager, subresource="", force=False, fv=None):
        if ctype.startswith("application/apply-patch"):
            return self.apply(res, ns, name, raw, manager, subresource, force, fv)
        try:
            patch = json.loads(raw or b"null")
        except ValueError as e:
            raise ApiError(400, "BadRequest", "invalid JSON patch: %s" % e)
        with self.s.lock:
            old = self._existing(res, ns, name)
            if old is None:
                raise not_found(res, name)
            current = with_type(res, old)
            if ctype.startswith("application/json-patch+json"):
                if not isinstance(patch, list):
                    raise ApiError(400, "BadRequest", "a JSON patch must be a list")
                try:
                    new = json_patch(current, patch)
                except (KeyError, IndexError, ValueError, TypeError) as e:
                    raise ApiError(422, "Invalid", "JSON patch failed: %r" % e)
            elif ctype.startswith("application/strategic-merge-patch+json") and res.crd:
                raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an "
                               "unknown format - accepted media types include: "
                               "application/json-patch+json, application/merge-patch+json, "
                               "application/apply-patch+yaml")
            elif ctype.startswith(("application/merge-patch+json",
                                   "application/strategic-merge-patch+json")):
                if not isinstance(patch, dict):
                    raise ApiError(400, "BadRequest", "a merge patch must be an object")
                new = merge_patch(current, patch)
            else:
                raise ApiError(415, "UnsupportedMediaType",
                               "the body of the request was in an unknown format: " + ctype)
            self._check_body(res, ns, name, new)
            self._decode(res, new, fv, "patch", copy.deepcopy(new))
            rv = new["metadata"].get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise conflict(res, name)
            return self._commit(res, old, new, manager, subresource)

    def apply(self, res, ns, name, raw, manager, subresource, force, fv=None):
        if not manager:
            raise ApiError(400, "BadRequest", 'PatchOptions.meta.k8s.io "" is invalid: '
                           "fieldManager: Required value: is required for apply patch")
        try:
            body = miniyaml.load(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            raise ApiError(400, "BadRequest", "error decoding YAML: %s" % e)
        with self.s.lock:
            typed = isinstance(res.schema, dict) and res.crd \
                and not res.schema.get("x-kubernetes-preserve-unknown-fields")
            if typed and isinstance(body, dict):
                errors = schema.typed_errors(body, res.schema)
                if errors:
                    md = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
                    raise schema.apply_error(res, name, md.get("namespace", ""), errors)
            self._check_body(res, ns, name, body)
            self._decode(res, body, fv, "apply", defaults=False)  # defaults go to the result
            body["metadata"]["name"] = name
            for k in ("apiVersion", "kind"):
                if not body.get(k):
                    raise ApiError(400, "BadRequest", "%s must be set for apply" % k)
            old = self._existing(res, ns, name)
            part = "status" if subresource == "status" else "main"
            applied = field_paths(body, part)
            if old is None:
                if subresource:
                    raise not_found(res, name)
                obj = self._new_object(res, body)
                self._defaults(res, obj)
                self._validate(res, obj)
                self._track(obj, manager, "Apply", "", applied, True)
                return self.s.put(res, obj, "ADDED")
            new = copy.deepcopy(old)
            shared = self._apply_conflicts(res, old, body, applied, manager, subresource, force)
            mine, others = set(), set()
            for e in old["metadata"].get("managedFields") or []:
                fields = from_fields_v1(e.get("fieldsV1"))
                if (e.get("manager"), e.get("operation"), e.get("subresource", "")) == \
                        (manager, "Apply", subresource):
                    mine = fields
                elif (e.get("manager"), e.get("operation")) != (manager, "Apply"):
                    others |= fields
            for p in mine - applied:  # what this manager stopped applying goes, unless shared
                if p not in others:
                    del_path(new, p)
            for p in applied:
                set_path(new, p, get_path(body, p))
            self._defaults(res, new)
            self._track(new, manager, "Apply", subresource, applied, True, shared)
            if strip_mf(new) == strip_mf(old):
                if ownership(new) == ownership(old):
                    return with_type(res, old)  # a no-op apply writes nothing
                return self.s.put(res, new, "MODIFIED")  # only who owns what changed
            return self._commit(res, old, new, None, subresource)

    def _apply_conflicts(self, res, old, body, applied, manager, subresource, force):
        """Returns fields shared with other managers (same value); raises 409 on conflicts."""
        shared, causes = set(), []
        for e in old["metadata"].get("managedFields") or []:
            if (e.get("manager"), e.get("operation")) == (manager, "Apply"):
                continue
            for f in from_fields_v1(e.get("fieldsV1")):
                for p in applied:
                    if not overlaps(f, p):
                        continue
                    if get_path(old, p) == get_path(body, p) and f == p:
                        shared.add(f)
                    elif not force:
                        causes.append({"reason": "FieldManagerConflict",
                                       "field": "." + ".".join(p),
                                       "message": "conflict with " + who(e)})
        if causes:  # the real server's wording (k8s.io/apiserver fieldmanager)
            if len(causes) == 1:
                msg = "Apply failed with 1 conflict: %s: %s" % (causes[0]["message"],
                                                                causes[0]["field"])
            else:
                lines = []
                for m in sorted({c["message"] for c in causes}):
                    lines.append(m.replace("conflict with", "conflicts with", 1) + ":")
                    lines += ["- " + c["field"] for c in causes if c["message"] == m]
                msg = "Apply failed with %d conflicts: %s" % (len(causes), "\n".join(lines))
            raise ApiError(409, "Conflict", msg, {"causes": causes})
        return shared

    def delete(self, res, ns, name, opts):
        with self.s.lock:
            old = self._existing(res, ns, name)
            if old is None:
                raise not_found(res, name)
            pre = (opts or {}).get("preconditions") or {}
            if pre.get("resourceVersion") not in (None, old["metadata"]["resourceVersion"]) \
                    or pre.get("uid") not in (None, old["metadata"]["uid"]):
                raise conflict(res, name)
            if old["metadata"].get("finalizers"):
                if old["metadata"].get("deletionTimestamp"):
                    return with_type(res, old)
                new = copy.deepcopy(old)
                new["metadata"]["deletionTimestamp"] = now()
                return self.s.put(res, new, "MODIFIED")
            if (opts or {}).get("propagationPolicy") == "Orphan":
                self.s.orphan(old["metadata"]["uid"])
            return with_type(res, self.s._remove(res.gr, old))


def who(entry):
    """A managedFields entry as conflict messages name it."""
    s = '"%s"' % entry.get("manager")
    if entry.get("subresource"):
        s += ' with subresource "%s"' % entry["subresource"]
    if entry.get("operation") == "Update":
        s += " using %s at %s" % (entry.get("apiVersion", ""), entry.get("time"))
    return s


def ownership(obj):
    """managedFields without their timestamps."""
    return sorted((e.get("manager"), e.get("operation"), e.get("subresource", ""),
                   json.dumps(e.get("fieldsV1"), sort_keys=True))
                  for e in obj["metadata"].get("managedFields") or [])


def strip_mf(obj):
    out = copy.deepcopy(obj)
    out["metadata"].pop("managedFields", None)
    return out


def conflict(res, name):
    what = res.plural + ("." + res.group if res.group else "")
    return ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": the object has '
                    "been modified; please apply your changes to the latest version and try "
                    "again" % (what, name), {"name": name, "group": res.group, "kind": res.plural})
