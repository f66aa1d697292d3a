/* budget: the error budget state of SLOs, from what Prometheus recorded with
 * burnrate's rules. Pure functions, no I/O: the controller runs the queries
 * (pkg/prom) and writes the status; everything in between is here and is
 * tested without a server.
 *
 * The figures come from 3 + R instant queries per interval, where R is the
 * number of distinct burnrate:sli_error_ratio:rate<W> names Prometheus holds
 * (the distinct windows of all alert tables: 7 with the default table; at
 * most BR_BUDGET_MAX_NAMES), whatever the number of SLOs: the budget left
 * (burnrate:error_budget:remaining), the failures the budget allows over the
 * window at the traffic recorded (burnrate:error_budget:allowed_events), the
 * ratio names recorded, then the ratio of each name for all SLOs at once. No
 * answer holds more than one sample per SLO, so the largest is a few hundred
 * bytes per SLO, and each is merged into the index (br_budget_index_add_*)
 * and can be released before the next is sent; br_budget_index matches the
 * samples back to SLOs by their slo and slo_namespace labels.
 * br_budget_compute turns one SLO's samples into figures (budget left and
 * spent, as a fraction and in events, the burn rate of each alert window,
 * when the budget runs out at the current rate) and the BudgetHealthy
 * condition. br_budget_status_json renders status.budget, and
 * br_budget_changed says whether new figures differ meaningfully from those
 * already in a status, so that a steady budget makes no status writes.
 *
 * Conditions (type BudgetHealthy):
 *   True    WithinBudget           budget left, no page-level burn
 *   False   BudgetBurning          both windows of a page row of the alert
 *                                  table burn faster than its threshold
 *   False   BudgetExhausted        remaining <= 0 (wins over BudgetBurning)
 *   Unknown NoData                 Prometheus has no budget sample for it
 *   Unknown PrometheusUnavailable  the queries failed (set by the caller)
 *
 * Ownership is stated per function. Thread-safety: no shared state.
 */
#ifndef BR_BUDGET_H
#define BR_BUDGET_H

#include <jansson.h>
#include <stddef.h>

#include "buf/buf.h"
#include "errors/errors.h"
#include "promdata/promdata.h"
#include "slo/slo.h"

#define BR_BUDGET_REMAINING "burnrate:error_budget:remaining"
#define BR_BUDGET_ALLOWED "burnrate:error_budget:allowed_events"
/* recorded only for SLOs that BudgetCorrections select */
#define BR_BUDGET_EXCLUDED "burnrate:error_budget:excluded_events"
#define BR_BUDGET_RATIO_PREFIX "burnrate:sli_error_ratio:rate"
/* More windows than any SLO records (an alert table has at most 8 distinct
 * windows, plus the SLO window of a raw indicator). */
#define BR_BUDGET_MAX_WINDOWS 16

/* --- Queries and matching ------------------------------------------------ */

/* Distinct ratio names queried, at most: the distinct windows of all alert
 * tables are far fewer (7 for the default table), and more names would be
 * more queries per interval. */
#define BR_BUDGET_MAX_NAMES 32
/* Longest ratio name (with its NUL) the poller queries. */
#define BR_BUDGET_NAME_MAX 64

/* Appends the first three instant queries to remaining, allowed and names:
 * the budget left and the failures it allows (BR_BUDGET_ALLOWED) of every
 * SLO, one sample per SLO (the smallest of duplicates), each read through
 * last_over_time(...[10m]) (their rules run every 5m, and a query that lands
 * while the next evaluation is being written must not see a gap); and the
 * ratio names recorded, one sample per name (count by (__name__)).
 * namespaces (count of them, may be 0 for all) narrow all three with a
 * slo_namespace matcher; they are escaped, so any text makes a valid query.
 * Returns 0 or BR_ENOMEM. */
int br_budget_queries(const char *const *namespaces, size_t count,
		      struct br_buf *remaining, struct br_buf *allowed,
		      struct br_buf *names);

/* Appends the query of one ratio name (from br_budget_ratio_names) for every
 * SLO, aggregated by slo and slo_namespace: at most one sample per SLO,
 * without __name__ (the window is the name's), duplicates folded to the
 * worst by Prometheus. namespaces as br_budget_queries. Returns 0, BR_EINVAL
 * when name is not BR_BUDGET_RATIO_PREFIX<window> in PromQL name characters
 * (it came from a server), or BR_ENOMEM. */
int br_budget_ratio_query(const char *name, const char *const *namespaces,
			  size_t count, struct br_buf *out);

struct br_budget_ratio_name {
	char name[BR_BUDGET_NAME_MAX];
	long long window_s;
};

/* The ratio names to query, sorted by window. */
struct br_budget_ratio_names {
	size_t count;
	struct br_budget_ratio_name items[BR_BUDGET_MAX_NAMES];
	size_t skipped;            /* names that are not prefix<window>, too
				      long, or beyond BR_BUDGET_MAX_NAMES */
};

/* Fills out from the answer of the names query (v may be NULL): the distinct
 * __name__ labels that are ratio names. Can't fail. */
void br_budget_ratio_names(const struct br_prom_vector *v,
			   struct br_budget_ratio_names *out);

/* What Prometheus holds for one SLO. */
struct br_budget_reading {
	int has_remaining;
	double remaining;          /* of burnrate:error_budget:remaining */
	int has_allowed;           /* 0 for a raw indicator (no event counts) */
	double allowed;            /* of BR_BUDGET_ALLOWED: >= 0 */
	int has_excluded;          /* 1 when corrections select the SLO */
	double excluded;           /* of BR_BUDGET_EXCLUDED: >= 0 */
	size_t nratios;
	struct {
		long long window_s;
		double ratio;      /* burnrate:sli_error_ratio:rate<window> */
	} ratios[BR_BUDGET_MAX_WINDOWS];
};

struct br_budget_index_entry {
	char *key;                 /* "namespace/name" */
	struct br_budget_reading reading;
};

/* Readings by SLO, sorted by key, one entry per key. */
struct br_budget_index {
	struct br_budget_index_entry *items;
	size_t count;
	size_t alloc;              /* items allocated */
	size_t skipped;            /* samples without slo/slo_namespace, with a
				      window that does not parse, or beyond
				      BR_BUDGET_MAX_WINDOWS */
};

/* Initialises an empty index. Does not allocate; can't fail. */
void br_budget_index_init(struct br_budget_index *idx);
/* Frees the entries and leaves the index empty. */
void br_budget_index_release(struct br_budget_index *idx);

/* Merges the answer of the remaining query (v borrowed; NULL adds nothing)
 * into idx, whatever it holds already: an SLO seen twice keeps the smallest
 * remaining; NaN and infinite values are kept out. v can be released at
 * once: the index copies what it keeps. Returns 0, or BR_ENOMEM (idx is then
 * released: empty). */
int br_budget_index_add_remaining(struct br_budget_index *idx,
				  const struct br_prom_vector *v);

/* Merges the answer of the allowed query as br_budget_index_add_remaining:
 * an SLO seen twice keeps the smallest; NaN, infinite and negative values
 * (no count of requests is negative) are kept out. Returns 0 or BR_ENOMEM
 * (idx empty). */
int br_budget_index_add_allowed(struct br_budget_index *idx,
				const struct br_prom_vector *v);
/* Merges samples of BR_BUDGET_EXCLUDED as br_budget_index_add_allowed. */
int br_budget_index_add_excluded(struct br_budget_index *idx,
				 const struct br_prom_vector *v);
/* The query of every SLO's BR_BUDGET_EXCLUDED (the namespaces as
 * br_budget_queries) appended to out. Returns 0 or BR_ENOMEM. */
int br_budget_excluded_query(const char *const *namespaces, size_t count,
			     struct br_buf *out);

/* Merges ratio samples as br_budget_index_add_remaining: the window is
 * window_s (> 0) for every sample (the answer of br_budget_ratio_query), or,
 * with window_s 0, read from each sample's __name__. An SLO seen twice for
 * one window keeps the largest ratio. Returns 0 or BR_ENOMEM (idx empty). */
int br_budget_index_add_ratios(struct br_budget_index *idx, long long window_s,
			       const struct br_prom_vector *v);

/* Remaining and ratios at once, into an initialised index (either vector may
 * be NULL). Returns 0, or BR_ENOMEM (idx is then empty). */
int br_budget_index_build(struct br_budget_index *idx,
			  const struct br_prom_vector *remaining,
			  const struct br_prom_vector *ratios);

/* The reading of SLO namespace/name, or NULL. Borrowed from idx. */
const struct br_budget_reading *
br_budget_index_get(const struct br_budget_index *idx, const char *ns,
		    const char *name);

/* --- Figures -------------------------------------------------------------- */

/* Event counts are held to +-BR_BUDGET_MAX_EVENTS, so that they convert to
 * an int64 (the status's type) whatever a server answers: a million
 * requests a second for 90 days at a 50% budget is under 1e13. */
#define BR_BUDGET_MAX_EVENTS 1e18

enum br_budget_health {
	BR_BUDGET_WITHIN = 0,
	BR_BUDGET_BURNING,
	BR_BUDGET_EXHAUSTED,
	BR_BUDGET_NODATA,
	BR_BUDGET_UNAVAILABLE
};

struct br_budget_figures {
	enum br_budget_health health;
	int has_figures;           /* 0 for NoData: nothing below is set */
	double remaining;          /* fraction, rounded to 1e-4 */
	int has_events;            /* Prometheus has allowed events for it */
	long long allowed_events;  /* allowed, rounded down */
	int has_excluded;          /* BudgetCorrections select the SLO */
	long long excluded_events; /* events they left out of the window */
	long long remaining_events; /* allowed_events * remaining (unrounded),
				       rounded down: negative when overspent */
	long long window_s;        /* the SLO window */
	size_t nburn;              /* windows of the alert table with data */
	struct {
		long long window_s;
		double rate;       /* ratio / error budget, 3 significant digits */
	} burn[BR_BUDGET_MAX_WINDOWS];
	int has_exhaustion;        /* burning faster than 1x with budget left */
	double exhaustion_at;      /* Unix seconds */
	long long exhaustion_window_s; /* the burn rate it was computed from */
	double evaluated_at;       /* Unix seconds */
	char message[512];         /* the condition's message */
};

/* br_budget_compute and br_budget_changed read of an SLO only objective,
 * window_s, page.disabled, ticket.disabled and the alert table (windows,
 * window_count): the controller keeps just those between polls. */

/* Computes the figures of slo (borrowed, valid) from reading (NULL: no data)
 * read at now (Unix seconds). Burn rates are kept for the windows of the
 * enabled rows of the alert table. Budget runs out: estimated only with
 * budget left and a burn rate above 1x (at 1x or less the rolling window
 * lasts), linearly: now + remaining * window / rate, from the burn rate of
 * the shortest long window of the table that has data (the most current
 * rate that is not the noisy short window); old errors leaving the window
 * are not counted, so the estimate errs early. Events (when the reading has
 * allowed): allowed_events and remaining_events, rounded down, a value
 * within 1e-9 of a whole number taken as that number (10 req/s averaged by
 * Prometheus can come back as 9.999999999999998). Can't fail. */
void br_budget_compute(const struct br_slo *slo,
		       const struct br_budget_reading *reading, double now,
		       struct br_budget_figures *out);

/* Figures for an SLO whose budget could not be read: health Unavailable,
 * has_figures 0, message "Prometheus unavailable: <why>". Can't fail. */
void br_budget_unavailable(const char *why, double now,
			   struct br_budget_figures *out);

/* The condition of health: status "True", "False" or "Unknown", and the
 * reason (WithinBudget, BudgetBurning, BudgetExhausted, NoData,
 * PrometheusUnavailable). Static strings. */
const char *br_budget_condition_status(enum br_budget_health health);
const char *br_budget_reason(enum br_budget_health health);

/* status.budget for figures with has_figures: {remaining, remainingPercent
 * ("81.2%"), spent, allowedEvents and remainingEvents (integers, with
 * has_events), window, burnRates {"1h": 2.5, ...}, exhaustionTime and
 * exhaustionWindow (when it runs out), evaluatedAt}. Returns a new object
 * (you own it), or NULL when there are no figures or out of memory. */
json_t *br_budget_status_json(const struct br_budget_figures *f);

/* Whether a status holding old_budget (status.budget, NULL if none) and a
 * BudgetHealthy condition of reason old_reason (NULL if none) should be
 * rewritten with new_budget and new_reason. Meaningful changes: the reason;
 * budget figures appearing or going; remaining moving by 0.001 (0.1
 * percentage point, the resolution of remainingPercent) or more;
 * allowedEvents or remainingEvents appearing or going, or either moving by
 * at least 1% of allowedEvents and at least one event (allowed events
 * follow traffic over the whole window, so they drift a little with every
 * read; a remaining that moves rewrites them anyway); a burn rate
 * window appearing or going; a burn rate crossing 1x or a threshold of the
 * alert table that uses its window, or moving by more than 25% while above
 * 1x; the exhaustion time appearing, going, changing window, or moving by
 * more than 10% of the time left (at least a minute). slo is the SLO
 * (borrowed), now in Unix seconds. Returns 1 or 0. Can't fail. */
int br_budget_changed(const struct br_slo *slo, const json_t *old_budget,
		      const char *old_reason, const json_t *new_budget,
		      const char *new_reason, double now);

/* RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" of t into out (at least 32 bytes), and
 * back: returns 0 and *t, or -1 for any other text. */
void br_budget_format_time(double t, char *out, size_t size);
int br_budget_parse_time(const char *text, double *t);

#endif
