/* budget index: the two queries, and their answers matched back to SLOs by
 * the slo and slo_namespace labels every burnrate series carries. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "budget/budget.h"

/* ,slo_namespace=~"a|b": each name with regex characters escaped (a
 * Kubernetes namespace has none, but --namespace is the user's text), the
 * whole quoted as a PromQL string. */
static int namespace_matcher(const char *const *namespaces, size_t count,
			     struct br_buf *out)
{
	struct br_buf re;
	int rc;

	br_buf_init(&re, BR_BUF_MAX_DEFAULT);
	for (size_t i = 0; i < count; i++) {
		if (i)
			br_buf_addc(&re, '|');
		for (const char *p = namespaces[i]; *p; p++) {
			if (strchr("\\.+*?()|[]{}^$", *p))
				br_buf_addc(&re, '\\');
			br_buf_addc(&re, *p);
		}
	}
	br_buf_adds(out, ",slo_namespace=~");
	rc = re.failed ? BR_ENOMEM : br_promql_quote(br_buf_str(&re), out);
	br_buf_release(&re);
	return rc;
}

int br_budget_queries(const char *const *namespaces, size_t count,
		      struct br_buf *remaining, struct br_buf *ratios)
{
	struct br_buf ns;
	int rc;

	br_buf_init(&ns, BR_BUF_MAX_DEFAULT);
	if (count && namespace_matcher(namespaces, count, &ns) != 0) {
		br_buf_release(&ns);
		return BR_ENOMEM;
	}
	/* ns is "" (not NULL) when empty, so the chains below are safe */
	br_buf_addf(remaining, "last_over_time(" BR_BUDGET_REMAINING "{slo!=\"\"%s}[10m])",
		    br_buf_str(&ns));
	br_buf_addf(ratios, "{__name__=~\"" BR_BUDGET_RATIO_PREFIX ".+\",slo!=\"\"%s}",
		    br_buf_str(&ns));
	rc = ns.failed || !remaining->data || !ratios->data ? BR_ENOMEM : 0;
	br_buf_release(&ns);
	return rc;
}

void br_budget_index_init(struct br_budget_index *idx)
{
	idx->items = NULL;
	idx->count = 0;
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

/* "ns/name" of a sample, into out. Returns 0, 1 without the labels, or
 * BR_ENOMEM. */
static int sample_key(const struct br_prom_sample *s, struct br_buf *out)
{
	const char *ns = br_prom_sample_label(s, "slo_namespace");
	const char *name = br_prom_sample_label(s, "slo");

	br_buf_reset(out);
	if (!ns || !name || !*ns || !*name)
		return 1;
	return br_buf_addf(out, "%s/%s", ns, name) == 0 ? 0 : BR_ENOMEM;
}

/* The entry of key: found by a linear probe of the unsorted tail would be
 * quadratic; entries are appended unsorted and merged after sorting. */
static int append(struct br_budget_index *idx, size_t *cap, const char *key,
		  struct br_budget_index_entry **out)
{
	if (idx->count == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		void *n = realloc(idx->items, ncap * sizeof(*idx->items));
		if (!n)
			return BR_ENOMEM;
		idx->items = n;
		*cap = ncap;
	}
	struct br_budget_index_entry *e = &idx->items[idx->count];
	memset(e, 0, sizeof(*e));
	e->key = strdup(key);
	if (!e->key)
		return BR_ENOMEM;
	idx->count++;
	*out = e;
	return 0;
}

static void add_ratio(struct br_budget_reading *r, long long w, double v)
{
	for (size_t i = 0; i < r->nratios; i++)
		if (r->ratios[i].window_s == w) {
			if (v > r->ratios[i].ratio) /* worst of duplicates */
				r->ratios[i].ratio = v;
			return;
		}
	r->ratios[r->nratios].window_s = w;
	r->ratios[r->nratios].ratio = v;
	r->nratios++;
}

/* Merges entry b into a (same key). Returns 0, or -1 when windows overflow. */
static int merge(struct br_budget_reading *a, const struct br_budget_reading *b)
{
	if (b->has_remaining && (!a->has_remaining || b->remaining < a->remaining)) {
		a->has_remaining = 1;
		a->remaining = b->remaining;
	}
	for (size_t i = 0; i < b->nratios; i++) {
		int known = 0;
		for (size_t j = 0; j < a->nratios; j++)
			known |= a->ratios[j].window_s == b->ratios[i].window_s;
		if (!known && a->nratios == BR_BUDGET_MAX_WINDOWS)
			return -1;
		add_ratio(a, b->ratios[i].window_s, b->ratios[i].ratio);
	}
	return 0;
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

/* One entry per sample, folded afterwards: a sample never needs a lookup. */
static int add_samples(struct br_budget_index *idx, size_t *cap,
		       const struct br_prom_vector *v, int is_ratio,
		       struct br_buf *key)
{
	for (size_t i = 0; v && i < v->count; i++) {
		const struct br_prom_sample *s = &v->samples[i];
		struct br_budget_index_entry *e;
		long long w = is_ratio ? ratio_window(s) : 0;
		int rc = sample_key(s, key);

		if (rc == BR_ENOMEM)
			return rc;
		if (rc != 0 || w < 0 || !isfinite(s->value)) {
			idx->skipped++;
			continue;
		}
		if (append(idx, cap, br_buf_str(key), &e) != 0)
			return BR_ENOMEM;
		if (is_ratio) {
			add_ratio(&e->reading, w, s->value);
		} else {
			e->reading.has_remaining = 1;
			e->reading.remaining = s->value;
		}
	}
	return 0;
}

int br_budget_index_build(struct br_budget_index *idx,
			  const struct br_prom_vector *remaining,
			  const struct br_prom_vector *ratios)
{
	struct br_buf key;
	size_t cap = 0;
	int rc;

	br_buf_init(&key, 4096);
	rc = add_samples(idx, &cap, remaining, 0, &key);
	if (rc == 0)
		rc = add_samples(idx, &cap, ratios, 1, &key);
	br_buf_release(&key);
	if (rc != 0) {
		br_budget_index_release(idx);
		return rc;
	}
	fold(idx);
	return 0;
}

const struct br_budget_reading *
br_budget_index_get(const struct br_budget_index *idx, const char *ns,
		    const char *name)
{
	size_t lo = 0, hi = idx->count, nl = strlen(ns);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *k = idx->items[mid].key;
		/* compare "ns/name" with key without building it */
		int c = strncmp(k, ns, nl);
		if (c == 0)
			c = (unsigned char)k[nl] - (unsigned char)'/';
		if (c == 0)
			c = strcmp(k + nl + 1, name);
		if (c == 0)
			return &idx->items[mid].reading;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
