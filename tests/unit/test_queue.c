/* test_queue: the work queue's guarantees, as client-go's tests check them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "queue/queue.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct br_queue *new_queue(const struct br_queue_options *o)
{
	struct br_queue *q = NULL;
	assert_int_equal(br_queue_create(o, &q, NULL), 0);
	assert_non_null(q);
	return q;
}

/* Gets one key without blocking, or returns NULL if none is ready. */
static char *get_now(struct br_queue *q)
{
	char *k = NULL;
	int rc = br_queue_get_timeout(q, 0, &k);
	if (rc == BR_ETIMEOUT)
		return NULL;
	assert_int_equal(rc, 0);
	return k;
}

static void expect_get(struct br_queue *q, const char *want)
{
	char *k = get_now(q);
	assert_non_null(k);
	assert_string_equal(k, want);
	br_queue_done(q, k);
	free(k);
}

static void test_fifo_and_coalescing(void **state)
{
	struct br_queue *q = new_queue(NULL);
	assert_int_equal(br_queue_add(q, "a"), 0);
	assert_int_equal(br_queue_add(q, "b"), 0);
	assert_int_equal(br_queue_add(q, "a"), 0);
	assert_int_equal(br_queue_add(q, "c"), 0);
	assert_int_equal(br_queue_add(q, "b"), 0);
	assert_int_equal(br_queue_len(q), 3);
	expect_get(q, "a");
	expect_get(q, "b");
	expect_get(q, "c");
	assert_null(get_now(q));
	assert_int_equal(br_queue_len(q), 0);
	assert_int_equal(br_queue_add(q, NULL), BR_EINVAL);
	br_queue_free(q);
}

static void test_readd_while_processing(void **state)
{
	struct br_queue *q = new_queue(NULL);
	br_queue_add(q, "a");
	char *k = get_now(q);
	assert_string_equal(k, "a");
	/* Added twice while processing: held back, then queued once. */
	br_queue_add(q, "a");
	br_queue_add(q, "a");
	assert_int_equal(br_queue_len(q), 0);
	assert_null(get_now(q));
	br_queue_done(q, k);
	free(k);
	assert_int_equal(br_queue_len(q), 1);
	expect_get(q, "a");
	assert_null(get_now(q));
	/* done() on a key not being processed is ignored. */
	br_queue_done(q, "a");
	br_queue_done(q, "zzz");
	assert_int_equal(br_queue_len(q), 0);
	br_queue_free(q);
}

/* Gets one key without blocking, which must be want, and whether it came
 * from check adds alone. */
static int get_check(struct br_queue *q, const char *want)
{
	char *k = NULL;
	int check = -1;
	assert_int_equal(br_queue_get_check(q, 0, &k, &check), 0);
	assert_non_null(k);
	assert_string_equal(k, want);
	assert_true(check == 0 || check == 1);
	br_queue_done(q, k);
	free(k);
	return check;
}

/* A key is a check only while every add since it was last handed out was a
 * check add: a plain add before or after, a delay's end, a retry, or an add
 * while it is processed make it plain work. */
static void test_check_adds(void **state)
{
	struct br_queue *q = new_queue(NULL);
	br_queue_add_check(q, "a");
	br_queue_add_check(q, "a");
	br_queue_add(q, "b");
	br_queue_add_check(q, "b");
	br_queue_add_check(q, "c");
	br_queue_add(q, "c");
	assert_int_equal(br_queue_len(q), 3);
	assert_int_equal(get_check(q, "a"), 1);
	assert_int_equal(get_check(q, "b"), 0);
	assert_int_equal(get_check(q, "c"), 0);
	/* the mark does not outlive the hand-out */
	br_queue_add(q, "a");
	assert_int_equal(get_check(q, "a"), 0);
	br_queue_add_check(q, "a");
	assert_int_equal(get_check(q, "a"), 1);

	/* added while processed: a check, then plain */
	char *k = NULL;
	int check = -1;
	br_queue_add_check(q, "a");
	assert_int_equal(br_queue_get_check(q, 0, &k, &check), 0);
	assert_int_equal(check, 1);
	br_queue_add_check(q, "a");
	br_queue_done(q, k);
	free(k);
	assert_int_equal(get_check(q, "a"), 1);
	assert_int_equal(br_queue_get_check(q, 0, &k, &check), BR_ETIMEOUT);
	br_queue_add_check(q, "a");
	assert_int_equal(br_queue_get_check(q, 0, &k, &check), 0);
	br_queue_add_check(q, "a");
	br_queue_add(q, "a");
	br_queue_done(q, k);
	free(k);
	assert_int_equal(get_check(q, "a"), 0);

	/* a delayed add that comes due makes a waiting check plain */
	br_queue_add_after(q, "d", 30);
	br_queue_add_check(q, "d");
	struct timespec ts = {0, 60 * 1000000};
	nanosleep(&ts, NULL);
	assert_int_equal(get_check(q, "d"), 0);
	/* a rate-limited retry (due 5 ms later with the default backoff) */
	br_queue_add_check(q, "e");
	br_queue_add_rate_limited(q, "e", NULL);
	nanosleep(&ts, NULL);
	assert_int_equal(get_check(q, "e"), 0);
	assert_int_equal(br_queue_add_check(q, NULL), BR_EINVAL);
	br_queue_free(q);
}

/* --- One key never in two workers at once -------------------------------- */

#define NKEYS 8
#define NWORKERS 4
#define NADDS 2000

struct shared {
	struct br_queue *q;
	atomic_int inflight[NKEYS];
	atomic_int overlaps;
	atomic_int add_errors;
	atomic_int processed;
};

static void *worker(void *arg)
{
	struct shared *s = arg;
	char *k;
	while (br_queue_get(s->q, &k) == 0) {
		int i = k[1] - '0';
		if (atomic_fetch_add(&s->inflight[i], 1) != 0)
			atomic_fetch_add(&s->overlaps, 1);
		/* An event for the same object arrives mid-reconcile: the key
		 * must wait for done(), not go to an idle worker. */
		if (atomic_load(&s->processed) < NADDS &&
		    br_queue_add(s->q, k) != 0)
			atomic_fetch_add(&s->add_errors, 1); /* cmocka asserts only on the main thread */
		struct timespec ts = {0, 20000}; /* 20 us of "work" */
		nanosleep(&ts, NULL);
		atomic_fetch_sub(&s->inflight[i], 1);
		atomic_fetch_add(&s->processed, 1);
		br_queue_done(s->q, k);
		free(k);
	}
	return NULL;
}

static void test_no_concurrent_processing(void **state)
{
	struct shared s = {.q = new_queue(NULL)};
	pthread_t t[NWORKERS];
	for (int i = 0; i < NWORKERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, &s), 0);
	char key[3] = "k0";
	for (int n = 0; n < NADDS; n++) {
		key[1] = (char)('0' + n % NKEYS);
		assert_int_equal(br_queue_add(s.q, key), 0);
	}
	while (atomic_load(&s.processed) < NADDS) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	assert_int_equal(br_queue_shutdown_with_drain(s.q, 10000), 0);
	for (int i = 0; i < NWORKERS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(atomic_load(&s.overlaps), 0);
	assert_int_equal(atomic_load(&s.add_errors), 0);
	/* Every key ran, and the re-adds ran too. */
	assert_true(atomic_load(&s.processed) >= NADDS / 2);
	br_queue_free(s.q);
}

/* --- Rate limiting -------------------------------------------------------- */

static void test_backoff_numbers(void **state)
{
	struct br_queue *q = new_queue(NULL);
	int64_t want = 5, d = -1;
	for (int i = 0; i < 20; i++) {
		assert_int_equal(br_queue_add_rate_limited(q, "x", &d), 0);
		assert_int_equal(d, want);
		assert_int_equal(br_queue_num_requeues(q, "x"), i + 1);
		want = want * 2 > 1000000 ? 1000000 : want * 2;
	}
	/* 5 * 2^18 ms passes 1000 s: the last two were capped. */
	assert_int_equal(d, 1000000);
	/* Another key has its own count. */
	assert_int_equal(br_queue_add_rate_limited(q, "y", &d), 0);
	assert_int_equal(d, 5);
	br_queue_forget(q, "x");
	assert_int_equal(br_queue_num_requeues(q, "x"), 0);
	assert_int_equal(br_queue_add_rate_limited(q, "x", &d), 0);
	assert_int_equal(d, 5);
	assert_int_equal(br_queue_num_requeues(q, "y"), 1);
	assert_int_equal(br_queue_num_requeues(q, "never"), 0);
	br_queue_free(q);
}

static void test_token_bucket(void **state)
{
	/* Burst 3 at 10 qps: the 4th and 5th adds wait about 100 and 200 ms
	 * although the per-key backoff of fresh keys is only 5 ms. */
	struct br_queue_options o = {.qps = 10, .burst = 3};
	struct br_queue *q = new_queue(&o);
	int64_t d[5];
	char key[2] = "a";
	for (int i = 0; i < 5; i++) {
		key[0] = (char)('a' + i);
		assert_int_equal(br_queue_add_rate_limited(q, key, &d[i]), 0);
	}
	for (int i = 0; i < 3; i++)
		assert_int_equal(d[i], 5);
	/* The bucket refills while the test runs; allow for a slow machine. */
	assert_in_range(d[3], 50, 100);
	assert_in_range(d[4], 150, 200);
	br_queue_free(q);
}

static void test_rate_limited_item_arrives(void **state)
{
	struct br_queue *q = new_queue(NULL);
	int64_t start = now_ms();
	assert_int_equal(br_queue_add_rate_limited(q, "a", NULL), 0);
	assert_int_equal(br_queue_len(q), 0);
	char *k = NULL;
	assert_int_equal(br_queue_get_timeout(q, 1000, &k), 0);
	assert_string_equal(k, "a");
	assert_true(now_ms() - start >= 5);
	br_queue_done(q, k);
	free(k);
	br_queue_free(q);
}

static void test_add_after_ordering(void **state)
{
	struct br_queue *q = new_queue(NULL);
	int64_t start = now_ms();
	br_queue_add_after(q, "late", 120);
	br_queue_add_after(q, "early", 40);
	br_queue_add_after(q, "mid", 80);
	br_queue_add_after(q, "now", 0);
	/* A second add_after keeps the earlier time. */
	br_queue_add_after(q, "mid", 500);
	assert_int_equal(br_queue_len(q), 1);
	const char *want[] = {"now", "early", "mid", "late"};
	int64_t min_at[] = {0, 40, 80, 120};
	for (int i = 0; i < 4; i++) {
		char *k = NULL;
		assert_int_equal(br_queue_get_timeout(q, 2000, &k), 0);
		assert_string_equal(k, want[i]);
		assert_true(now_ms() - start >= min_at[i]);
		br_queue_done(q, k);
		free(k);
	}
	/* "mid" was not queued again at 500 ms. */
	char *k = NULL;
	assert_int_equal(br_queue_get_timeout(q, 600, &k), BR_ETIMEOUT);
	assert_null(k);
	br_queue_free(q);
}

struct getter {
	struct br_queue *q;
	int rc;
	char *key;
};

static void *blocked_get(void *arg)
{
	struct getter *g = arg;
	g->rc = br_queue_get(g->q, &g->key);
	return NULL;
}

static void test_earlier_add_after_wakes_getter(void **state)
{
	/* A getter sleeping towards a far deadline must notice a nearer one. */
	struct br_queue *q = new_queue(NULL);
	br_queue_add_after(q, "far", 60000);
	struct getter g = {.q = q, .rc = 1};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, blocked_get, &g), 0);
	struct timespec ts = {0, 30000000};
	nanosleep(&ts, NULL);
	int64_t start = now_ms();
	br_queue_add_after(q, "near", 50);
	pthread_join(t, NULL);
	assert_int_equal(g.rc, 0);
	assert_string_equal(g.key, "near");
	assert_in_range(now_ms() - start, 45, 2000);
	br_queue_done(q, g.key);
	free(g.key);
	br_queue_free(q);
}

/* --- Shutdown ------------------------------------------------------------- */

static void test_shutdown_wakes_getters(void **state)
{
	struct br_queue *q = new_queue(NULL);
	struct getter g[3];
	pthread_t t[3];
	for (int i = 0; i < 3; i++) {
		g[i] = (struct getter){.q = q, .rc = 1};
		assert_int_equal(pthread_create(&t[i], NULL, blocked_get, &g[i]), 0);
	}
	struct timespec ts = {0, 50000000};
	nanosleep(&ts, NULL);
	br_queue_shutdown(q);
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(g[i].rc, BR_ECANCELED);
		assert_null(g[i].key);
	}
	assert_true(br_queue_shutting_down(q));
	/* Adds after shutdown are ignored. */
	br_queue_add(q, "a");
	assert_int_equal(br_queue_len(q), 0);
	br_queue_free(q);
}

static void test_shutdown_hands_out_queued_first(void **state)
{
	struct br_queue *q = new_queue(NULL);
	br_queue_add(q, "a");
	br_queue_add_after(q, "later", 10000);
	br_queue_shutdown(q);
	char *k = NULL;
	assert_int_equal(br_queue_get(q, &k), 0);
	assert_string_equal(k, "a");
	/* Draining waits for done(), and times out without it. */
	assert_int_equal(br_queue_shutdown_with_drain(q, 50), BR_ETIMEOUT);
	br_queue_done(q, k);
	free(k);
	assert_int_equal(br_queue_shutdown_with_drain(q, 1000), 0);
	assert_int_equal(br_queue_get(q, &k), BR_ECANCELED);
	br_queue_free(q);
}

static void test_bad_options(void **state)
{
	struct br_queue *q = (struct br_queue *)1;
	struct br_queue_options o = {.base_delay_ms = -1};
	assert_int_equal(br_queue_create(&o, &q, NULL), BR_EINVAL);
	assert_null(q);
	br_queue_free(NULL);
}

static void test_many_keys(void **state)
{
	/* The table grows; every key comes out once, in order. */
	struct br_queue *q = new_queue(NULL);
	char key[16];
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "ns/slo-%d", i);
		assert_int_equal(br_queue_add(q, key), 0);
		assert_int_equal(br_queue_add(q, key), 0);
	}
	assert_int_equal(br_queue_len(q), 5000);
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "ns/slo-%d", i);
		expect_get(q, key);
	}
	br_queue_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo_and_coalescing),
		cmocka_unit_test(test_readd_while_processing),
		cmocka_unit_test(test_check_adds),
		cmocka_unit_test(test_no_concurrent_processing),
		cmocka_unit_test(test_backoff_numbers),
		cmocka_unit_test(test_token_bucket),
		cmocka_unit_test(test_rate_limited_item_arrives),
		cmocka_unit_test(test_add_after_ordering),
		cmocka_unit_test(test_earlier_add_after_wakes_getter),
		cmocka_unit_test(test_shutdown_wakes_getters),
		cmocka_unit_test(test_shutdown_hands_out_queued_first),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_many_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
