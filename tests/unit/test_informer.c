/* test_informer: the watch-stream framer (every split, several events per
 * chunk, garbage, size cap) and the informer against tests/fakeapi
 * (list+watch, a cut stream resumes exactly, 410 relists). The fakeapi
 * tests are skipped when python3 or the server is missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf/buf.h"
#include "informer/entry.h"
#include "informer/informer.h"
#include "informer/store.h"
#include "kube/kube.h"

/* --- Framer ----------------------------------------------------------- */

/* Records each event as "TYPE <compact sorted JSON>\n". */
struct record {
	struct br_buf log;
	int count;
	int stop_after;  /* return 99 from this event on; 0: never */
	void *framer;    /* test_framer_view: the framer */
};

static int record_event(void *ctx, const char *type, json_t *object)
{
	struct record *r = ctx;
	char *s = json_dumps(object, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	assert_non_null(s);
	br_buf_addf(&r->log, "%s %s\n", type, s);
	free(s);
	r->count++;
	return r->stop_after && r->count >= r->stop_after ? 99 : 0;
}

static void record_init(struct record *r)
{
	memset(r, 0, sizeof(*r));
	br_buf_init(&r->log, BR_BUF_MAX_DEFAULT);
}

static const char STREAM[] =
	"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\","
	"\"resourceVersion\":\"1\"},\"data\":{\"k\":\"}{ \\\" \\\\\"}}}\n"
	"  {\"type\" : \"MODIFIED\", \"object\": {\"metadata\": {\"name\": \"b{\"},"
	" \"list\": [1, {\"x\": \"\\u00e9}\"}, [2, 3]], \"esc\": \"\\\\\\\"}\"}}\r\n"
	"{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"9\"}}}"
	"{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"\\\"}\"}}}\n"
	"\t{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410}}\n";

static void feed_ok(struct br_watch_framer *f, const char *d, size_t n)
{
	struct br_error err;
	br_error_init(&err);
	assert_int_equal(br_watch_framer_feed(f, d, n, &err), 0);
}

/* The reference: the stream fed in one piece. */
static char *whole_stream_log(int *count)
{
	struct record r;
	struct br_watch_framer f;
	record_init(&r);
	br_watch_framer_init(&f, 0, record_event, &r);
	feed_ok(&f, STREAM, strlen(STREAM));
	assert_false(br_watch_framer_partial(&f));
	br_watch_framer_release(&f);
	*count = r.count;
	return br_buf_detach(&r.log);
}

static void test_framer_whole(void **state)
{
	int n;
	char *log = whole_stream_log(&n);
	assert_int_equal(n, 5);
	assert_non_null(strstr(log, "ADDED {\"data\":{\"k\":\"}{ \\\" \\\\\"},"));
	assert_non_null(strstr(log, "MODIFIED {\"esc\":\"\\\\\\\"}\""));
	assert_non_null(strstr(log, "BOOKMARK {\"metadata\":{\"resourceVersion\":\"9\"}}"));
	assert_non_null(strstr(log, "DELETED {\"metadata\":{\"name\":\"\\\"}\"}}"));
	assert_non_null(strstr(log, "ERROR {\"code\":410,\"kind\":\"Status\"}"));
	free(log);
}

/* Records "TYPE <view> | <object text>\n" for a framer with a view. */
static int record_view(void *ctx, const char *type, json_t *object)
{
	struct record *r = ctx;
	struct br_watch_framer *f = (struct br_watch_framer *)r->framer;
	size_t len = 0;
	const char *text = br_watch_framer_object_text(f, &len);
	char *s = json_dumps(object, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	assert_non_null(s);
	br_buf_addf(&r->log, "%s %s | %.*s\n", type, s, (int)len, text ? text : "");
	free(s);
	r->count++;
	return 0;
}

/* With a view, objects come as their view and their text whole; an event
 * whose keys are written with escapes, an ERROR event's Status, and an
 * event without an object, whole. */
static void test_framer_view(void **state)
{
	static const char *const view[] = {"metadata", NULL};
	const char *stream =
		"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"},"
		"\"spec\":{\"x\":[1,\"}\"]}}}\n"
		"{\"type\":\"MODIFIED\",\"object\":{\"met\\u0061data\":{\"name\":\"b\"},"
		"\"spec\":1}}\n"
		"{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"9\"}}}"
		"{\"type\":\"DELETED\",\"object\":{\"metadata\":{},\"spec\":[tru]}}"
		"{\"type\":\"ERROR\",\"object\":{\"code\":410}}"
		"{\"type\":\"ERROR\"}";
	struct record r;
	struct br_watch_framer f;

	(void)state;
	record_init(&r);
	r.framer = &f;
	br_watch_framer_init(&f, 0, record_view, &r);
	br_watch_framer_set_view(&f, view);
	feed_ok(&f, stream, strlen(stream));
	assert_string_equal(br_buf_str(&r.log),
		"ADDED {\"metadata\":{\"name\":\"a\"}} | "
		"{\"metadata\":{\"name\":\"a\"},\"spec\":{\"x\":[1,\"}\"]}}\n"
		"MODIFIED {\"metadata\":{\"name\":\"b\"},\"spec\":1} | "
		"{\"met\\u0061data\":{\"name\":\"b\"},\"spec\":1}\n"
		"BOOKMARK {\"metadata\":{\"resourceVersion\":\"9\"}} | "
		"{\"metadata\":{\"resourceVersion\":\"9\"}}\n"
		/* outside the view the text is not checked */
		"DELETED {\"metadata\":{}} | {\"metadata\":{},\"spec\":[tru]}\n"
		"ERROR {\"code\":410} | {\"code\":410}\n"
		"ERROR null | \n");
	/* a reset keeps the view */
	br_watch_framer_reset(&f);
	br_buf_reset(&r.log);
	feed_ok(&f, stream, strlen(stream) - strlen("{\"type\":\"ERROR\"}") - 1);
	assert_non_null(strstr(br_buf_str(&r.log), "ADDED {\"metadata\":{\"name\":\"a\"}} |"));
	br_watch_framer_release(&f);
	br_buf_release(&r.log);
}

/* Split once at every byte boundary, then byte by byte, then in threes. */
static void test_framer_every_split(void **state)
{
	int n;
	char *want = whole_stream_log(&n);
	size_t len = strlen(STREAM);
	for (size_t cut = 0; cut <= len; cut++) {
		struct record r;
		struct br_watch_framer f;
		record_init(&r);
		br_watch_framer_init(&f, 0, record_event, &r);
		feed_ok(&f, STREAM, cut);
		feed_ok(&f, STREAM + cut, len - cut);
		assert_string_equal(br_buf_str(&r.log), want);
		br_watch_framer_release(&f);
		br_buf_release(&r.log);
	}
	for (size_t step = 1; step <= 3; step++) {
		struct record r;
		struct br_watch_framer f;
		record_init(&r);
		br_watch_framer_init(&f, 0, record_event, &r);
		for (size_t i = 0; i < len; i += step)
			feed_ok(&f, STREAM + i, i + step > len ? len - i : step);
		assert_string_equal(br_buf_str(&r.log), want);
		br_watch_framer_release(&f);
		br_buf_release(&r.log);
	}
	free(want);
}

static void test_framer_partial_and_stop(void **state)
{
	struct record r;
	struct br_watch_framer f;
	record_init(&r);
	r.stop_after = 2;
	br_watch_framer_init(&f, 0, record_event, &r);
	/* the callback's nonzero return comes back from feed */
	assert_int_equal(br_watch_framer_feed(&f, STREAM, strlen(STREAM), NULL), 99);
	assert_int_equal(r.count, 2);
	br_watch_framer_reset(&f);
	r.stop_after = 0;
	feed_ok(&f, "{\"type\":\"ADDED\",\"object\":{", 26);
	assert_true(br_watch_framer_partial(&f));
	feed_ok(&f, "}}", 2);
	assert_false(br_watch_framer_partial(&f));
	assert_int_equal(r.count, 3);
	/* an event without object hands over JSON null */
	feed_ok(&f, "{\"type\":\"BOOKMARK\"}", 19);
	assert_non_null(strstr(br_buf_str(&r.log), "BOOKMARK null\n"));
	br_watch_framer_release(&f);
	br_buf_release(&r.log);
}

static void expect_garbage(const char *in, int code, const char *text)
{
	struct record r;
	struct br_watch_framer f;
	struct br_error err;
	record_init(&r);
	br_error_init(&err);
	br_watch_framer_init(&f, 0, record_event, &r);
	assert_int_equal(br_watch_framer_feed(&f, in, strlen(in), &err), code);
	assert_int_equal(err.code, code);
	assert_non_null(strstr(err.text, text));
	/* the stream stays failed until reset */
	assert_int_equal(br_watch_framer_feed(&f, "{}", 2, NULL), code);
	br_watch_framer_reset(&f);
	feed_ok(&f, "{\"type\":\"ADDED\",\"object\":{}}", 28);
	br_watch_framer_release(&f);
	br_buf_release(&r.log);
}

static void test_framer_garbage(void **state)
{
	expect_garbage("<html>oops</html>", BR_EPARSE, "unexpected byte 0x3c");
	expect_garbage("{\"type\":\"ADDED\",\"object\":{}}}", BR_EPARSE,
		       "unexpected byte 0x7d");
	expect_garbage("[{\"type\":\"ADDED\"}]", BR_EPARSE, "unexpected byte 0x5b");
	expect_garbage("{\"type\":1,\"object\":{}}", BR_EPARSE, "no string \"type\"");
	expect_garbage("{\"type\":\"ADDED\",\"object\":tru}", BR_EPARSE, "watch event 1");
	expect_garbage("{\"type\":\"ADDED\",\"object\":{}}\n{\"a\":,}", BR_EPARSE,
		       "watch event 2");
}

static void test_framer_limit(void **state)
{
	struct record r;
	struct br_watch_framer f;
	struct br_error err;
	const char *ev = "{\"type\":\"ADDED\",\"object\":{\"k\":\"0123456789\"}}";
	size_t n = strlen(ev);
	record_init(&r);
	br_watch_framer_init(&f, n, record_event, &r);
	feed_ok(&f, ev, n);  /* exactly max: accepted */
	assert_int_equal(r.count, 1);
	br_watch_framer_release(&f);
	/* one byte over, fed in pieces */
	br_error_init(&err);
	br_watch_framer_init(&f, n - 1, record_event, &r);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i += 5)
		rc = br_watch_framer_feed(&f, ev + i, i + 5 > n ? n - i : 5, &err);
	assert_int_equal(rc, BR_ELIMIT);
	assert_int_equal(r.count, 1);
	br_watch_framer_release(&f);

	/* the default cap: 16 MiB */
	size_t big = BR_WATCH_EVENT_MAX + 10;
	char *huge = malloc(big);
	assert_non_null(huge);
	memset(huge, ' ', big);
	memcpy(huge, "{\"type\":\"ADDED\",\"object\":\"", 26);
	br_error_init(&err);
	br_watch_framer_init(&f, 0, record_event, &r);
	assert_int_equal(br_watch_framer_feed(&f, huge, big, &err), BR_ELIMIT);
	assert_non_null(strstr(err.text, "larger than 16777216 bytes"));
	br_watch_framer_release(&f);
	free(huge);
	br_buf_release(&r.log);
}

/* A ServiceLevelObjective as the cache sees it, i differing. */
static json_t *slo_like(int i)
{
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:i}, s:{s:s, s:f, s:s, s:{s:{s:s, s:s}}},"
			 " s:{s:i, s:[{s:s, s:s, s:s, s:s}]}}",
		"apiVersion", "burnrate.dev/v1alpha1", "kind", "ServiceLevelObjective",
		"metadata", "name", i ? "checkout" : "payments", "namespace", "shop",
		"uid", i ? "6c599411-d0a5-434e-8906-1f4a92801eb0" : "0b1c2d3e-0000-4a4a-9999-abcdefabcdef",
		"generation", i + 1,
		"spec", "service", i ? "checkout" : "payments", "objective", 99.5, "window", "30d",
		"indicator", "ratio", "errors", "http_requests_total{job=\"x\",code=~\"5..\"}",
		"total", "http_requests_total{job=\"x\"}",
		"status", "observedGeneration", i + 1, "conditions", "type", "Ready",
		"status", "True", "reason", "Reconciled", "message", "rules are up to date");
}

/* A malloc'ed copy of the entry of obj made by c, of *len bytes. */
static unsigned char *entry_copy(struct br__informer_codec *c, const json_t *obj, size_t *len)
{
	const unsigned char *bytes;

	assert_int_equal(br__informer_entry_new(c, obj, &bytes, len), 0);
	unsigned char *copy = malloc(*len);
	assert_non_null(copy);
	memcpy(copy, bytes, *len);
	return copy;
}

/* Entries: the object comes back whole; the same object gives the same
 * bytes; objects like the first keep in a fraction of their text. */
static void test_entries(void **state)
{
	struct br__informer_codec c;
	json_t *first = slo_like(0), *other = slo_like(1);
	json_t *odd = json_pack("{s:[i,i,s]}", "x", 1, 2, "\xc3\xa9");
	size_t n0, n1, n1b, n2;

	(void)state;
	br__informer_codec_init(&c);
	assert_null(br__informer_entry_tree(&c, NULL, 0));
	unsigned char *e0 = entry_copy(&c, first, &n0), *e1 = entry_copy(&c, other, &n1);
	unsigned char *e1b = entry_copy(&c, other, &n1b), *e2 = entry_copy(&c, odd, &n2);
	json_t *t0 = br__informer_entry_tree(&c, e0, n0), *t1 = br__informer_entry_tree(&c, e1, n1);
	json_t *t2 = br__informer_entry_tree(&c, e2, n2);
	assert_true(json_equal(t0, first));
	assert_true(json_equal(t1, other));
	assert_true(json_equal(t2, odd));
	assert_true(br__informer_entry_same(e1, n1, e1b, n1b));
	assert_false(br__informer_entry_same(e0, n0, e1, n1));
	char *text = json_dumps(other, JSON_COMPACT);
	assert_true(n1 * 4 < strlen(text));
	/* an entry from an object's own text, as a server wrote it (white
	   space, a number as printed): the same object back, and the same
	   bytes for the same text */
	const char *served = "{ \"metadata\": {\"name\": \"s\"}, \"spec\": {\"objective\": 99.9} }";
	const unsigned char *b;
	size_t nt, nt2;
	assert_int_equal(br__informer_entry_text(&c, served, strlen(served), &b, &nt), 0);
	unsigned char *et = malloc(nt);
	assert_non_null(et);
	memcpy(et, b, nt);
	assert_int_equal(br__informer_entry_text(&c, served, strlen(served), &b, &nt2), 0);
	assert_true(br__informer_entry_same(et, nt, b, nt2));
	json_t *tt = br__informer_entry_tree(&c, et, nt), *want = json_loads(served, 0, NULL);
	assert_true(json_equal(tt, want));
	json_decref(tt);
	json_decref(want);
	free(et);
	/* a damaged entry is no object, not a crash */
	assert_null(br__informer_entry_tree(&c, e1, n1 - 3));
	assert_null(br__informer_entry_tree(&c, (const unsigned char *)"{}", 2));
	assert_null(br__informer_entry_tree(&c, (const unsigned char *)"z\020\0\0\0x", 6));
	free(text);
	json_decref(t0);
	json_decref(t1);
	json_decref(t2);
	free(e0);
	free(e1);
	free(e1b);
	free(e2);
	json_decref(first);
	json_decref(other);
	json_decref(odd);
	br__informer_codec_release(&c);
}

/* --- Store ------------------------------------------------------------ */

/* Checks s's invariants: each node in the bucket of its hash, keys unique
 * (each found as itself), the count right, the load within bounds. */
static void store_check(const struct br__informer_store *s)
{
	size_t count = 0;

	for (size_t i = 0; i < s->nbuckets; i++) {
		for (const struct br__informer_node *n = s->buckets[i]; n; n = n->next) {
			assert_int_equal(n->hash & (s->nbuckets - 1), i);
			assert_int_equal(strlen(br__informer_node_key(n)), n->key_len);
			assert_ptr_equal(br__informer_store_get(s, br__informer_node_key(n)), n);
			count++;
		}
	}
	assert_int_equal(count, br__informer_store_size(s));
	assert_true(s->nbuckets == 0 || (s->nbuckets & (s->nbuckets - 1)) == 0);
	assert_true(count <= 2 * s->nbuckets);
}

/* Puts key -> text (its bytes without the NUL) in s; returns the old
 * node's text as a malloc'ed string, or NULL when there was none. */
static char *store_put_text(struct br__informer_store *s, const char *key, const char *text)
{
	struct br__informer_node *n = br__informer_node_new(key, text, strlen(text)), *old;
	char *was = NULL;

	assert_non_null(n);
	assert_int_equal(br__informer_store_put(s, n, &old), 0);
	if (old) {
		assert_string_equal(br__informer_node_key(old), key);
		assert_null(old->next);
		was = strndup((const char *)br__informer_node_bytes(old), old->len);
	}
	br__informer_node_free(old);
	return was;
}

static void assert_store_text(const struct br__informer_store *s, const char *key,
			      const char *text)
{
	const struct br__informer_node *n = br__informer_store_get(s, key);

	assert_non_null(n);
	assert_int_equal(n->len, strlen(text));
	assert_memory_equal(br__informer_node_bytes(n), text, n->len);
}

/* Put, get, a put that replaces and hands back the old node, take, an
 * empty entry, an empty store. */
static void test_store_basics(void **state)
{
	struct br__informer_store s;

	(void)state;
	br__informer_store_init(&s);
	assert_null(br__informer_store_get(&s, "a"));
	assert_null(br__informer_store_take(&s, "a"));
	assert_null(br__informer_store_next(&s, NULL));
	assert_null(store_put_text(&s, "ns/a", "one"));
	assert_null(store_put_text(&s, "ns/b", ""));
	assert_null(store_put_text(&s, "a", "short key"));
	assert_store_text(&s, "ns/a", "one");
	assert_store_text(&s, "ns/b", "");
	assert_null(br__informer_store_get(&s, "ns/"));
	assert_null(br__informer_store_get(&s, "ns/ab"));
	char *was = store_put_text(&s, "ns/a", "two, longer");
	assert_string_equal(was, "one");
	free(was);
	assert_store_text(&s, "ns/a", "two, longer");
	assert_int_equal(br__informer_store_size(&s), 3);
	store_check(&s);
	struct br__informer_node *n = br__informer_store_take(&s, "ns/b");
	assert_non_null(n);
	assert_int_equal(n->len, 0);
	br__informer_node_free(n);
	assert_null(br__informer_store_take(&s, "ns/b"));
	assert_null(br__informer_store_get(&s, "ns/b"));
	assert_int_equal(br__informer_store_size(&s), 2);
	store_check(&s);
	br__informer_store_release(&s);
	assert_int_equal(br__informer_store_size(&s), 0);
	assert_null(br__informer_store_get(&s, "ns/a"));
	br__informer_store_release(&s);
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Iteration and keys see every key once. */
static void assert_every_key(const struct br__informer_store *s, int total, int step)
{
	size_t seen = 0, n;
	char **keys;
	char key[32];

	for (const struct br__informer_node *node = NULL;
	     (node = br__informer_store_next(s, node));)
		seen++;
	assert_int_equal(seen, br__informer_store_size(s));
	assert_int_equal(br__informer_store_keys(s, &keys, &n), 0);
	assert_int_equal(n, seen);
	qsort(keys, n, sizeof(*keys), cmp_key);
	for (size_t i = 1; i < n; i++)
		assert_true(strcmp(keys[i - 1], keys[i]) < 0);
	for (int i = 0; i < total; i += step) {
		snprintf(key, sizeof(key), "ns-%d/slo-%05d", i % 7, i);
		assert_non_null(bsearch(&(const char *){ key }, keys, n, sizeof(*keys), cmp_key));
	}
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

/* Many keys: the buckets double many times over, every key stays
 * reachable, replacing and taking keep the count. */
static void test_store_grow(void **state)
{
	enum { N = 5000 };
	struct br__informer_store s;
	char key[32], text[32];

	(void)state;
	br__informer_store_init(&s);
	for (int i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "ns-%d/slo-%05d", i % 7, i);
		snprintf(text, sizeof(text), "v%d", i);
		assert_null(store_put_text(&s, key, text));
		if (i % 997 == 0)
			store_check(&s);
	}
	assert_true(s.nbuckets >= N / 2 && s.nbuckets >= 16 << 7);  /* 7 doublings or more */
	store_check(&s);
	assert_every_key(&s, N, 1);
	for (int i = 0; i < N; i += 3) {
		snprintf(key, sizeof(key), "ns-%d/slo-%05d", i % 7, i);
		snprintf(text, sizeof(text), "v%d", i);
		char *was = store_put_text(&s, key, "again");
		assert_string_equal(was, text);
		free(was);
	}
	assert_int_equal(br__informer_store_size(&s), N);
	for (int i = 1; i < N; i += 2) {
		snprintf(key, sizeof(key), "ns-%d/slo-%05d", i % 7, i);
		br__informer_node_free(br__informer_store_take(&s, key));
	}
	assert_int_equal(br__informer_store_size(&s), N / 2);
	store_check(&s);
	assert_every_key(&s, N, 2);
	assert_store_text(&s, "ns-6/slo-00006", "again");
	assert_store_text(&s, "ns-2/slo-00002", "v2");
	br__informer_store_release(&s);
}

static void test_key(void **state)
{
	struct br_buf b;
	br_buf_init(&b, 1024);
	json_t *o = json_pack("{s:{s:s,s:s}}", "metadata", "namespace", "ns", "name", "x");
	assert_int_equal(br_informer_key(o, &b), 0);
	assert_string_equal(br_buf_str(&b), "ns/x");
	json_decref(o);
	br_buf_reset(&b);
	o = json_pack("{s:{s:s}}", "metadata", "name", "node1");
	assert_int_equal(br_informer_key(o, &b), 0);
	assert_string_equal(br_buf_str(&b), "node1");
	json_decref(o);
	o = json_pack("{s:{}}", "metadata");
	assert_int_equal(br_informer_key(o, &b), BR_EINVAL);
	json_decref(o);
	br_buf_release(&b);
}

/* --- Against fakeapi --------------------------------------------------- */

struct fake {
	pid_t pid;
	char dir[64];
	struct br_kube_client *client;
};

static int fake_start(struct fake *fk)
{
	const char *src = getenv("BURNRATE_SOURCE_DIR");
	char script[1024], line[256] = "";
	memset(fk, 0, sizeof(*fk));
	if (!src)
		return -1;
	snprintf(script, sizeof(script), "%s/tests/fakeapi/fakeapi.py", src);
	if (access(script, R_OK) != 0 || system("python3 -c '' 2>/dev/null") != 0)
		return -1;
	snprintf(fk->dir, sizeof(fk->dir), "/tmp/br-informer-XXXXXX");
	if (!mkdtemp(fk->dir))
		return -1;
	int p[2];
	if (pipe(p) != 0)
		return -1;
	fk->pid = fork();
	if (fk->pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		execlp("python3", "python3", script, "--dir", fk->dir, "--port", "0",
		       "--bookmark-seconds", "1", "--bare", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	FILE *in = fdopen(p[0], "r");
	if (!in || !fgets(line, sizeof(line), in) || strncmp(line, "ready ", 6) != 0) {
		if (in)
			fclose(in);
		return -1;
	}
	fclose(in);
	char kc[128];
	snprintf(kc, sizeof(kc), "%s/kubeconfig", fk->dir);
	struct br_kube_config cfg;
	struct br_error err;
	br_error_init(&err);
	int rc = br_kube_config_load_kubeconfig(kc, NULL, &cfg, &err);
	if (rc == 0)
		rc = br_kube_client_create(&cfg, NULL, &fk->client, &err);
	br_kube_config_release(&cfg);
	if (rc)
		print_error("fakeapi client: %s\n", err.text);
	return rc;
}

static void fake_stop(struct fake *fk)
{
	br_kube_client_free(fk->client);
	if (fk->pid > 0) {
		kill(fk->pid, SIGKILL);
		waitpid(fk->pid, NULL, 0);
	}
	if (fk->dir[0]) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fk->dir);
		if (system(cmd) != 0)
			print_error("could not remove %s\n", fk->dir);
	}
}

static int setup_fake(void **state)
{
	struct fake *fk = calloc(1, sizeof(*fk));
	if (fake_start(fk) != 0) {
		fake_stop(fk);
		free(fk);
		*state = NULL;
		return 0;
	}
	*state = fk;
	return 0;
}

static int teardown_fake(void **state)
{
	if (*state) {
		fake_stop(*state);
		free(*state);
	}
	return 0;
}

#define NEED_FAKE(state)                                   \
	do {                                               \
		if (!*(state)) {                           \
			print_message("fakeapi missing\n"); \
			skip();                            \
		}                                          \
	} while (0)

/* Counts callbacks; remembers each (verb, key, resourceVersion) seen. */
struct seen {
	pthread_mutex_t mu;
	int adds, updates, deletes;
	json_t *log;  /* "verb key rv" -> count */
};

static void seen_note(struct seen *s, const char *verb, json_t *obj, int *counter)
{
	struct br_buf k;
	br_buf_init(&k, 4096);
	json_t *md = json_object_get(obj, "metadata");
	br_buf_addf(&k, "%s %s/%s %s", verb,
		    json_string_value(json_object_get(md, "namespace")),
		    json_string_value(json_object_get(md, "name")),
		    json_string_value(json_object_get(md, "resourceVersion")));
	pthread_mutex_lock(&s->mu);
	(*counter)++;
	json_int_t n = json_integer_value(json_object_get(s->log, br_buf_str(&k)));
	json_object_set_new(s->log, br_buf_str(&k), json_integer(n + 1));
	pthread_mutex_unlock(&s->mu);
	br_buf_release(&k);
}

static void on_add(void *ctx, json_t *obj)
{
	struct seen *s = ctx;
	seen_note(s, "add", obj, &s->adds);
}

static void on_update(void *ctx, json_t *old, json_t *obj)
{
	struct seen *s = ctx;
	seen_note(s, "update", obj, &s->updates);
}

static void on_delete(void *ctx, json_t *obj)
{
	struct seen *s = ctx;
	seen_note(s, "delete", obj, &s->deletes);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int seen_get(struct seen *s, int *field)
{
	pthread_mutex_lock(&s->mu);
	int v = *field;
	pthread_mutex_unlock(&s->mu);
	return v;
}

/* Waits up to 20 s for the three counters to reach the values. */
static void wait_counts(struct seen *s, int adds, int updates, int deletes)
{
	for (int i = 0; i < 2000; i++) {
		if (seen_get(s, &s->adds) >= adds && seen_get(s, &s->updates) >= updates &&
		    seen_get(s, &s->deletes) >= deletes)
			break;
		sleep_ms(10);
	}
	sleep_ms(300);  /* room for a duplicate to show up */
	assert_int_equal(seen_get(s, &s->adds), adds);
	assert_int_equal(seen_get(s, &s->updates), updates);
	assert_int_equal(seen_get(s, &s->deletes), deletes);
	/* nothing delivered twice */
	const char *k;
	json_t *v;
	pthread_mutex_lock(&s->mu);
	json_object_foreach(s->log, k, v) {
		if (json_integer_value(v) != 1)
			print_error("delivered %d times: %s\n", (int)json_integer_value(v), k);
		assert_int_equal(json_integer_value(v), 1);
	}
	pthread_mutex_unlock(&s->mu);
}

static void cm_create(struct fake *fk, const char *name, const char *value)
{
	json_t *o = json_pack("{s:s,s:s,s:{s:s,s:{s:s}},s:{s:s}}", "apiVersion", "v1",
			      "kind", "ConfigMap", "metadata", "name", name, "labels",
			      "app", "t", "data", "v", value);
	struct br_error err;
	br_error_init(&err);
	int rc = br_kube_post(fk->client, "/api/v1/namespaces/default/configmaps", o,
			      NULL, &err);
	if (rc)
		print_error("create %s: %s\n", name, err.text);
	assert_int_equal(rc, 0);
	json_decref(o);
}

static void cm_patch(struct fake *fk, const char *name, const char *value)
{
	char path[256];
	snprintf(path, sizeof(path), "/api/v1/namespaces/default/configmaps/%s", name);
	json_t *p = json_pack("{s:{s:s}}", "data", "v", value);
	assert_int_equal(br_kube_merge_patch(fk->client, path, p, NULL, NULL), 0);
	json_decref(p);
}

static void cm_delete(struct fake *fk, const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), "/api/v1/namespaces/default/configmaps/%s", name);
	assert_int_equal(br_kube_delete(fk->client, path, NULL, NULL, NULL), 0);
}

static void admin(struct fake *fk, const char *path, const char *body)
{
	struct br_error err;
	br_error_init(&err);
	int rc = br_kube_request(fk->client, "POST", path, NULL, NULL, body, NULL, &err);
	if (rc)
		print_error("%s: %s\n", path, err.text);
	assert_int_equal(rc, 0);
}

static struct br_informer *start_informer_backoff(struct fake *fk, struct seen *s,
						  double backoff)
{
	struct br_informer_options o = {
		.version = "v1", .plural = "configmaps", .namespace = "default",
		.label_selector = "app=t", .page_size = 2, .backoff_initial = backoff,
		.handlers = {on_add, on_update, on_delete, s},
	};
	struct br_informer *inf;
	struct br_error err;
	br_error_init(&err);
	pthread_mutex_init(&s->mu, NULL);
	s->log = json_object();
	assert_int_equal(br_informer_create(fk->client, &o, &inf, &err), 0);
	assert_int_equal(br_informer_start(inf, &err), 0);
	assert_int_equal(br_informer_wait_synced(inf, 20), 0);
	return inf;
}

static struct br_informer *start_informer(struct fake *fk, struct seen *s)
{
	return start_informer_backoff(fk, s, 0);
}

static void finish(struct br_informer *inf, struct seen *s)
{
	br_informer_free(inf);
	json_decref(s->log);
	pthread_mutex_destroy(&s->mu);
}

/* A field selector narrows list and watch to one object, with the label
 * selector (the controller watches one Secret this way). */
static void test_field_selector(void **state)
{
	NEED_FAKE(state);
	struct fake *fk = *state;
	struct seen s = {0};
	struct br_informer_options o = {
		.version = "v1", .plural = "configmaps", .namespace = "default",
		.label_selector = "app=t", .field_selector = "metadata.name=fs-b",
		.handlers = {on_add, on_update, on_delete, &s},
	};
	struct br_informer *inf;
	struct br_error err;

	cm_create(fk, "fs-a", "1");
	cm_create(fk, "fs-b", "1");
	br_error_init(&err);
	pthread_mutex_init(&s.mu, NULL);
	s.log = json_object();
	assert_int_equal(br_informer_create(fk->client, &o, &inf, &err), 0);
	assert_int_equal(br_informer_start(inf, &err), 0);
	assert_int_equal(br_informer_wait_synced(inf, 20), 0);
	cm_patch(fk, "fs-a", "2");
	cm_create(fk, "fs-c", "1");
	cm_patch(fk, "fs-b", "2");
	wait_counts(&s, 1, 1, 0);
	assert_int_equal(br_informer_size(inf), 1);
	assert_null(br_informer_get(inf, "default/fs-a"));
	assert_int_equal(seen_get(&s, &s.adds), 1);
	assert_int_equal(seen_get(&s, &s.updates), 1);
	finish(inf, &s);
	cm_delete(fk, "fs-a"); /* the next tests count what app=t selects */
	cm_delete(fk, "fs-b");
	cm_delete(fk, "fs-c");
}

static void test_list_watch(void **state)
{
	NEED_FAKE(state);
	struct fake *fk = *state;
	struct seen s = {0};
	cm_create(fk, "lw-a", "1");
	cm_create(fk, "lw-b", "1");
	cm_create(fk, "lw-c", "1");  /* three items, pages of two */
	struct br_informer *inf = start_informer(fk, &s);
	assert_true(br_informer_has_synced(inf));
	wait_counts(&s, 3, 0, 0);
	cm_create(fk, "lw-d", "1");
	cm_patch(fk, "lw-a", "2");
	cm_delete(fk, "lw-b");
	wait_counts(&s, 4, 1, 1);

	char **keys;
	size_t n;
	assert_int_equal(br_informer_keys(inf, &keys, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(keys[0], "default/lw-a");
	assert_string_equal(keys[1], "default/lw-c");
	assert_string_equal(keys[2], "default/lw-d");
	br_informer_keys_free(keys, n);
	json_t *a = br_informer_get(inf, "default/lw-a");
	assert_non_null(a);
	assert_string_equal(json_string_value(json_object_get(json_object_get(a, "data"), "v")), "2");
	json_decref(a);
	assert_null(br_informer_get(inf, "default/lw-b"));

	/* stop is prompt even in the middle of a watch */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	br_informer_stop(inf);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double took = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("stop took %.3f s\n", took);
	assert_true(took < 2.0);
	finish(inf, &s);
	cm_delete(fk, "lw-a");
	cm_delete(fk, "lw-c");
	cm_delete(fk, "lw-d");
}

static void test_cut_resumes(void **state)
{
	NEED_FAKE(state);
	struct fake *fk = *state;
	struct seen s = {0};
	struct br_informer *inf = start_informer(fk, &s);
	cm_create(fk, "cut-a", "1");
	wait_counts(&s, 1, 0, 0);
	for (int round = 0; round < 3; round++) {
		admin(fk, "/fake/cut-watches", "{}");
		/* changes made while the informer is away */
		char name[32];
		snprintf(name, sizeof(name), "cut-n%d", round);
		cm_create(fk, name, "1");
		cm_patch(fk, "cut-a", round == 0 ? "x" : round == 1 ? "y" : "z");
		wait_counts(&s, 2 + round, 1 + round, 0);
	}
	cm_delete(fk, "cut-a");
	wait_counts(&s, 4, 3, 1);
	struct br_informer_stats st;
	br_informer_stats(inf, &st);
	print_message("watches %lu restarts %lu relists %lu failures %lu\n", st.watches,
		      st.watch_restarts, st.relists, st.failures);
	assert_true(st.watch_restarts >= 3);
	assert_int_equal(st.relists, 0);  /* resumed, not relisted */
	finish(inf, &s);
	for (int round = 0; round < 3; round++) {
		char name[32];
		snprintf(name, sizeof(name), "cut-n%d", round);
		cm_delete(fk, name);
	}
}

/* The fake's count of 200 lists of configmaps. */
static long cm_lists(struct fake *fk)
{
	json_t *r = NULL;
	long n = 0;
	size_t i;
	json_t *b;

	assert_int_equal(br_kube_get(fk->client, "/fake/requests", &r, NULL), 0);
	json_array_foreach(json_object_get(r, "by"), i, b) {
		if (strcmp(json_string_value(json_object_get(b, "verb")), "list") == 0 &&
		    strcmp(json_string_value(json_object_get(b, "resource")), "configmaps") == 0 &&
		    json_integer_value(json_object_get(b, "code")) == 200)
			n += (long)json_integer_value(json_object_get(b, "count"));
	}
	json_decref(r);
	return n;
}

/* The first list asks for resourceVersion=0, which the API server answers
 * from its watch cache in one piece whatever the page size (the fake as
 * kube-apiserver; tests/kubectl/fidelity.e2e.sh checks both), so five
 * objects at two a page come in one request; a relist reads from etcd, in
 * pages. */
static void test_first_list_from_cache(void **state)
{
	NEED_FAKE(state);
	struct fake *fk = *state;
	struct seen s = {0};
	char name[32];

	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "first-%d", i);
		cm_create(fk, name, "1");
	}
	long before = cm_lists(fk);
	struct br_informer *inf = start_informer(fk, &s);  /* two a page */
	wait_counts(&s, 5, 0, 0);
	assert_int_equal(br_informer_size(inf), 5);
	assert_int_equal(cm_lists(fk) - before, 1);

	/* an ERROR 410 event ends the watch: relist */
	admin(fk, "/fake/compact", "{\"expireWatches\": true}");
	cm_patch(fk, "first-0", "2");
	wait_counts(&s, 5, 1, 0);
	struct br_informer_stats st;
	br_informer_stats(inf, &st);
	assert_true(st.relists >= 1);
	assert_true(cm_lists(fk) - before >= 1 + 3);  /* five at two a page */
	assert_int_equal(br_informer_size(inf), 5);
	finish(inf, &s);
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "first-%d", i);
		cm_delete(fk, name);
	}
}

static void test_gone_relists(void **state)
{
	NEED_FAKE(state);
	struct fake *fk = *state;
	struct seen s = {0};
	cm_create(fk, "gone-a", "1");
	cm_create(fk, "gone-b", "1");
	struct br_informer *inf = start_informer(fk, &s);
	wait_counts(&s, 2, 0, 0);
	/* an ERROR 410 event ends the watch: relist */
	admin(fk, "/fake/compact", "{\"expireWatches\": true}");
	cm_create(fk, "gone-c", "1");
	wait_counts(&s, 3, 0, 0);
	struct br_informer_stats st;
	br_informer_stats(inf, &st);
	assert_true(st.relists >= 1);
	assert_int_equal(st.last_error, BR_EGONE);

	/* changes made while away and the history compacted: the relist
	 * brings them as adds, updates and deletes */
	admin(fk, "/fake/cut-watches", "{}");
	cm_create(fk, "gone-d", "1");
	cm_patch(fk, "gone-a", "2");
	cm_delete(fk, "gone-b");
	admin(fk, "/fake/compact", "{}");
	wait_counts(&s, 4, 1, 1);
	br_informer_stats(inf, &st);
	print_message("relists %lu restarts %lu\n", st.relists, st.watch_restarts);
	assert_true(st.relists >= 2);
	assert_int_equal(br_informer_size(inf), 3);
	finish(inf, &s);
	cm_delete(fk, "gone-a");
	cm_delete(fk, "gone-c");
	cm_delete(fk, "gone-d");
}

/* Failed watches (500, 429) back off and rewatch without a relist; an
 * HTTP 410 on the watch relists. */
static void test_watch_errors(void **state)
{
	NEED_FAKE(state);
	struct fake *fk = *state;
	struct seen s = {0};
	struct br_informer_stats st;
	struct br_informer *inf = start_informer_backoff(fk, &s, 0.2);
	cm_create(fk, "we-a", "1");
	wait_counts(&s, 1, 0, 0);
	admin(fk, "/fake/faults",
	      "[{\"method\":\"GET\",\"path\":\"watch=1\",\"status\":500,\"count\":2},"
	      "{\"method\":\"GET\",\"path\":\"watch=1\",\"status\":429,\"count\":1}]");
	admin(fk, "/fake/cut-watches", "{}");
	cm_patch(fk, "we-a", "2");
	cm_create(fk, "we-b", "1");
	wait_counts(&s, 2, 1, 0);
	br_informer_stats(inf, &st);
	print_message("failures %lu relists %lu last %s\n", st.failures, st.relists,
		      br_code_name(st.last_error));
	assert_true(st.failures >= 4);  /* the cut and three refused watches */
	assert_int_equal(st.relists, 0);

	admin(fk, "/fake/faults",
	      "{\"method\":\"GET\",\"path\":\"watch=1\",\"status\":410,\"count\":1}");
	admin(fk, "/fake/cut-watches", "{}");
	cm_create(fk, "we-c", "1");
	wait_counts(&s, 3, 1, 0);
	br_informer_stats(inf, &st);
	assert_int_equal(st.relists, 1);
	assert_int_equal(st.last_error, BR_EGONE);
	finish(inf, &s);
	cm_delete(fk, "we-a");
	cm_delete(fk, "we-b");
	cm_delete(fk, "we-c");
}

/* What handlers given a view saw: how often "data" (outside the view)
 * came with a listed or cached object, and with a watch event's. */
struct view_seen {
	pthread_mutex_t mu;
	int adds, updates, cached_data, event_data, named;
};

static void view_note(struct view_seen *v, json_t *cached, json_t *event)
{
	pthread_mutex_lock(&v->mu);
	v->cached_data += json_object_get(cached, "data") != NULL;
	v->event_data += event && json_object_get(event, "data") != NULL;
	v->named += json_string_value(json_object_get(json_object_get(cached, "metadata"),
						      "name")) != NULL;
	pthread_mutex_unlock(&v->mu);
}

static void view_add(void *ctx, json_t *obj)
{
	struct view_seen *v = ctx;
	view_note(v, obj, NULL);
	__atomic_add_fetch(&v->adds, 1, __ATOMIC_SEQ_CST);
}

static void view_update(void *ctx, json_t *old, json_t *obj)
{
	struct view_seen *v = ctx;
	view_note(v, old, obj);
	__atomic_add_fetch(&v->updates, 1, __ATOMIC_SEQ_CST);
}

static void wait_view(struct view_seen *v, int adds, int updates)
{
	for (int i = 0; i < 2000 && (__atomic_load_n(&v->adds, __ATOMIC_SEQ_CST) < adds ||
				     __atomic_load_n(&v->updates, __ATOMIC_SEQ_CST) < updates); i++)
		sleep_ms(10);
	assert_int_equal(__atomic_load_n(&v->adds, __ATOMIC_SEQ_CST), adds);
	assert_int_equal(__atomic_load_n(&v->updates, __ATOMIC_SEQ_CST), updates);
}

/* With a view, listed and watched objects and the old object of an update
 * come to the handlers as their metadata alone; br_informer_get gives the
 * whole. */
static void test_view_handlers(void **state)
{
	NEED_FAKE(state);
	struct fake *fk = *state;
	static const char *const view[] = {"metadata", NULL};
	struct view_seen v = {.mu = PTHREAD_MUTEX_INITIALIZER};
	struct br_informer_options o = {
		.version = "v1", .plural = "configmaps", .namespace = "default",
		.label_selector = "app=t", .page_size = 1, .view = view,
		.handlers = {view_add, view_update, NULL, &v},
	};
	struct br_informer *inf;

	cm_create(fk, "vh-a", "1");
	cm_create(fk, "vh-b", "1");
	assert_int_equal(br_informer_create(fk->client, &o, &inf, NULL), 0);
	assert_int_equal(br_informer_start(inf, NULL), 0);
	assert_int_equal(br_informer_wait_synced(inf, 20), 0);
	wait_view(&v, 2, 0);
	cm_patch(fk, "vh-a", "2");
	wait_view(&v, 2, 1);
	/* a relist after changes made while away: an update from the cache */
	admin(fk, "/fake/cut-watches", "{}");
	cm_patch(fk, "vh-b", "2");
	admin(fk, "/fake/compact", "{}");
	wait_view(&v, 2, 2);
	pthread_mutex_lock(&v.mu);
	assert_int_equal(v.cached_data, 0);
	assert_int_equal(v.event_data, 0);  /* a watched object is a view too */
	assert_int_equal(v.named, 4);
	pthread_mutex_unlock(&v.mu);
	json_t *b = br_informer_get(inf, "default/vh-b");
	assert_string_equal(json_string_value(json_object_get(json_object_get(b, "data"), "v")),
			    "2");
	json_decref(b);
	/* a reader's own view of a cached object: those members and no more */
	static const char *const data_only[] = {"data.v", NULL};
	b = br_informer_get_view(inf, "default/vh-b", data_only);
	assert_string_equal(json_string_value(json_object_get(json_object_get(b, "data"), "v")),
			    "2");
	assert_int_equal(json_object_size(b), 1);
	assert_null(json_object_get(b, "metadata"));
	json_decref(b);
	assert_null(br_informer_get_view(inf, "default/vh-none", data_only));
	br_informer_free(inf);
	cm_delete(fk, "vh-a");
	cm_delete(fk, "vh-b");
}

static void count_resync(void *ctx, json_t *old, json_t *obj)
{
	if (old == obj)
		__atomic_add_fetch((int *)ctx, 1, __ATOMIC_SEQ_CST);
}

/* With a resync period every cached object comes to on_update again. */
static void test_resync(void **state)
{
	NEED_FAKE(state);
	struct fake *fk = *state;
	int resynced = 0;
	cm_create(fk, "rs-a", "1");
	cm_create(fk, "rs-b", "1");
	struct br_informer_options o = {
		.version = "v1", .plural = "configmaps", .namespace = "default",
		.label_selector = "app=t", .resync_period = 0.3,
		.handlers = {NULL, count_resync, NULL, &resynced},
	};
	struct br_informer *inf;
	assert_int_equal(br_informer_create(fk->client, &o, &inf, NULL), 0);
	assert_int_equal(br_informer_start(inf, NULL), 0);
	assert_int_equal(br_informer_wait_synced(inf, 20), 0);
	sleep_ms(1000);
	br_informer_stop(inf);
	struct br_informer_stats st;
	br_informer_stats(inf, &st);
	print_message("resyncs %lu, objects resynced %d\n", st.resyncs, resynced);
	assert_true(st.resyncs >= 2 && st.resyncs <= 4);
	assert_int_equal(resynced, 2 * (int)st.resyncs);
	br_informer_free(inf);
	cm_delete(fk, "rs-a");
	cm_delete(fk, "rs-b");
}

int main(void)
{
	const struct CMUnitTest framer[] = {
		cmocka_unit_test(test_framer_whole),
		cmocka_unit_test(test_framer_view),
		cmocka_unit_test(test_framer_every_split),
		cmocka_unit_test(test_framer_partial_and_stop),
		cmocka_unit_test(test_framer_garbage),
		cmocka_unit_test(test_framer_limit),
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_store_basics),
		cmocka_unit_test(test_store_grow),
	};
	const struct CMUnitTest fake[] = {
		cmocka_unit_test(test_list_watch),
		cmocka_unit_test(test_field_selector),
		cmocka_unit_test(test_cut_resumes),
		cmocka_unit_test(test_gone_relists),
		cmocka_unit_test(test_first_list_from_cache),
		cmocka_unit_test(test_watch_errors),
		cmocka_unit_test(test_view_handlers),
		cmocka_unit_test(test_resync),
	};
	int fails = cmocka_run_group_tests_name("framer", framer, NULL, NULL);
	fails += cmocka_run_group_tests_name("informer-fakeapi", fake, setup_fake,
					     teardown_fake);
	return fails;
}
