"""The fake API server's state: resource types, objects, resource versions and watch fan-out.

One lock guards everything. Every write takes the next global resourceVersion, records an
event in a bounded history (for watch replay) and hands it to the open watches. Errors are
raised as ApiError and turned into Status objects by the HTTP layer.
"""
import base64
import collections
import copy
import datetime
import functools
import json
import queue
import threading
import uuid

HISTORY = 2000  # events kept for watch replay; older resourceVersions get 410


class ApiError(Exception):
    def __init__(self, code, reason, message, details=None, headers=None):
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message
        self.details, self.headers = details, headers or {}

    def status(self):
        s = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
             "message": self.message, "reason": self.reason, "code": self.code}
        if self.reason is None:  # an error the real server does not classify
            del s["reason"]
        if self.details is not None:
            s["details"] = self.details
        return s


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Resource:
    """One served resource type (group, version, plural)."""

    def __init__(self, group, version, plural, kind, namespaced, short=(), categories=(),
                 singular=None, status=False, crd=None, columns=None, schema=None):
        self.group, self.version, self.plural, self.kind = group, version, plural, kind
        self.namespaced, self.short, self.categories = namespaced, list(short), list(categories)
        self.singular = singular or kind.lower()
        self.status, self.crd = status, crd
        self.columns = columns  # the CRD's additionalPrinterColumns, for Table output
        self.schema = schema  # the version's openAPIV3Schema (schema.py applies it)

    @property
    def api_version(self):
        return self.group + "/" + self.version if self.group else self.version

    @property
    def gr(self):  # objects are stored per group+plural, shared by all versions
        return (self.group, self.plural)

    def describe(self):
        verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
        out = [{"name": self.plural, "singularName": self.singular, "namespaced": self.namespaced,
                "kind": self.kind, "verbs": verbs}]
        if self.short:
            out[0]["shortNames"] = self.short
        if self.categories:
            out[0]["categories"] = self.categories
        if self.status:
            out.append({"name": self.plural + "/status", "singularName": "",
                        "namespaced": self.namespaced, "kind": self.kind,
                        "verbs": ["get", "patch", "update"]})
        return out


BUILTIN = [
    Resource("", "v1", "namespaces", "Namespace", False, ["ns"], status=True),
    Resource("", "v1", "secrets", "Secret", True),
    Resource("", "v1", "configmaps", "ConfigMap", True, ["cm"]),
    Resource("", "v1", "events", "Event", True, ["ev"]),
    Resource("coordination.k8s.io", "v1", "leases", "Lease", True),
    Resource("events.k8s.io", "v1", "events", "Event", True, ["ev"]),
    Resource("apiextensions.k8s.io", "v1", "customresourcedefinitions",
             "CustomResourceDefinition", False, ["crd", "crds"], ["api-extensions"], status=True),
]


def labels_match(obj, selector):
    """Kubernetes label selector: a=b, a==b, a!=b, a, !a, a in (x,y), a notin (x,y)."""
    labels = obj.get("metadata", {}).get("labels") or {}
    for op, k, v in _label_terms(selector):
        if op == "in" or op == "notin":
            if (k in labels and labels[k] in v) != (op == "in"):
                return False
        elif op == "!=":
            if labels.get(k) == v:
                return False
        elif op == "=":
            if labels.get(k) != v:
                return False
        elif op == "!":
            if k in labels:
                return False
        elif k not in labels:
            return False
    return True


@functools.lru_cache(maxsize=1024)
def _label_terms(selector):
    """A label selector parsed once (a watch matches it against every event)."""
    out = []
    for term in split_selector(selector):
        term = term.strip()
        if not term:
            continue
        words = term.replace("(", " ( ").split()
        if len(words) >= 2 and words[1] in ("in", "notin"):
            values = frozenset(v.strip() for v in
                               term[term.index("(") + 1:term.rindex(")")].split(","))
            out.append((words[1], words[0], values))
        elif "!=" in term:
            k, v = term.split("!=", 1)
            out.append(("!=", k.strip(), v.strip()))
        elif "=" in term:
            k, v = term.replace("==", "=").split("=", 1)
            out.append(("=", k.strip(), v.strip()))
        elif term.startswith("!"):
            out.append(("!", term[1:].strip(), None))
        else:
            out.append(("exists", term, None))
    return tuple(out)


def split_selector(s):
    out, depth, cur = [], 0, ""
    for c in s or "":
        depth += c == "("
        depth -= c == ")"
        if c == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += c
    return out + [cur]


def fields_match(obj, selector):
    """Field selectors (=, ==, !=) on dotted paths: metadata.name, involvedObject.uid...

    More lenient than the real server, which allows only a few fields per type.
    """
    for neg, path, v in _field_terms(selector):
        cur = obj
        for part in path:
            cur = cur.get(part) if isinstance(cur, dict) else None
        value = "" if cur is None else str(cur).lower() if isinstance(cur, bool) else str(cur)
        if (value == v) == neg:
            return False
    return True


@functools.lru_cache(maxsize=1024)
def _field_terms(selector):
    out = []
    for term in split_selector(selector):
        if not term.strip():
            continue
        neg = "!=" in term
        if "=" not in term:
            raise ValueError("invalid field selector term: " + term)
        k, v = term.replace("!=", "=").replace("==", "=").split("=", 1)
        out.append((neg, tuple(k.strip().split(".")), v.strip()))
    return tuple(out)


def check_selectors(labels, fields):
    """Raises a 400 for a selector the matchers cannot evaluate (before any event needs it)."""
    dummy = {"metadata": {"name": "", "namespace": "", "labels": {}}}
    try:
        labels_match(dummy, labels)
        fields_match(dummy, fields)
    except ValueError as e:
        raise ApiError(400, "BadRequest", "unable to parse selector: %s" % e)


class Watch:
    def __init__(self, res, ns, labels, fields):
        self.res, self.ns, self.labels, self.fields = res, ns, labels, fields
        self.q = queue.Queue()

    def wants(self, gr, obj):
        md = obj.get("metadata", {})
        return (gr == self.res.gr and (self.ns is None or md.get("namespace") == self.ns)
                and labels_match(obj, self.labels) and fields_match(obj, self.fields))

    def sees(self, gr, etype, obj, old):
        """The event this watch gets for a change, or None. As the API server's watch
        cache does it: an object that stops matching the selectors is DELETED for the
        watch (as it was, at the new resourceVersion), one that starts matching ADDED."""
        now = self.wants(gr, obj)
        if etype != "MODIFIED" or old is None or now == self.wants(gr, old):
            return (etype, obj) if now else None
        if now:
            return ("ADDED", obj)
        gone = copy.deepcopy(old)
        gone["metadata"]["resourceVersion"] = obj["metadata"]["resourceVersion"]
        return ("DELETED", gone)


class Store:
    def __init__(self):
        self.lock = threading.RLock()
        self.rv = 0
        self.floor = 0  # history holds every event with rv > floor
        self.history = collections.deque(maxlen=HISTORY)
        self.objects = {}  # (group, plural) -> {(ns, name): obj}
        self.resources = {}  # (group, version, plural) -> Resource
        self.watches = set()
        for r in BUILTIN:
            self.register(r)

    def dry_run_copy(self):
        """A private copy to run a dryRun=All write against: no watches, nothing shared."""
        with self.lock:
            c = Store.__new__(Store)
            c.lock, c.rv, c.floor = threading.RLock(), self.rv, self.floor
            c.history = collections.deque(maxlen=HISTORY)
            c.objects = copy.deepcopy(self.objects)
            c.resources = dict(self.resources)
            c.watches = set()
            return c

    # --- types -------------------------------------------------------------
    def register(self, res):
        with self.lock:
            self.resources[(res.group, res.version, res.plural)] = res
            self.objects.setdefault(res.gr, {})

    def resource(self, group, version, plural):
        r = self.resources.get((group, version, plural))
        if r is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return r

    def crd_changed(self, crd, deleted=False):
        """Registers (or removes) the resources a CustomResourceDefinition serves."""
        spec = crd.get("spec", {})
        names, group = spec.get("names", {}), spec.get("group", "")
        for key in [k for k, r in self.resources.items() if r.crd == crd["metadata"]["name"]]:
            del self.resources[key]
        if deleted:
            gr = (group, names.get("plural"))
            for (ns, name), obj in list(self.objects.get(gr, {}).items()):
                self._remove(gr, obj)
            return
        for v in spec.get("versions", []):
            if not v.get("served", True):
                continue
            self.register(Resource(group, v["name"], names["plural"], names["kind"],
                                   spec.get("scope", "Namespaced") == "Namespaced",
                                   names.get("shortNames", []), names.get("categories", []),
                                   names.get("singular"), "status" in (v.get("subresources") or {}),
                                   crd["metadata"]["name"], v.get("additionalPrinterColumns"),
                                   (v.get("schema") or {}).get("openAPIV3Schema")))
        storage = [v["name"] for v in spec.get("versions", []) if v.get("storage")]
        crd["status"] = {
            "acceptedNames": names, "storedVersions": storage,
            "conditions": [{"type": t, "status": "True", "reason": r, "message": "",
                            "lastTransitionTime": now()}
                           for t, r in (("NamesAccepted", "NoConflicts"),
                                        ("Established", "InitialNamesAccepted"))]}

    # --- events ------------------------------------------------------------
    def next_rv(self):
        self.rv += 1
        return str(self.rv)

    def emit(self, gr, etype, obj, old=None, served=None):
        """old: the object before a MODIFIED, so that selector-filtered watches see it
        leave (DELETED) or enter (ADDED) their selection. served: obj as the write
        answers it (with_type), which nobody changes afterwards, to share instead of a copy."""
        ev = (int(obj["metadata"]["resourceVersion"]), gr, etype,
              served if served is not None else copy.deepcopy(obj), old)
        self.history.append(ev)
        if len(self.history) == self.history.maxlen:
            self.floor = self.history[0][0] - 1
        for w in list(self.watches):
            seen = w.sees(gr, etype, ev[3], old)
            if seen:
                w.q.put(seen)

    def compact(self):
        with self.lock:
            self.history.clear()
            self.floor = self.rv

    def open_watch(self, res, ns, rv, labels, fields):
        """Registers a watch; returns it and the events to replay first."""
        check_selectors(labels, fields)
        with self.lock:
            w = Watch(res, ns, labels, fields)
            replay = []
            if rv in (None, "", "0"):
                replay = [("ADDED", copy.deepcopy(o)) for o in self.list_objects(res, ns)
                          if labels_match(o, labels) and fields_match(o, fields)]
            else:
                try:
                    n = int(rv)
                except ValueError:
                    raise ApiError(400, "BadRequest", "invalid resourceVersion: " + rv)
                if n < self.floor:
                    raise ApiError(410, "Expired",
                                   "too old resource version: %d (%d)" % (n, self.floor + 1))
                replay = [copy.deepcopy(seen) for r, gr, t, o, old in self.history
                          if r > n for seen in [w.sees(gr, t, o, old)] if seen]
            self.watches.add(w)
            return w, replay

    def close_watch(self, w):
        with self.lock:
            self.watches.discard(w)

    def signal_watches(self, item):
        with self.lock:
            for w in self.watches:
                w.q.put(item)

    # --- objects -----------------------------------------------------------
    def list_objects(self, res, ns):
        objs = self.objects.get(res.gr, {})
        keys = sorted(k for k in objs if ns is None or k[0] == ns)
        return [objs[k] for k in keys]

    def list(self, res, ns, labels, fields, limit, cont):
        check_selectors(labels, fields)
        with self.lock:
            objs = [o for o in self.list_objects(res, ns)
                    if labels_match(o, labels) and fields_match(o, fields)]
            start = None
            if cont:
                try:
                    tok = json.loads(base64.urlsafe_b64decode(cont))
                    start, list_rv = tuple(tok["start"]), tok["rv"]
                except Exception:
                    raise ApiError(400, "BadRequest", "invalid continue token")
                if list_rv < self.floor:
                    raise ApiError(410, "Expired", "The provided continue parameter is too old "
                                   "to display a consistent list result.")
                objs = [o for o in objs if key_of(o) > start]
            md = {"resourceVersion": str(self.rv)}
            if limit and len(objs) > limit:
                objs = objs[:limit]
                tok = {"rv": self.rv, "start": list(key_of(objs[-1]))}
                md["continue"] = base64.urlsafe_b64encode(json.dumps(tok).encode()).decode()
            return {"kind": res.kind + "List", "apiVersion": res.api_version, "metadata": md,
                    "items": [with_type(res, o) for o in objs]}

    def get(self, res, ns, name):
        with self.lock:
            obj = self.objects.get(res.gr, {}).get((ns or "", name))
            if obj is None:
                raise not_found(res, name)
            return with_type(res, obj)

    def put(self, res, obj, etype):
        """Stores obj with a new resourceVersion and emits etype. Caller holds the lock."""
        obj["metadata"]["resourceVersion"] = self.next_rv()
        old = self.objects[res.gr].get(key_of(obj))
        self.objects[res.gr][key_of(obj)] = obj
        if res.gr == ("apiextensions.k8s.io", "customresourcedefinitions"):
            self.crd_changed(obj)
        out = with_type(res, obj)
        self.emit(res.gr, etype, obj, old, out)
        if obj["metadata"].get("ownerReferences") and not self.has_owner(obj):
            self.collect_garbage()  # created or updated with owners that are all gone
        return out

    def has_owner(self, obj):
        """Whether one of obj's owners exists: found by kind, name and uid in obj's
        namespace or cluster-wide, without scanning every object (a controller applies
        thousands of owned objects; a scan on each made the server quadratic)."""
        ns = obj["metadata"].get("namespace") or ""
        for ref in obj["metadata"]["ownerReferences"]:
            group = ref.get("apiVersion", "").rpartition("/")[0]
            for res in self.resources.values():
                if res.kind != ref.get("kind") or res.group != group:
                    continue
                owner = self.objects.get(res.gr, {}).get((ns if res.namespaced else "",
                                                           ref.get("name")))
                if owner and owner["metadata"].get("uid") == ref.get("uid"):
                    return True
        return False

    def _remove(self, gr, obj, gc=True):
        """Deletes obj (a namespace with its contents, a CRD with its objects), then, like
        the garbage collector, every object left without any of its owners."""
        self.objects[gr].pop(key_of(obj), None)
        obj = copy.deepcopy(obj)
        obj["metadata"]["resourceVersion"] = self.next_rv()
        if gr == ("apiextensions.k8s.io", "customresourcedefinitions"):
            self.crd_changed(obj, deleted=True)
        if gr == ("", "namespaces"):
            for ogr, objs in list(self.objects.items()):
                for k, o in list(objs.items()):
                    if k[0] == obj["metadata"]["name"]:
                        self._remove(ogr, o, gc=False)
        self.emit(gr, "DELETED", obj)
        if gc:
            self.collect_garbage()
        return obj

    def collect_garbage(self):
        """Deletes, until none is left, objects with ownerReferences none of which exists.

        The real garbage collector works in the background; here it runs inside the write
        that orphaned the objects (an owner's delete, or a create naming a missing owner).
        """
        while True:
            uids = {o["metadata"].get("uid") for objs in self.objects.values()
                    for o in objs.values()}
            victims = [(gr, o) for gr, objs in self.objects.items() for o in objs.values()
                       if o["metadata"].get("ownerReferences")
                       and not any(r.get("uid") in uids
                                   for r in o["metadata"]["ownerReferences"])]
            if not victims:
                return
            for gr, o in victims:
                self._remove(gr, o, gc=False)

    def orphan(self, uid):
        """Propagation policy Orphan: dependents lose their reference to uid and stay."""
        for gr, objs in self.objects.items():
            for o in list(objs.values()):
                refs = o["metadata"].get("ownerReferences") or []
                if any(r.get("uid") == uid for r in refs):
                    new = copy.deepcopy(o)
                    new["metadata"]["ownerReferences"] = [r for r in refs if r.get("uid") != uid]
                    if not new["metadata"]["ownerReferences"]:
                        del new["metadata"]["ownerReferences"]
                    new["metadata"]["resourceVersion"] = self.next_rv()
                    objs[key_of(new)] = new
                    self.emit(gr, "MODIFIED", new, o)

    def snapshot(self):
        with self.lock:
            return {"rv": self.rv, "objects": [
                {"group": g, "plural": p, "object": o}
                for (g, p), objs in self.objects.items() for o in objs.values()]}

    def restore(self, state):
        with self.lock:
            self.rv = self.floor = state["rv"]
            crds = [s for s in state["objects"] if s["plural"] == "customresourcedefinitions"]
            for s in crds + [s for s in state["objects"] if s not in crds]:
                self.objects.setdefault((s["group"], s["plural"]), {})[key_of(s["object"])] = \
                    s["object"]
                if s in crds:
                    self.crd_changed(s["object"])


def key_of(obj):
    md = obj["metadata"]
    return (md.get("namespace") or "", md["name"])


class Typed(dict):
    """An object as served (a private copy with apiVersion and kind) that keeps its JSON
    once encoded: a write's response and the watch events of that write carry the same
    bytes, which the real API server also encodes once per object version and shares
    (its watch cache's cachingObject). Copies are plain dicts, so a copy may be changed."""
    __slots__ = ("_json",)

    def encoded(self):
        try:
            return self._json
        except AttributeError:
            self._json = json.dumps(self).encode()
            return self._json

    def __copy__(self):
        return dict(self)

    def __deepcopy__(self, memo):
        return copy.deepcopy(dict(self), memo)


def with_type(res, obj):
    out = Typed(copy.deepcopy(obj))
    out["apiVersion"], out["kind"] = res.api_version, res.kind
    return out


def not_found(res, name):
    what = res.plural + ("." + res.group if res.group else "")
    return ApiError(404, "NotFound", '%s "%s" not found' % (what, name),
                    {"name": name, "group": res.group, "kind": res.plural})


def new_uid():
    return str(uuid.uuid4())
