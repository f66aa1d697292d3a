/* kube pace: the clock, the token-bucket rate limiter and the backoff. */
#include "kube/kube.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static double real_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double br_clock_now(const struct br_clock *clock)
{
	if (clock && clock->now)
		return clock->now(clock->ctx);
	return real_now();
}

void br_clock_sleep(const struct br_clock *clock, double seconds)
{
	struct timespec ts;

	if (seconds <= 0)
		return;
	if (clock && clock->sleep) {
		clock->sleep(clock->ctx, seconds);
		return;
	}
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void br_ratelimit_init(struct br_ratelimit *rl, double qps, int burst,
		       const struct br_clock *clock)
{
	rl->qps = qps;
	rl->burst = burst < 1 ? 1 : burst;
	rl->tokens = rl->burst;
	if (clock)
		rl->clock = *clock;
	else
		rl->clock = (struct br_clock){NULL, NULL, NULL};
	rl->last = br_clock_now(&rl->clock);
	pthread_mutex_init(&rl->mu, NULL);
}

void br_ratelimit_release(struct br_ratelimit *rl)
{
	pthread_mutex_destroy(&rl->mu);
}

double br_ratelimit_reserve(struct br_ratelimit *rl)
{
	double now, wait = 0;

	if (rl->qps <= 0)
		return 0;
	pthread_mutex_lock(&rl->mu);
	now = br_clock_now(&rl->clock);
	if (now > rl->last) {
		rl->tokens = fmin(rl->burst, rl->tokens + (now - rl->last) * rl->qps);
		rl->last = now;
	}
	/* Taking a token we do not have yet is a reservation: the debt tells
	 * later callers to queue behind us, so waiters are served in order. */
	rl->tokens -= 1;
	if (rl->tokens < 0)
		wait = -rl->tokens / rl->qps;
	pthread_mutex_unlock(&rl->mu);
	return wait;
}

void br_ratelimit_wait(struct br_ratelimit *rl)
{
	br_clock_sleep(&rl->clock, br_ratelimit_reserve(rl));
}

void br_backoff_init(struct br_backoff *b, double initial, double max,
		     double factor, double jitter, unsigned int seed)
{
	b->initial = initial;
	b->max = max < initial ? initial : max;
	b->factor = factor < 1 ? 1 : factor;
	b->jitter = jitter < 0 ? 0 : jitter;
	/* from the time and the address, so that backoffs started together
	 * (a fleet of reflectors) still spread apart */
	b->seed = seed ? seed : (unsigned int)((unsigned long long)(real_now() * 1e6) ^
					       (unsigned long long)(uintptr_t)b);
	b->current = initial;
}

double br_backoff_next(struct br_backoff *b)
{
	double base = fmin(b->current, b->max);
	double u = (double)rand_r(&b->seed) / ((double)RAND_MAX + 1.0);

	b->current = fmin(b->current * b->factor, b->max);
	return base * (1 + b->jitter * u);
}

void br_backoff_reset(struct br_backoff *b)
{
	b->current = b->initial;
}
