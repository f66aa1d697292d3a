/* test_yaml: loading, typing, limits, marks, emitting and round trips, and
 * every allocation failing in turn. */
#define _GNU_SOURCE /* RTLD_NEXT, for the allocation-failure test */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf/buf.h"
#include "yaml/yaml.h"

#include "failalloc.h"

/* Loads s; returns the code and leaves the stream (empty on error). */
static int load(const char *s, struct br_yaml_stream *st, struct br_error *err)
{
	br_error_init(err);
	return br_yaml_load(s, strlen(s), "in.yaml", st, err);
}

/* Loads a one-document string and returns its root as compact JSON. */
static char *load_json(const char *s)
{
	struct br_yaml_stream st;
	struct br_error err;
	char *out;

	assert_int_equal(load(s, &st, &err), 0);
	assert_int_equal(st.count, 1);
	out = json_dumps(st.docs[0].root, JSON_ENCODE_ANY | JSON_COMPACT);
	br_yaml_stream_release(&st);
	return out;
}

static char *emit_str(const json_t *doc)
{
	struct br_buf b;
	struct br_error err;
	char *out;

	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	br_error_init(&err);
	assert_int_equal(br_yaml_emit(doc, &b, &err), 0);
	out = strdup(br_buf_str(&b));
	br_buf_release(&b);
	return out;
}

/* ---- typing ---- */

static const struct { const char *yaml, *json; } typing[] = {
	{ "v:", "null" }, { "v: ~", "null" }, { "v: null", "null" },
	{ "v: Null", "null" }, { "v: NULL", "null" }, { "v: nULL", "\"nULL\"" },
	{ "v: true", "true" }, { "v: True", "true" }, { "v: TRUE", "true" },
	{ "v: yes", "true" }, { "v: Yes", "true" }, { "v: on", "true" },
	{ "v: ON", "true" }, { "v: false", "false" }, { "v: no", "false" },
	{ "v: NO", "false" }, { "v: off", "false" }, { "v: Off", "false" },
	{ "v: tRue", "\"tRue\"" }, { "v: y", "\"y\"" }, { "v: n", "\"n\"" },
	{ "v: 0", "0" }, { "v: -17", "-17" }, { "v: +5", "5" },
	{ "v: 0x1f", "31" }, { "v: 0o17", "15" }, { "v: 017", "15" },
	{ "v: 0b101", "5" }, { "v: -0x10", "-16" },
	{ "v: 9223372036854775807", "9223372036854775807" },
	{ "v: -9223372036854775808", "-9223372036854775808" },
	{ "v: 9223372036854775808", "9.2233720368547758e18" },
	{ "v: 1.5", "1.5" }, { "v: .5", "0.5" }, { "v: 1.", "1.0" },
	{ "v: 1e3", "1000.0" }, { "v: -2.5E-1", "-0.25" }, { "v: 08", "8.0" },
	{ "v: 1_000", "\"1_000\"" }, { "v: 0x", "\"0x\"" }, { "v: 1e", "\"1e\"" },
	{ "v: 30d", "\"30d\"" }, { "v: 5m", "\"5m\"" }, { "v: 1.2.3", "\"1.2.3\"" },
	{ "v: \"true\"", "\"true\"" }, { "v: '1'", "\"1\"" }, { "v: \"\"", "\"\"" },
	{ "v: !!str 123", "\"123\"" }, { "v: !!str true", "\"true\"" },
	{ "v: !!float 1", "1.0" }, { "v: !!int 7", "7" }, { "v: ! 12", "\"12\"" },
	{ "v: !custom 12", "12" }, { "v: \"a\\0b\"", "\"a\\u0000b\"" },
	{ "1: 2", "null" },
};

static void test_typing(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(typing) / sizeof(typing[0]); i++) {
		char *got = load_json(typing[i].yaml);
		char want[256];
		if (strcmp(typing[i].yaml, "1: 2") == 0) {
			/* keys stay text */
			assert_string_equal(got, "{\"1\":2}");
			free(got);
			continue;
		}
		snprintf(want, sizeof(want), "{\"v\":%s}", typing[i].json);
		if (strcmp(got, want) != 0)
			fail_msg("%s: got %s, want %s", typing[i].yaml, got, want);
		free(got);
	}
}

static void test_typing_errors(void **state)
{
	static const char *bad[] = { "v: .inf", "v: -.Inf", "v: .nan", "v: 1e999",
				     "v: 0x1ffffffffffffffff", "v: !!int abc",
				     "v: !!bool 1", NULL };
	struct br_yaml_stream st;
	struct br_error err;

	(void)state;
	for (int i = 0; bad[i]; i++) {
		assert_int_equal(load(bad[i], &st, &err), BR_EPARSE);
		assert_int_equal(st.count, 0);
		assert_int_equal(err.line, 1);
		assert_int_equal(err.column, 4);
		assert_string_equal(err.file, "in.yaml");
	}
	load("v: .inf", &st, &err);
	assert_string_equal(err.text, "non-finite number not supported");
}

/* ---- documents ---- */

static void test_multi_doc(void **state)
{
	struct br_yaml_stream st;
	struct br_error err;
	const char *in = "# only a comment\n---\n---\na: 1\n---\n~\n---\n- x\n...\n";

	(void)state;
	assert_int_equal(load(in, &st, &err), 0);
	assert_int_equal(st.count, 2);
	assert_int_equal(st.docs[0].line, 3);
	assert_int_equal(json_integer_value(json_object_get(st.docs[0].root, "a")), 1);
	assert_true(json_is_array(st.docs[1].root));
	assert_int_equal(st.docs[1].line, 7);
	br_yaml_stream_release(&st);

	assert_int_equal(load("", &st, &err), 0);
	assert_int_equal(st.count, 0);
	br_yaml_stream_release(&st);
	assert_int_equal(load("# nothing\n", &st, &err), 0);
	assert_int_equal(st.count, 0);
	br_yaml_stream_release(&st);
	/* JSON is YAML */
	assert_int_equal(load("{\"a\": [1, 2.5, \"x\", null, true]}", &st, &err), 0);
	assert_int_equal(json_array_size(json_object_get(st.docs[0].root, "a")), 5);
	br_yaml_stream_release(&st);
}

static void test_duplicate_key(void **state)
{
	struct br_yaml_stream st;
	struct br_error err;
	char line[1400];

	(void)state;
	assert_int_equal(load("a: 1\nb:\n  x: 1\n  x: 2\n", &st, &err), BR_EPARSE);
	assert_int_equal(st.count, 0);
	assert_null(st.docs);
	assert_int_equal(err.line, 4);
	assert_int_equal(err.column, 3);
	assert_string_equal(err.text, "duplicate key \"x\"");
	assert_string_equal(br_error_format(&err, line, sizeof(line)),
			    "in.yaml:4:3: duplicate key \"x\"");
	/* "1" and 1 are the same key once keys are text */
	assert_int_equal(load("1: a\n\"1\": b\n", &st, &err), BR_EPARSE);
}

static void test_errors(void **state)
{
	static const struct { const char *in; int code, line, column; const char *text; } cases[] = {
		{ "a: *nope\n", BR_EPARSE, 1, 4, "unknown anchor \"nope\"" },
		{ "<<: {a: 1}\n", BR_EPARSE, 1, 1, "merge keys (<<) are not supported" },
		{ "? [a]\n: 1\n", BR_EPARSE, 1, 3, "mapping keys must be scalars" },
		{ "a: &x 1\n*x : 2\n", BR_EPARSE, 2, 1,
		  "aliases as mapping keys are not supported" },
		{ "a: [1, 2\nb: 3\n", BR_EPARSE, 2, 2, NULL },
		{ "a: b: c\n", BR_EPARSE, 1, 5, NULL },
		{ "a:\n\tb: 1\n", BR_EPARSE, 2, 1, NULL },
		{ "---\na: 1\n---\nb: &x [*x]\n", BR_EPARSE, 4, 8, "unknown anchor \"x\"" },
		{ "a: &x 1\n---\nb: *x\n", BR_EPARSE, 3, 4, "unknown anchor \"x\"" },
		{ "a: 1\n\"b\\0\": 2\n", BR_EPARSE, 2, 1,
		  "mapping key contains a NUL character" },
	};
	struct br_yaml_stream st;
	struct br_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = load(cases[i].in, &st, &err);
		if (rc != cases[i].code || err.line != cases[i].line ||
		    err.column != cases[i].column ||
		    (cases[i].text && strcmp(err.text, cases[i].text) != 0))
			fail_msg("case %zu: rc %d at %d:%d: %s", i, rc, err.line,
				 err.column, err.text);
		assert_true(err.text[0] != '\0');
		assert_int_equal(st.count, 0);
	}
}

/* ---- limits ---- */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_alias_bomb(void **state)
{
	struct br_buf b;
	struct br_yaml_stream st;
	struct br_error err;
	double t0;

	(void)state;
	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	br_buf_adds(&b, "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
	for (char c = 'b'; c <= 'j'; c++)
		br_buf_addf(&b, "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n",
			    c, c, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1,
			    c - 1, c - 1, c - 1);
	t0 = now();
	br_error_init(&err);
	assert_int_equal(br_yaml_load(b.data, b.len, NULL, &st, &err), BR_ELIMIT);
	assert_true(now() - t0 < 10.0);   /* a few hundred ms; 10 s under ASan */
	assert_int_equal(st.count, 0);
	assert_non_null(strstr(err.text, "too many nodes"));
	assert_true(err.line > 1);
	br_buf_release(&b);

	/* a modest alias use is fine and copies deeply */
	assert_int_equal(load("a: &x {b: [1, 2]}\nc: *x\n", &st, &err), 0);
	json_t *a = json_object_get(st.docs[0].root, "a");
	json_t *c = json_object_get(st.docs[0].root, "c");
	assert_true(json_equal(a, c));
	assert_ptr_not_equal(a, c);
	br_yaml_stream_release(&st);
}

static char *nested(int depth, char open, char close)
{
	char *s = malloc((size_t)depth * 2 + 1);

	if (!s)
		abort(); /* not assert_non_null: -O3 would still see a NULL path */
	memset(s, open, (size_t)depth);
	memset(s + depth, close, (size_t)depth);
	s[depth * 2] = '\0';
	return s;
}

static void test_depth(void **state)
{
	struct br_yaml_stream st;
	struct br_error err;
	char *s;

	(void)state;
	s = nested(BR_YAML_MAX_DEPTH, '[', ']');
	assert_int_equal(load(s, &st, &err), 0);
	br_yaml_stream_release(&st);
	free(s);
	s = nested(BR_YAML_MAX_DEPTH + 1, '[', ']');
	assert_int_equal(load(s, &st, &err), BR_ELIMIT);
	assert_int_equal(err.column, BR_YAML_MAX_DEPTH + 1);
	free(s);
	s = nested(200000, '[', ']');
	assert_int_equal(load(s, &st, &err), BR_ELIMIT);
	free(s);
	s = nested(200000, '{', '}');
	assert_int_not_equal(load(s, &st, &err), 0);
	free(s);
	/* aliases cannot be used to go deeper */
	{
		struct br_buf b;
		br_buf_init(&b, BR_BUF_MAX_DEFAULT);
		s = nested(40, '[', ']');
		br_buf_addf(&b, "a: &x %s\nb: %.*s*x%s\n", s, 30, s, s + 40 + 10);
		assert_int_equal(br_yaml_load(b.data, b.len, NULL, &st, &err),
				 BR_ELIMIT);
		free(s);
		br_buf_release(&b);
	}
	/* too many documents */
	{
		size_t n = (size_t)BR_YAML_MAX_NODES * 4 + 8;
		char *docs = malloc(n);
		for (size_t i = 0; i + 4 <= n; i += 4)
			memcpy(docs + i, "---\n", 4);
		br_error_init(&err);
		assert_int_equal(br_yaml_load(docs, n - 8, NULL, &st, &err), BR_ELIMIT);
		free(docs);
	}
	br_error_init(&err);
	assert_int_equal(br_yaml_load("x", (size_t)BR_YAML_MAX_BYTES + 1, NULL,
				      &st, &err), BR_ELIMIT);
}

/* ---- garbage ---- */

static void test_garbage(void **state)
{
	static const char *odd[] = { "\xff\xfe\x00", "a: \xc3\x28\n", "\x00\x00\x00",
				     "a: \"\\ud800\"", "\t", "- - - - -", "{a: 1",
				     "&a", "*a", "!<tag:x> [", "%YAML 1.1\n---\na: 1\n",
				     "%YAML 2.0\n---\n", "a: |\n  x\n b\n", "'", "\"\\",
				     "? ? ? a", NULL };
	struct br_yaml_stream st;
	struct br_error err;
	uint64_t x = 88172645463325252ULL;
	char buf[512];

	(void)state;
	for (int i = 0; odd[i]; i++) {
		br_error_init(&err);
		int rc = br_yaml_load(odd[i], strlen(odd[i]) + (i == 0 || i == 2),
				      NULL, &st, &err);
		assert_true(rc == 0 || (rc == err.code && err.text[0]));
		br_yaml_stream_release(&st);
	}
	for (int round = 0; round < 2000; round++) {
		size_t n = (size_t)(round % 500) + 1;
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* mostly YAML punctuation, sometimes anything */
			buf[i] = (x >> 32) % 4 ? "ab: -[]{},&*!|>'\"#\n 1.\t"[(x >> 40) % 22]
					       : (char)(x >> 48);
		}
		br_error_init(&err);
		int rc = br_yaml_load(buf, n, NULL, &st, &err);
		assert_true(rc == 0 || (rc == err.code && err.text[0]));
		br_yaml_stream_release(&st);
	}
}

/* ---- marks ---- */

static void test_marks(void **state)
{
	const char *in = "---\nspec:\n  items:\n    - name: a\n      n: 12\n"
			 "    - {name: b, r: 1.5}\n  empty: []\n  flag: true\n";
	struct br_yaml_stream st;
	struct br_error err;
	json_t *spec, *items, *n;
	int line, col;

	(void)state;
	assert_int_equal(load(in, &st, &err), 0);
	spec = json_object_get(st.docs[0].root, "spec");
	items = json_object_get(spec, "items");
	assert_int_equal(br_yaml_mark(st.marks, st.docs[0].root, &line, &col), 0);
	assert_int_equal(line, 2);
	assert_int_equal(col, 1);
	assert_int_equal(br_yaml_mark(st.marks, spec, &line, &col), 0);
	assert_int_equal(line, 3);
	assert_int_equal(col, 3);
	assert_int_equal(br_yaml_mark(st.marks, items, &line, &col), 0);
	assert_int_equal(line, 4);
	assert_int_equal(col, 5);
	n = json_object_get(json_array_get(items, 0), "n");
	assert_int_equal(br_yaml_mark(st.marks, n, &line, &col), 0);
	assert_int_equal(line, 5);
	assert_int_equal(col, 10);
	assert_int_equal(br_yaml_mark(st.marks, json_array_get(items, 1), &line, &col), 0);
	assert_int_equal(line, 6);
	assert_int_equal(col, 7);
	n = json_object_get(json_array_get(items, 1), "r");
	assert_int_equal(br_yaml_mark(st.marks, n, &line, &col), 0);
	assert_int_equal(line, 6);
	assert_int_equal(col, 20);
	assert_int_equal(br_yaml_mark(st.marks, json_object_get(spec, "empty"), &line, &col), 0);
	assert_int_equal(line, 7);
	assert_int_equal(col, 10);
	/* singletons and foreign nodes have none */
	assert_int_equal(br_yaml_mark(st.marks, json_object_get(spec, "flag"), &line, &col),
			 BR_ENOTFOUND);
	json_t *other = json_string("x");
	assert_int_equal(br_yaml_mark(st.marks, other, &line, &col), BR_ENOTFOUND);
	assert_int_equal(line, 0);
	assert_int_equal(col, 0);
	json_decref(other);
	assert_int_equal(br_yaml_mark(NULL, spec, &line, &col), BR_ENOTFOUND);
	br_yaml_stream_release(&st);

	/* many nodes: the table grows and keeps every mark */
	{
		struct br_buf b;
		br_buf_init(&b, BR_BUF_MAX_DEFAULT);
		for (int i = 0; i < 5000; i++)
			br_buf_addf(&b, "- k%d\n", i);
		assert_int_equal(br_yaml_load(b.data, b.len, NULL, &st, &err), 0);
		for (int i = 0; i < 5000; i++) {
			assert_int_equal(br_yaml_mark(st.marks, json_array_get(st.docs[0].root, (size_t)i),
						      &line, &col), 0);
			assert_int_equal(line, i + 1);
			assert_int_equal(col, 3);
		}
		br_yaml_stream_release(&st);
		br_buf_release(&b);
	}
	/* an alias copy carries the original's mark */
	assert_int_equal(load("a: &x\n  b: 1\nc: *x\n", &st, &err), 0);
	assert_int_equal(br_yaml_mark(st.marks, json_object_get(
		json_object_get(st.docs[0].root, "c"), "b"), &line, &col), 0);
	assert_int_equal(line, 2);
	assert_int_equal(col, 6);
	br_yaml_stream_release(&st);
}

/* ---- emit ---- */

static void test_emit_quoting(void **state)
{
	static const struct { const char *s, *out; } cases[] = {
		{ "plain", "plain" }, { "two words", "two words" },
		{ "true", "\"true\"" }, { "on", "\"on\"" }, { "Off", "\"Off\"" },
		{ "y", "\"y\"" }, { "null", "\"null\"" }, { "~", "\"~\"" },
		{ "", "\"\"" }, { "1.5", "\"1.5\"" }, { "0x1f", "\"0x1f\"" },
		{ "017", "\"017\"" }, { "1e3", "\"1e3\"" }, { ".5", "\".5\"" },
		{ ".inf", "\".inf\"" }, { "1_000", "\"1_000\"" }, { "12:30", "\"12:30\"" },
		{ "5m", "5m" }, { "a: b", "\"a: b\"" }, { "a #b", "\"a #b\"" },
		{ "a#b", "a#b" }, { "- x", "\"- x\"" }, { "-x", "\"-x\"" },
		{ "*x", "\"*x\"" }, { "&x", "\"&x\"" }, { "!x", "\"!x\"" },
		{ " lead", "\" lead\"" }, { "trail ", "\"trail \"" },
		{ "key:", "\"key:\"" }, { "a,b", "\"a,b\"" }, { "[x]", "\"[x]\"" },
		{ "'q'", "\"'q'\"" }, { "say \"hi\"", "say \"hi\"" }, { "\"q", "\"\\\"q\"" },
		{ "tab\tin", "\"tab\\tin\"" }, { "<<", "\"<<\"" },
		{ "rate(x[5m])", "\"rate(x[5m])\"" }, { "héllo", "héllo" },
		{ "a\xe2\x80\xa8" "b", "\"a\\Lb\"" }, { "\xef\xbb\xbf" "x", "\"\\uFEFFx\"" },
		{ "a\xc2\x85", "\"a\\N\"" },
		{ "a\nb", "|-\n  a\n  b" }, { "a\nb\n", "|\n  a\n  b" },
		{ "cr\r\n", "\"cr\\r\\n\"" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *doc = json_pack("{s:s}", "v", cases[i].s);
		char *got = emit_str(doc);
		char want[256];
		snprintf(want, sizeof(want), "v: %s\n", cases[i].out);
		if (strcmp(got, want) != 0)
			fail_msg("%zu: got [%s] want [%s]", i, got, want);
		free(got);
		json_decref(doc);
	}
}

static void test_emit_values(void **state)
{
	json_t *doc = json_pack("{s:i,s:f,s:f,s:f,s:f,s:f,s:b,s:n,s:{},s:[],s:[i,{s:s}]}",
				"i", 42, "f1", 3.0, "f2", 0.1, "f3", 1.0 / 3,
				"f4", 1e300, "f5", -2.5e-8, "b", 1, "n",
				"o", "a", "l", 1, "k", "v");
	char *got = emit_str(doc);

	(void)state;
	assert_string_equal(got,
		"i: 42\nf1: 3.0\nf2: 0.1\nf3: 0.3333333333333333\nf4: 1e+300\n"
		"f5: -2.5e-08\nb: true\n\"n\": null\no: {}\na: []\nl:\n- 1\n- k: v\n");
	free(got);
	json_decref(doc);

	/* appends; emitting twice is byte-for-byte equal */
	{
		struct br_buf b;
		json_t *d = json_pack("{s:[s,s]}", "x", "1", "two");
		br_buf_init(&b, BR_BUF_MAX_DEFAULT);
		br_buf_adds(&b, "---\n");
		assert_int_equal(br_yaml_emit(d, &b, NULL), 0);
		size_t half = b.len - 4;
		br_buf_adds(&b, "---\n");
		assert_int_equal(br_yaml_emit(d, &b, NULL), 0);
		assert_int_equal(b.len, 8 + 2 * half);
		assert_memory_equal(b.data + 4, b.data + 8 + half, half);
		br_buf_release(&b);
		json_decref(d);
	}
	/* a string YAML cannot carry: invalid UTF-8 */
	{
		struct br_buf b;
		struct br_error err;
		json_t *d = json_pack("{s:o}", "k", json_stringn_nocheck("a\xff", 2));
		br_buf_init(&b, BR_BUF_MAX_DEFAULT);
		br_buf_adds(&b, "keep\n");
		br_error_init(&err);
		assert_int_equal(br_yaml_emit(d, &b, &err), BR_EINVAL);
		assert_string_equal(br_buf_str(&b), "keep\n");
		br_buf_release(&b);
		json_decref(d);
	}
	/* more that libyaml refuses: never blamed on memory */
	{
		static const char *const bad[] = {
			"\xc0\xaf", "\xe0\x80\xaf", "a\xe2\x82", "\x80", "\xf8\x88\x80\x80\x80",
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct br_buf b;
			struct br_error err;
			json_t *d = json_pack("{s:o}", "k",
					      json_stringn_nocheck(bad[i], strlen(bad[i])));
			br_buf_init(&b, BR_BUF_MAX_DEFAULT);
			br_error_init(&err);
			assert_int_equal(br_yaml_emit(d, &b, &err), BR_EINVAL);
			assert_non_null(strstr(err.text, "UTF-8"));
			br_buf_release(&b);
			json_decref(d);
		}
	}
	/* a capped buffer fails cleanly */
	{
		struct br_buf b;
		struct br_error err;
		json_t *d = json_pack("{s:s}", "key", "a long enough value");
		br_buf_init(&b, 8);
		br_error_init(&err);
		assert_int_equal(br_yaml_emit(d, &b, &err), BR_ENOMEM);
		assert_int_equal(b.len, 0);
		br_buf_release(&b);
		json_decref(d);
	}
}

/* ---- round trip ---- */

static void round_trip(const char *in)
{
	struct br_yaml_stream a, b;
	struct br_error err;
	struct br_buf out;

	assert_int_equal(load(in, &a, &err), 0);
	for (size_t i = 0; i < a.count; i++) {
		br_buf_init(&out, BR_BUF_MAX_DEFAULT);
		assert_int_equal(br_yaml_emit(a.docs[i].root, &out, &err), 0);
		br_error_init(&err);
		if (br_yaml_load(out.data, out.len, NULL, &b, &err) != 0)
			fail_msg("reload of [%s]: %s", out.data, err.text);
		assert_int_equal(b.count, json_is_null(a.docs[i].root) ? 0 : 1);
		if (!json_equal(a.docs[i].root, b.docs[0].root))
			fail_msg("round trip of [%s] gave [%s]", in, out.data);
		br_yaml_stream_release(&b);
		br_buf_release(&out);
	}
	br_yaml_stream_release(&a);
}

static void test_round_trip(void **state)
{
	static const char *inputs[] = {
		"a: 1\nb: [x, \"1\", 'true', 2.5, .5, 1e3, ~, yes]\n",
		"s: \"  spaces  \"\nt: \"tab\\tand\\nnewline\"\nu: \"\\u00e9\\u2028x\"\n",
		"z: \"\\0\\x01\\x7f\"\nbom: \"\\ufeffx\"\nnel: \"a\\x85b\"\n",
		"lit: |\n  line 1\n   indented\n\n  end\n",
		"keep: |+\n  x\n\n\nstrip: |-\n  y\n",
		"lead: \"\\n\\nx\"\nonly: \"\\n\"\nsp: \"a \\nb\"\n",
		"\"k: e y\": 1\n\"\": empty key\n\"true\": 2\n? \"multi\\nline key\"\n: 3\n",
		("big: 9223372036854775807\nsmall: -9223372036854775808\nhuge: 1e300\n"
		 "tiny: 5e-324\nneg0: -0.0\nthird: 0.3333333333333333\n"),
		"a: {}\nb: []\nc: [{}, [], [[]]]\nd: {e: {f: {g: []}}}\n",
		"- - - x\n  - y\n- z\n",
		"\"\\u00e9t\\u00e9\": \"caf\\u00e9\"\n",
		"x: 08\ny: 0o17\nz: 0x10\nw: 1.\n",
		"long: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb cccccccccccccccccccccccccccccc\"\n",
		"a: &x {b: [1, 2]}\nc: *x\n",
		"str\n",
		"[1, 2]\n",
		"--- 5\n--- \"s\"\n--- |\n  block\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
		round_trip(inputs[i]);
}

/* Every string of up to four awkward fragments, as a value and as a key,
 * reads back unchanged. */
static void test_round_trip_strings(void **state)
{
	static const char *frag[] = { "a", " ", "\n", "\t", "#", ":", "-", "\xc3\xa9",
				      "\xe2\x80\xa8", "\"", "'", "\\", "0", ".", "\r",
				      "\x7f", "~", "!", "\xc2\x85", "\xc2\xa0",
				      "\xef\xbb\xbf" };
	const size_t nf = sizeof(frag) / sizeof(frag[0]);
	size_t total = nf * nf * nf * nf, checked = 0;

	(void)state;
	for (size_t code = 0; code < total; code += (code < nf * nf * nf ? 1 : 7)) {
		char str[32] = "";
		size_t len = 0, c = code;
		for (int k = 0; k < 4 && (k == 0 || c); k++, c /= nf) {
			size_t fl = strlen(frag[c % nf]);
			memcpy(str + len, frag[c % nf], fl);
			len += fl;
		}
		str[len] = '\0';
		json_t *doc = json_pack("{s:s,s:[s]}", "v", str, str, str);
		struct br_buf out;
		struct br_yaml_stream back;
		struct br_error err;
		br_buf_init(&out, BR_BUF_MAX_DEFAULT);
		br_error_init(&err);
		assert_int_equal(br_yaml_emit(doc, &out, &err), 0);
		if (br_yaml_load(out.data, out.len, NULL, &back, &err) != 0 ||
		    back.count != 1 || !json_equal(doc, back.docs[0].root))
			fail_msg("string %zu did not survive: [%s] %s", code, out.data,
				 err.text);
		br_yaml_stream_release(&back);
		br_buf_release(&out);
		json_decref(doc);
		checked++;
	}
	assert_true(checked > 5000);
}

/* ---- data-driven cases: tests/data/yaml/{valid,invalid}/ ---- */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct br_buf b;
	char chunk[4096];
	size_t n;

	*len = 0; /* also on failure: the caller's loop reads it (gcc -O3 checks) */
	if (!f)
		return NULL;
	br_buf_init(&b, BR_BUF_MAX_DEFAULT);
	br_buf_add(&b, "", 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		br_buf_add(&b, chunk, n);
	fclose(f);
	*len = b.len;
	return br_buf_detach(&b);
}

/* For each X.yaml in dir, X.json (valid: an array of the documents) or
 * X.err (invalid: the formatted error after "X.yaml:") holds the answer. */
static int run_data_dir(const char *sub, int valid)
{
	const char *src = getenv("BURNRATE_SOURCE_DIR");
	char dir[1024], path[1400], line[1400];
	struct dirent *de;
	DIR *d;
	int ran = 0;

	snprintf(dir, sizeof(dir), "%s/tests/data/yaml/%s", src ? src : ".", sub);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		size_t nl = strlen(de->d_name), len, wlen;
		struct br_yaml_stream st;
		struct br_error err;
		char *in, *want;

		if (nl < 6 || strcmp(de->d_name + nl - 5, ".yaml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		in = slurp(path, &len);
		assert_non_null(in);
		snprintf(path, sizeof(path), "%s/%.*s.%s", dir, (int)nl - 5,
			 de->d_name, valid ? "json" : "err");
		want = slurp(path, &wlen);
		if (!want)
			fail_msg("missing %s", path);
		while (wlen && want[wlen - 1] == '\n')
			want[--wlen] = '\0';
		br_error_init(&err);
		int rc = br_yaml_load(in, len, de->d_name, &st, &err);
		if (valid) {
			json_t *arr = json_array(), *exp = json_loads(want, 0, NULL);
			if (rc != 0)
				fail_msg("%s: %s", de->d_name, br_error_format(&err, line, sizeof(line)));
			for (size_t i = 0; i < st.count; i++)
				json_array_append(arr, st.docs[i].root);
			if (!exp || !json_equal(arr, exp))
				fail_msg("%s: got %s", de->d_name,
					 json_dumps(arr, JSON_COMPACT));
			json_decref(arr);
			json_decref(exp);
		} else {
			br_error_format(&err, line, sizeof(line));
			if (rc == 0 || strcmp(line + nl + 1, want) != 0)
				fail_msg("%s: got [%s] want [%s]", de->d_name, line, want);
		}
		br_yaml_stream_release(&st);
		free(in);
		free(want);
		ran++;
	}
	closedir(d);
	return ran;
}

static void test_data_dirs(void **state)
{
	(void)state;
	if (!getenv("BURNRATE_SOURCE_DIR"))
		skip();
	assert_true(run_data_dir("valid", 1) > 0);
	assert_true(run_data_dir("invalid", 0) > 0);
}

/* ---- allocation failure: fail the Nth jansson allocation for every N ---- */

static long alloc_left;

static void *failing_malloc(size_t n)
{
	if (alloc_left-- == 0)
		return NULL;
	return malloc(n);
}

static void test_alloc_failure(void **state)
{
	const char *in = "a: &x {b: [1, 2.5, \"s\", true]}\nc: *x\nd: {e: f}\n---\n- 1\n";
	struct br_yaml_stream st;
	struct br_error err;
	int rc, failed = 0;

	(void)state;
	for (long n = 0; n < 1000; n++) {
		alloc_left = n;
		json_set_alloc_funcs(failing_malloc, free);
		br_error_init(&err);
		rc = br_yaml_load(in, strlen(in), NULL, &st, &err);
		json_set_alloc_funcs(malloc, free);
		if (rc == 0) {
			assert_int_equal(st.count, 2);
			br_yaml_stream_release(&st);
			break;
		}
		assert_int_equal(rc, BR_ENOMEM);
		assert_int_equal(err.code, BR_ENOMEM);
		assert_int_equal(st.count, 0);
		failed++;
	}
	assert_true(failed > 10);
}

/* Every allocation of the process failing in turn (libyaml's, the marks',
 * the buffers' and jansson's), on a stream with anchors, aliases, tags,
 * typed scalars and two documents: each failure is BR_ENOMEM with the stream
 * empty and nothing leaked (ASan), and the load succeeds once nothing fails.
 * Then the same for emitting the documents back. */
static void test_every_allocation_failing(void **state)
{
	const char *in = "a: &x {b: [1, 2.5, \"s\", true, ~]}\nc: *x\n"
			 "d: !!str 017\ne: |\n  two\n  lines\n---\n- 1\n- {f: g}\n";
	struct br_yaml_stream st;
	struct br_error err;
	int rc, failed = 0;

	(void)state;
	for (long n = 0;; n++) {
		br_error_init(&err);
		allocations = 0;
		failing_after = n;
		rc = br_yaml_load(in, strlen(in), "in.yaml", &st, &err);
		failing_after = -1;
		if (rc == 0) {
			assert_int_equal(st.count, 2);
			assert_true(allocations <= n); /* nothing failed */
			break;
		}
		if (rc != BR_ENOMEM)
			fail_msg("allocation %ld failed: got %s (%s)", n, br_code_name(rc), err.text);
		assert_int_equal(err.code, BR_ENOMEM);
		assert_int_equal(st.count, 0);
		assert_null(st.docs);
		failed++;
	}
	assert_true(failed > 20);

	failed = 0;
	for (long n = 0;; n++) {
		struct br_buf b;

		br_buf_init(&b, BR_BUF_MAX_DEFAULT);
		br_error_init(&err);
		allocations = 0;
		failing_after = n;
		rc = br_yaml_emit(st.docs[0].root, &b, &err);
		if (rc == 0)
			rc = br_yaml_emit(st.docs[1].root, &b, &err);
		failing_after = -1;
		br_buf_release(&b);
		if (allocations <= n) {
			assert_int_equal(rc, 0);
			break;
		}
		if (rc != 0 && rc != BR_ENOMEM)
			fail_msg("allocation %ld failed: got %s (%s)", n, br_code_name(rc), err.text);
		failed += rc == BR_ENOMEM;
	}
	assert_true(failed > 0);
	br_yaml_stream_release(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_typing),
		cmocka_unit_test(test_typing_errors),
		cmocka_unit_test(test_multi_doc),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_alias_bomb),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_marks),
		cmocka_unit_test(test_emit_quoting),
		cmocka_unit_test(test_emit_values),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_round_trip_strings),
		cmocka_unit_test(test_data_dirs),
		cmocka_unit_test(test_alloc_failure),
		cmocka_unit_test(test_every_allocation_failing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
