/* test_informer_alloc: the informer's cache store and entries when
 * allocations fail, every one in turn: BR_ENOMEM, never a crash, and a
 * store left as it was. A process of its own for the failalloc.h
 * interposer, which test_informer's threads would share. */
#define _GNU_SOURCE /* RTLD_NEXT, for failalloc.h */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors/errors.h"
#include "informer/entry.h"
#include "informer/store.h"

#include "failalloc.h"

enum { KEYS = 100 };  /* enough for three doublings of the buckets */

static void key_of(int i, char *key, size_t size)
{
	snprintf(key, size, "ns/slo-%03d", i);
}

/* Puts key i -> "v<i>", allocation number fail failing (-1: none); returns
 * 0, or BR_ENOMEM with s as it was. */
static int put_failing(struct br__informer_store *s, int i, long fail)
{
	char key[32], text[32];
	struct br__informer_node *n, *old;
	int rc = BR_ENOMEM;

	key_of(i, key, sizeof(key));
	snprintf(text, sizeof(text), "v%d", i);
	failing_after = fail;
	n = br__informer_node_new(key, text, strlen(text));
	if (n && (rc = br__informer_store_put(s, n, &old)) < 0)
		br__informer_node_free(n);
	failing_after = -1;
	if (rc == 0)
		br__informer_node_free(old);
	return rc;
}

/* s holds keys 0 to count - 1 and nothing else, each reachable. */
static void assert_holds(const struct br__informer_store *s, int count)
{
	char key[32];
	size_t seen = 0;

	assert_int_equal(br__informer_store_size(s), count);
	for (int i = 0; i < count; i++) {
		key_of(i, key, sizeof(key));
		assert_non_null(br__informer_store_get(s, key));
	}
	for (const struct br__informer_node *n = NULL; (n = br__informer_store_next(s, n));) {
		assert_ptr_equal(br__informer_store_get(s, br__informer_node_key(n)), n);
		seen++;
	}
	assert_int_equal(seen, count);
}

/* Every allocation of a run of puts fails in turn: a put that fails leaves
 * the store as it was, and the next one, allowed, goes on from there. */
static void test_store_puts(void **state)
{
	struct br__informer_store s;
	long failures = 0;

	(void)state;
	br__informer_store_init(&s);
	for (int i = 0; i < KEYS; i++) {
		for (long fail = 0; put_failing(&s, i, fail) < 0; fail++) {
			failures++;
			assert_holds(&s, i);
		}
		assert_holds(&s, i + 1);
	}
	/* each node, and the first buckets; a doubling that fails is skipped
	 * (as here every time: the store kept its 16 buckets) */
	assert_true(failures >= KEYS + 1);
	assert_int_equal(s.nbuckets, 16);
	assert_int_equal(put_failing(&s, KEYS, -1), 0);
	assert_true(s.nbuckets > 16);
	assert_holds(&s, KEYS + 1);
	br__informer_store_release(&s);
}

/* Copying the keys fails cleanly at every allocation. */
static void test_store_keys(void **state)
{
	struct br__informer_store s;
	char **keys;
	size_t n;
	int rc;

	(void)state;
	br__informer_store_init(&s);
	for (int i = 0; i < KEYS; i++)
		assert_int_equal(put_failing(&s, i, -1), 0);
	for (long fail = 0;; fail++) {
		failing_after = fail;
		rc = br__informer_store_keys(&s, &keys, &n);
		failing_after = -1;
		if (rc == 0)
			break;
		assert_int_equal(rc, BR_ENOMEM);
		assert_null(keys);
		assert_int_equal(n, 0);
	}
	assert_int_equal(n, KEYS);
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	assert_holds(&s, KEYS);
	br__informer_store_release(&s);
}

/* Making and reading entries fails cleanly at every allocation, every
 * entry made reads back as its object, and the codec goes on afterwards
 * with the same bytes for the same object. */
static void test_entries(void **state)
{
	json_t *obj = json_pack("{s:s, s:{s:s, s:s}, s:[i, i, i]}", "kind", "Thing",
				"metadata", "name", "a", "namespace", "ns", "items", 1, 2, 3);
	struct br__informer_codec c;
	const unsigned char *bytes;
	unsigned char first[256];
	size_t len, first_len = 0;
	int made = 0;

	(void)state;
	assert_non_null(obj);
	br__informer_codec_init(&c);
	for (long fail = 0; made < 2; fail++) {
		failing_after = fail;
		int rc = br__informer_entry_new(&c, obj, &bytes, &len);
		failing_after = -1;
		if (rc < 0) {
			assert_int_equal(rc, BR_ENOMEM);
			assert_null(bytes);
			continue;
		}
		/* never a damaged text (jansson's json_dumps made some) */
		json_t *t = br__informer_entry_tree(&c, bytes, len);
		assert_true(json_equal(t, obj));
		json_decref(t);
		if (made++ == 0) {
			assert_true(len <= sizeof(first));
			memcpy(first, bytes, len);
			first_len = len;
			fail = -1;  /* again, with a codec already started */
		}
	}
	assert_true(br__informer_entry_same(first, first_len, bytes, len));
	json_t *t = NULL;
	for (long fail = 0; !t && fail < 1000; fail++) {
		failing_after = fail;
		t = br__informer_entry_tree(&c, first, first_len);
		failing_after = -1;
	}
	assert_true(json_equal(t, obj));
	json_decref(t);
	br__informer_codec_release(&c);
	json_decref(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_puts),
		cmocka_unit_test(test_store_keys),
		cmocka_unit_test(test_entries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
