/* budget index: the answers of a poll matched back to SLOs by the slo and
 * slo_namespace labels every burnrate series carries, one answer at a time. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "array/array.h"
#include "budget/budget.h"

void br_budget_index_init(struct br_budget_index *idx)
{
	idx->items = NULL;
	idx->count = 0;
	idx->alloc = 0;
	idx->skipped = 0;
}

void br_budget_index_release(struct br_budget_index *idx)
{
	for (size_t i = 0; i < idx->count; i++)
		free(idx->items[i].key);
	free(idx->items);
	br_budget_index_init(idx);
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct br_budget_index_entry *)a)->key,
		      ((const struct br_budget_index_entry *)b)->key);
}

/* Binary search of ns/name in the first n (sorted) entries, comparing with
 * each "ns/name" key without building it. Returns the entry or NULL. */
static struct br_budget_index_entry *find(const struct br_budget_index *idx, size_t n,
					  const char *ns, const char *name)
{
	size_t lo = 0, hi = n, nl = strlen(ns);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *k = idx->items[mid].key;
		int c = strncmp(k, ns, nl);
		if (c == 0)
			c = (unsigned char)k[nl] - (unsigned char)'/';
		if (c == 0)
			c = strcmp(k + nl + 1, name);
		if (c == 0)
			return &idx->items[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* A new entry "ns/name" at the end (unsorted until fold). */
static int append(struct br_budget_index *idx, const char *ns, const char *name,
		  struct br_budget_index_entry **out)
{
	size_t nl = strlen(ns), ml = strlen(name);

	void *n = br_array_grow(idx->items, sizeof(*idx->items), idx->count + 1, &idx->alloc);

	if (!n)
		return BR_ENOMEM;
	idx->items = n;
	struct br_budget_index_entry *e = &idx->items[idx->count];
	memset(e, 0, sizeof(*e));
	e->key = malloc(nl + ml + 2);
	if (!e->key)
		return BR_ENOMEM;
	memcpy(e->key, ns, nl);
	e->key[nl] = '/';
	memcpy(e->key + nl + 1, name, ml + 1);
	idx->count++;
	*out = e;
	return 0;
}

/* Adds ratio v of window w to r, the worst of duplicates. Returns 0, or -1
 * when r has no room for another window. */
static int add_ratio(struct br_budget_reading *r, long long w, double v)
{
	for (size_t i = 0; i < r->nratios; i++)
		if (r->ratios[i].window_s == w) {
			if (v > r->ratios[i].ratio)
				r->ratios[i].ratio = v;
			return 0;
		}
	if (r->nratios == BR_BUDGET_MAX_WINDOWS)
		return -1;
	r->ratios[r->nratios].window_s = w;
	r->ratios[r->nratios].ratio = v;
	r->nratios++;
	return 0;
}

static void add_remaining(struct br_budget_reading *r, double v)
{
	if (!r->has_remaining || v < r->remaining) { /* worst of duplicates */
		r->has_remaining = 1;
		r->remaining = v;
	}
}

static void add_allowed(struct br_budget_reading *r, double v)
{
	if (!r->has_allowed || v < r->allowed) { /* worst of duplicates */
		r->has_allowed = 1;
		r->allowed = v;
	}
}

static void add_excluded(struct br_budget_reading *r, double v)
{
	if (!r->has_excluded || v > r->excluded) { /* the most of duplicates */
		r->has_excluded = 1;
		r->excluded = v;
	}
}

/* Merges entry b into a (same key). Returns 0, or -1 when windows overflow. */
static int merge(struct br_budget_reading *a, const struct br_budget_reading *b)
{
	int rc = 0;

	if (b->has_remaining)
		add_remaining(a, b->remaining);
	if (b->has_allowed)
		add_allowed(a, b->allowed);
	if (b->has_excluded)
		add_excluded(a, b->excluded);
	for (size_t i = 0; i < b->nratios; i++)
		rc |= add_ratio(a, b->ratios[i].window_s, b->ratios[i].ratio);
	return rc;
}

/* Sorts and folds entries of the same key into one. */
static void fold(struct br_budget_index *idx)
{
	size_t out = 0;

	if (idx->count)
		qsort(idx->items, idx->count, sizeof(*idx->items), cmp_entry);
	for (size_t i = 0; i < idx->count; i++) {
		if (out > 0 && strcmp(idx->items[out - 1].key, idx->items[i].key) == 0) {
			if (merge(&idx->items[out - 1].reading, &idx->items[i].reading) != 0)
				idx->skipped++;
			free(idx->items[i].key);
			continue;
		}
		idx->items[out++] = idx->items[i];
	}
	idx->count = out;
	/* doubling leaves up to half unused: at 10,000 SLOs that is megabytes
	 * kept for the whole poll (a failed shrink keeps the larger block) */
	if (idx->alloc - idx->count > idx->count / 8 + 16) {
		void *n = realloc(idx->items, (idx->count ? idx->count : 1) * sizeof(*idx->items));
		if (n) {
			idx->items = n;
			idx->alloc = idx->count ? idx->count : 1;
		}
	}
}

/* The window of a ratio series name, or -1. */
static long long ratio_window(const struct br_prom_sample *s)
{
	const char *name = br_prom_sample_label(s, "__name__");
	size_t n = sizeof(BR_BUDGET_RATIO_PREFIX) - 1;
	long long w;

	if (!name || strncmp(name, BR_BUDGET_RATIO_PREFIX, n) != 0 ||
	    br_duration_parse(name + n, &w) != 0)
		return -1;
	return w;
}

/* What an answer holds: window_s of add_samples. */
#define SAMPLES_REMAINING -1
#define SAMPLES_ALLOWED -2
#define SAMPLES_EXCLUDED -3

/* Whether s of an answer of kind window_s can be kept, with its window (for
 * a ratio) in *w. */
static int usable(const struct br_prom_sample *s, long long window_s, long long *w)
{
	const char *ns = br_prom_sample_label(s, "slo_namespace");
	const char *name = br_prom_sample_label(s, "slo");

	*w = window_s == 0 ? ratio_window(s) : window_s;
	if (!ns || !name || !*ns || !*name || !isfinite(s->value))
		return 0;
	if (window_s == 0 && *w < 0)
		return 0; /* a ratio name without a window */
	return (window_s != SAMPLES_ALLOWED && window_s != SAMPLES_EXCLUDED) || s->value >= 0;
}

/* Merges v into idx: a sample of a known SLO updates its entry in place
 * (found by binary search of the sorted entries); an SLO not seen before
 * gets a new entry at the end, and those are sorted in (and duplicates
 * folded) once the answer is merged. window_s: SAMPLES_REMAINING or
 * SAMPLES_ALLOWED, 0 for the window of __name__, else the window of every
 * sample. */
static int add_samples(struct br_budget_index *idx, const struct br_prom_vector *v,
		       long long window_s)
{
	size_t sorted = idx->count;

	for (size_t i = 0; v && i < v->count; i++) {
		const struct br_prom_sample *s = &v->samples[i];
		struct br_budget_index_entry *e;
		long long w;

		if (!usable(s, window_s, &w)) {
			idx->skipped++;
			continue;
		}
		e = find(idx, sorted, br_prom_sample_label(s, "slo_namespace"),
			 br_prom_sample_label(s, "slo"));
		if (!e && append(idx, br_prom_sample_label(s, "slo_namespace"),
				 br_prom_sample_label(s, "slo"), &e) != 0) {
			br_budget_index_release(idx);
			return BR_ENOMEM;
		}
		if (window_s == SAMPLES_REMAINING)
			add_remaining(&e->reading, s->value);
		else if (window_s == SAMPLES_ALLOWED)
			add_allowed(&e->reading, s->value);
		else if (window_s == SAMPLES_EXCLUDED)
			add_excluded(&e->reading, s->value);
		else if (add_ratio(&e->reading, w, s->value) != 0)
			idx->skipped++;
	}
	if (idx->count > sorted)
		fold(idx);
	return 0;
}

int br_budget_index_add_remaining(struct br_budget_index *idx,
				  const struct br_prom_vector *v)
{
	return add_samples(idx, v, SAMPLES_REMAINING);
}

int br_budget_index_add_allowed(struct br_budget_index *idx,
				const struct br_prom_vector *v)
{
	return add_samples(idx, v, SAMPLES_ALLOWED);
}

int br_budget_index_add_excluded(struct br_budget_index *idx,
				 const struct br_prom_vector *v)
{
	return add_samples(idx, v, SAMPLES_EXCLUDED);
}

int br_budget_index_add_ratios(struct br_budget_index *idx, long long window_s,
			       const struct br_prom_vector *v)
{
	return add_samples(idx, v, window_s > 0 ? window_s : 0);
}

int br_budget_index_build(struct br_budget_index *idx,
			  const struct br_prom_vector *remaining,
			  const struct br_prom_vector *ratios)
{
	int rc = br_budget_index_add_remaining(idx, remaining);

	return rc == 0 ? br_budget_index_add_ratios(idx, 0, ratios) : rc;
}

const struct br_budget_reading *
br_budget_index_get(const struct br_budget_index *idx, const char *ns,
		    const char *name)
{
	const struct br_budget_index_entry *e = find(idx, idx->count, ns, name);

	return e ? &e->reading : NULL;
}
