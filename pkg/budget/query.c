/* budget queries: the PromQL of each query of a poll, and the ratio names
 * Prometheus holds, from which the per-window queries are made. */
#include <stdlib.h>
#include <string.h>

#include "budget/budget.h"

/* ,slo_namespace=~"a|b": each name with regex characters escaped (a
 * Kubernetes namespace has none, but --namespace is the user's text), the
 * whole quoted as a PromQL string. "" when count is 0. */
static int namespace_matcher(const char *const *namespaces, size_t count,
			     struct br_buf *out)
{
	struct br_buf re;
	int rc;

	if (!count)
		return br_buf_adds(out, "") == 0 ? 0 : BR_ENOMEM;
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

/* The latest sample of a budget series (recorded every 5m) per SLO. */
static void last_sample_query(const char *name, const struct br_buf *ns,
			      struct br_buf *out)
{
	/* by (slo, slo_namespace): labels nobody reads (a replica label, say)
	 * are dropped by Prometheus, and duplicates folded to the worst */
	br_buf_addf(out, "min by (slo, slo_namespace) (last_over_time("
		    "%s{slo!=\"\"%s}[10m]))", name, br_buf_str(ns));
}

int br_budget_excluded_query(const char *const *namespaces, size_t count,
			     struct br_buf *out)
{
	struct br_buf ns;

	br_buf_init(&ns, BR_BUF_MAX_DEFAULT);
	int rc = namespace_matcher(namespaces, count, &ns);
	if (rc == 0)
		last_sample_query(BR_BUDGET_EXCLUDED, &ns, out);
	rc = rc || ns.failed || !out->data ? BR_ENOMEM : 0;
	br_buf_release(&ns);
	return rc;
}

int br_budget_queries(const char *const *namespaces, size_t count,
		      struct br_buf *remaining, struct br_buf *allowed,
		      struct br_buf *names)
{
	struct br_buf ns;
	int rc;

	br_buf_init(&ns, BR_BUF_MAX_DEFAULT);
	if (namespace_matcher(namespaces, count, &ns) != 0) {
		br_buf_release(&ns);
		return BR_ENOMEM;
	}
	last_sample_query(BR_BUDGET_REMAINING, &ns, remaining);
	last_sample_query(BR_BUDGET_ALLOWED, &ns, allowed);
	br_buf_addf(names, "count by (__name__) ({__name__=~\"" BR_BUDGET_RATIO_PREFIX
		    ".+\",slo!=\"\"%s})", br_buf_str(&ns));
	rc = ns.failed || !remaining->data || !allowed->data || !names->data ? BR_ENOMEM : 0;
	br_buf_release(&ns);
	return rc;
}

/* Whether name is BR_BUDGET_RATIO_PREFIX<window> in PromQL name characters
 * (so that it can go into a query as it is), shorter than the name field;
 * returns the window in *window_s. */
static int ratio_name(const char *name, long long *window_s)
{
	size_t n = sizeof(BR_BUDGET_RATIO_PREFIX) - 1;

	if (!name || strlen(name) >= BR_BUDGET_NAME_MAX ||
	    strncmp(name, BR_BUDGET_RATIO_PREFIX, n) != 0)
		return 0;
	for (const char *p = name; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:", *p))
			return 0;
	return br_duration_parse(name + n, window_s) == 0 && *window_s > 0;
}

int br_budget_ratio_query(const char *name, const char *const *namespaces,
			  size_t count, struct br_buf *out)
{
	struct br_buf ns;
	long long w;
	int rc;

	if (!ratio_name(name, &w))
		return BR_EINVAL;
	br_buf_init(&ns, BR_BUF_MAX_DEFAULT);
	if (namespace_matcher(namespaces, count, &ns) != 0) {
		br_buf_release(&ns);
		return BR_ENOMEM;
	}
	/* one sample per SLO, without __name__: the window is the query's */
	br_buf_addf(out, "max by (slo, slo_namespace) (%s{slo!=\"\"%s})", name,
		    br_buf_str(&ns));
	rc = ns.failed || !out->data ? BR_ENOMEM : 0;
	br_buf_release(&ns);
	return rc;
}

static int cmp_name(const void *a, const void *b)
{
	const struct br_budget_ratio_name *x = a, *y = b;

	if (x->window_s != y->window_s)
		return x->window_s < y->window_s ? -1 : 1;
	return strcmp(x->name, y->name);
}

void br_budget_ratio_names(const struct br_prom_vector *v,
			   struct br_budget_ratio_names *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; v && i < v->count; i++) {
		const char *name = br_prom_sample_label(&v->samples[i], "__name__");
		long long w;
		int dup = 0;

		for (size_t j = 0; name && j < out->count; j++)
			dup |= strcmp(out->items[j].name, name) == 0;
		if (dup)
			continue;
		if (!ratio_name(name, &w) || out->count == BR_BUDGET_MAX_NAMES) {
			out->skipped++;
			continue;
		}
		memcpy(out->items[out->count].name, name, strlen(name) + 1); /* fits: checked */
		out->items[out->count].window_s = w;
		out->count++;
	}
	qsort(out->items, out->count, sizeof(out->items[0]), cmp_name);
}
