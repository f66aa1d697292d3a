#!/usr/bin/env python3
"""An in-memory Kubernetes API server for burnrate's tests (standard library only).

Serves HTTPS with a self-signed CA and a bearer token, the discovery documents, CRUD with
resourceVersion/generation semantics, server-side apply, the status subresource, garbage
collection, chunked watches with bookmarks and 410s, and an admin API (/fake/...) through
which a test injects faults. See README.md beside this file.
"""
import argparse
import glob
import json
import os
import queue
import random
import re
import select
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.dont_write_bytecode = True  # the source tree may be read-only (CI)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import miniyaml  # noqa: E402
import protobuf  # noqa: E402
import partial  # noqa: E402
import table  # noqa: E402
from store import ApiError, Resource, Store, Typed  # noqa: E402
from writes import Validation, Writer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WRITE_VERBS = ("create", "update", "patch", "apply", "delete", "deletecollection")

# Used when no crds/servicelevelobjectives.yaml is given, so tests work before it exists.
SLO_FALLBACK = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "servicelevelobjectives.burnrate.dev"},
    "spec": {"group": "burnrate.dev", "scope": "Namespaced",
             "names": {"plural": "servicelevelobjectives", "singular": "servicelevelobjective",
                       "kind": "ServiceLevelObjective", "listKind": "ServiceLevelObjectiveList",
                       "shortNames": ["slo", "slos"], "categories": ["burnrate"]},
             "versions": [{"name": "v1alpha1", "served": True, "storage": True,
                           "subresources": {"status": {}},
                           "schema": {"openAPIV3Schema": {
                               "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]}}


class Server:
    """Everything the request handlers share."""

    def __init__(self, args):
        self.args = args
        self.store = Store()
        self.writer = Writer(self.store)
        self.token = None
        self.port = 0
        self.faults = []
        self.faults_lock = threading.Lock()
        self.counts = {}
        self.counts_lock = threading.Lock()

    def count(self, verb, resource, sub, code):
        with self.counts_lock:
            k = (verb, resource, sub, code)
            self.counts[k] = self.counts.get(k, 0) + 1

    def requests(self):
        with self.counts_lock:
            by = [{"verb": v, "resource": r, "subresource": s, "code": c, "count": n}
                  for (v, r, s, c), n in sorted(self.counts.items())]
        return {"total": sum(b["count"] for b in by),
                "writes": sum(b["count"] for b in by if b["verb"] in WRITE_VERBS), "by": by}

    def take_fault(self, method, target):
        """Returns the first matching fault (using up one of its count), or None."""
        with self.faults_lock:
            for f in self.faults:
                if f.get("method", method).upper() != method:
                    continue
                if not re.search(f.get("path", ""), target):
                    continue
                f["count"] = f.get("count", 1) - 1
                if f["count"] <= 0:
                    self.faults.remove(f)
                return dict(f)
        return None

    def save(self):
        if self.args.state:
            tmp = self.args.state + ".tmp"
            with open(tmp, "w") as fh:
                json.dump(self.store.snapshot(), fh)
            os.replace(tmp, self.args.state)


def reason_for(code):
    return {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
            409: "Conflict", 410: "Expired", 422: "Invalid", 429: "TooManyRequests",
            500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"}.get(code, "Unknown")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakeapi"
    S = None  # the Server, set in main()
    table = False  # does this request want a meta.k8s.io Table?
    partial = None  # or "item"/"list": does it want metadata alone (partial.py)?
    warnings = ()  # Warning headers for the response (route() starts a list per request)

    def setup(self):
        self.request.do_handshake()  # in this thread, so a bad client cannot stall accept()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and
        # the client's delayed ACK add ~40 ms to every response.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()

    def log_message(self, fmt, *a):
        if self.S.args.verbose:
            sys.stderr.write("fakeapi: %s\n" % (fmt % a))

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_PUT(self):
        self.route("PUT")

    def do_PATCH(self):
        self.route("PATCH")

    def do_DELETE(self):
        self.route("DELETE")

    # --- plumbing ----------------------------------------------------------
    def body(self):
        return self._body

    def read_body(self):
        """Reads the whole request body first, so an early error keeps the connection usable."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def json_body(self):
        raw = self.body()
        if self.headers.get("Content-Type", "").startswith("application/vnd.kubernetes.protobuf"):
            try:
                return protobuf.decode(raw)
            except (ValueError, IndexError) as e:
                raise ApiError(415, "UnsupportedMediaType", str(e))
        try:
            return json.loads(raw) if raw.strip() else None
        except ValueError as e:
            raise ApiError(400, "BadRequest", "invalid JSON body: %s" % e)

    def send_json(self, code, obj, headers=None):
        if self.partial == "item" and code < 300:
            obj = partial.item(obj)
        data = obj.encoded() if isinstance(obj, Typed) else json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        for text in self.warnings:  # RFC 7234 warn-code 299, as the real server sends them
            sys.stderr.write("fakeapi: warning: %s %s (%s): %s\n" % (
                self.command, self.path, self.headers.get("User-Agent", ""), text))
            self.send_header("Warning", '299 - "%s"' % text.replace("\\", "\\\\")
                             .replace('"', '\\"'))
        self.end_headers()
        self.wfile.write(data)
        return code

    def send_error_status(self, e):
        return self.send_json(e.code, e.status(), e.headers)

    # --- routing -----------------------------------------------------------
    def route(self, method):
        self.partial = None  # per request: a kept-alive connection carries many
        if self.S.args.latency_ms:
            time.sleep(self.S.args.latency_ms / 1000.0)
        url = urllib.parse.urlsplit(self.path)
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        info = {"verb": method.lower(), "resource": "", "sub": ""}
        self._body = self.read_body()
        self.warnings = []  # sent with the response, also with an error
        try:
            auth = self.headers.get("Authorization", "")
            by_token = auth.startswith("Bearer ") and auth[7:] in self.S.tokens
            if auth and not by_token or not (by_token or self.request.getpeercert()):
                raise ApiError(401, "Unauthorized", "Unauthorized")
            if url.path.startswith("/fake/"):
                return self.admin(method, url.path)
            code = self.api(method, url.path, q, info)
        except ApiError as e:
            code = self.send_error_status(e)
        except (ConnectionError, ssl.SSLError, BrokenPipeError):
            self.close_connection = True
            code = 0
        except Exception as e:  # a bug here: tell the client instead of dropping it
            traceback.print_exc()
            self.close_connection = True
            try:
                code = self.send_error_status(ApiError(500, "InternalError",
                                                       "fakeapi bug: %r" % e))
            except OSError:
                code = 0
        self.S.count(info["verb"], info["resource"], info["sub"], code)

    def classify(self, method, parts, q, info):
        """Fills info with the verb, resource and subresource, for the request counters."""
        if parts[:2] == ["api", "v1"]:
            group, rest = "", parts[2:]
        elif len(parts) >= 3 and parts[0] == "apis":
            group, rest = parts[1], parts[3:]
        else:
            info["verb"] = "discovery"
            return
        if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] != "status":
            rest = rest[2:]
        if not rest:
            info["verb"] = "discovery"
            return
        info["resource"] = (group + "/" if group else "") + rest[0]
        info["sub"] = rest[2] if len(rest) > 2 else ""
        named = len(rest) > 1
        ctype = self.headers.get("Content-Type", "")
        info["verb"] = {
            "GET": "get" if named else ("watch" if q.get("watch") in ("1", "true", "True")
                                        else "list"),
            "POST": "create", "PUT": "update", "DELETE": "delete" if named else "deletecollection",
            "PATCH": "apply" if ctype.startswith("application/apply-patch") else "patch",
        }.get(method, method.lower())

    def api(self, method, path, q, info):
        parts = [p for p in path.split("/") if p]
        self.classify(method, parts, q, info)
        fault = self.S.take_fault(method, self.path)
        if fault:
            if fault.get("delayMs"):
                time.sleep(fault["delayMs"] / 1000.0)
            if fault.get("status"):
                headers = {"Retry-After": fault["retryAfter"]} if "retryAfter" in fault else {}
                code = int(fault["status"])
                raise ApiError(code, fault.get("reason", reason_for(code)),
                               fault.get("message", "injected fault"),
                               {"retryAfterSeconds": fault["retryAfter"]}
                               if "retryAfter" in fault else None, headers)
        if method == "GET":
            doc = self.discovery(parts)
            if doc is not None:
                return self.send_json(200, doc)
        if parts[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", parts[2:]
        elif len(parts) >= 3 and parts[0] == "apis":
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return self.resource_request(method, group, version, rest, q)

    def discovery(self, parts):
        st = self.S.store
        if parts == []:
            return {"paths": ["/api", "/api/v1", "/apis", "/version", "/healthz"]}
        if parts in (["healthz"], ["readyz"], ["livez"]):
            return "ok"
        if parts[:2] == ["openapi", "v3"]:
            return openapi_v3(st, parts[2:])
        if parts == ["version"]:
            return {"major": "1", "minor": "32", "gitVersion": "v1.32.0-fakeapi",
                    "platform": "linux/amd64", "goVersion": "go1.23", "compiler": "gc",
                    "gitCommit": "0000000", "gitTreeState": "clean",
                    "buildDate": "2026-01-01T00:00:00Z"}
        if parts == ["api"]:
            return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:%d" % self.S.port}]}
        with st.lock:
            rs = list(st.resources.values())
        if parts == ["api", "v1"]:
            return resource_list("v1", [r for r in rs if r.group == ""])
        groups = {}
        for r in rs:
            if r.group:
                groups.setdefault(r.group, []).append(r.version)
        if parts == ["apis"]:
            return {"kind": "APIGroupList", "apiVersion": "v1",
                    "groups": [group_doc(g, vs) for g, vs in sorted(groups.items())]}
        if len(parts) == 2 and parts[0] == "apis" and parts[1] in groups:
            return dict(group_doc(parts[1], groups[parts[1]]), kind="APIGroup", apiVersion="v1")
        if len(parts) == 3 and parts[0] == "apis":
            sel = [r for r in rs if r.group == parts[1] and r.version == parts[2]]
            if sel:
                return resource_list(parts[1] + "/" + parts[2], sel)
        return None

    def resource_request(self, method, group, version, rest, q):
        st = self.S.store
        ns = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            r = st.resources.get((group, version, rest[2]))
            if r is not None and r.namespaced:
                ns, rest = rest[1], rest[2:]
        if not rest or len(rest) > 3:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        res = st.resource(group, version, rest[0])
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else ""
        if sub and not (sub == "status" and res.status):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if res.namespaced and ns is None and (name is not None or method != "GET"):
            # across namespaces only list and watch exist
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        manager = q.get("fieldManager") or self.headers.get("User-Agent", "unknown").split("/")[0]
        w = self.S.writer
        if method != "GET" and dry_run(q, self.json_body() if method == "DELETE" else None):
            w = Writer(st.dry_run_copy())  # the write happens on a copy, then is forgotten
        # kubectl get asks for server-side printing; custom resources get a Table.
        self.table = res.crd and table.wants_table(self.headers.get("Accept"))
        self.include = q.get("includeObject") or "Metadata"
        self.partial = None if self.table else partial.wanted(self.headers.get("Accept"))
        is_list = method == "GET" and name is None and q.get("watch") not in ("1", "true", "True")
        if self.partial == ("item" if is_list else "list"):
            if is_list:
                raise ApiError(406, "NotAcceptable", "you requested PartialObjectMetadata, but "
                               "the requested object is a list (*unstructured.UnstructuredList)")
            raise ApiError(500, "", "content is not a list")
        if method == "GET" and name is None:
            if q.get("watch") in ("1", "true", "True"):
                return self.watch(res, ns, q)
            lst = st.list(res, ns, q.get("labelSelector"), q.get("fieldSelector"),
                          list_limit(q), q.get("continue"))
            if self.table:
                lst = table.table(res, lst["items"], lst["metadata"], self.include)
            elif self.partial:
                lst = partial.as_list(lst)
            return self.send_json(200, lst)
        if method == "GET":
            obj = st.get(res, ns, name)
            if self.table:
                obj = table.table(res, [obj], {"resourceVersion": obj["metadata"][
                    "resourceVersion"]}, self.include)
            return self.send_json(200, obj)
        fv = Validation(q.get("fieldValidation"))
        self.warnings = fv.warnings
        if method == "POST" and name is None:
            return self.send_json(201, w.create(res, ns, self.json_body(), manager, fv))
        if method == "PUT" and name is not None:
            return self.send_json(200, w.update(res, ns, name, self.json_body(), manager, sub,
                                                fv))
        if method == "PATCH" and name is not None:
            ctype = self.headers.get("Content-Type", "")
            is_apply = ctype.startswith("application/apply-patch")
            existed = name_exists(w.s, res, ns, name)
            out = w.patch(res, ns, name, self.body(), ctype,
                          q.get("fieldManager") if is_apply else manager, sub,
                          q.get("force") in ("true", "1"), fv)
            return self.send_json(200 if existed or not is_apply else 201, out)
        if method == "DELETE" and name is not None:
            return self.send_json(200, w.delete(res, ns, name, self.json_body()))
        if method == "DELETE":
            lst = w.s.list(res, ns, q.get("labelSelector"), q.get("fieldSelector"), 0, None)
            for o in lst["items"]:
                w.delete(res, o["metadata"].get("namespace"), o["metadata"]["name"], None)
            return self.send_json(200, lst)
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method")

    # --- watch -------------------------------------------------------------
    def watch(self, res, ns, q):
        st, args = self.S.store, self.S.args
        try:
            w, replay = st.open_watch(res, ns, q.get("resourceVersion"),
                                      q.get("labelSelector"), q.get("fieldSelector"))
            gone = None
        except ApiError as e:
            if e.code != 410 or args.watch_gone == "http":
                raise
            w, replay, gone = None, [], e
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            if gone is not None:
                self.write_events([("ERROR", gone.status())])
            else:
                self.stream(w, replay, res, q)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except _Cut:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        finally:
            if w is not None:
                st.close_watch(w)
        return 200

    def stream(self, w, replay, res, q):
        self.table_headers_sent = False  # only a Table watch's first event has columns
        st, args = self.S.store, self.S.args
        deadline = time.time() + (number(q, "timeoutSeconds") or 1800)
        bookmarks = q.get("allowWatchBookmarks") in ("true", "1")
        next_bm = time.time() + args.bookmark_seconds
        pending = list(replay)
        while True:
            if pending:
                self.write_events(pending, res)
                pending = []
            now_ = time.time()
            if now_ >= deadline:
                return
            wait = deadline - now_
            if bookmarks:
                wait = min(wait, max(0.0, next_bm - now_))
            try:
                item = w.q.get(timeout=min(wait, 1.0))
            except queue.Empty:  # time for a bookmark, the end, or to see if the client left
                if self.client_gone():
                    raise _Cut()
                if bookmarks and time.time() >= next_bm:
                    with st.lock:
                        rv = str(st.rv) if w.q.empty() else None
                    if rv is not None:
                        bm = {"kind": res.kind, "apiVersion": res.api_version,
                              "metadata": {"resourceVersion": rv}}
                        pending.append(("BOOKMARK", bm))
                    next_bm = time.time() + args.bookmark_seconds
                continue
            if item == "CUT":
                raise _Cut()
            if item == "END":  # like a server-side timeout: the stream ends cleanly
                return
            if item == "EXPIRE":
                err = ApiError(410, "Expired", "too old resource version: %d (%d)" %
                               (st.floor, st.floor + 1))
                self.write_events([("ERROR", err.status())])
                return
            pending.append(item)
            while not w.q.empty() and len(pending) < 16:  # several events per chunk
                nxt = w.q.get_nowait()
                if nxt in ("CUT", "END", "EXPIRE"):
                    w.q.put(nxt)
                    break
                pending.append(nxt)

    def client_gone(self):
        """True when the watching client closed its connection (it sends nothing else)."""
        try:
            readable, _, _ = select.select([self.request], [], [], 0)
            return bool(readable) and self.request.recv(1) == b""
        except (OSError, ValueError):
            return True

    def event_object(self, etype, obj, res):
        if self.partial and etype == "BOOKMARK":
            return partial.item(obj)
        if res is None or etype in ("ERROR", "BOOKMARK"):
            return obj
        # a shallow copy: the event's object is the history's own copy, only read here
        obj = dict(obj, apiVersion=res.api_version, kind=res.kind)
        if self.partial:
            return partial.item(obj)
        if not self.table:
            return obj
        headers, self.table_headers_sent = not self.table_headers_sent, True
        return table.table(res, [obj], {"resourceVersion": obj["metadata"]["resourceVersion"]},
                           self.include, headers)

    def event_line(self, etype, obj, res):
        if (isinstance(obj, Typed) and not self.table and not self.partial and res is not None
                and obj.get("apiVersion") == res.api_version and obj.get("kind") == res.kind):
            return b'{"type": "%s", "object": %s}\n' % (etype.encode(), obj.encoded())
        event = {"type": etype, "object": self.event_object(etype, obj, res)}
        return json.dumps(event).encode() + b"\n"

    def write_events(self, events, res=None):
        """Writes events as JSON lines in chunks of odd sizes, to exercise clients' framing."""
        data = b"".join(self.event_line(t, o, res) for t, o in events)
        rnd = self.S.rnd
        while data:
            r = rnd.random()
            if self.S.args.plain_chunks or r < 0.2:
                n = len(data)  # everything pending in one chunk
            elif r < 0.6:
                n = rnd.randint(1, len(data))  # cut anywhere, even inside a UTF-8 sequence
            else:  # end the chunk after one to three whole events
                ends = [i + 1 for i, b in enumerate(data) if b == 0x0A][:rnd.randint(1, 3)]
                n = ends[-1]
            self.wfile.write(b"%x\r\n" % n + data[:n] + b"\r\n")
            self.wfile.flush()
            data = data[n:]

    # --- admin -------------------------------------------------------------
    def admin(self, method, path):
        S = self.S
        body = self.json_body() if method in ("POST", "PUT") else None
        if path == "/fake/requests" and method == "GET":
            return self.send_json(200, S.requests())
        if path == "/fake/reset-requests" and method == "POST":
            with S.counts_lock:
                S.counts.clear()
            return self.send_json(200, {"ok": True})
        if path == "/fake/faults":
            with S.faults_lock:
                if method == "POST":
                    for f in body if isinstance(body, list) else [body]:
                        if not isinstance(f, dict):
                            raise ApiError(400, "BadRequest", "a fault is a JSON object")
                        try:
                            re.compile(f.get("path", ""))
                        except re.error as e:
                            raise ApiError(400, "BadRequest", "bad path regex: %s" % e)
                        S.faults.append(f)
                elif method == "DELETE":
                    S.faults.clear()
                return self.send_json(200, {"faults": list(S.faults)})
        if path == "/fake/cut-watches" and method == "POST":
            with S.store.lock:
                n = len(S.store.watches)
            S.store.signal_watches("END" if (body or {}).get("clean") else "CUT")
            return self.send_json(200, {"cut": n})
        if path == "/fake/compact" and method == "POST":
            S.store.compact()
            if (body or {}).get("expireWatches"):
                S.store.signal_watches("EXPIRE")
            return self.send_json(200, {"resourceVersion": str(S.store.rv)})
        if path == "/fake/watches" and method == "GET":
            with S.store.lock:
                ws = [{"resource": w.res.plural, "namespace": w.ns} for w in S.store.watches]
            return self.send_json(200, {"count": len(ws), "watches": ws})
        if path == "/fake/token" and method == "POST":
            token = (body or {}).get("token")
            if not isinstance(token, str) or not token:
                raise ApiError(400, "BadRequest", 'want {"token": "...", "keepOld": false}')
            S.tokens = (S.tokens if body.get("keepOld") else set()) | {token}
            return self.send_json(200, {"tokens": len(S.tokens)})
        if path == "/fake/save" and method == "POST":
            S.save()
            return self.send_json(200, {"saved": S.args.state})
        raise ApiError(404, "NotFound", "no such admin endpoint: %s %s" % (method, path))


def dry_run(q, delete_options):
    """dryRun=All comes in the query, or for DELETE in the DeleteOptions body too."""
    opts = delete_options if isinstance(delete_options, dict) else {}
    return q.get("dryRun") == "All" or "All" in (opts.get("dryRun") or [])


def number(q, name):
    """A non-negative integer query parameter (0 when absent); 400 when malformed."""
    try:
        n = int(q.get(name) or 0)
    except ValueError:
        n = -1
    if n < 0:
        raise ApiError(400, "BadRequest", "invalid %s: %r" % (name, q.get(name)))
    return n


class _Cut(Exception):
    pass


def name_exists(st, res, ns, name):
    with st.lock:
        return ((ns or "") if res.namespaced else "", name) in st.objects.get(res.gr, {})


def openapi_v3(st, gv_parts):
    """An OpenAPI v3 index whose documents only declare that PATCH takes fieldValidation.

    kubectl reads this to decide that the server validates fields itself (so it sends
    fieldValidation=Strict instead of validating against schemas it would download).
    """
    with st.lock:
        rs = list(st.resources.values())
    gvs = sorted({("api/v1" if not r.group else "apis/%s/%s" % (r.group, r.version)) for r in rs})
    if not gv_parts:
        return {"paths": {gv: {"serverRelativeURL": "/openapi/v3/" + gv} for gv in gvs}}
    gv = "/".join(gv_parts)
    if gv not in gvs:
        return None
    paths = {}
    for r in rs:
        if ("api/v1" if not r.group else "apis/%s/%s" % (r.group, r.version)) != gv:
            continue
        path = "/%s/%s%s/{name}" % (gv, "namespaces/{namespace}/" if r.namespaced else "",
                                    r.plural)
        paths[path] = {"patch": {
            "x-kubernetes-group-version-kind": {"group": r.group, "version": r.version,
                                                "kind": r.kind},
            "parameters": [{"name": "fieldValidation", "in": "query",
                            "schema": {"type": "string"}}],
            "responses": {"200": {"description": "OK"}}}}
    return {"openapi": "3.0.0", "info": {"title": "fakeapi", "version": "v1.32.0"},
            "paths": paths, "components": {"schemas": {}}}


def list_limit(q):
    """The page size a list is served with, as kube-apiserver v1.26 decides: resourceVersion
    "0" without a continue token is served from the watch cache, which ignores limit and
    answers in one piece; a continue token with any other resourceVersion is refused."""
    rv, cont = q.get("resourceVersion"), q.get("continue")
    if cont and rv not in (None, "", "0"):
        raise ApiError(400, "BadRequest",
                       "specifying resource version is not allowed when using continue")
    if rv == "0" and not cont:
        return 0
    return number(q, "limit")


def resource_list(gv, rs):
    out = []
    for r in sorted(rs, key=lambda r: r.plural):
        out.extend(r.describe())
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": out}


def group_doc(group, versions):
    vs = [{"groupVersion": group + "/" + v, "version": v} for v in sorted(set(versions))]
    return {"name": group, "versions": vs, "preferredVersion": vs[-1]}


# --- start-up ------------------------------------------------------------------
def ensure_certs(d):
    files = ("ca.crt", "server.crt", "server.key", "client.crt", "client.key")
    if all(os.path.exists(os.path.join(d, f)) for f in files):
        return
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "3650"]
    run = lambda *a: subprocess.run(["openssl", "req", "-x509"] + ec + list(a), cwd=d,  # noqa
                                    check=True, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
    run("-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=fakeapi-ca")
    run("-keyout", "server.key", "-out", "server.crt", "-subj", "/CN=127.0.0.1",
        "-CA", "ca.crt", "-CAkey", "ca.key",
        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-addext", "basicConstraints=critical,CA:FALSE",
        "-addext", "extendedKeyUsage=serverAuth")
    # A client certificate from the same CA authenticates like the token does.
    run("-keyout", "client.key", "-out", "client.crt", "-subj", "/CN=fakeapi-user/O=tests",
        "-CA", "ca.crt", "-CAkey", "ca.key",
        "-addext", "basicConstraints=critical,CA:FALSE",
        "-addext", "extendedKeyUsage=clientAuth")


def ensure_token(d):
    path = os.path.join(d, "token")
    if not os.path.exists(path):
        with open(path, "w") as fh:
            fh.write(os.urandom(16).hex())
    with open(path) as fh:
        return fh.read().strip()


def write_kubeconfig(d, port, token):
    ca = os.path.join(os.path.abspath(d), "ca.crt")
    text = """apiVersion: v1
kind: Config
clusters:
- name: fakeapi
  cluster:
    server: https://127.0.0.1:%d
    certificate-authority: %s
users:
- name: fakeapi
  user:
    token: %s
contexts:
- name: fakeapi
  context:
    cluster: fakeapi
    user: fakeapi
    namespace: default
current-context: fakeapi
""" % (port, ca, token)
    with open(os.path.join(d, "kubeconfig"), "w") as fh:
        fh.write(text)
    cert = text.split("users:")[0] + """users:
- name: fakeapi
  user:
    client-certificate: %s
    client-key: %s
contexts:""" % (os.path.join(os.path.abspath(d), "client.crt"),
                  os.path.join(os.path.abspath(d), "client.key")) + text.split("contexts:")[1]
    with open(os.path.join(d, "kubeconfig-cert"), "w") as fh:
        fh.write(cert)
    with open(os.path.join(d, "port"), "w") as fh:
        fh.write("%d\n" % port)


def load_crds(S, files, fallback):
    have_slo = False
    for path in files:
        try:
            with open(path) as fh:
                docs = miniyaml.load_all(fh.read())
        except (OSError, ValueError) as e:
            sys.stderr.write("fakeapi: skipping %s: %s\n" % (path, e))
            continue
        for doc in docs:
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                have_slo |= doc["metadata"]["name"] == SLO_FALLBACK["metadata"]["name"]
                install_crd(S, doc)
    if fallback and not have_slo:
        install_crd(S, json.loads(json.dumps(SLO_FALLBACK)))


def install_crd(S, doc):
    res = S.store.resource("apiextensions.k8s.io", "v1", "customresourcedefinitions")
    try:
        S.writer.create(res, None, doc, "fakeapi")
    except ApiError as e:
        if e.code == 422:  # as kubectl apply -f would be refused: say so, serve the rest
            sys.stderr.write("fakeapi: not serving a CRD the real server refuses: %s\n" %
                             e.message)
        elif e.code != 409:
            raise


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", required=True, help="where certificates, token and kubeconfig go")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--crd", action="append", default=[],
                   help="more CRD YAML files to serve (besides tests/fakeapi/crds and crds/)")
    p.add_argument("--bare", action="store_true",
                   help="serve no CRDs at start (kubectl apply -f crds/ installs them)")
    p.add_argument("--state", help="load objects from FILE at start, save them on SIGTERM")
    p.add_argument("--latency-ms", type=int, default=0, help="delay every request")
    p.add_argument("--bookmark-seconds", type=float, default=3.0)
    p.add_argument("--watch-gone", choices=("event", "http"), default="event",
                   help="answer a too-old watch resourceVersion with an ERROR event or HTTP 410")
    p.add_argument("--plain-chunks", action="store_true", help="one chunk per write")
    p.add_argument("--seed", type=int, default=None, help="seed for chunk splitting")
    p.add_argument("--verbose", action="store_true")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    os.makedirs(args.dir, exist_ok=True)
    S = Server(args)
    S.rnd = random.Random(args.seed)
    S.token = ensure_token(args.dir)
    S.tokens = {S.token}  # the bearer tokens accepted (POST /fake/token rotates them)
    ensure_certs(args.dir)
    st = S.store
    ns_res = st.resource("", "v1", "namespaces")
    if args.state and os.path.exists(args.state):
        with open(args.state) as fh:
            st.restore(json.load(fh))
    if ("", "default") not in st.objects[ns_res.gr]:
        S.writer.create(ns_res, None, {"metadata": {"name": "default"}}, "fakeapi")
    if not args.bare:
        load_crds(S, sorted(glob.glob(os.path.join(HERE, "crds", "*.yaml"))) +
                  sorted(glob.glob(os.path.join(HERE, "..", "..", "crds", "*.yaml"))) +
                  args.crd, True)
    elif args.crd:
        load_crds(S, args.crd, False)

    Handler.S = S
    httpd = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    httpd.daemon_threads = True
    httpd.handle_error = lambda req, addr: args.verbose and sys.stderr.write(
        "fakeapi: error from %s: %r\n" % (addr, sys.exc_info()[1]))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(args.dir, "server.crt"), os.path.join(args.dir, "server.key"))
    ctx.set_alpn_protocols(["http/1.1"])
    ctx.load_verify_locations(os.path.join(args.dir, "ca.crt"))
    ctx.verify_mode = ssl.CERT_OPTIONAL  # client certificates are checked when presented
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)
    S.port = httpd.server_address[1]
    write_kubeconfig(args.dir, S.port, S.token)

    def stop(signum, frame):
        S.save()
        os._exit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("ready https://127.0.0.1:%d" % S.port, flush=True)
    httpd.serve_forever(poll_interval=0.2)


if __name__ == "__main__":
    main(sys.argv[1:])
