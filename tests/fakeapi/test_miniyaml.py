"""Tests of the YAML subset reader (run by fakeapi.test.sh)."""
import glob
import os
import unittest

import miniyaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")

DOC = """\
# comment
a: 1
b:
- x: 1.5
  y: [a, "b c"]
- - 3
  - 4
c: |
  hi
  there
d: >-
  one
  two
e: "q\\"x"
f: 'it''s'
g: {}
h:
  i: null # trailing comment
  j: ~
  k: true
long: a plain scalar
  that continues
anchored: &r
  z: 1
alias: *r
---
- a
- b: 2
  c: "#not a comment"
"""


class MiniYamlTest(unittest.TestCase):
    def test_subset(self):
        docs = miniyaml.load_all(DOC)
        self.assertEqual(docs[0], {
            "a": 1, "b": [{"x": 1.5, "y": ["a", "b c"]}, [3, 4]], "c": "hi\nthere\n",
            "d": "one two", "e": 'q"x', "f": "it's", "g": {},
            "h": {"i": None, "j": None, "k": True}, "long": "a plain scalar that continues",
            "anchored": {"z": 1}, "alias": {"z": 1}})
        self.assertEqual(docs[1], ["a", {"b": 2, "c": "#not a comment"}])

    def test_json_and_errors(self):
        self.assertEqual(miniyaml.load('{"a": [1, 2]}'), {"a": [1, 2]})
        with self.assertRaises(ValueError):
            miniyaml.load("a: *missing\n")
        with self.assertRaises(ValueError):
            miniyaml.load("a: 1\n---\nb: 2\n")

    def test_repository_manifests_match_pyyaml(self):
        try:
            import yaml
        except ImportError:
            self.skipTest("PyYAML not installed (only used to cross-check)")
        files = glob.glob(os.path.join(ROOT, "crds", "*.yaml")) + \
            glob.glob(os.path.join(ROOT, "examples", "*.yaml")) + \
            glob.glob(os.path.join(HERE, "crds", "*.yaml"))
        self.assertTrue(files)
        for f in files:
            with open(f) as fh:
                text = fh.read()
            self.assertEqual(miniyaml.load_all(text),
                             [d for d in yaml.safe_load_all(text) if d is not None], f)


if __name__ == "__main__":
    unittest.main()
