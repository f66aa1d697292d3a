/* cache: Prometheus answers kept BR_UI_CACHE_TTL seconds, a bounded table
 * scanned in full (a few hundred entries: a scan costs less than the hash
 * table it would take, next to a query). Answers are reference-counted
 * because a page renders after the lock is released. */
#include "ui/ui.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	char *key;                /* NULL: free */
	double at;
	struct br_ui_answer *a;
};

struct br_ui_cache {
	pthread_mutex_t lock;
	struct entry *e;
	size_t size;
	double ttl;
};

int br_ui_cache_create(size_t size, double ttl, struct br_ui_cache **out)
{
	struct br_ui_cache *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return BR_ENOMEM;
	c->size = size ? size : BR_UI_CACHE_SIZE;
	c->ttl = ttl > 0 ? ttl : BR_UI_CACHE_TTL;
	c->e = calloc(c->size, sizeof(*c->e));
	if (!c->e || pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->e);
		free(c);
		return BR_ENOMEM;
	}
	*out = c;
	return 0;
}

static void entry_clear(struct entry *e)
{
	free(e->key);
	br_ui_answer_drop(e->a);
	*e = (struct entry){NULL, 0, NULL};
}

void br_ui_cache_free(struct br_ui_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->size; i++)
		entry_clear(&c->e[i]);
	pthread_mutex_destroy(&c->lock);
	free(c->e);
	free(c);
}

struct br_ui_answer *br_ui_answer_new(void)
{
	struct br_ui_answer *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	br_prom_matrix_init(&a->matrix);
	br_prom_vector_init(&a->vector);
	atomic_init(&a->refs, 1);
	return a;
}

/* atomic: a page drops its hold without the cache's lock, maybe while the
 * cache drops its own */
void br_ui_answer_drop(struct br_ui_answer *a)
{
	if (!a || atomic_fetch_sub(&a->refs, 1) != 1)
		return;
	br_prom_matrix_release(&a->matrix);
	br_prom_vector_release(&a->vector);
	free(a);
}

static void hold(struct br_ui_answer *a)
{
	atomic_fetch_add(&a->refs, 1);
}

struct br_ui_answer *br_ui_cache_get(struct br_ui_cache *c, const char *key,
				     double now)
{
	struct br_ui_answer *a = NULL;

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->size && !a; i++) {
		struct entry *e = &c->e[i];
		if (!e->key || strcmp(e->key, key) != 0)
			continue;
		if (now - e->at < c->ttl && now >= e->at) {
			a = e->a;
			hold(a);
		} else {
			entry_clear(e);
		}
	}
	pthread_mutex_unlock(&c->lock);
	return a;
}

void br_ui_cache_add(struct br_ui_cache *c, const char *key, double now,
		     struct br_ui_answer *a)
{
	char *k = strdup(key);
	struct entry *slot = NULL;

	if (!k)
		return;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->size; i++) {
		struct entry *e = &c->e[i];
		if (e->key && (strcmp(e->key, key) == 0 || now - e->at >= c->ttl))
			entry_clear(e);   /* the same key, or expired */
		if (!e->key && !slot)
			slot = e;
	}
	if (!slot) {   /* full of live answers: the oldest goes */
		slot = &c->e[0];
		for (size_t i = 1; i < c->size; i++)
			if (c->e[i].at < slot->at)
				slot = &c->e[i];
		entry_clear(slot);
	}
	hold(a);
	*slot = (struct entry){k, now, a};
	pthread_mutex_unlock(&c->lock);
}

size_t br_ui_cache_count(struct br_ui_cache *c)
{
	size_t n = 0;

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->size; i++)
		n += c->e[i].key != NULL;
	pthread_mutex_unlock(&c->lock);
	return n;
}
