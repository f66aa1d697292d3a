/* pace: the clock, the token-bucket rate limiter, the backoff and the
 * pause. */
#include "pace/pace.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* ---------------------------------------------------------------- */
/* Clock                                                             */

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

/* seconds (>= 0) as a timespec; capped at some 30,000 years, so that
 * "forever" can't overflow time_t */
static struct timespec to_timespec(double seconds)
{
	struct timespec ts;

	if (seconds > 1e12)
		seconds = 1e12;
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec > 999999999)
		ts.tv_nsec = 999999999;
	return ts;
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
	ts = to_timespec(seconds);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---------------------------------------------------------------- */
/* Token-bucket rate limiter                                         */

struct br_ratelimit {
	double qps;      /* <= 0: unlimited */
	double burst;
	double tokens;   /* may go negative: reservations made ahead */
	double last;     /* clock time of the last refill */
	struct br_clock clock;
	pthread_mutex_t mu;  /* guards tokens and last */
};

int br_ratelimit_create(double qps, int burst, const struct br_clock *clock,
			struct br_ratelimit **out)
{
	struct br_ratelimit *rl = calloc(1, sizeof(*rl));

	*out = NULL;
	if (!rl)
		return BR_ENOMEM;
	if (pthread_mutex_init(&rl->mu, NULL) != 0) {
		free(rl);
		return BR_ENOMEM;
	}
	rl->qps = qps;
	rl->burst = burst < 1 ? 1 : burst;
	rl->tokens = rl->burst;
	if (clock)
		rl->clock = *clock;
	rl->last = br_clock_now(&rl->clock);
	*out = rl;
	return 0;
}

void br_ratelimit_free(struct br_ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->mu);
	free(rl);
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

/* ---------------------------------------------------------------- */
/* Backoff                                                           */

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

double br_backoff_step(const struct br_backoff *b, int n)
{
	/* in floating point, so that many failures can't overflow */
	double d = b->initial * pow(b->factor, n);

	return d > b->max ? b->max : d;
}

/* ---------------------------------------------------------------- */
/* Pause                                                             */

struct br_pause {
	pthread_mutex_t mu;
	pthread_cond_t cond;  /* on CLOCK_MONOTONIC, broadcast by wake */
	/* async pauses only: the relay thread and what it waits on */
	int async;
	sem_t posted;
	atomic_int quit;
	pthread_t relay;
};

/* The async pause's thread: a signal handler may post a semaphore but not
 * take a mutex, so this thread turns posts into broadcasts. */
static void *relay(void *arg)
{
	struct br_pause *p = arg;

	for (;;) {
		while (sem_wait(&p->posted) != 0 && errno == EINTR)
			;
		if (atomic_load(&p->quit))
			return NULL;
		br_pause_wake(p);
	}
}

static int start_relay(struct br_pause *p)
{
	if (sem_init(&p->posted, 0, 0) != 0)
		return BR_ENOMEM;
	if (pthread_create(&p->relay, NULL, relay, p) != 0) {
		sem_destroy(&p->posted);
		return BR_ENOMEM;
	}
	p->async = 1;
	return 0;
}

int br_pause_create(int async, struct br_pause **out)
{
	struct br_pause *p = calloc(1, sizeof(*p));
	pthread_condattr_t ca;
	int rc;

	*out = NULL;
	if (!p)
		return BR_ENOMEM;
	if (pthread_condattr_init(&ca) != 0) {
		free(p);
		return BR_ENOMEM;
	}
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (rc != 0) {
		free(p);
		return BR_ENOMEM;
	}
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		pthread_cond_destroy(&p->cond);
		free(p);
		return BR_ENOMEM;
	}
	if (async && start_relay(p) < 0) {
		br_pause_free(p);
		return BR_ENOMEM;
	}
	*out = p;
	return 0;
}

void br_pause_free(struct br_pause *p)
{
	if (!p)
		return;
	if (p->async) {
		atomic_store(&p->quit, 1);
		sem_post(&p->posted);
		pthread_join(p->relay, NULL);
		sem_destroy(&p->posted);
	}
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

int br_pause_wait(struct br_pause *p, double seconds, br_pause_done_fn done,
		  void *ctx)
{
	struct timespec until;
	int ok, timed_out = 0;

	if (seconds >= 0)
		until = to_timespec(real_now() + seconds);
	pthread_mutex_lock(&p->mu);
	while (!(ok = done && done(ctx)) && !timed_out) {
		if (seconds < 0)
			pthread_cond_wait(&p->cond, &p->mu);
		else
			timed_out = pthread_cond_timedwait(&p->cond, &p->mu, &until) != 0;
	}
	pthread_mutex_unlock(&p->mu);
	return ok;
}

void br_pause_wake(struct br_pause *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->mu);
}

void br_pause_wake_async(struct br_pause *p)
{
	if (p && p->async)
		sem_post(&p->posted);
}
