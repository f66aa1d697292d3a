/* queue: client-go's rate-limited work queue. One entry per known key holds
 * its state (dirty, processing, waiting, failures); a hash table finds it,
 * a FIFO orders the ready ones, a min-heap orders the waiting ones. */
#include "queue/queue.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array/array.h"
#include "pace/pace.h"

#define NOT_WAITING ((size_t)-1)

struct entry {
	char *key;
	struct entry *hnext;  /* hash chain */
	struct entry *qnext;  /* FIFO of ready keys */
	int dirty;            /* wants (another) processing */
	int check;            /* while dirty: only check adds asked for it */
	int processing;       /* handed out, done() not yet called */
	int failures;         /* rate-limited adds since the last forget */
	size_t heap_idx;      /* position in the waiting heap, or NOT_WAITING */
	int64_t ready_at_ns;  /* when a waiting key becomes ready */
};

struct br_queue {
	pthread_mutex_t mu;
	pthread_cond_t cond;  /* items ready, shutdown, or processing drained */
	int shutting_down;

	struct entry **buckets;
	size_t nbuckets, nentries;

	struct entry *head, *tail; /* ready keys: dirty and not processing */
	size_t len;
	size_t nprocessing;

	struct entry **heap;  /* waiting keys, earliest ready_at_ns first */
	size_t heap_len, heap_cap;

	struct br_backoff item;     /* per key: base doubling to max, in ns */
	struct br_ratelimit *all;   /* the overall token bucket */
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- Hash table of entries ------------------------------------------------ */

static size_t hash(const char *s)
{
	size_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static struct entry *lookup(struct br_queue *q, const char *key)
{
	struct entry *e = q->buckets[hash(key) & (q->nbuckets - 1)];
	while (e && strcmp(e->key, key) != 0)
		e = e->hnext;
	return e;
}

/* Doubles the table when it gets as full as it is wide. A failure to grow
 * is harmless: chains just get longer. */
static void maybe_grow(struct br_queue *q)
{
	if (q->nentries < q->nbuckets)
		return;
	size_t n = q->nbuckets * 2;
	struct entry **b = calloc(n, sizeof(*b));
	if (!b)
		return;
	for (size_t i = 0; i < q->nbuckets; i++) {
		struct entry *e = q->buckets[i], *next;
		for (; e; e = next) {
			next = e->hnext;
			size_t j = hash(e->key) & (n - 1);
			e->hnext = b[j];
			b[j] = e;
		}
	}
	free(q->buckets);
	q->buckets = b;
	q->nbuckets = n;
}

/* Finds key's entry or makes an idle one. NULL when out of memory. */
static struct entry *intern(struct br_queue *q, const char *key)
{
	struct entry *e = lookup(q, key);
	if (e)
		return e;
	e = calloc(1, sizeof(*e));
	if (!e || !(e->key = strdup(key))) {
		free(e);
		return NULL;
	}
	e->heap_idx = NOT_WAITING;
	maybe_grow(q);
	size_t i = hash(key) & (q->nbuckets - 1);
	e->hnext = q->buckets[i];
	q->buckets[i] = e;
	q->nentries++;
	return e;
}

/* Frees an entry that no longer carries any state, so the table only holds
 * keys the queue still has a reason to remember. */
static void maybe_drop(struct br_queue *q, struct entry *e)
{
	if (e->dirty || e->processing || e->failures ||
	    e->heap_idx != NOT_WAITING)
		return;
	struct entry **p = &q->buckets[hash(e->key) & (q->nbuckets - 1)];
	while (*p != e)
		p = &(*p)->hnext;
	*p = e->hnext;
	q->nentries--;
	free(e->key);
	free(e);
}

/* --- Waiting heap --------------------------------------------------------- */

static void heap_swap(struct br_queue *q, size_t i, size_t j)
{
	struct entry *t = q->heap[i];
	q->heap[i] = q->heap[j];
	q->heap[j] = t;
	q->heap[i]->heap_idx = i;
	q->heap[j]->heap_idx = j;
}

static void heap_up(struct br_queue *q, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (q->heap[parent]->ready_at_ns <= q->heap[i]->ready_at_ns)
			break;
		heap_swap(q, i, parent);
		i = parent;
	}
}

static void heap_down(struct br_queue *q, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < q->heap_len && q->heap[l]->ready_at_ns < q->heap[m]->ready_at_ns)
			m = l;
		if (r < q->heap_len && q->heap[r]->ready_at_ns < q->heap[m]->ready_at_ns)
			m = r;
		if (m == i)
			return;
		heap_swap(q, i, m);
		i = m;
	}
}

static int heap_push(struct br_queue *q, struct entry *e)
{
	struct entry **h = br_array_grow(q->heap, sizeof(*q->heap), q->heap_len + 1,
					 &q->heap_cap);
	if (!h)
		return BR_ENOMEM;
	q->heap = h;
	e->heap_idx = q->heap_len;
	q->heap[q->heap_len++] = e;
	heap_up(q, e->heap_idx);
	return 0;
}

static struct entry *heap_pop(struct br_queue *q)
{
	struct entry *top = q->heap[0];
	heap_swap(q, 0, --q->heap_len);
	top->heap_idx = NOT_WAITING;
	heap_down(q, 0);
	return top;
}

/* --- The queue proper ----------------------------------------------------- */

/* client-go's Add: coalesce while dirty; defer while processing. check:
 * this add is a check add (the key stays a check only if all were). */
static void add_locked(struct br_queue *q, struct entry *e, int check)
{
	if (e->dirty) {
		e->check = e->check && check;
		return;
	}
	e->dirty = 1;
	e->check = check;
	if (e->processing)
		return;
	e->qnext = NULL;
	if (q->tail)
		q->tail->qnext = e;
	else
		q->head = e;
	q->tail = e;
	q->len++;
	pthread_cond_signal(&q->cond);
}

/* Moves every waiting key whose time has come into the queue. */
static void promote_due(struct br_queue *q, int64_t now)
{
	while (q->heap_len && q->heap[0]->ready_at_ns <= now) {
		struct entry *e = heap_pop(q);
		add_locked(q, e, 0);
	}
}

int br_queue_create(const struct br_queue_options *opts, struct br_queue **out,
		    struct br_error *err)
{
	struct br_queue_options o = opts ? *opts : (struct br_queue_options){0};
	*out = NULL;
	if (o.base_delay_ms < 0 || o.max_delay_ms < 0 || o.qps < 0 ||
	    isnan(o.qps) || o.burst < 0)
		return br_error_set(err, BR_EINVAL, "queue: negative rate limiter setting");
	struct br_queue *q = calloc(1, sizeof(*q));
	if (!q || !(q->buckets = calloc(64, sizeof(*q->buckets)))) {
		free(q);
		return br_error_set(err, BR_ENOMEM, "queue: out of memory");
	}
	q->nbuckets = 64;
	if (br_ratelimit_create(o.qps > 0 ? o.qps : BR_QUEUE_QPS,
				o.burst > 0 ? o.burst : BR_QUEUE_BURST, NULL, &q->all) < 0) {
		free(q->buckets);
		free(q);
		return br_error_set(err, BR_ENOMEM, "queue: out of memory");
	}
	double base = (double)(o.base_delay_ms ? o.base_delay_ms : BR_QUEUE_BASE_DELAY_MS) * 1e6;
	double max = (double)(o.max_delay_ms ? o.max_delay_ms : BR_QUEUE_MAX_DELAY_MS) * 1e6;
	/* a base above the cap waits the cap, as client-go's does */
	br_backoff_init(&q->item, fmin(base, max), max, 2, 0, 1);

	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&q->mu, NULL);
	*out = q;
	return 0;
}

void br_queue_free(struct br_queue *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->nbuckets; i++) {
		struct entry *e = q->buckets[i], *next;
		for (; e; e = next) {
			next = e->hnext;
			free(e->key);
			free(e);
		}
	}
	free(q->buckets);
	free(q->heap);
	br_ratelimit_free(q->all);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

static int add(struct br_queue *q, const char *key, int check)
{
	if (!key)
		return BR_EINVAL;
	int rc = 0;
	pthread_mutex_lock(&q->mu);
	if (!q->shutting_down) {
		struct entry *e = intern(q, key);
		if (e)
			add_locked(q, e, check);
		else
			rc = BR_ENOMEM;
	}
	pthread_mutex_unlock(&q->mu);
	return rc;
}

int br_queue_add(struct br_queue *q, const char *key)
{
	return add(q, key, 0);
}

int br_queue_add_check(struct br_queue *q, const char *key)
{
	return add(q, key, 1);
}

/* client-go's AddAfter under the lock, with the delay in nanoseconds. */
static int add_after_locked(struct br_queue *q, const char *key, int64_t delay_ns)
{
	if (q->shutting_down)
		return 0;
	struct entry *e = intern(q, key);
	if (!e)
		return BR_ENOMEM;
	if (delay_ns <= 0) {
		add_locked(q, e, 0);
		return 0;
	}
	int64_t at = now_ns() + delay_ns;
	if (e->heap_idx != NOT_WAITING) {
		if (at < e->ready_at_ns) {
			e->ready_at_ns = at;
			heap_up(q, e->heap_idx);
		}
	} else {
		e->ready_at_ns = at;
		if (heap_push(q, e) != 0) {
			maybe_drop(q, e);
			return BR_ENOMEM;
		}
	}
	/* Blocked getters may be sleeping until a later deadline. */
	pthread_cond_broadcast(&q->cond);
	return 0;
}

int br_queue_add_after(struct br_queue *q, const char *key, int64_t delay_ms)
{
	if (!key)
		return BR_EINVAL;
	if (delay_ms > INT64_MAX / 1000000)
		delay_ms = INT64_MAX / 1000000;
	pthread_mutex_lock(&q->mu);
	int rc = add_after_locked(q, key, delay_ms * 1000000);
	pthread_mutex_unlock(&q->mu);
	return rc;
}

/* ItemExponentialFailureRateLimiter.When: base * 2^failures, capped. */
static int64_t backoff_ns(struct br_queue *q, struct entry *e)
{
	return (int64_t)br_backoff_step(&q->item, e->failures++);
}

/* BucketRateLimiter.When (golang.org/x/time/rate Reserve().Delay()): take a
 * token, going into debt if there is none; the debt is the wait. */
static int64_t bucket_ns(struct br_queue *q)
{
	return (int64_t)(br_ratelimit_reserve(q->all) * 1e9);
}

int br_queue_add_rate_limited(struct br_queue *q, const char *key,
			      int64_t *delay_ms)
{
	if (!key)
		return BR_EINVAL;
	int rc;
	pthread_mutex_lock(&q->mu);
	struct entry *e = intern(q, key);
	if (!e) {
		rc = BR_ENOMEM;
	} else {
		int64_t item = backoff_ns(q, e), all = bucket_ns(q);
		int64_t d = item > all ? item : all;
		if (delay_ms)
			*delay_ms = d / 1000000;
		rc = add_after_locked(q, key, d);
		maybe_drop(q, e);
	}
	pthread_mutex_unlock(&q->mu);
	return rc;
}

void br_queue_forget(struct br_queue *q, const char *key)
{
	pthread_mutex_lock(&q->mu);
	struct entry *e = key ? lookup(q, key) : NULL;
	if (e) {
		e->failures = 0;
		maybe_drop(q, e);
	}
	pthread_mutex_unlock(&q->mu);
}

int br_queue_num_requeues(struct br_queue *q, const char *key)
{
	pthread_mutex_lock(&q->mu);
	struct entry *e = key ? lookup(q, key) : NULL;
	int n = e ? e->failures : 0;
	pthread_mutex_unlock(&q->mu);
	return n;
}

/* Waits on the condition until deadline (ns on the monotonic clock), or
 * without a limit when deadline < 0. */
static void wait_until(struct br_queue *q, int64_t deadline)
{
	if (deadline < 0) {
		pthread_cond_wait(&q->cond, &q->mu);
		return;
	}
	struct timespec ts = {.tv_sec = deadline / 1000000000,
			      .tv_nsec = deadline % 1000000000};
	pthread_cond_timedwait(&q->cond, &q->mu, &ts);
}

static int get_locked(struct br_queue *q, char **key, int *check, int64_t give_up_at)
{
	for (;;) {
		int64_t now = now_ns();
		promote_due(q, now);
		if (q->head)
			break;
		if (q->shutting_down)
			return BR_ECANCELED;
		if (give_up_at >= 0 && now >= give_up_at)
			return BR_ETIMEOUT;
		int64_t wake = give_up_at;
		if (q->heap_len && (wake < 0 || q->heap[0]->ready_at_ns < wake))
			wake = q->heap[0]->ready_at_ns;
		wait_until(q, wake);
	}
	struct entry *e = q->head;
	char *copy = strdup(e->key);
	if (!copy)
		return BR_ENOMEM;
	q->head = e->qnext;
	if (!q->head)
		q->tail = NULL;
	q->len--;
	e->dirty = 0;
	*check = e->check;
	e->check = 0;
	e->processing = 1;
	q->nprocessing++;
	*key = copy;
	return 0;
}

int br_queue_get_check(struct br_queue *q, int64_t timeout_ms, char **key, int *check)
{
	*key = NULL;
	*check = 0;
	int64_t give_up_at = -1;
	if (timeout_ms >= 0) {
		if (timeout_ms > INT64_MAX / 2000000)
			timeout_ms = INT64_MAX / 2000000;
		give_up_at = now_ns() + timeout_ms * 1000000;
	}
	pthread_mutex_lock(&q->mu);
	int rc = get_locked(q, key, check, give_up_at);
	pthread_mutex_unlock(&q->mu);
	return rc;
}

int br_queue_get_timeout(struct br_queue *q, int64_t timeout_ms, char **key)
{
	int check;

	return br_queue_get_check(q, timeout_ms, key, &check);
}

int br_queue_get(struct br_queue *q, char **key)
{
	return br_queue_get_timeout(q, -1, key);
}

void br_queue_done(struct br_queue *q, const char *key)
{
	pthread_mutex_lock(&q->mu);
	struct entry *e = key ? lookup(q, key) : NULL;
	if (e && e->processing) {
		e->processing = 0;
		q->nprocessing--;
		if (e->dirty) {
			e->dirty = 0; /* add_locked sets it again and queues */
			add_locked(q, e, e->check);
		}
		if (q->nprocessing == 0 && q->shutting_down)
			pthread_cond_broadcast(&q->cond);
		maybe_drop(q, e);
	}
	pthread_mutex_unlock(&q->mu);
}

size_t br_queue_len(struct br_queue *q)
{
	pthread_mutex_lock(&q->mu);
	if (!q->shutting_down)
		promote_due(q, now_ns());
	size_t n = q->len;
	pthread_mutex_unlock(&q->mu);
	return n;
}

/* Drops every waiting key: after shutdown nothing new becomes ready. */
static void drop_waiting(struct br_queue *q)
{
	while (q->heap_len) {
		struct entry *e = heap_pop(q);
		maybe_drop(q, e);
	}
}

void br_queue_shutdown(struct br_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->shutting_down = 1;
	drop_waiting(q);
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->mu);
}

int br_queue_shutdown_with_drain(struct br_queue *q, int64_t timeout_ms)
{
	br_queue_shutdown(q);
	int64_t give_up_at = timeout_ms < 0 ? -1 : now_ns() + timeout_ms * 1000000;
	int rc = 0;
	pthread_mutex_lock(&q->mu);
	while (q->nprocessing > 0 || q->head) {
		if (give_up_at >= 0 && now_ns() >= give_up_at) {
			rc = BR_ETIMEOUT;
			break;
		}
		wait_until(q, give_up_at);
	}
	pthread_mutex_unlock(&q->mu);
	return rc;
}

int br_queue_shutting_down(struct br_queue *q)
{
	pthread_mutex_lock(&q->mu);
	int s = q->shutting_down;
	pthread_mutex_unlock(&q->mu);
	return s;
}
