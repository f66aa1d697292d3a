/* metrics: families of series behind one mutex, rendered in the Prometheus
 * text exposition format. Families and series are singly linked in creation
 * order; a family has few series, so series are found by a linear scan. */
#include "metrics/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { COUNTER, GAUGE, GAUGE_FUNC, HISTOGRAM };

struct series {
	struct series *next;
	char **values;     /* one per label name of the family */
	double value;      /* counter, gauge; histogram sum */
	uint64_t count;    /* histogram observations */
	uint64_t *buckets; /* histogram: per-bucket (not cumulative) counts */
};

struct br_metric {
	struct br_metric *next;
	struct br_metrics *reg;
	enum kind kind;
	char *name, *help;
	char **labels;
	size_t nlabels;
	double *bounds;    /* histogram upper bounds, without +Inf */
	size_t nbounds;
	double (*fn)(void *arg);
	void *arg;
	struct series *head, *tail;
};

struct br_metrics {
	pthread_mutex_t mu;
	struct br_metric *head, *tail;
};

int br_metrics_create(struct br_metrics **out, struct br_error *err)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return br_error_set(err, BR_ENOMEM, "metrics: out of memory");
	pthread_mutex_init(&(*out)->mu, NULL);
	return 0;
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static void free_family(struct br_metric *f)
{
	struct series *s = f->head, *next;
	for (; s; s = next) {
		next = s->next;
		free_strings(s->values, f->nlabels);
		free(s->buckets);
		free(s);
	}
	free_strings(f->labels, f->nlabels);
	free(f->name);
	free(f->help);
	free(f->bounds);
	free(f);
}

void br_metrics_free(struct br_metrics *m)
{
	if (!m)
		return;
	struct br_metric *f = m->head, *next;
	for (; f; f = next) {
		next = f->next;
		free_family(f);
	}
	pthread_mutex_destroy(&m->mu);
	free(m);
}

/* --- Registration --------------------------------------------------------- */

static int valid_name(const char *s, int colons)
{
	if (!s || !*s)
		return 0;
	for (const char *p = s; *p; p++) {
		int alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    *p == '_' || (colons && *p == ':');
		if (!alpha && !(p > s && *p >= '0' && *p <= '9'))
			return 0;
	}
	return 1;
}

static int check_labels(const char *const *labels, int histogram,
			size_t *n, struct br_error *err)
{
	*n = 0;
	for (; labels && labels[*n]; (*n)++) {
		const char *l = labels[*n];
		if (!valid_name(l, 0) || strncmp(l, "__", 2) == 0 ||
		    (histogram && strcmp(l, "le") == 0))
			return br_error_set(err, BR_EINVAL,
					    "metrics: bad label name \"%s\"", l);
		for (size_t j = 0; j < *n; j++)
			if (strcmp(labels[j], l) == 0)
				return br_error_set(err, BR_EINVAL,
						    "metrics: label \"%s\" twice", l);
	}
	return 0;
}

static int check_bounds(const double *b, size_t n, struct br_error *err)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(b[i]) || (i > 0 && b[i] <= b[i - 1]))
			return br_error_set(err, BR_EINVAL,
					    "metrics: histogram buckets must be finite and "
					    "increasing");
	return 0;
}

/* Builds a family (not yet registered). Returns NULL when out of memory. */
static struct br_metric *make_family(enum kind kind, const char *name,
				     const char *help, const char *const *labels,
				     size_t nlabels, const double *bounds,
				     size_t nbounds)
{
	struct br_metric *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->kind = kind;
	f->nlabels = nlabels;
	f->nbounds = nbounds;
	f->name = strdup(name);
	f->help = strdup(help ? help : "");
	f->labels = calloc(nlabels + 1, sizeof(char *));
	f->bounds = calloc(nbounds + 1, sizeof(double));
	int ok = f->name && f->help && f->labels && f->bounds;
	for (size_t i = 0; ok && i < nlabels; i++)
		ok = (f->labels[i] = strdup(labels[i])) != NULL;
	if (!ok) {
		free_family(f);
		return NULL;
	}
	if (nbounds)
		memcpy(f->bounds, bounds, nbounds * sizeof(double));
	return f;
}

static int add_family(struct br_metrics *m, struct br_metric *f,
		      struct br_metric **out, struct br_error *err)
{
	pthread_mutex_lock(&m->mu);
	for (struct br_metric *g = m->head; g; g = g->next) {
		if (strcmp(g->name, f->name) == 0) {
			pthread_mutex_unlock(&m->mu);
			br_error_set(err, BR_EINVAL,
				     "metrics: \"%s\" registered twice", f->name);
			free_family(f);
			return BR_EINVAL;
		}
	}
	f->reg = m;
	if (m->tail)
		m->tail->next = f;
	else
		m->head = f;
	m->tail = f;
	pthread_mutex_unlock(&m->mu);
	if (out)
		*out = f;
	return 0;
}

static int registr(struct br_metrics *m, enum kind kind, const char *name,
		   const char *help, const char *const *labels,
		   const double *bounds, size_t nbounds,
		   struct br_metric **out, struct br_error *err)
{
	size_t nlabels;
	if (out)
		*out = NULL;
	if (!valid_name(name, 1))
		return br_error_set(err, BR_EINVAL, "metrics: bad metric name \"%s\"",
				    name ? name : "(null)");
	int rc = check_labels(labels, kind == HISTOGRAM, &nlabels, err);
	if (rc == 0)
		rc = check_bounds(bounds, nbounds, err);
	if (rc)
		return rc;
	struct br_metric *f = make_family(kind, name, help, labels, nlabels,
					  bounds, nbounds);
	if (!f)
		return br_error_set(err, BR_ENOMEM, "metrics: out of memory");
	return add_family(m, f, out, err);
}

int br_metrics_counter(struct br_metrics *m, const char *name, const char *help,
		       const char *const *labels, struct br_metric **out,
		       struct br_error *err)
{
	return registr(m, COUNTER, name, help, labels, NULL, 0, out, err);
}

int br_metrics_gauge(struct br_metrics *m, const char *name, const char *help,
		     const char *const *labels, struct br_metric **out,
		     struct br_error *err)
{
	return registr(m, GAUGE, name, help, labels, NULL, 0, out, err);
}

int br_metrics_gauge_func(struct br_metrics *m, const char *name,
			  const char *help, double (*fn)(void *arg), void *arg,
			  struct br_error *err)
{
	struct br_metric *f;
	if (!fn)
		return br_error_set(err, BR_EINVAL, "metrics: gauge function is NULL");
	int rc = registr(m, GAUGE_FUNC, name, help, NULL, NULL, 0, &f, err);
	if (rc == 0) {
		/* Published before fn is set, but render reads both under
		 * the lock. */
		pthread_mutex_lock(&m->mu);
		f->fn = fn;
		f->arg = arg;
		pthread_mutex_unlock(&m->mu);
	}
	return rc;
}

int br_metrics_histogram(struct br_metrics *m, const char *name,
			 const char *help, const char *const *labels,
			 const double *buckets, size_t count,
			 struct br_metric **out, struct br_error *err)
{
	static const double defaults[] = BR_METRICS_DEFAULT_BUCKETS;
	if (!buckets || count == 0) {
		buckets = defaults;
		count = sizeof(defaults) / sizeof(defaults[0]);
	}
	return registr(m, HISTOGRAM, name, help, labels, buckets, count, out, err);
}

/* --- Updating ------------------------------------------------------------- */

static int same_values(const struct br_metric *f, const struct series *s,
		       const char *const *values)
{
	for (size_t i = 0; i < f->nlabels; i++)
		if (strcmp(s->values[i], values[i]) != 0)
			return 0;
	return 1;
}

static struct series *find_series(struct br_metric *f, const char *const *values)
{
	for (struct series *s = f->head; s; s = s->next)
		if (same_values(f, s, values))
			return s;
	return NULL;
}

static struct series *new_series(struct br_metric *f, const char *const *values)
{
	struct series *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->values = calloc(f->nlabels + 1, sizeof(char *));
	int ok = s->values != NULL;
	for (size_t i = 0; ok && i < f->nlabels; i++)
		ok = (s->values[i] = strdup(values[i])) != NULL;
	if (ok && f->kind == HISTOGRAM)
		ok = (s->buckets = calloc(f->nbounds + 1, sizeof(uint64_t))) != NULL;
	if (!ok) {
		free_strings(s->values, f->nlabels);
		free(s);
		return NULL;
	}
	if (f->tail)
		f->tail->next = s;
	else
		f->head = s;
	f->tail = s;
	return s;
}

static int values_ok(const struct br_metric *f, const char *const *values)
{
	if (f->nlabels && !values)
		return 0;
	for (size_t i = 0; i < f->nlabels; i++)
		if (!values[i])
			return 0;
	return 1;
}

/* Applies v to the series for values, making it if needed. */
static int update(struct br_metric *f, enum kind kind,
		  const char *const *values, double v)
{
	if (!f || f->kind != kind || !values_ok(f, values) || isnan(v) ||
	    (kind == COUNTER && v < 0))
		return BR_EINVAL;
	pthread_mutex_lock(&f->reg->mu);
	struct series *s = find_series(f, values);
	if (!s)
		s = new_series(f, values);
	if (s && kind == COUNTER) {
		s->value += v;
	} else if (s && kind == GAUGE) {
		s->value = v;
	} else if (s) {
		size_t i = 0;
		while (i < f->nbounds && v > f->bounds[i])
			i++;
		s->buckets[i]++;
		s->count++;
		s->value += v;
	}
	pthread_mutex_unlock(&f->reg->mu);
	return s ? 0 : BR_ENOMEM;
}

int br_metric_add(struct br_metric *f, const char *const *values, double v)
{
	return update(f, COUNTER, values, v);
}

int br_metric_inc(struct br_metric *f, const char *const *values)
{
	return update(f, COUNTER, values, 1);
}

int br_metric_set(struct br_metric *f, const char *const *values, double v)
{
	return update(f, GAUGE, values, v);
}

int br_metric_observe(struct br_metric *f, const char *const *values, double v)
{
	return update(f, HISTOGRAM, values, v);
}

double br_metric_value(struct br_metric *f, const char *const *values)
{
	if (!f || !values_ok(f, values))
		return 0;
	pthread_mutex_lock(&f->reg->mu);
	double v = 0;
	if (f->kind == GAUGE_FUNC) {
		v = f->fn ? f->fn(f->arg) : 0;
	} else {
		struct series *s = find_series(f, values);
		v = s ? s->value : 0;
	}
	pthread_mutex_unlock(&f->reg->mu);
	return v;
}

/* --- Rendering ------------------------------------------------------------ */

/* Writes v as Go's strconv.FormatFloat(v, 'g', -1, 64) would, which is what
 * Prometheus clients print: the fewest digits that read back as v, in
 * exponent form only when the exponent is below -4 or at least 6 (so 10 is
 * "10", not C's "1e+01", and 1000000 is "1e+06"). */
static int add_number(double v, struct br_buf *b)
{
	if (isnan(v))
		return br_buf_adds(b, "NaN");
	if (isinf(v))
		return br_buf_adds(b, v > 0 ? "+Inf" : "-Inf");
	char text[64];
	int digits = 1;
	for (; digits < 17; digits++) {
		snprintf(text, sizeof(text), "%.*e", digits - 1, v);
		if (strtod(text, NULL) == v)
			break;
	}
	snprintf(text, sizeof(text), "%.*e", digits - 1, v);
	const char *e = strchr(text, 'e');
	long exp = e ? strtol(e + 1, NULL, 10) : 0;
	if (exp >= -4 && exp < 6) {
		int decimals = digits - 1 - (int)exp;
		snprintf(text, sizeof(text), "%.*f", decimals > 0 ? decimals : 0, v);
	}
	return br_buf_adds(b, text);
}

/* Escapes backslash and newline, and double quote when quote is set. */
static int add_escaped(const char *s, int quote, struct br_buf *b)
{
	int rc = 0;
	for (; *s && rc == 0; s++) {
		if (*s == '\\')
			rc = br_buf_adds(b, "\\\\");
		else if (*s == '\n')
			rc = br_buf_adds(b, "\\n");
		else if (*s == '"' && quote)
			rc = br_buf_adds(b, "\\\"");
		else
			rc = br_buf_addc(b, *s);
	}
	return rc;
}

/* Writes name{l1="v1",...,le="x"} (le only when given; braces only when
 * there is a label). */
static int add_series_name(const struct br_metric *f, const struct series *s, const char *suffix,
			   const char *le, struct br_buf *b)
{
	int rc = br_buf_adds(b, f->name);
	rc = rc ? rc : br_buf_adds(b, suffix);
	if (rc || (f->nlabels == 0 && !le))
		return rc;
	rc = br_buf_addc(b, '{');
	for (size_t i = 0; rc == 0 && i < f->nlabels; i++) {
		rc = br_buf_addf(b, "%s%s=\"", i ? "," : "", f->labels[i]);
		rc = rc ? rc : add_escaped(s->values[i], 1, b);
		rc = rc ? rc : br_buf_addc(b, '"');
	}
	if (rc == 0 && le)
		rc = br_buf_addf(b, "%sle=\"%s\"", f->nlabels ? "," : "", le);
	return rc ? rc : br_buf_addc(b, '}');
}

static int add_sample(const struct br_metric *f, const struct series *s, const char *suffix,
		      const char *le, double v, struct br_buf *b)
{
	int rc = add_series_name(f, s, suffix, le, b);
	rc = rc ? rc : br_buf_addc(b, ' ');
	rc = rc ? rc : add_number(v, b);
	return rc ? rc : br_buf_addc(b, '\n');
}

static int render_histogram(const struct br_metric *f, const struct series *s, struct br_buf *b)
{
	uint64_t cumulative = 0;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i <= f->nbounds; i++) {
		struct br_buf le;
		br_buf_init(&le, 64);
		cumulative += s->buckets[i];
		rc = i < f->nbounds ? add_number(f->bounds[i], &le)
				    : br_buf_adds(&le, "+Inf");
		if (rc == 0)
			rc = add_sample(f, s, "_bucket", br_buf_str(&le), (double)cumulative, b);
		br_buf_release(&le);
	}
	rc = rc ? rc : add_sample(f, s, "_sum", NULL, s->value, b);
	return rc ? rc : add_sample(f, s, "_count", NULL, (double)s->count, b);
}

static const char *type_name(enum kind k)
{
	return k == COUNTER ? "counter" : k == HISTOGRAM ? "histogram" : "gauge";
}

static int render_family(const struct br_metric *f, struct br_buf *b)
{
	int rc = br_buf_addf(b, "# HELP %s ", f->name);
	rc = rc ? rc : add_escaped(f->help, 0, b);
	rc = rc ? rc : br_buf_addf(b, "\n# TYPE %s %s\n", f->name, type_name(f->kind));
	if (rc == 0 && f->kind == GAUGE_FUNC) {
		struct series none = {0};
		return add_sample(f, &none, "", NULL, f->fn ? f->fn(f->arg) : 0, b);
	}
	/* a counter or gauge without labels has its one series from the start:
	   0 until it moves, not missing (rate() and absent() need it there) */
	if (rc == 0 && !f->head && f->nlabels == 0 && f->kind != HISTOGRAM) {
		struct series none = {0};
		return add_sample(f, &none, "", NULL, 0, b);
	}
	for (const struct series *s = f->head; rc == 0 && s; s = s->next)
		rc = f->kind == HISTOGRAM ? render_histogram(f, s, b)
					  : add_sample(f, s, "", NULL, s->value, b);
	return rc;
}

int br_metrics_render(struct br_metrics *m, struct br_buf *out)
{
	int rc = 0;
	pthread_mutex_lock(&m->mu);
	for (const struct br_metric *f = m->head; rc == 0 && f; f = f->next)
		rc = render_family(f, out);
	pthread_mutex_unlock(&m->mu);
	return rc;
}
