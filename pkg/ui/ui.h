/* ui: the read-only web UI (issue 15): an overview of every
 * ServiceLevelObjective and a page per SLO with its budget burn-down as a
 * server-rendered SVG, its alert table and its conditions.
 *
 * Pages are plain HTML with no JavaScript and nothing from elsewhere; every
 * response carries the Content-Security-Policy BR_UI_CSP. Every string that
 * comes from a spec or a status is HTML-escaped (br_ui_escape) before it is
 * written; nothing is ever read from a Secret.
 *
 *   GET /                    the overview: ?namespace= (exact), ?q= (a
 *                            substring of namespace, name or service),
 *                            ?page= (1-based, BR_UI_PAGE_SIZE a page);
 *                            sorted by budget left, least first
 *   GET /slo/NAMESPACE/NAME  one SLO: ?range=1d|7d|window, the range of
 *                            its burn-rate charts
 *
 * The UI never reads the API server itself: the SLOs come from an index
 * (struct br_ui_index) and a get callback that whoever embeds it feeds
 * from an informer's cache, so any controller replica serves it and a page
 * costs the API server nothing. Prometheus is read on a page of the
 * overview with three queries (the firing alerts; one instant query of the
 * page's SLOs' error ratios over their fastest page rows' windows; one
 * range query of their budgets, BR_UI_SPARK_POINTS points each, for the
 * sparklines) and on an SLO page with one range query of
 * burnrate:error_budget:remaining over the SLO's window, one per alert
 * row (at most BR_UI_MAX_CHARTS) of its burn rate over ?range= (1d, the
 * default, 7d or the SLO's window), and one of the alerts that fired over
 * that range (ALERTS, by burnrate_severity), each at most BR_UI_MAX_POINTS
 * points. When Prometheus cannot be read the page is still served (200)
 * with a banner that says why; the page's remaining queries are then not
 * sent, so a Prometheus that is down costs one timeout, not one a chart.
 *
 * It is served by pkg/server: br_ui_handle is a struct br_server_options
 * handler, so the controller can serve the same pages on its own address.
 *
 * Ownership: the UI borrows its index and clients, which must outlive it.
 * Thread-safety: br_ui_handle may run on several threads at once (the
 * index, the clients and the answer cache are thread-safe). The renderers are pure
 * functions of their arguments. Nothing here prints or logs.
 */
#ifndef BR_UI_H
#define BR_UI_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>

#include "buf/buf.h"
#include "errors/errors.h"
#include "prom/prom.h"
#include "server/server.h"

#define BR_UI_CSP "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"
#define BR_UI_PAGE_SIZE 50
#define BR_UI_MAX_POINTS 500     /* a burn-down's points, about */
#define BR_UI_MAX_SLOS 100000    /* SLOs an overview reads at most */
#define BR_UI_MAX_ARG 256        /* bytes of a query argument */
#define BR_UI_SPARK_POINTS 60    /* a sparkline's points, about */

struct br_ui;

/* --- The index of SLOs -------------------------------------------------- */

/* What the overview shows of every SLO (namespace, name, service,
 * objective, window, budget left, events left, Ready, the fastest page
 * row's window), about 150 bytes an SLO, kept up to date by whoever
 * watches the SLOs: `burnrate ui` from an informer of its own, the
 * controller from its caches (br_ui_index_observe as its on_slo). So an
 * overview neither lists the SLOs from the API server nor parses them.
 * Thread-safe (one mutex, held by an overview while it sorts). */
struct br_ui_index;

/* Returns 0 and *out (free with br_ui_index_free), or BR_ENOMEM. */
int br_ui_index_create(struct br_ui_index **out);
/* Frees x. NULL is fine. */
void br_ui_index_free(struct br_ui_index *x);
/* Adds slo (a ServiceLevelObjective object; borrowed) or replaces the
 * entry of the same namespace and name. Returns 0, BR_EINVAL (no
 * metadata.name) or BR_ENOMEM (the old entry stays). */
int br_ui_index_put(struct br_ui_index *x, const json_t *slo);
/* Drops the entry of slo's namespace and name, if any. Can't fail. */
void br_ui_index_delete(struct br_ui_index *x, const json_t *slo);
/* put (deleted 0) or delete (1) on the index x: the shape of the
 * controller's on_slo. */
void br_ui_index_observe(void *x, const json_t *slo, int deleted);
/* How many SLOs x holds. */
size_t br_ui_index_size(struct br_ui_index *x);

/* --- The UI ------------------------------------------------------------- */

struct br_ui_options {
	struct br_ui_index *index;    /* required: the SLOs listed; borrowed */
	/* required: the whole object of SLO namespace/name for its page (a
	 * new reference: the UI decrefs it), or NULL when there is none */
	json_t *(*get)(void *ctx, const char *namespace, const char *name);
	/* NULL, or 0 when the SLOs can be read; else it writes why not (a
	 * sentence, NUL-terminated in size bytes) and the pages answer 502
	 * with it */
	int (*unavailable)(void *ctx, char *why, size_t size);
	void *ctx;                    /* for get and unavailable */
	struct br_prom_client *prom;  /* NULL: no burn-down; borrowed */
};

/* Returns 0 and *out (free with br_ui_free), BR_EINVAL without an index
 * or get, or BR_ENOMEM. */
int br_ui_create(const struct br_ui_options *o, struct br_ui **out,
		 struct br_error *err);
/* Frees ui. NULL is fine. */
void br_ui_free(struct br_ui *ui);

/* The pkg/server handler (arg is the struct br_ui). Answers 200 with a page,
 * 400 for a malformed argument or name, 404 for an unknown path or SLO, 502
 * when the API server cannot be read (the page says why). Can't fail: out of
 * memory leaves resp->body failed, which the server answers 500. */
void br_ui_handle(void *arg, const struct br_server_request *req,
		  struct br_server_response *resp);

/* --- Renderers (public for tests) --------------------------------------- */

/* Each renderer appends to out, its last parameter (out-parameters come last
 * throughout burnrate); when an append fails out is left failed and the
 * renderer returns BR_ENOMEM. */

/* Appends s to out with &, <, >, " and ' replaced by entities, and control
 * characters other than tab and line breaks left out. NULL appends nothing.
 * Returns 0 or BR_ENOMEM (out failed). */
int br_ui_escape(const char *s, struct br_buf *out);

/* What an overview shows. Strings borrowed; NULL or "" for no filter. */
struct br_ui_filter {
	const char *namespace;
	const char *q;
	long page;            /* 1-based; out of range shows the last page */
};

/* What the overview shows from Prometheus (three queries for a page of
 * the overview, whatever the number of SLOs); borrowed, NULL for none. */
struct br_ui_live {
	/* ALERTS{alertstate="firing"}: samples labelled slo, slo_namespace,
	 * burnrate_severity */
	const struct br_prom_vector *firing;
	/* the error ratios of the page's SLOs over the long windows of their
	 * fastest page rows: samples named burnrate:sli_error_ratio:rate<W>
	 * and labelled slo, slo_namespace (other windows are ignored) */
	const struct br_prom_vector *ratios;
	/* burnrate:error_budget:remaining of the page's SLOs up to end: a
	 * series each, labelled slo, slo_namespace (the sparklines) */
	const struct br_prom_matrix *budgets;
	double end;
};

/* Appends the overview of the SLOs in x to out: a whole HTML document;
 * with live, each SLO's budget sparkline over its window, its alert state
 * (page, ticket or ok) and the burn rate of its fastest page row. banner:
 * an error to show on top, or NULL. Returns 0 or BR_ENOMEM. */
int br_ui_render_overview(struct br_ui_index *x, const struct br_ui_filter *f,
			  const struct br_ui_live *live, const char *banner,
			  struct br_buf *out);

/* The step, in seconds, of a burn-down over window seconds: whole seconds,
 * at least 1, so that the window holds at most BR_UI_MAX_POINTS + 1 points.
 * Can't fail. */
double br_ui_step(double window);

/* Appends to out an <svg> of the budget left (fractions, 1 = untouched) over
 * [start, end]: a polyline as one <path>, broken where a value is NaN or
 * infinite, the 0 line, and the last value as text. *drawn (may be NULL)
 * gets the number of points in the path; at most BR_UI_MAX_POINTS * 2 are
 * drawn (evenly thinned, always with the last). With no point it draws
 * "no data". Returns 0 or BR_ENOMEM. */
int br_ui_svg_burndown(const struct br_prom_point *pts, size_t n, double start,
		       double end, size_t *drawn, struct br_buf *out);

/* Appends to out an <svg> of a burn rate (multiples of the budget's even pace)
 * over [start, end]: the path as br_ui_svg_burndown draws it, y from 0 up to
 * the larger of the highest value and threshold * 1.25, and threshold (if
 * > 0) as a dashed line labelled "threshold <t>x". *drawn (may be NULL) as
 * br_ui_svg_burndown; *threshold_y (may be NULL) gets the line's y in the
 * viewBox. Returns 0 or BR_ENOMEM. */
int br_ui_svg_burnrate(const struct br_prom_point *pts, size_t n, double start,
		       double end, double threshold, size_t *drawn,
		       double *threshold_y, struct br_buf *out);

/* The ranges the burn-rate charts may cover (?range=). */
#define BR_UI_RANGES "1d, 7d or window"
#define BR_UI_MAX_CHARTS 8       /* burn-rate charts (status.alerts rows) */

/* What an SLO page shows from Prometheus; all borrowed, NULL for none. */
struct br_ui_slo_data {
	const struct br_prom_series *budget;  /* the burn-down */
	double start, end;                    /* its window, Unix seconds */
	const char *range;                    /* "1d", "7d" or "window" */
	double range_start, range_end;        /* the burn rates' range */
	/* rates[i]: the burn rate of status.alerts[i] (NULL: no data); nrates
	 * at most BR_UI_MAX_CHARTS */
	const struct br_prom_series *rates[BR_UI_MAX_CHARTS];
	size_t nrates;
	/* the firing alerts over the range, a series per burnrate_severity
	 * (max by (burnrate_severity) of ALERTS), at range_step seconds */
	const struct br_prom_matrix *firing;
	double range_step;
};

/* An interval in which an alert fired, Unix seconds (start == end: seen
 * at one step). */
struct br_ui_interval {
	double start, end;
};

#define BR_UI_MAX_INTERVALS 50   /* listed per severity */

/* The intervals in which s has a value: points at most 1.5 steps apart
 * are one interval. Writes the first max of them to out and returns how
 * many there are (more than max when some were left out). Can't fail. */
size_t br_ui_intervals(const struct br_prom_series *s, double step,
		       struct br_ui_interval *out, size_t max);

/* Appends to out the page of one SLO (a ServiceLevelObjective object): spec,
 * budget, burn-down, alert table with a burn-rate chart per row (the first
 * BR_UI_MAX_CHARTS), when page and ticket fired (a timeline and a list of
 * the first BR_UI_MAX_INTERVALS each), conditions. d may be NULL (nothing from Prometheus).
 * banner: an error to show on top (Prometheus unreachable), or NULL.
 * Returns 0 or BR_ENOMEM. */
int br_ui_render_slo(const json_t *slo, const struct br_ui_slo_data *d,
		     const char *banner, struct br_buf *out);

/* --- The answer cache --------------------------------------------------- */

/* Prometheus answers kept for a short while, so many viewers of the same
 * pages do not multiply the queries: keyed by the query and its time
 * rounded down to BR_UI_CACHE_TTL (the UI rounds a range's end so), kept
 * BR_UI_CACHE_TTL seconds, at most BR_UI_CACHE_SIZE answers (the oldest
 * goes first). Failed queries are not kept. An answer is held while a
 * page uses it (get or add, then drop), so evicting it never frees it
 * under a reader. Thread-safe (one mutex). */
#define BR_UI_CACHE_TTL 10
#define BR_UI_CACHE_SIZE 256

struct br_ui_cache;

/* One answer: a range query's matrix or an instant query's vector. */
struct br_ui_answer {
	struct br_prom_matrix matrix;
	struct br_prom_vector vector;
	atomic_int refs;       /* the cache's own and its holders'; private */
};

/* Returns 0 and *out (free with br_ui_cache_free), or BR_ENOMEM. size 0:
 * BR_UI_CACHE_SIZE; ttl <= 0: BR_UI_CACHE_TTL. */
int br_ui_cache_create(size_t size, double ttl, struct br_ui_cache **out);
/* Frees the cache; answers still held stay valid until dropped. NULL is
 * fine. */
void br_ui_cache_free(struct br_ui_cache *c);
/* Returns a new empty answer, held once (drop it), or NULL (no memory). */
struct br_ui_answer *br_ui_answer_new(void);
/* The answer to key at now if kept and under ttl old, held (drop it);
 * NULL otherwise. */
struct br_ui_answer *br_ui_cache_get(struct br_ui_cache *c, const char *key,
				     double now);
/* Keeps a (held by the caller, who still holds it and drops it) for key
 * from now, replacing an answer of the same key; when full, evicts the
 * oldest. Out of memory keeps nothing. */
void br_ui_cache_add(struct br_ui_cache *c, const char *key, double now,
		     struct br_ui_answer *a);
/* Lets go of a; frees it when nothing holds it. NULL is fine. */
void br_ui_answer_drop(struct br_ui_answer *a);
/* How many answers the cache keeps now. */
size_t br_ui_cache_count(struct br_ui_cache *c);

#endif
