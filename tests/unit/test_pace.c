/* test_pace: the clock, the token-bucket rate limiter, the backoff and the
 * interruptible pause. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "pace/pace.h"

static double mono(void)
{
	return br_clock_now(NULL);
}

/* ------------------------------------------------------------------ */
/* clock                                                               */

static void test_clock(void **state)
{
	double t0 = mono();

	br_clock_sleep(NULL, 0.05);
	assert_true(mono() - t0 >= 0.05);
	/* nothing to sleep */
	t0 = mono();
	br_clock_sleep(NULL, 0);
	br_clock_sleep(NULL, -5);
	assert_true(mono() - t0 < 0.05);
}

/* ------------------------------------------------------------------ */
/* rate limiter and backoff                                            */

struct fake_clock {
	double t;
	double slept;
};

static double fake_now(void *ctx)
{
	return ((struct fake_clock *)ctx)->t;
}

static void fake_sleep(void *ctx, double s)
{
	struct fake_clock *f = ctx;

	f->t += s;
	f->slept += s;
}

static void test_ratelimit(void **state)
{
	struct fake_clock fc = {100, 0};
	struct br_clock clock = {fake_now, fake_sleep, &fc};
	struct br_ratelimit *rl;

	assert_int_equal(br_ratelimit_create(2, 3, &clock, &rl), 0);
	/* the burst is free */
	for (int i = 0; i < 3; i++)
		assert_true(br_ratelimit_reserve(rl) == 0);
	/* then one token every 0.5 s, queued in order */
	assert_true(fabs(br_ratelimit_reserve(rl) - 0.5) < 1e-9);
	assert_true(fabs(br_ratelimit_reserve(rl) - 1.0) < 1e-9);
	/* 1 s later the two debts are paid, and nothing more is there */
	fc.t += 1.0;
	assert_true(fabs(br_ratelimit_reserve(rl) - 0.5) < 1e-9);
	/* a long idle refills to burst, not beyond */
	fc.t += 100;
	for (int i = 0; i < 3; i++)
		assert_true(br_ratelimit_reserve(rl) == 0);
	assert_true(br_ratelimit_reserve(rl) > 0);
	/* wait() sleeps on the clock: 10 more calls at 2 qps take 5 s */
	fc.slept = 0;
	fc.t += 100;
	for (int i = 0; i < 13; i++)
		br_ratelimit_wait(rl);
	assert_true(fabs(fc.slept - 5.0) < 1e-6);
	br_ratelimit_free(rl);

	/* qps <= 0: unlimited */
	assert_int_equal(br_ratelimit_create(0, 1, &clock, &rl), 0);
	for (int i = 0; i < 1000; i++)
		assert_true(br_ratelimit_reserve(rl) == 0);
	br_ratelimit_free(rl);
}

static void test_backoff(void **state)
{
	struct br_backoff b;
	const double want[] = {0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30, 30};

	br_backoff_init(&b, 0.8, 30, 2, 0, 42);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_true(fabs(br_backoff_next(&b) - want[i]) < 1e-9);
	br_backoff_reset(&b);
	assert_true(fabs(br_backoff_next(&b) - 0.8) < 1e-9);

	/* with jitter 1: each delay in [base, 2 base), never above 2 max, and
	 * not all the same */
	br_backoff_init(&b, 0.8, 30, 2, 1.0, 7);
	{
		double base = 0.8, lo = 1e9, hi = 0;
		for (int i = 0; i < 2000; i++) {
			double d = br_backoff_next(&b);
			assert_true(d >= base && d < 2 * base);
			assert_true(d <= 60);
			if (base == 30) {
				lo = d < lo ? d : lo;
				hi = d > hi ? d : hi;
			}
			base = base * 2 > 30 ? 30 : base * 2;
		}
		assert_true(hi - lo > 10);  /* jitter spreads reconnects */
	}
}

/* The work queue's per-key numbers: 5 ms doubling, capped at 1000 s, in
 * nanoseconds; no overflow after many failures. */
static void test_backoff_step(void **state)
{
	struct br_backoff b;

	br_backoff_init(&b, 5e6, 1e15, 2, 0, 1);
	assert_true(br_backoff_step(&b, 0) == 5e6);
	assert_true(br_backoff_step(&b, 1) == 1e7);
	assert_true(br_backoff_step(&b, 10) == 5e6 * 1024);
	assert_true(br_backoff_step(&b, 28) == 1e15);
	assert_true(br_backoff_step(&b, 100000) == 1e15);
	/* step does not advance next */
	assert_true(br_backoff_next(&b) == 5e6);
}

/* ------------------------------------------------------------------ */
/* pause                                                               */

struct flag {
	struct br_pause *p;
	atomic_int set;
	double delay;  /* seconds before setting it */
};

static int flag_set(void *ctx)
{
	return atomic_load(&((struct flag *)ctx)->set);
}

static void *set_later(void *arg)
{
	struct flag *f = arg;

	br_clock_sleep(NULL, f->delay);
	atomic_store(&f->set, 1);
	br_pause_wake(f->p);
	return NULL;
}

/* A long pause ends as soon as another thread changes the state and wakes
 * it; a short one runs out; a state already set ends it at once. */
static void test_pause(void **state)
{
	struct flag f = {NULL, 0, 0.1};
	pthread_t t;
	double t0;

	assert_int_equal(br_pause_create(0, &f.p), 0);

	t0 = mono();
	assert_int_equal(br_pause_wait(f.p, 0.05, flag_set, &f), 0);
	assert_true(mono() - t0 >= 0.05);

	t0 = mono();
	assert_int_equal(pthread_create(&t, NULL, set_later, &f), 0);
	assert_int_equal(br_pause_wait(f.p, 60, flag_set, &f), 1);
	assert_true(mono() - t0 < 30);
	pthread_join(t, NULL);

	t0 = mono();
	assert_int_equal(br_pause_wait(f.p, 60, flag_set, &f), 1);
	assert_true(mono() - t0 < 1);

	/* no limit: only the wake ends it */
	atomic_store(&f.set, 0);
	assert_int_equal(pthread_create(&t, NULL, set_later, &f), 0);
	assert_int_equal(br_pause_wait(f.p, -1, flag_set, &f), 1);
	pthread_join(t, NULL);

	/* without a condition a wake does not end it early */
	t0 = mono();
	assert_int_equal(pthread_create(&t, NULL, set_later, &f), 0);
	assert_int_equal(br_pause_wait(f.p, 0.3, NULL, NULL), 0);
	assert_true(mono() - t0 >= 0.3);
	pthread_join(t, NULL);

	br_pause_wake(NULL);
	br_pause_wake_async(f.p);  /* not an async pause: nothing happens */
	br_pause_free(f.p);
	br_pause_free(NULL);
}

/* A signal handler may not take the pause's mutex: an async pause takes its
 * wake through a semaphore and a thread of its own. */
static struct flag on_signal;

static void handler(int sig)
{
	(void)sig;
	atomic_store(&on_signal.set, 1);
	br_pause_wake_async(on_signal.p);
}

static void *signal_later(void *arg)
{
	(void)arg;
	br_clock_sleep(NULL, 0.1);
	raise(SIGUSR1);  /* the handler runs on this thread */
	return NULL;
}

static void test_pause_async(void **state)
{
	struct sigaction sa, old;
	pthread_t t;
	double t0 = mono();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	assert_int_equal(br_pause_create(1, &on_signal.p), 0);
	assert_int_equal(pthread_create(&t, NULL, signal_later, NULL), 0);
	assert_int_equal(br_pause_wait(on_signal.p, 60, flag_set, &on_signal), 1);
	assert_true(mono() - t0 < 30);
	pthread_join(t, NULL);
	br_pause_wake_async(on_signal.p);  /* a post nobody waits for */
	br_pause_free(on_signal.p);
	br_pause_wake_async(NULL);
	sigaction(SIGUSR1, &old, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_ratelimit),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_backoff_step),
		cmocka_unit_test(test_pause),
		cmocka_unit_test(test_pause_async),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
