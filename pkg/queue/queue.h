/* queue: the controller's rate-limited work queue, after client-go's
 * util/workqueue (queue.go, delaying_queue.go, rate_limiting_queue.go,
 * default_rate_limiters.go).
 *
 * Items are string keys ("namespace/name"); the queue keeps its own copies.
 * Three sets make the guarantees a controller relies on:
 *   - dirty: keys waiting to be processed. Adding a key already dirty does
 *     nothing, so a burst of events for one object becomes one reconcile.
 *   - processing: keys handed out by br_queue_get() and not yet passed to
 *     br_queue_done(). A key added while processing is marked dirty but only
 *     re-queued by br_queue_done(), so one key never runs in two workers at
 *     once.
 *   - waiting: keys added with a delay; each becomes an add() when its time
 *     comes (the earliest time wins when a key is added after twice).
 *
 * Rate limiting (br_queue_add_rate_limited) is client-go's
 * DefaultControllerRateLimiter: the larger of a per-key exponential backoff
 * (base 5 ms, doubling on every failure, capped at 1000 s) and an overall
 * token bucket (10 per second, burst 100), both pkg/pace's (br_backoff_step,
 * br_ratelimit). br_queue_forget() resets a key's
 * failure count; call it when a reconcile succeeds.
 *
 * Time is CLOCK_MONOTONIC. Thread-safety: every function may be called from
 * any thread at any time (one mutex, one condition variable), except
 * br_queue_free(), which must be the last call.
 */
#ifndef BR_QUEUE_H
#define BR_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "errors/errors.h"

struct br_queue;

/* Rate limiter settings. Zero fields take the client-go defaults below. */
struct br_queue_options {
	int64_t base_delay_ms; /* first per-key backoff; default 5 */
	int64_t max_delay_ms;  /* per-key backoff cap; default 1000 s */
	double qps;            /* overall token bucket refill rate; default 10 */
	int burst;             /* overall token bucket size; default 100 */
};

#define BR_QUEUE_BASE_DELAY_MS 5
#define BR_QUEUE_MAX_DELAY_MS ((int64_t)1000 * 1000)
#define BR_QUEUE_QPS 10.0
#define BR_QUEUE_BURST 100

/* Creates an empty queue. opts may be NULL for the defaults. Returns 0 and
 * sets *out (free with br_queue_free), BR_EINVAL for negative settings, or
 * BR_ENOMEM. */
int br_queue_create(const struct br_queue_options *opts, struct br_queue **out,
		    struct br_error *err);

/* Frees the queue and every key in it. Call only after every thread has
 * stopped using it (after br_queue_shutdown and joining the workers).
 * NULL is allowed. */
void br_queue_free(struct br_queue *q);

/* Marks key to be processed (copied). Does nothing if it is already dirty,
 * and after shutdown. Returns 0, BR_EINVAL for a NULL key, or BR_ENOMEM. */
int br_queue_add(struct br_queue *q, const char *key);

/* As br_queue_add, for a key that may turn out to need no work: a worker
 * that gets it with br_queue_get_check is told so, and can look before it
 * does the work (a restart queues every object it lists; most are as they
 * were left). The mark only ever goes: a key is handed out as a check when
 * every add since it was last handed out was a check add; any other add,
 * before or after, while it waits or while it is processed, makes it plain
 * work again. Returns as br_queue_add. */
int br_queue_add_check(struct br_queue *q, const char *key);

/* Adds key after delay_ms milliseconds (<= 0 means now). If key is already
 * waiting, the earlier of the two times is kept. Ignored after shutdown.
 * Returns 0, BR_EINVAL or BR_ENOMEM. */
int br_queue_add_after(struct br_queue *q, const char *key, int64_t delay_ms);

/* Adds key after the rate limiter's delay for it, and counts one more failure
 * for key. If delay_ms is not NULL it receives the delay chosen. Returns as
 * br_queue_add_after. */
int br_queue_add_rate_limited(struct br_queue *q, const char *key,
			      int64_t *delay_ms);

/* Forgets key's failures: its next backoff starts again at the base delay.
 * Does not remove it from the queue. Can't fail; unknown keys are fine. */
void br_queue_forget(struct br_queue *q, const char *key);

/* How many times key went through br_queue_add_rate_limited since it was last
 * forgotten. Can't fail; 0 for unknown keys. */
int br_queue_num_requeues(struct br_queue *q, const char *key);

/* Blocks until a key is ready, then moves it to processing and returns 0 with
 * *key set: a new string you now own (free it with free() after calling
 * br_queue_done). Returns BR_ECANCELED once the queue is shut down and has
 * nothing ready (*key is then NULL), or BR_ENOMEM. Keys still waiting on a
 * delay are dropped at shutdown. */
int br_queue_get(struct br_queue *q, char **key);

/* As br_queue_get, but gives up after timeout_ms and returns BR_ETIMEOUT.
 * Lets a worker wake up to check other conditions. */
int br_queue_get_timeout(struct br_queue *q, int64_t timeout_ms, char **key);

/* As br_queue_get_timeout, and sets *check to 1 when every add of key since
 * it was last handed out was a br_queue_add_check, else to 0. */
int br_queue_get_check(struct br_queue *q, int64_t timeout_ms, char **key, int *check);

/* Tells the queue that processing key has finished. If key was added again
 * meanwhile, it is queued now. Can't fail; a key not being processed is
 * ignored. */
void br_queue_done(struct br_queue *q, const char *key);

/* Number of keys ready to be handed out (the workqueue depth metric); keys
 * being processed or waiting on a delay are not counted. Can't fail. */
size_t br_queue_len(struct br_queue *q);

/* Stops the queue: later adds are ignored and every blocked br_queue_get
 * wakes; gets keep handing out what is already queued, then return
 * BR_ECANCELED. Can't fail; calling it twice is fine. */
void br_queue_shutdown(struct br_queue *q);

/* As br_queue_shutdown, then waits until every key handed out has been
 * passed to br_queue_done (the workers finished what is in flight), or
 * timeout_ms passed (< 0: no limit). Returns 0 or BR_ETIMEOUT. */
int br_queue_shutdown_with_drain(struct br_queue *q, int64_t timeout_ms);

/* 1 once br_queue_shutdown has been called, else 0. */
int br_queue_shutting_down(struct br_queue *q);

#endif
