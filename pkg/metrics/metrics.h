/* metrics: a small registry of counters, gauges and histograms with labels,
 * rendered in the Prometheus text exposition format (version 0.0.4) for
 * GET /metrics.
 *
 * A registry holds metric families; a family has a name, a help text, a type
 * and fixed label names, and one series per distinct tuple of label values.
 * Families are registered once at start-up; br_metrics_* calls return a
 * borrowed pointer to the family, valid until br_metrics_free(). Series are
 * created on first use.
 *
 * Label values are passed as an array with exactly as many strings as the
 * family has label names (NULL when it has none), for example
 *     br_metric_inc(reconciles, (const char *[]){"success"});
 * Values are copied. Rendering escapes backslash, double quote and newline in
 * label values and backslash and newline in help texts, as the format says.
 *
 * Thread-safety: after registration, updating and rendering may happen from
 * any number of threads at once (one mutex per registry). Registration may
 * also be concurrent but is meant for start-up.
 */
#ifndef BR_METRICS_H
#define BR_METRICS_H

#include <stddef.h>

#include "buf/buf.h"
#include "errors/errors.h"

struct br_metrics;       /* the registry */
struct br_metric;        /* one family: counter, gauge or histogram */

/* Prometheus client libraries' default histogram buckets, in seconds. */
#define BR_METRICS_DEFAULT_BUCKETS \
	{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

/* Creates an empty registry. Returns 0 and sets *out (free with
 * br_metrics_free) or BR_ENOMEM. */
int br_metrics_create(struct br_metrics **out, struct br_error *err);

/* Frees the registry, its families and series. NULL is allowed. */
void br_metrics_free(struct br_metrics *m);

/* --- Registration ---------------------------------------------------------
 * name must match [a-zA-Z_:][a-zA-Z0-9_:]*, each label name
 * [a-zA-Z_][a-zA-Z0-9_]* and not start with "__"; labels is a NULL-terminated
 * array of label names, or NULL for none. name, help and labels are copied.
 * Each returns 0 and sets *out (borrowed, lives as long as the registry),
 * BR_EINVAL for a bad or already registered name, or BR_ENOMEM. */

int br_metrics_counter(struct br_metrics *m, const char *name, const char *help,
		       const char *const *labels, struct br_metric **out,
		       struct br_error *err);

int br_metrics_gauge(struct br_metrics *m, const char *name, const char *help,
		     const char *const *labels, struct br_metric **out,
		     struct br_error *err);

/* A gauge without labels whose value is read by calling fn(arg) at render
 * time (for example the work queue depth). fn is called with the registry's
 * lock held: it must not call back into this registry. */
int br_metrics_gauge_func(struct br_metrics *m, const char *name,
			  const char *help, double (*fn)(void *arg), void *arg,
			  struct br_error *err);

/* A histogram with the given upper bounds (strictly increasing, finite; the
 * +Inf bucket is implied). buckets NULL and count 0 take
 * BR_METRICS_DEFAULT_BUCKETS. The label name "le" is refused. */
int br_metrics_histogram(struct br_metrics *m, const char *name,
			 const char *help, const char *const *labels,
			 const double *buckets, size_t count,
			 struct br_metric **out, struct br_error *err);

/* --- Updating -------------------------------------------------------------
 * values: one label value per label name of the family (NULL if it has
 * none). Each returns 0, BR_EINVAL for a wrong kind of family or value (a
 * NULL label value, a negative or NaN counter increment), or BR_ENOMEM when
 * a new series can't be made. */

/* Counter: adds v (>= 0). */
int br_metric_add(struct br_metric *f, const char *const *values, double v);
/* Counter: adds 1. */
int br_metric_inc(struct br_metric *f, const char *const *values);
/* Gauge: sets the value. */
int br_metric_set(struct br_metric *f, const char *const *values, double v);
/* Histogram: records one observation. */
int br_metric_observe(struct br_metric *f, const char *const *values, double v);

/* Current value of a counter or gauge series, or a histogram series' sum;
 * 0 for a series never touched. For tests and logs. Can't fail. */
double br_metric_value(struct br_metric *f, const char *const *values);

/* --- Rendering ------------------------------------------------------------ */

/* Appends the text exposition of every family to out: families in
 * registration order, each with "# HELP" and "# TYPE" lines, series in the
 * order they were created; histograms as cumulative _bucket{le="..."} lines
 * ending with le="+Inf", then _sum and _count. Families with no series yet
 * print only their HELP and TYPE lines. Returns 0 or BR_ENOMEM (out is then
 * empty, as br_buf does). */
int br_metrics_render(struct br_metrics *m, struct br_buf *out);

/* The content type to serve the rendering with. */
#define BR_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
