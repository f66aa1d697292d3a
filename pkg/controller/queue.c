/* The work queue: client-go's workqueue with a rate-limited, delaying
 * front. A key lives in one hash entry for the queue's life (so its
 * failure count survives requeues); the FIFO holds entries that are dirty
 * and not being processed, which gives "never two workers on one key" and
 * "repeats coalesce". Delayed adds are a due time on the entry, scanned by
 * get (few keys are ever delayed at once). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#define BACKOFF_BASE 0.005
#define BACKOFF_MAX 1000.0

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t hash(const char *s)
{
	size_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

int ctl_queue_init(struct ctl_queue *q)
{
	memset(q, 0, sizeof(*q));
	q->nbuckets = 4096;
	q->buckets = calloc(q->nbuckets, sizeof(*q->buckets));
	if (!q->buckets)
		return BR_ENOMEM;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	/* client-go's overall bucket: 10 qps, burst 100, for requeues only */
	br_ratelimit_init(&q->overall, 10, 100, NULL);
	return 0;
}

void ctl_queue_release(struct ctl_queue *q)
{
	if (!q->buckets)
		return;
	for (size_t i = 0; i < q->nbuckets; i++) {
		struct ctl_qitem *it = q->buckets[i], *next;

		for (; it; it = next) {
			next = it->next;
			free(it->key);
			free(it);
		}
	}
	free(q->buckets);
	free(q->fifo);
	br_ratelimit_release(&q->overall);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	memset(q, 0, sizeof(*q));
}

/* Finds or (create) makes the entry for key; NULL when out of memory. */
static struct ctl_qitem *lookup(struct ctl_queue *q, const char *key, int create)
{
	size_t b = hash(key) % q->nbuckets;
	struct ctl_qitem *it;

	for (it = q->buckets[b]; it; it = it->next)
		if (strcmp(it->key, key) == 0)
			return it;
	if (!create)
		return NULL;
	it = calloc(1, sizeof(*it));
	if (!it || !(it->key = strdup(key))) {
		free(it);
		return NULL;
	}
	it->next = q->buckets[b];
	q->buckets[b] = it;
	return it;
}

static int push(struct ctl_queue *q, struct ctl_qitem *it)
{
	if (q->len == q->cap) {
		size_t ncap = q->cap ? q->cap * 2 : 64;
		struct ctl_qitem **n = malloc(ncap * sizeof(*n));

		if (!n)
			return BR_ENOMEM;
		for (size_t i = 0; i < q->len; i++)
			n[i] = q->fifo[(q->head + i) % q->cap];
		free(q->fifo);
		q->fifo = n;
		q->cap = ncap;
		q->head = 0;
	}
	q->fifo[(q->head + q->len) % q->cap] = it;
	q->len++;
	pthread_cond_signal(&q->cv);
	return 0;
}

/* client-go's Add, with the lock held. */
static int add_locked(struct ctl_queue *q, struct ctl_qitem *it)
{
	if (q->shutdown || it->dirty)
		return 0;
	it->dirty = 1;
	if (it->processing)
		return 0;
	if (push(q, it) != 0) {
		it->dirty = 0;
		return BR_ENOMEM;
	}
	return 0;
}

int ctl_queue_add(struct ctl_queue *q, const char *key)
{
	int rc = BR_ENOMEM;

	pthread_mutex_lock(&q->mu);
	struct ctl_qitem *it = lookup(q, key, 1);
	if (it)
		rc = add_locked(q, it);
	pthread_mutex_unlock(&q->mu);
	return rc;
}

int ctl_queue_add_after(struct ctl_queue *q, const char *key, double seconds)
{
	if (seconds <= 0)
		return ctl_queue_add(q, key);
	pthread_mutex_lock(&q->mu);
	struct ctl_qitem *it = lookup(q, key, 1);
	if (!it) {
		pthread_mutex_unlock(&q->mu);
		return BR_ENOMEM;
	}
	double due = now_s() + seconds;
	/* An earlier pending delay wins, as in client-go's heap. */
	if (it->due <= 0) {
		q->delayed++;
		it->due = due;
	} else if (due < it->due) {
		it->due = due;
	}
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

int ctl_queue_add_rate_limited(struct ctl_queue *q, const char *key)
{
	double delay;

	pthread_mutex_lock(&q->mu);
	struct ctl_qitem *it = lookup(q, key, 1);
	if (!it) {
		pthread_mutex_unlock(&q->mu);
		return BR_ENOMEM;
	}
	delay = BACKOFF_BASE * pow(2.0, it->failures < 40 ? it->failures : 40);
	if (delay > BACKOFF_MAX)
		delay = BACKOFF_MAX;
	it->failures++;
	pthread_mutex_unlock(&q->mu);
	double overall = br_ratelimit_reserve(&q->overall);
	return ctl_queue_add_after(q, key, delay > overall ? delay : overall);
}

void ctl_queue_forget(struct ctl_queue *q, const char *key)
{
	pthread_mutex_lock(&q->mu);
	struct ctl_qitem *it = lookup(q, key, 0);
	if (it)
		it->failures = 0;
	pthread_mutex_unlock(&q->mu);
}

/* Moves delayed entries that are due into the FIFO; returns the earliest
 * remaining due time (0 when none). Lock held. */
static double promote_due(struct ctl_queue *q)
{
	double now = now_s(), next = 0;

	if (q->delayed == 0)
		return 0;
	for (size_t i = 0; i < q->nbuckets; i++)
		for (struct ctl_qitem *it = q->buckets[i]; it; it = it->next) {
			if (it->due <= 0)
				continue;
			if (it->due <= now) {
				it->due = 0;
				q->delayed--;
				add_locked(q, it);
			} else if (next == 0 || it->due < next) {
				next = it->due;
			}
		}
	return next;
}

char *ctl_queue_get(struct ctl_queue *q, double timeout)
{
	double deadline = now_s() + timeout;
	char *key = NULL;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		if (q->shutdown)
			break;
		double next = promote_due(q);
		if (q->len > 0) {
			struct ctl_qitem *it = q->fifo[q->head];

			q->head = (q->head + 1) % q->cap;
			q->len--;
			it->processing = 1;
			it->dirty = 0;
			key = strdup(it->key);
			if (!key) { /* put it back as dirty: done() requeues it */
				it->dirty = 1;
				it->processing = 0;
				push(q, it);
			}
			break;
		}
		double now = now_s();
		if (now >= deadline)
			break;
		double until = deadline;
		if (next > 0 && next < until)
			until = next;
		/* condvars wait on CLOCK_REALTIME by default: convert */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		double wait = until - now;
		ts.tv_sec += (time_t)wait;
		ts.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&q->cv, &q->mu, &ts);
	}
	pthread_mutex_unlock(&q->mu);
	return key;
}

void ctl_queue_done(struct ctl_queue *q, const char *key)
{
	pthread_mutex_lock(&q->mu);
	struct ctl_qitem *it = lookup(q, key, 0);
	if (it) {
		it->processing = 0;
		if (it->dirty && !q->shutdown)
			push(q, it);
	}
	pthread_mutex_unlock(&q->mu);
}

size_t ctl_queue_len(struct ctl_queue *q)
{
	pthread_mutex_lock(&q->mu);
	size_t n = q->len;
	pthread_mutex_unlock(&q->mu);
	return n;
}

void ctl_queue_shutdown(struct ctl_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->shutdown = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}
