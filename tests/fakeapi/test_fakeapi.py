"""Tests of the fake API server's Kubernetes semantics (run by fakeapi.test.sh)."""
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SLOS = "/apis/burnrate.dev/v1alpha1/namespaces/%s/servicelevelobjectives"
CMS = "/api/v1/namespaces/%s/configmaps"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
NOT_CHECKED = ('<nil>: Invalid value: "null": some validation rules were not checked because '
               "the object was invalid; correct the existing errors to complete validation")


def start(d, *extra):
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "fakeapi.py"), "--dir", d,
                          "--bookmark-seconds", "0.5"] + list(extra),
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    if not line.startswith("ready https://127.0.0.1:"):
        p.kill()
        raise RuntimeError("fakeapi did not start: %r" % line)
    return p, int(line.rsplit(":", 1)[1])


class Client:
    def __init__(self, d, port):
        self.port = port
        with open(os.path.join(d, "token")) as fh:
            self.token = fh.read().strip()
        self.ctx = ssl.create_default_context(cafile=os.path.join(d, "ca.crt"))

    def conn(self, timeout=10):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx,
                                           timeout=timeout)

    def req(self, method, path, body=None, ctype="application/json", token=None):
        c = self.conn()
        token = self.token if token is None else token
        headers = {"Authorization": "Bearer " + token} if token else {}
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = ctype
        c.request(method, path, body=data, headers=headers)
        r = c.getresponse()
        raw = r.read()
        c.close()
        return r.status, r.headers, json.loads(raw) if raw else None

    def ok(self, method, path, body=None, ctype="application/json", want=(200, 201)):
        code, _, out = self.req(method, path, body, ctype)
        if code not in want:
            raise AssertionError("%s %s: %d %s" % (method, path, code, out))
        return out

    def watch(self, path, accept=None):
        c = self.conn(timeout=10)
        h = {"Authorization": "Bearer " + self.token}
        if accept:
            h["Accept"] = accept
        c.request("GET", path, headers=h)
        r = c.getresponse()
        return c, r


def read_events(r, n):
    out = []
    while len(out) < n:
        line = r.readline()
        if not line:
            break
        out.append(json.loads(line))
    return out


GOOD_SPEC = {"service": "web", "objective": 99.9,
             "indicator": {"ratio": {"errors": "errors_total", "total": "requests_total"}}}


def slo(name, **spec):
    """An SLO the CRD's schema accepts, with spec fields changed or added."""
    return partial(name, **dict(GOOD_SPEC, **spec))


def partial(name, **spec):
    """An SLO with only these spec fields (for apply, merged with what is there)."""
    return {"apiVersion": "burnrate.dev/v1alpha1", "kind": "ServiceLevelObjective",
            "metadata": {"name": name}, "spec": spec}


class FakeApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="fakeapi-test.")
        cls.proc, cls.port = start(cls.dir, "--seed", "1")
        cls.c = Client(cls.dir, cls.port)

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait()
        cls.proc.stdout.close()
        shutil.rmtree(cls.dir)

    def wait_watching(self, ns):
        for _ in range(100):
            if any(w["namespace"] == ns for w in self.c.ok("GET", "/fake/watches")["watches"]):
                return
            time.sleep(0.05)
        self.fail("the watch in %s never opened" % ns)

    def ns(self):
        name = "t-" + uuid.uuid4().hex[:8]
        self.c.ok("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
        return name

    # --- transport ---------------------------------------------------------
    def test_auth_required(self):
        code, _, st = self.c.req("GET", "/api/v1/namespaces", token="wrong")
        self.assertEqual(code, 401)
        self.assertEqual((st["kind"], st["reason"], st["code"]), ("Status", "Unauthorized", 401))
        code, _, _ = self.c.req("GET", "/fake/requests", token="")
        self.assertEqual(code, 401)
        # A refused request's body is still read: the kept-alive connection stays usable.
        conn = self.c.conn()
        conn.request("POST", CMS % "default", body=b'{"metadata":{"name":"x"}}',
                     headers={"Authorization": "Bearer wrong"})
        r = conn.getresponse()
        r.read()
        self.assertEqual(r.status, 401)
        conn.request("GET", "/version", headers={"Authorization": "Bearer " + self.c.token})
        r = conn.getresponse()
        self.assertEqual((r.status, json.loads(r.read())["major"]), (200, "1"))
        conn.close()

    def test_tls_needs_the_ca(self):
        c = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=5,
                                        context=ssl.create_default_context())
        with self.assertRaises(ssl.SSLCertVerificationError):
            c.request("GET", "/version")
        c.close()
        self.assertEqual(self.c.ok("GET", "/version")["major"], "1")

    def test_client_certificate_auth(self):
        ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "ca.crt"))
        ctx.load_cert_chain(os.path.join(self.dir, "client.crt"),
                            os.path.join(self.dir, "client.key"))
        c = http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx, timeout=5)
        c.request("GET", "/api/v1/namespaces/default")
        r = c.getresponse()
        self.assertEqual((r.status, json.loads(r.read())["metadata"]["name"]), (200, "default"))
        c.close()
        self.assertEqual(self.c.req("GET", "/api/v1/namespaces/default", token="")[0], 401)
        with open(os.path.join(self.dir, "kubeconfig-cert")) as fh:
            self.assertIn("client-certificate: ", fh.read())

    def test_kubeconfig(self):
        with open(os.path.join(self.dir, "kubeconfig")) as fh:
            text = fh.read()
        self.assertIn("server: https://127.0.0.1:%d" % self.port, text)
        self.assertIn("token: " + self.c.token, text)
        self.assertIn("namespace: default", text)

    # --- discovery ---------------------------------------------------------
    def test_discovery(self):
        groups = [g["name"] for g in self.c.ok("GET", "/apis")["groups"]]
        for g in ("burnrate.dev", "monitoring.coreos.com", "coordination.k8s.io",
                  "apiextensions.k8s.io"):
            self.assertIn(g, groups)
        rl = self.c.ok("GET", "/apis/burnrate.dev/v1alpha1")["resources"]
        names = {r["name"]: r for r in rl}
        self.assertIn("servicelevelobjectives/status", names)
        self.assertTrue(names["servicelevelobjectives"]["namespaced"])
        self.assertIn("slo", names["servicelevelobjectives"]["shortNames"])
        core = {r["name"] for r in self.c.ok("GET", "/api/v1")["resources"]}
        self.assertTrue({"namespaces", "secrets", "configmaps", "events"} <= core)

    # --- CRUD --------------------------------------------------------------
    def test_create_get_conflict_and_missing_namespace(self):
        ns = self.ns()
        o = self.c.ok("POST", SLOS % ns, slo("a"), want=(201,))
        md = o["metadata"]
        self.assertEqual(md["generation"], 1)
        self.assertIsInstance(md["resourceVersion"], str)
        self.assertTrue(md["uid"] and md["creationTimestamp"])
        code, _, st = self.c.req("POST", SLOS % ns, slo("a"))
        self.assertEqual((code, st["reason"]), (409, "AlreadyExists"))
        code, _, st = self.c.req("GET", SLOS % ns + "/nope")
        self.assertEqual((code, st["reason"]), (404, "NotFound"))
        code, _, st = self.c.req("POST", SLOS % "no-such-ns", slo("a"))
        self.assertEqual((code, st["reason"]), (404, "NotFound"))
        self.assertIn('namespaces "no-such-ns" not found', st["message"])

    def test_generation_bumps_only_on_spec_change(self):
        ns = self.ns()
        o = self.c.ok("POST", SLOS % ns, slo("g"))
        rv0 = o["metadata"]["resourceVersion"]
        o = self.c.ok("PATCH", SLOS % ns + "/g", {"metadata": {"labels": {"x": "y"}}},
                      "application/merge-patch+json")
        self.assertEqual(o["metadata"]["generation"], 1)
        self.assertNotEqual(o["metadata"]["resourceVersion"], rv0)
        o = self.c.ok("PATCH", SLOS % ns + "/g/status", {"status": {"observedGeneration": 1}},
                      "application/merge-patch+json")
        self.assertEqual(o["metadata"]["generation"], 1)
        o = self.c.ok("PATCH", SLOS % ns + "/g", {"spec": {"objective": 99}},
                      "application/merge-patch+json")
        self.assertEqual(o["metadata"]["generation"], 2)
        rv = o["metadata"]["resourceVersion"]
        o = self.c.ok("PATCH", SLOS % ns + "/g", {"spec": {"objective": 99}},
                      "application/merge-patch+json")
        self.assertEqual(o["metadata"]["resourceVersion"], rv, "a no-op write is not a write")

    def test_status_subresource_isolation(self):
        ns = self.ns()
        o = self.c.ok("POST", SLOS % ns, dict(slo("s"), status={"ignored": True}))
        self.assertNotIn("status", o)
        o["status"] = {"observedGeneration": 1}
        o["spec"]["objective"] = 95
        s = self.c.ok("PUT", SLOS % ns + "/s/status", o)
        self.assertEqual(s["status"], {"observedGeneration": 1})
        self.assertEqual(s["spec"]["objective"], 99.9, "/status must not change spec")
        s["status"] = {"observedGeneration": 7}
        s["spec"]["objective"] = 95
        m = self.c.ok("PUT", SLOS % ns + "/s", s)
        self.assertEqual(m["status"], {"observedGeneration": 1}, "main resource ignores status")
        self.assertEqual(m["spec"]["objective"], 95)
        self.assertEqual(m["metadata"]["generation"], 2)

    def test_stale_update_is_conflict(self):
        ns = self.ns()
        o = self.c.ok("POST", CMS % ns, {"metadata": {"name": "c"}, "data": {"a": "1"}})
        o2 = dict(o, data={"a": "2"})
        self.c.ok("PUT", CMS % ns + "/c", o2)
        o["data"] = {"a": "3"}
        code, _, st = self.c.req("PUT", CMS % ns + "/c", o)
        self.assertEqual((code, st["reason"]), (409, "Conflict"))
        self.assertIn('Operation cannot be fulfilled on configmaps "c"', st["message"])
        s = self.c.ok("POST", SLOS % ns, slo("u"))
        del s["metadata"]["resourceVersion"]
        code, _, st = self.c.req("PUT", SLOS % ns + "/u", s)
        self.assertEqual(code, 422, "custom resources need a resourceVersion to update")

    def test_list_selectors_and_paging(self):
        ns = self.ns()
        for i in range(5):
            self.c.ok("POST", CMS % ns, {"metadata": {"name": "c%d" % i,
                                                      "labels": {"odd": str(i % 2)}}})
        lst = self.c.ok("GET", CMS % ns + "?labelSelector=odd%3D1")
        self.assertEqual([o["metadata"]["name"] for o in lst["items"]], ["c1", "c3"])
        lst = self.c.ok("GET", CMS % ns + "?labelSelector=odd!%3D1")
        self.assertEqual(len(lst["items"]), 3)
        names, cont = [], ""
        for _ in range(5):
            lst = self.c.ok("GET", CMS % ns + "?limit=2" + ("&continue=" + cont if cont else ""))
            names += [o["metadata"]["name"] for o in lst["items"]]
            self.assertTrue(lst["metadata"]["resourceVersion"])
            cont = lst["metadata"].get("continue")
            if not cont:
                break
        self.assertEqual(names, ["c0", "c1", "c2", "c3", "c4"])
        all_ns = self.c.ok("GET", "/api/v1/configmaps")
        self.assertGreaterEqual(len(all_ns["items"]), 5)

    # --- server-side apply -------------------------------------------------
    def test_server_side_apply(self):
        ns = self.ns()
        url = SLOS % ns + "/ssa?fieldManager=%s"
        ap = "application/apply-patch+yaml"
        code, _, o = self.c.req("PATCH", url % "one", slo("ssa", objective=99, window="30d"), ap)
        self.assertEqual(code, 201)
        self.assertEqual(o["metadata"]["managedFields"][0]["manager"], "one")
        code, _, st = self.c.req("PATCH", SLOS % ns + "/ssa", slo("ssa"), ap)
        self.assertEqual(code, 400, "fieldManager is required")
        code, _, st = self.c.req("PATCH", url % "two", slo("ssa", objective=98), ap)
        self.assertEqual((code, st["reason"]), (409, "Conflict"))
        self.assertEqual(st["details"]["causes"][0]["reason"], "FieldManagerConflict")
        self.assertEqual(st["details"]["causes"][0]["field"], ".spec.objective")
        o = self.c.ok("PATCH", url % "two" + "&force=true", slo("ssa", objective=98), ap)
        self.assertEqual((o["spec"]["objective"], o["metadata"]["generation"]), (98, 2))
        # "one" no longer owns objective, shares service and indicator with "two", owns
        # window alone: applying only service drops window (and the schema's default
        # brings it back as 30d).
        yaml_body = b"apiVersion: burnrate.dev/v1alpha1\nkind: ServiceLevelObjective\n" \
                    b"metadata:\n  name: ssa\nspec:\n  service: web\n  window: 7d\n"
        o = self.c.ok("PATCH", url % "one", yaml_body, ap)
        self.assertEqual(o["spec"]["window"], "7d")
        o = self.c.ok("PATCH", url % "one", yaml_body.replace(b"  window: 7d\n", b""), ap)
        self.assertEqual(o["spec"], dict(GOOD_SPEC, objective=98, window="30d"))
        same = self.c.ok("PATCH", url % "one", yaml_body.replace(b"  window: 7d\n", b""), ap)
        self.assertEqual(same["metadata"]["resourceVersion"], o["metadata"]["resourceVersion"])
        # the same value applied by another manager: shared, no conflict, recorded
        both = self.c.ok("PATCH", url % "three", partial("ssa", service="web"), ap)
        self.assertEqual(both["spec"], o["spec"])
        owners = {e["manager"] for e in both["metadata"]["managedFields"]
                  if "f:service" in e["fieldsV1"].get("f:spec", {})}
        self.assertEqual(owners, {"one", "two", "three"})
        st = self.c.ok("PATCH", SLOS % ns + "/ssa/status?fieldManager=ctl&force=true",
                       {"apiVersion": "burnrate.dev/v1alpha1", "kind": "ServiceLevelObjective",
                        "metadata": {"name": "ssa"}, "status": {"observedGeneration": 3}}, ap)
        self.assertEqual(st["status"], {"observedGeneration": 3})
        self.assertEqual(st["spec"], o["spec"])

    # --- delete and garbage collection ---------------------------------------
    def test_garbage_collection(self):
        ns = self.ns()
        owner = self.c.ok("POST", SLOS % ns, slo("owner"))
        ref = {"apiVersion": "burnrate.dev/v1alpha1", "kind": "ServiceLevelObjective",
               "name": "owner", "uid": owner["metadata"]["uid"], "controller": True}
        self.c.ok("POST", CMS % ns, {"metadata": {"name": "owned", "ownerReferences": [ref]}})
        self.c.ok("POST", CMS % ns, {"metadata": {"name": "free"}})
        lst = self.c.ok("GET", CMS % ns)
        c, r = self.c.watch(CMS % ns + "?watch=1&resourceVersion=" +
                            lst["metadata"]["resourceVersion"])
        gone = self.c.ok("DELETE", SLOS % ns + "/owner")
        self.assertEqual(gone["metadata"]["name"], "owner")
        ev = read_events(r, 1)
        c.close()
        self.assertEqual((ev[0]["type"], ev[0]["object"]["metadata"]["name"]),
                         ("DELETED", "owned"))
        code, _, _ = self.c.req("GET", CMS % ns + "/owned")
        self.assertEqual(code, 404)
        self.c.ok("GET", CMS % ns + "/free")

    def test_apply_sets_owner_references(self):
        ns = self.ns()
        owner = self.c.ok("POST", SLOS % ns, slo("own"))
        ref = {"apiVersion": "burnrate.dev/v1alpha1", "kind": "ServiceLevelObjective",
               "name": "own", "uid": owner["metadata"]["uid"], "controller": True}
        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "gen"},
              "data": {"a": "1"}}
        url = CMS % ns + "/gen?fieldManager=ctl&force=true"
        self.c.ok("PATCH", url, cm, "application/apply-patch+yaml")
        cm["metadata"]["ownerReferences"] = [ref]
        o = self.c.ok("PATCH", url, cm, "application/apply-patch+yaml")
        self.assertEqual(o["metadata"]["ownerReferences"][0]["uid"], owner["metadata"]["uid"])
        self.c.ok("DELETE", SLOS % ns + "/own")
        self.assertEqual(self.c.req("GET", CMS % ns + "/gen")[0], 404)

    def test_dry_run_changes_nothing(self):
        ns = self.ns()
        o = self.c.ok("POST", CMS % ns + "?dryRun=All", {"metadata": {"name": "d"}})
        self.assertEqual(o["metadata"]["name"], "d")
        self.assertEqual(self.c.req("GET", CMS % ns + "/d")[0], 404)
        self.c.ok("POST", CMS % ns, {"metadata": {"name": "d"}, "data": {"a": "1"}})
        o = self.c.ok("PATCH", CMS % ns + "/d?dryRun=All", {"data": {"a": "2"}},
                      "application/merge-patch+json")
        self.assertEqual(o["data"], {"a": "2"})
        self.c.ok("DELETE", CMS % ns + "/d", {"dryRun": ["All"]})
        self.assertEqual(self.c.ok("GET", CMS % ns + "/d")["data"], {"a": "1"})

    def test_gc_of_objects_created_for_a_gone_owner_and_orphaning(self):
        ns = self.ns()
        ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "ghost",
               "uid": "00000000-0000-0000-0000-000000000000"}
        self.c.ok("POST", CMS % ns, {"metadata": {"name": "late", "ownerReferences": [ref]}})
        self.assertEqual(self.c.req("GET", CMS % ns + "/late")[0], 404,
                         "an object whose owners are all gone is collected")
        owner = self.c.ok("POST", CMS % ns, {"metadata": {"name": "o1"}})
        ref2 = dict(ref, name="o1", uid=owner["metadata"]["uid"])
        self.c.ok("POST", CMS % ns, {"metadata": {"name": "two", "ownerReferences": [ref2]}})
        self.c.ok("DELETE", CMS % ns + "/o1", {"propagationPolicy": "Orphan"})
        kept = self.c.ok("GET", CMS % ns + "/two")
        self.assertNotIn("ownerReferences", kept["metadata"])

    def test_finalizers_delay_deletion(self):
        ns = self.ns()
        self.c.ok("POST", CMS % ns, {"metadata": {"name": "f", "finalizers": ["x/y"]}})
        o = self.c.ok("DELETE", CMS % ns + "/f")
        self.assertIn("deletionTimestamp", o["metadata"])
        self.c.ok("GET", CMS % ns + "/f")
        self.c.ok("PATCH", CMS % ns + "/f", {"metadata": {"finalizers": None}},
                  "application/merge-patch+json")
        code, _, _ = self.c.req("GET", CMS % ns + "/f")
        self.assertEqual(code, 404)

    # --- watch -------------------------------------------------------------
    def test_watch_replay_and_bookmarks(self):
        ns = self.ns()
        rv = self.c.ok("GET", CMS % ns)["metadata"]["resourceVersion"]
        self.c.ok("POST", CMS % ns, {"metadata": {"name": "w"}, "data": {"a": "1"}})
        self.c.ok("PATCH", CMS % ns + "/w", {"data": {"a": "2"}}, "application/merge-patch+json")
        self.c.ok("DELETE", CMS % ns + "/w")
        c, r = self.c.watch(CMS % ns + "?watch=true&allowWatchBookmarks=true&resourceVersion="
                            + rv)
        self.assertEqual(r.getheader("Transfer-Encoding"), "chunked")
        ev = read_events(r, 4)
        c.close()
        self.assertEqual([e["type"] for e in ev], ["ADDED", "MODIFIED", "DELETED", "BOOKMARK"])
        self.assertEqual(ev[1]["object"]["data"], {"a": "2"})
        rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in ev]
        self.assertEqual(rvs, sorted(rvs))
        self.assertEqual(ev[3]["object"]["kind"], "ConfigMap")

    def test_watch_timeout_and_initial_adds(self):
        ns = self.ns()
        self.c.ok("POST", CMS % ns, {"metadata": {"name": "i", "labels": {"k": "v"}}})
        self.c.ok("POST", CMS % ns, {"metadata": {"name": "j"}})
        c, r = self.c.watch(CMS % ns + "?watch=1&timeoutSeconds=1&labelSelector=k%3Dv")
        t0 = time.time()
        ev = read_events(r, 10)
        c.close()
        self.assertEqual([(e["type"], e["object"]["metadata"]["name"]) for e in ev],
                         [("ADDED", "i")])
        self.assertLess(time.time() - t0, 5)

    def test_watch_selector_leave_and_enter(self):
        """As the watch cache: leaving a label selector is DELETED, entering it ADDED."""
        ns = self.ns()
        rv = self.c.ok("GET", CMS % ns)["metadata"]["resourceVersion"]
        self.c.ok("POST", CMS % ns, {"metadata": {"name": "s", "labels": {"k": "v"}}})
        self.c.ok("PATCH", CMS % ns + "/s", {"metadata": {"labels": {"k": "other"}}},
                  "application/merge-patch+json")
        self.c.ok("PATCH", CMS % ns + "/s", {"data": {"x": "1"}}, "application/merge-patch+json")
        last = self.c.ok("PATCH", CMS % ns + "/s", {"metadata": {"labels": {"k": "v"}}},
                         "application/merge-patch+json")
        c, r = self.c.watch(CMS % ns + "?watch=1&timeoutSeconds=1&labelSelector=k%3Dv"
                            "&resourceVersion=" + rv)
        ev = read_events(r, 10)
        c.close()
        self.assertEqual([e["type"] for e in ev], ["ADDED", "DELETED", "ADDED"])
        self.assertEqual(ev[1]["object"]["metadata"]["labels"], {"k": "v"})  # as it was
        self.assertEqual(ev[2]["object"]["metadata"]["resourceVersion"],
                         last["metadata"]["resourceVersion"])

    def test_too_old_resource_version(self):
        ns = self.ns()
        rv = self.c.ok("GET", CMS % ns)["metadata"]["resourceVersion"]
        self.c.ok("POST", CMS % ns, {"metadata": {"name": "o"}})
        self.c.ok("POST", "/fake/compact", {})
        c, r = self.c.watch(CMS % ns + "?watch=1&resourceVersion=" + rv)
        ev = read_events(r, 2)
        c.close()
        self.assertEqual(len(ev), 1)
        self.assertEqual(ev[0]["type"], "ERROR")
        self.assertEqual((ev[0]["object"]["code"], ev[0]["object"]["reason"]), (410, "Expired"))
        self.assertIn("too old resource version: " + rv, ev[0]["object"]["message"])

    def test_cut_watches(self):
        ns = self.ns()
        c, r = self.c.watch(CMS % ns + "?watch=1")
        self.wait_watching(ns)
        self.assertGreaterEqual(self.c.ok("POST", "/fake/cut-watches", {})["cut"], 1)
        with self.assertRaises((http.client.IncompleteRead, ConnectionError, ssl.SSLError)):
            while r.read(1):
                pass
        c.close()

    def test_clean_end_of_watches(self):
        ns = self.ns()
        c, r = self.c.watch(CMS % ns + "?watch=1")
        self.wait_watching(ns)
        self.c.ok("POST", "/fake/cut-watches", {"clean": True})
        self.assertEqual(r.read(), b"")  # a clean end: the final chunk, no error
        c.close()

    def test_closed_watch_is_forgotten(self):
        ns = self.ns()
        c, r = self.c.watch(CMS % ns + "?watch=1")
        self.wait_watching(ns)
        c.close()
        for _ in range(60):
            ws = self.c.ok("GET", "/fake/watches")["watches"]
            if not any(w["namespace"] == ns for w in ws):
                return
            time.sleep(0.05)
        self.fail("a watch whose client left is still open")

    # --- faults and counters -----------------------------------------------
    def test_injected_429_with_retry_after(self):
        ns = self.ns()
        self.c.ok("POST", "/fake/reset-requests", {})
        self.c.ok("POST", "/fake/faults", {"method": "GET", "path": "/namespaces/%s/" % ns,
                                           "status": 429, "retryAfter": 2, "count": 2})
        for _ in range(2):
            code, headers, st = self.c.req("GET", CMS % ns)
            self.assertEqual((code, st["reason"]), (429, "TooManyRequests"))
            self.assertEqual(headers["Retry-After"], "2")
        code, _, _ = self.c.req("GET", CMS % ns)
        self.assertEqual(code, 200)
        counts = self.c.ok("GET", "/fake/requests")
        by = {(b["verb"], b["resource"], b["code"]): b["count"] for b in counts["by"]}
        self.assertEqual(by[("list", "configmaps", 429)], 2)
        self.assertEqual(by[("list", "configmaps", 200)], 1)

    def test_delay_fault(self):
        self.c.ok("POST", "/fake/faults", {"path": "^/version", "delayMs": 400})
        t0 = time.time()
        self.c.ok("GET", "/version")
        self.assertGreaterEqual(time.time() - t0, 0.4)

    def test_crd_registration(self):
        crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
               "metadata": {"name": "widgets.example.com"},
               "spec": {"group": "example.com", "scope": "Cluster",
                        "names": {"plural": "widgets", "kind": "Widget"},
                        "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                            "openAPIV3Schema": {"type": "object",
                                                "x-kubernetes-preserve-unknown-fields": True}}}]}}
        out = self.c.ok("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
        self.assertEqual(out["status"]["conditions"][1]["type"], "Established")
        self.c.ok("POST", "/apis/example.com/v1/widgets", {"metadata": {"name": "w"}})
        self.c.ok("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                  "widgets.example.com")
        code, _, _ = self.c.req("GET", "/apis/example.com/v1/widgets")
        self.assertEqual(code, 404)


    def test_chunks_split_and_batch_events(self):
        """Raw chunk sizes: events must sometimes span chunks and share them (seeded)."""
        ns = self.ns()
        rv = self.c.ok("GET", CMS % ns)["metadata"]["resourceVersion"]
        for i in range(40):
            self.c.ok("POST", CMS % ns, {"metadata": {"name": "k%d" % i}})
        split = shared = False
        for _ in range(5):  # the splitting is random: a few streams make both near-certain
            chunks = self.raw_watch(ns, rv)
            events = [json.loads(line) for line in b"".join(chunks).splitlines()]
            self.assertEqual([e["object"]["metadata"]["name"] for e in events],
                             ["k%d" % i for i in range(40)])
            split |= any(not c.endswith(b"\n") for c in chunks)
            shared |= any(c.count(b"\n") > 1 for c in chunks)
        self.assertTrue(split, "an event spans chunks")
        self.assertTrue(shared, "a chunk holds several events")

    def raw_watch(self, ns, rv):
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        s = self.c.ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        s.sendall(("GET %s?watch=1&timeoutSeconds=1&resourceVersion=%s HTTP/1.1\r\n"
                   "Host: x\r\nAuthorization: Bearer %s\r\n\r\n"
                   % (CMS % ns, rv, self.c.token)).encode())
        f = s.makefile("rb")
        while f.readline() not in (b"\r\n", b""):
            pass
        chunks = []
        while True:
            n = int(f.readline().strip(), 16)
            data = f.read(n)
            f.readline()
            if n == 0:
                break
            chunks.append(data)
        f.close()
        s.close()
        return chunks

    def test_json_patch_deletecollection_and_fields(self):
        ns = self.ns()
        self.c.ok("POST", CMS % ns, {"metadata": {"name": "p", "labels": {"del": "y"}},
                                     "data": {"a": "1"}})
        self.c.ok("POST", CMS % ns, {"metadata": {"name": "q"}})
        o = self.c.ok("PATCH", CMS % ns + "/p", [{"op": "test", "path": "/data/a", "value": "1"},
                                                 {"op": "replace", "path": "/data/a",
                                                  "value": "2"}],
                      "application/json-patch+json")
        self.assertEqual(o["data"], {"a": "2"})
        code, _, _ = self.c.req("PATCH", CMS % ns + "/p",
                                [{"op": "test", "path": "/data/a", "value": "1"}],
                                "application/json-patch+json")
        self.assertEqual(code, 422)
        lst = self.c.ok("GET", CMS % ns + "?fieldSelector=metadata.name%3Dq")
        self.assertEqual([i["metadata"]["name"] for i in lst["items"]], ["q"])
        self.c.ok("DELETE", CMS % ns + "?labelSelector=del%3Dy")
        names = [i["metadata"]["name"] for i in self.c.ok("GET", CMS % ns)["items"]]
        self.assertEqual(names, ["q"])

    def test_protobuf_namespace_create(self):
        # What kubectl create namespace sends: "k8s\0" + Unknown{TypeMeta, raw Namespace}.
        def ld(num, b):
            return bytes([num << 3 | 2, len(b)]) + b
        meta = ld(1, b"pb-ns")
        raw = ld(1, meta)
        env = b"k8s\x00" + ld(1, ld(1, b"v1") + ld(2, b"Namespace")) + ld(2, raw)
        o = self.c.ok("POST", "/api/v1/namespaces", env, "application/vnd.kubernetes.protobuf")
        self.assertEqual((o["metadata"]["name"], o["status"]["phase"]), ("pb-ns", "Active"))


    # --- schemas: CRD definitions and custom resources, as kube-apiserver v1.26 -----------
    def crd(self, name, schema, dry=True):
        body = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": name + ".example.com"},
                "spec": {"group": "example.com", "scope": "Namespaced",
                         "names": {"plural": name, "kind": name.capitalize()},
                         "versions": [{"name": "v1", "served": True, "storage": True,
                                       "schema": {"openAPIV3Schema": schema}}]}}
        return self.c.req("POST", CRDS + ("?dryRun=All" if dry else ""), body)

    def test_crd_metadata_may_only_have_type(self):
        ok = {"type": "object", "properties": {"metadata": {"type": "object"}}}
        self.assertEqual(self.crd("gadgets", ok)[0], 201)
        named = {"type": "object", "properties": {"metadata": {"type": "object", "properties": {
            "name": {"type": "string", "maxLength": 20}, "generateName": {"type": "string"}}}}}
        self.assertEqual(self.crd("gadgets", named)[0], 201, "name and generateName are allowed")
        for md in ({"type": "object", "description": "the object's metadata"},
                   {"type": "object", "properties": {"labels": {"type": "object"}}}):
            code, _, st = self.crd("gadgets", {"type": "object", "properties": {"metadata": md}})
            self.assertEqual((code, st["reason"]), (422, "Invalid"), md)
            self.assertEqual(st["message"], 'CustomResourceDefinition.apiextensions.k8s.io '
                             '"gadgets.example.com" is invalid: spec.validation.openAPIV3Schema'
                             '.properties[metadata]: Forbidden: must not specify anything other '
                             'than name and generateName, but metadata is implicitly specified')
            self.assertEqual(st["details"]["causes"], [{
                "reason": "FieldValueForbidden",
                "field": "spec.validation.openAPIV3Schema.properties[metadata]",
                "message": "Forbidden: must not specify anything other than name and "
                           "generateName, but metadata is implicitly specified"}])
        code, _, _ = self.c.req("GET", "/apis/example.com/v1/gadgets")
        self.assertEqual(code, 404, "a refused CRD serves nothing")

    def test_crd_must_be_structural(self):
        path = "spec.validation.openAPIV3Schema"
        for schema, want in [
                ({"type": "object", "properties": {"spec": {"type": "object", "properties": {
                    "a": {"description": "no type"}}}}},
                 path + ".properties[spec].properties[a].type: Required value: must not be "
                 "empty for specified object fields"),
                ({"type": "object", "properties": {"l": {"type": "array"}}},
                 path + ".properties[l].items: Required value: must be specified"),
                ({"type": "string"}, path + '.type: Invalid value: "string": must be object '
                 "at the root")]:
            code, _, st = self.crd("gizmos", schema)
            self.assertEqual(code, 422, schema)
            self.assertEqual(st["message"], 'CustomResourceDefinition.apiextensions.k8s.io '
                             '"gizmos.example.com" is invalid: ' + want)
        code, _, st = self.crd("gizmos", None)
        self.assertIn("spec.versions[0].schema.openAPIV3Schema: Required value: schemas are "
                      "required", st["message"])

    def test_custom_resources_are_validated(self):
        ns = self.ns()
        cases = [
            ({"objective": 150}, "spec.objective: Invalid value: 150: spec.objective in body "
             "should be less than 100"),
            ({"objective": 0}, "spec.objective: Invalid value: 0: spec.objective in body "
             "should be greater than 0"),
            ({"service": ""}, 'spec.service: Invalid value: "": spec.service in body should be '
             "at least 1 chars long"),
            ({"window": "abc"}, 'spec.window: Invalid value: "abc": spec.window in body should '
             "match '^([0-9]+[wdhms])+$'"),
            ({"alerting": {"windows": [{"severity": "pager", "long": "1h", "short": "5m",
                                        "burnRate": 1}]}},
             'spec.alerting.windows[0].severity: Unsupported value: "pager": supported values: '
             '"page", "ticket"'),
            ({"objective": "high"}, 'spec.objective: Invalid value: "string": spec.objective in '
             'body must be of type number: "string"'),
            ({"indicator": {}}, 'spec.indicator: Invalid value: "object": exactly one of ratio, '
             "latency, raw or timeSlice must be set"),
        ]
        for spec, want in cases:
            code, _, st = self.c.req("POST", SLOS % ns, slo("v", **spec))
            self.assertEqual((code, st["reason"]), (422, "Invalid"), spec)
            prefix = 'ServiceLevelObjective.burnrate.dev "v" is invalid: '
            self.assertIn(st["message"], (prefix + want,  # a type error stops CEL rules too:
                                          prefix + "[%s, %s]" % (want, NOT_CHECKED)), spec)
            field, body = want.split(": ", 1)
            self.assertEqual(st["details"]["causes"][0]["field"], field)
            self.assertEqual(st["details"]["causes"][0]["message"], body)
        # Required and size errors stop the CEL rules, and the server says so.
        rows = [{"severity": "page", "long": "1h", "short": "5m", "burnRate": 1}] * 17
        code, _, st = self.c.req("POST", SLOS % ns, slo("v", alerting={"windows": rows}))
        self.assertEqual([(c["field"], c["reason"]) for c in st["details"]["causes"]],
                         [("spec.alerting.windows", "FieldValueTooMany"),
                          ("<nil>", "FieldValueInvalid")])
        self.assertIn("Too many: 17: must have at most 16 items", st["message"])
        code, _, st = self.c.req("POST", SLOS % ns, slo("v", description="d" * 1025))
        self.assertEqual(st["details"]["causes"][0], {
            "reason": "FieldValueTooLong", "message": "Too long: may not be longer than 1024",
            "field": "spec.description"})
        body = slo("v")
        del body["spec"]["service"]
        code, _, st = self.c.req("POST", SLOS % ns, body)
        self.assertEqual(st["details"]["causes"][0], {
            "reason": "FieldValueRequired", "message": "Required value", "field": "spec.service"})
        self.assertEqual(st["message"], 'ServiceLevelObjective.burnrate.dev "v" is invalid: '
                         "[spec.service: Required value, %s]" % NOT_CHECKED)
        self.assertEqual(self.c.ok("GET", SLOS % ns)["items"], [], "nothing was stored")

    def test_every_write_is_validated(self):
        ns = self.ns()
        url = SLOS % ns + "/w"
        good = self.c.ok("POST", SLOS % ns, slo("w"))
        bad = dict(good, spec=dict(good["spec"], objective=150))
        ap = "application/apply-patch+yaml"
        for method, path, body, ctype in [
                ("PUT", url, bad, "application/json"),
                ("PATCH", url, {"spec": {"objective": 150}}, "application/merge-patch+json"),
                ("PATCH", url, [{"op": "replace", "path": "/spec/objective", "value": 150}],
                 "application/json-patch+json"),
                ("PATCH", url + "?fieldManager=m&force=true", slo("w", objective=150), ap)]:
            code, _, st = self.c.req(method, path, body, ctype)
            self.assertEqual((code, st["details"]["causes"][0]["field"]), (422, "spec.objective"),
                             (method, ctype))
        for body, ctype in [({"status": {"observedGeneration": "one"}},
                             "application/merge-patch+json"),
                            (dict(good, status={"observedGeneration": "one"}), "application/json")]:
            code, _, st = self.c.req("PATCH" if "merge" in ctype else "PUT", url + "/status", body,
                                     ctype)
            self.assertEqual((code, st["details"]["causes"][0]["field"]),
                             (422, "status.observedGeneration"))
        cond = {"type": "Ready", "status": "True", "reason": "R", "message": "",
                "lastTransitionTime": "yesterday"}
        code, _, st = self.c.req("PATCH", url + "/status", {"status": {"conditions": [cond]}},
                                 "application/merge-patch+json")
        self.assertEqual(st["details"]["causes"][0]["message"], (
            'Invalid value: "yesterday": status.conditions[0].lastTransitionTime in body must be '
            'of type date-time: "yesterday"'))
        cond["lastTransitionTime"] = "2026-01-01T00:00:00Z"
        code, _, st = self.c.req("PATCH", url + "/status", {"status": {"conditions": [cond] * 2}},
                                 "application/merge-patch+json")
        self.assertEqual(st["details"]["causes"], [{  # x-kubernetes-list-type: map, key type
            "reason": "FieldValueDuplicate", "field": "status.conditions[1]",
            "message": 'Duplicate value: map[string]interface {}{"type":"Ready"}'}])
        code, _, st = self.c.req("PATCH", url, {"spec": {"objective": 99}},
                                 "application/strategic-merge-patch+json")
        self.assertEqual((code, st["reason"]), (415, "UnsupportedMediaType"))
        self.assertEqual(self.c.ok("GET", url)["metadata"]["resourceVersion"],
                         good["metadata"]["resourceVersion"], "nothing was written")

    def test_unknown_fields_and_defaults(self):
        ns = self.ns()
        body = slo("p", foo=1)
        body["metadata"]["bar"] = 2
        code, headers, o = self.c.req("POST", SLOS % ns, body)  # no fieldValidation: Warn
        self.assertEqual(code, 201)
        self.assertEqual(headers.get_all("Warning"), ['299 - "unknown field \\"metadata.bar\\""',
                                                      '299 - "unknown field \\"spec.foo\\""'])
        self.assertNotIn("foo", o["spec"])
        self.assertEqual(o["spec"]["window"], "30d", "the schema's default")
        code, headers, o = self.c.req("PUT", SLOS % ns + "/p?fieldValidation=Ignore",
                                      dict(o, spec=dict(o["spec"], foo=1)))
        self.assertEqual((code, headers.get_all("Warning"), "foo" in o["spec"]),
                         (200, None, False))
        code, _, st = self.c.req("POST", SLOS % ns + "?fieldValidation=Strict", slo("q", foo=1))
        self.assertEqual((code, st["reason"], st["message"]), (400, "BadRequest", (
            'ServiceLevelObjective in version "v1alpha1" cannot be handled as a '
            'ServiceLevelObjective: strict decoding error: unknown field "spec.foo"')))
        code, _, st = self.c.req("PATCH", SLOS % ns + "/p?fieldValidation=Strict",
                                 {"spec": {"foo": 1}}, "application/merge-patch+json")
        self.assertEqual((code, st["details"]["causes"][0]["field"]), (422, "patch"))
        self.assertTrue(st["message"].endswith('strict decoding error: unknown field "spec.foo"'))
        # Server-side apply's typed conversion refuses it whatever fieldValidation says.
        code, _, st = self.c.req("PATCH", SLOS % ns + "/p?fieldManager=m&fieldValidation=Ignore",
                                 slo("p", foo=1), "application/apply-patch+yaml")
        self.assertEqual((code, st["message"]), (500, (
            "failed to create typed patch object (/p; burnrate.dev/v1alpha1, "
            "Kind=ServiceLevelObjective): .spec.foo: field not declared in schema")))

    def test_table_for_kubectl_get(self):
        ns = self.ns()
        self.c.ok("POST", SLOS % ns, slo("tbl", objective=99.5, window="28d"))
        cond = {"lastTransitionTime": "2026-01-01T00:00:00Z", "reason": "R", "message": ""}
        self.c.ok("PATCH", SLOS % ns + "/tbl/status", {"status": {"conditions": [
            dict(cond, type="Other", status="False"), dict(cond, type="Ready", status="True")]}},
            "application/merge-patch+json")
        conn = self.c.conn()
        conn.request("GET", SLOS % ns, headers={
            "Authorization": "Bearer " + self.c.token,
            "Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"})
        t = json.loads(conn.getresponse().read())
        conn.close()
        self.assertEqual(t["kind"], "Table")
        cols = [c["name"] for c in t["columnDefinitions"]]
        self.assertEqual(cols[:3], ["Name", "Objective", "Window"])
        row = dict(zip(cols, t["rows"][0]["cells"]))
        self.assertEqual((row["Name"], row["Objective"], row["Window"], row["Ready"]),
                         ("tbl", 99.5, "28d", "True"))
        self.assertRegex(row["Age"], r"^\d+s$")
        self.assertEqual(t["rows"][0]["object"]["metadata"]["name"], "tbl")

    def test_metadata_only(self):
        """PartialObjectMetadata as kube-apiserver v1.26 serves it (client-go's metadata
        informers): a list, a watch (events and bookmarks), a write's answer."""
        item = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"
        lst = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
        ns = self.ns()
        self.c.ok("POST", SLOS % ns, slo("pm"))

        def get(path, accept, method="GET", body=None, ctype=None):
            conn = self.c.conn()
            h = {"Authorization": "Bearer " + self.c.token, "Accept": accept}
            if ctype:
                h["Content-Type"] = ctype
            conn.request(method, path, body=json.dumps(body) if body else None, headers=h)
            r = conn.getresponse()
            out = (r.status, json.loads(r.read()))
            conn.close()
            return out

        code, l = get(SLOS % ns, lst)
        self.assertEqual((code, l["kind"], l["apiVersion"]),
                         (200, "PartialObjectMetadataList", "meta.k8s.io/v1"))
        one = l["items"][0]
        self.assertEqual((one["kind"], one["metadata"]["name"], one["metadata"]["generation"]),
                         ("PartialObjectMetadata", "pm", 1))
        self.assertNotIn("spec", one)
        self.assertEqual(get(SLOS % ns, item)[0], 406)  # the item form for a list
        self.assertEqual(get(SLOS % ns + "/pm", lst)[0], 500)  # and the list form for one
        code, o = get(SLOS % ns + "/pm?fieldManager=m&force=true", item, "PATCH",
                      slo("pm", objective=99.5), "application/apply-patch+yaml")
        self.assertEqual((code, o["kind"], o["metadata"]["generation"]),
                         (200, "PartialObjectMetadata", 2))
        self.assertNotIn("spec", o)
        c, r = self.c.watch(SLOS % ns + "?watch=1&timeoutSeconds=1&resourceVersion=" +
                            l["metadata"]["resourceVersion"], accept=item)
        ev = read_events(r, 1)
        c.close()
        self.assertEqual((ev[0]["type"], ev[0]["object"]["kind"], "spec" in ev[0]["object"]),
                         ("MODIFIED", "PartialObjectMetadata", False))
        # a plain request on the same kept-alive connection is whole again
        self.assertIn("spec", self.c.ok("GET", SLOS % ns + "/pm"))


class SchemaUnitTest(unittest.TestCase):
    """schema.py and cel.py without a server."""

    def test_go_number_formatting(self):
        import schema
        self.assertEqual([schema.go_float(f) for f in (100.0, 0.5, -1e-07, 1e21, 150.5)],
                         ["100", "0.5", "-1e-07", "1e+21", "150.5"])

    def test_cel_subset(self):
        import cel
        one = "[has(self.ratio), has(self.latency), has(self.raw)].filter(x, x).size() == 1"
        self.assertEqual([cel.evaluate(one, v) for v in ({"ratio": {}}, {}, {"ratio": 1,
                                                                          "raw": 2})],
                         [True, False, False])
        self.assertTrue(cel.evaluate("has(self.a) != has(self.b)", {"a": 1}))
        self.assertIsNone(cel.evaluate("self.x.matches('a')", {"x": "a"}), "not evaluated")
        self.assertIsNone(cel.evaluate("self == oldSelf", 1), "transition rules are not")
        later = "!has(self.start) || !has(self.end) || timestamp(self.end) > timestamp(self.start)"
        self.assertEqual([cel.evaluate(later, v) for v in (
            {"start": "2026-12-01T02:00:00Z", "end": "2026-12-01T04:00:00+01:00"},
            {"start": "2026-12-01T02:00:00Z", "end": "2026-12-01T03:00:00+02:00"},
            {"start": "2026-12-01T02:00:00Z", "end": "2026-12-01T02:00:00Z"},
            {"start": "2026-12-01T02:00:00.5Z", "end": "2026-12-01T02:00:00.25+00:00"},
            {"start": "2026-12-01T02:00:00Z"})],
            [True, False, False, False, True])
        self.assertIsNone(cel.evaluate("timestamp(self.x) > timestamp(self.y)",
                                       {"x": "tomorrow", "y": "2026-12-01T02:00:00Z"}))

    def test_shipped_crds_are_structural(self):
        import miniyaml
        import schema
        root = os.path.join(HERE, "..", "..")
        for path in [os.path.join(root, "crds", "servicelevelobjectives.yaml"),
                     os.path.join(root, "crds", "budgetcorrections.yaml"),
                     os.path.join(HERE, "crds", "prometheusrules.crd.yaml")]:
            with open(path) as fh:
                for doc in miniyaml.load_all(fh.read()):
                    if isinstance(doc, dict):
                        self.assertEqual([str(e) for e in schema.check_crd(doc)], [], path)


class TokenRotationTest(unittest.TestCase):
    def test_rotate_token(self):
        d = tempfile.mkdtemp(prefix="fakeapi-token.")
        try:
            p, port = start(d)
            c = Client(d, port)
            old = c.token
            c.ok("POST", "/fake/token", {"token": "second", "keepOld": True})
            self.assertEqual(c.req("GET", "/version", token="second")[0], 200)
            self.assertEqual(c.req("GET", "/version", token=old)[0], 200)
            c.ok("POST", "/fake/token", {"token": "third"})
            self.assertEqual(c.req("GET", "/version", token=old)[0], 401)
            self.assertEqual(c.req("GET", "/version", token="second")[0], 401)
            self.assertEqual(c.req("GET", "/version", token="third")[0], 200)
            p.terminate()
            p.wait()
            p.stdout.close()
        finally:
            shutil.rmtree(d)


class GoneAsHttpTest(unittest.TestCase):
    def test_http_410_and_latency(self):
        d = tempfile.mkdtemp(prefix="fakeapi-gone.")
        try:
            p, port = start(d, "--watch-gone", "http", "--latency-ms", "150")
            c = Client(d, port)
            rv = c.ok("GET", CMS % "default")["metadata"]["resourceVersion"]
            c.ok("POST", CMS % "default", {"metadata": {"name": "x"}})
            c.ok("POST", "/fake/compact", {})
            t0 = time.time()
            code, _, st = c.req("GET", CMS % "default" + "?watch=1&resourceVersion=" + rv)
            self.assertGreaterEqual(time.time() - t0, 0.15)
            self.assertEqual((code, st["reason"], st["code"]), (410, "Expired", 410))
            p.terminate()
            p.wait()
            p.stdout.close()
        finally:
            shutil.rmtree(d)


class RestartTest(unittest.TestCase):
    def test_state_survives_restart(self):
        d = tempfile.mkdtemp(prefix="fakeapi-restart.")
        state = os.path.join(d, "state.json")
        try:
            p, port = start(d, "--state", state)
            c = Client(d, port)
            o = c.ok("POST", CMS % "default", {"metadata": {"name": "keep"}})
            p.send_signal(signal.SIGTERM)
            p.wait()
            p.stdout.close()
            p, port2 = start(d, "--state", state, "--port", str(port))
            self.assertEqual(port2, port)
            got = c.ok("GET", CMS % "default" + "/keep")
            self.assertEqual(got["metadata"]["uid"], o["metadata"]["uid"])
            o2 = c.ok("POST", CMS % "default", {"metadata": {"name": "new"}})
            self.assertGreater(int(o2["metadata"]["resourceVersion"]),
                               int(o["metadata"]["resourceVersion"]))
            p.terminate()
            p.wait()
            p.stdout.close()
        finally:
            shutil.rmtree(d)


if __name__ == "__main__":
    unittest.main()
