/* index: what the overview shows of every SLO, kept up to date from the
 * events of an informer, so that an overview of 10,000 SLOs neither lists
 * them from the API server nor parses their JSON again. An entry is one
 * allocation: the figures, then its strings. */
#include "ui/internal.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "array/array.h"
#include "slo/slo.h"

struct br_ui_index {
	pthread_mutex_t mu;
	struct br__ui_slo **e;     /* sorted by (namespace, name) */
	size_t n, cap;
};

int br_ui_index_create(struct br_ui_index **out)
{
	struct br_ui_index *x = calloc(1, sizeof(*x));

	*out = NULL;
	if (!x)
		return BR_ENOMEM;
	pthread_mutex_init(&x->mu, NULL);
	*out = x;
	return 0;
}

void br_ui_index_free(struct br_ui_index *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->n; i++)
		free(x->e[i]);
	free(x->e);
	pthread_mutex_destroy(&x->mu);
	free(x);
}

/* The long window of the fastest page row of the spec, in seconds; 0
 * when it pages on nothing or is not valid. For SLOs no controller has
 * written status.alerts for yet. */
static long long fastest_page_of_spec(const json_t *obj)
{
	struct br_slo slo;
	long long best = 0;

	br_slo_init(&slo);
	if (br_slo_parse(obj, NULL, NULL, &slo, NULL) != 0)
		return 0;
	for (size_t i = 0; i < slo.window_count && !slo.page.disabled; i++)
		if (slo.windows[i].severity == BR_SEVERITY_PAGE &&
		    (best == 0 || slo.windows[i].long_s < best))
			best = slo.windows[i].long_s;
	br_slo_release(&slo);
	return best;
}

/* The long window of slo's fastest page row (status.alerts, else the
 * spec's table), canonical ("1h"), into out; "" when it pages on nothing. */
static void fastest_page(const json_t *slo, char *out, size_t size)
{
	const json_t *a, *alerts = br__ui_get(slo, "status", "alerts", NULL);
	long long best = 0, secs;
	size_t i;

	out[0] = '\0';
	if (!json_is_array(alerts))
		best = fastest_page_of_spec(slo);
	json_array_foreach(alerts, i, a) {
		const char *sev = json_string_value(json_object_get(a, "severity"));
		const char *w = json_string_value(json_object_get(a, "longWindow"));
		if (sev && strcmp(sev, "page") == 0 && w &&
		    br_duration_parse(w, &secs) == 0 && (best == 0 || secs < best))
			best = secs;
	}
	if (best > 0)
		br_duration_format(best, out, size);
}

static double number_or_nan(const json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A new entry for slo (free with free), or NULL (no name, no memory). */
static struct br__ui_slo *entry_new(const json_t *slo)
{
	const json_t *ready = br__ui_condition(slo, "Ready");
	const char *window = br__ui_str(slo, "spec", "window", NULL);
	char fast[32];
	const char *s[BR__UI_NFIELDS] = {
		br__ui_str(slo, "metadata", "namespace", NULL),
		br__ui_str(slo, "metadata", "name", NULL),
		br__ui_str(slo, "spec", "service", NULL), window ? window : "30d",
		br__ui_str(slo, "status", "budget", "remainingPercent"), fast,
	};
	size_t len[BR__UI_NFIELDS], total = sizeof(struct br__ui_slo);

	fastest_page(slo, fast, sizeof(fast));
	if (!s[BR__UI_NAME] || !*s[BR__UI_NAME])
		return NULL;
	for (size_t i = 0; i < BR__UI_NFIELDS; i++)
		total += (len[i] = s[i] ? strlen(s[i]) + 1 : 0);
	struct br__ui_slo *e = malloc(total);
	if (!e)
		return NULL;
	size_t at = sizeof(*e);
	for (size_t i = 0; i < BR__UI_NFIELDS; i++) {
		e->off[i] = s[i] ? (unsigned)at : 0;
		if (s[i])
			memcpy((char *)e + at, s[i], len[i]);
		at += len[i];
	}
	e->size = total;
	e->objective = number_or_nan(br__ui_get(slo, "spec", "objective", NULL));
	e->left = br__ui_budget_left(slo);
	e->events = number_or_nan(br__ui_get(slo, "status", "budget", "remainingEvents"));
	const char *rs = ready ? json_string_value(json_object_get(ready, "status")) : NULL;
	e->ready = rs && (!strcmp(rs, "True") || !strcmp(rs, "False") || !strcmp(rs, "Unknown"))
		? rs[0] : 0;
	return e;
}

const char *br__ui_slo_get(const struct br__ui_slo *e, enum br__ui_slo_field f)
{
	return e->off[f] ? (const char *)e + e->off[f] : NULL;
}

static int cmp_key(const struct br__ui_slo *e, const char *ns, const char *name)
{
	const char *ens = br__ui_slo_get(e, BR__UI_NS);
	int c = strcmp(ens ? ens : "", ns ? ns : "");
	return c ? c : strcmp(br__ui_slo_get(e, BR__UI_NAME), name);
}

/* The position of ns/name, or where it would go; *found says which. */
static size_t find(const struct br_ui_index *x, const char *ns, const char *name,
		   int *found)
{
	size_t lo = 0, hi = x->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_key(x->e[mid], ns, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < x->n && cmp_key(x->e[lo], ns, name) == 0;
	return lo;
}

/* Makes room for one more entry; 0 or BR_ENOMEM. */
static int grow(struct br_ui_index *x)
{
	struct br__ui_slo **e = br_array_grow(x->e, sizeof(*x->e), x->n + 1, &x->cap);

	if (!e)
		return BR_ENOMEM;
	x->e = e;
	return 0;
}

int br_ui_index_put(struct br_ui_index *x, const json_t *slo)
{
	struct br__ui_slo *e = entry_new(slo);
	int found, rc = 0;

	if (!e)
		return br__ui_str(slo, "metadata", "name", NULL) ? BR_ENOMEM : BR_EINVAL;
	pthread_mutex_lock(&x->mu);
	size_t at = find(x, br__ui_slo_get(e, BR__UI_NS), br__ui_slo_get(e, BR__UI_NAME), &found);
	if (found) {
		free(x->e[at]);
		x->e[at] = e;
	} else if ((rc = grow(x)) == 0) {
		memmove(x->e + at + 1, x->e + at, (x->n - at) * sizeof(*x->e));
		x->e[at] = e;
		x->n++;
	} else {
		free(e);
	}
	pthread_mutex_unlock(&x->mu);
	return rc;
}

void br_ui_index_delete(struct br_ui_index *x, const json_t *slo)
{
	const char *ns = br__ui_str(slo, "metadata", "namespace", NULL);
	const char *name = br__ui_str(slo, "metadata", "name", NULL);
	int found;

	if (!name)
		return;
	pthread_mutex_lock(&x->mu);
	size_t at = find(x, ns, name, &found);
	if (found) {
		free(x->e[at]);
		memmove(x->e + at, x->e + at + 1, (x->n - at - 1) * sizeof(*x->e));
		x->n--;
	}
	pthread_mutex_unlock(&x->mu);
}

void br_ui_index_observe(void *x, const json_t *slo, int deleted)
{
	if (deleted)
		br_ui_index_delete(x, slo);
	else
		br_ui_index_put(x, slo);
}

size_t br_ui_index_size(struct br_ui_index *x)
{
	pthread_mutex_lock(&x->mu);
	size_t n = x->n;
	pthread_mutex_unlock(&x->mu);
	return n;
}

const struct br__ui_slo *const *br__ui_index_lock(struct br_ui_index *x, size_t *n)
{
	pthread_mutex_lock(&x->mu);
	*n = x->n;
	return (const struct br__ui_slo *const *)x->e;
}

void br__ui_index_unlock(struct br_ui_index *x)
{
	pthread_mutex_unlock(&x->mu);
}
