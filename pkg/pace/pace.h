/* pace: how burnrate spaces things out in time. A clock (the real monotonic
 * one, or a fake for tests), a token-bucket rate limiter, an exponential
 * backoff with jitter, and a pause: a wait that ends early when the state
 * the waiter cares about changes (a stop, a cache synced, a lease won).
 * The Kubernetes client paces its requests with it, the work queue its
 * retries, the informer its relists and the leader elector its renewals.
 *
 * Kinds of object:
 *   - struct br_clock is plain data (three fields), copied by whoever keeps
 *     it; NULL everywhere means the real clock.
 *   - struct br_ratelimit and struct br_pause hold a mutex: opaque,
 *     create/free, thread-safe.
 *   - struct br_backoff is plain data with init (no allocation, nothing to
 *     release); one per loop, not thread-safe.
 *
 * Times are seconds, as doubles, on CLOCK_MONOTONIC. Nothing here prints.
 */
#ifndef BR_PACE_H
#define BR_PACE_H

#include "errors/errors.h"

/* ------------------------------------------------------------------ */
/* Clock                                                               */

/* A clock that the rate limiter and the Kubernetes client read and sleep
 * on; a fake one makes them testable. NULL members (or a NULL clock) mean
 * the real monotonic clock and nanosleep. */
struct br_clock {
	double (*now)(void *ctx);
	void (*sleep)(void *ctx, double seconds);
	void *ctx;
};

/* Seconds on the clock (the real monotonic clock when clock is NULL).
 * Can't fail. */
double br_clock_now(const struct br_clock *clock);
/* Sleeps (or asks the fake clock to). Does nothing for seconds <= 0.
 * Can't fail. */
void br_clock_sleep(const struct br_clock *clock, double seconds);

/* ------------------------------------------------------------------ */
/* Token-bucket rate limiter                                           */

/* burst tokens, refilled at qps per second; taking a token that is not
 * there yet is a reservation (golang.org/x/time/rate's Reserve), so
 * waiters are served in the order they came. */
struct br_ratelimit;

/* Creates a full bucket (burst tokens). qps <= 0: unlimited. burst < 1
 * counts as 1. clock may be NULL (the real one); it is copied. Returns 0
 * and *out (you own it: br_ratelimit_free), or BR_ENOMEM. */
int br_ratelimit_create(double qps, int burst, const struct br_clock *clock,
			struct br_ratelimit **out);
/* Frees it; nobody may be using it. NULL is fine. */
void br_ratelimit_free(struct br_ratelimit *rl);
/* Takes one token now and returns how long the caller must wait before
 * using it (0 when one was available). Thread-safe. Can't fail. */
double br_ratelimit_reserve(struct br_ratelimit *rl);
/* Reserves a token and sleeps on the clock until it is due. Thread-safe.
 * Can't fail. */
void br_ratelimit_wait(struct br_ratelimit *rl);

/* ------------------------------------------------------------------ */
/* Backoff                                                             */

/* Exponential backoff with jitter: the n-th delay is
 * min(initial * factor^n, max) * (1 + jitter * u), u uniform in [0, 1), so
 * a delay never exceeds max * (1 + jitter). The fields are set by
 * br_backoff_init; read them, don't write them. */
struct br_backoff {
	double initial;  /* first delay before jitter */
	double max;      /* cap before jitter */
	double factor;   /* growth per step, >= 1 */
	double jitter;   /* 0 for none; client-go uses 1.0 for watches */
	double current;  /* next delay before jitter */
	unsigned int seed;
};

/* Sets the parameters and resets; seed 0 picks one from the time and the
 * struct's address, so that backoffs started together still spread apart.
 * Allocates nothing; can't fail. */
void br_backoff_init(struct br_backoff *b, double initial, double max,
		     double factor, double jitter, unsigned int seed);
/* Returns the next delay and advances. Can't fail. */
double br_backoff_next(struct br_backoff *b);
/* Back to the initial delay (after a healthy period). Can't fail. */
void br_backoff_reset(struct br_backoff *b);
/* The n-th delay without jitter, min(initial * factor^n, max), for a
 * caller that keeps n itself (the work queue, one count per key). Any unit
 * works: it is the unit of initial and max. Does not advance b; can't fail,
 * and n large can't overflow. */
double br_backoff_step(const struct br_backoff *b, int n);

/* ------------------------------------------------------------------ */
/* Pause                                                               */

/* A mutex and a condition variable on the monotonic clock, for threads
 * that wait for some state to change (a stop flag, a cache synced, a lease
 * won) or for a time to pass, whichever comes first. The state itself is
 * the caller's (an atomic, or fields under a lock of its own): whoever
 * changes it calls br_pause_wake afterwards, and every waiter checks its
 * condition again. A wake can't be lost: a waiter checks under the pause's
 * lock, and br_pause_wake takes that lock. */
struct br_pause;

/* Returns 0 and *out (you own it: br_pause_free), or BR_ENOMEM. With
 * async 1 the pause also runs a thread of its own that waits on a
 * semaphore, so that br_pause_wake_async (from a signal handler) can wake
 * the waiters. */
int br_pause_create(int async, struct br_pause **out);
/* Frees it (and joins its thread); nobody may be waiting. NULL is fine. */
void br_pause_free(struct br_pause *p);

/* Returns nonzero when the waiter may stop waiting. Called with the
 * pause's lock held: it must not call into the pause, and a lock it takes
 * must never be held by a caller of br_pause_wake (release it first). */
typedef int (*br_pause_done_fn)(void *ctx);

/* Waits until done(ctx) is nonzero (checked at once and after every wake),
 * or seconds have passed (< 0: no limit). done may be NULL: then only the
 * time ends the wait. Returns 1 when done, 0 when the time ran out.
 * Can't fail. */
int br_pause_wait(struct br_pause *p, double seconds, br_pause_done_fn done,
		  void *ctx);
/* Wakes every waiter to check its condition again; call it after changing
 * the state they wait on. NULL is fine (nobody to wake). Can't fail. */
void br_pause_wake(struct br_pause *p);
/* As br_pause_wake, but async-signal-safe (a sem_post): the pause's thread
 * wakes the waiters a moment later. For a pause created with async 1;
 * does nothing on another, or on NULL. Can't fail. */
void br_pause_wake_async(struct br_pause *p);

#endif
