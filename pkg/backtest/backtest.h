/* backtest: what an SLO's alerts would have done over its history. The alert
 * logic of pkg/rules, evaluated in C over the SLI series Prometheus answers
 * for the rules' own record expressions, so that `burnrate backtest` shows
 * the pages and tickets the generated rules would have raised, and the
 * budget they would have recorded, without the rules ever being loaded.
 *
 * The history is a grid of evaluation times start + i * step (i < count),
 * the rules' evaluation interval. It holds, per window of the alert table,
 * the events and errors per second (or, for a raw indicator, the error
 * ratio) exactly as the records burnrate:sli_requests:rate<W>,
 * burnrate:sli_errors:rate<W> and burnrate:sli_error_ratio:rate<W> would
 * hold them. Windows up to BR_BACKTEST_RAW_MAX_S are read from Prometheus
 * (the caller queries the rules' expressions with query_range); longer ones
 * are averaged here from the 5m window, as the sli-long and budget groups
 * do with avg_over_time over [t - W, t] (both ends included, as Prometheus
 * 2 selects a range), so the 5m series must reach back the longest window
 * (and the SLO window, for the budget) before the first evaluation.
 *
 * Then, at every evaluation time, each row of the alert table fires as
 * rules.c writes it: both windows' ratio / eb above the burn rate, the
 * Wilson lower bound of the long window too (spec.traffic.confidence), the
 * long window's events at least minEvents, and rows muted off-peak only in
 * peak hours; an alert fires while any row of its severity does. The rules
 * have no `for:`, so an alert fires at the first evaluation its expression
 * holds. Thresholds are compared as the rules print them (10 significant
 * digits), so a tie resolves as Prometheus resolves it.
 *
 * Ownership: plain data with init/release; every array is owned by the
 * struct that holds it. Pure functions: no I/O, no shared state, nothing
 * prints.
 */
#ifndef BR_BACKTEST_H
#define BR_BACKTEST_H

#include <stddef.h>

#include "errors/errors.h"
#include "promdata/promdata.h"
#include "slo/slo.h"

/* Windows up to this length are recorded from raw series by the rules, and
 * must be given; longer ones are derived from the 5m window (rules.c's
 * RAW_MAX_S; tests/backtest/oracle.test.sh fails if they drift apart). */
#define BR_BACKTEST_RAW_MAX_S (6 * 3600LL)
/* The window longer ones are averaged from (rules.c's BASE_S). */
#define BR_BACKTEST_BASE_S 300LL
/* Points Prometheus answers per series in one range query, at most. */
#define BR_BACKTEST_MAX_POINTS 11000

/* --- History ------------------------------------------------------------- */

/* One window's SLI over the grid, per second; NaN where the record would
 * have no sample (no traffic, no series). */
struct br_backtest_sli {
	long long window_s;
	int derived;            /* 1: longer than BR_BACKTEST_RAW_MAX_S, averaged
				   from the 5m window by br_backtest_run() */
	double *requests;       /* ratio and latency indicators */
	double *errors;
	double *ratio;          /* raw indicator */
};

struct br_backtest_history {
	double start;           /* Unix seconds of point 0 */
	double step;            /* seconds between points, > 0 */
	size_t count;
	int raw;                /* 1: a raw indicator (ratio arrays) */
	struct br_backtest_sli *windows; /* sorted by window, distinct */
	size_t nwindows;
};

/* Initialises an empty history. Does not allocate; can't fail. */
void br_backtest_history_init(struct br_backtest_history *h);
/* Frees every array and leaves the history empty. */
void br_backtest_history_release(struct br_backtest_history *h);

/* Sets h up for slo over [from - lookback, to] every step: the 5m window and
 * both windows of every enabled row, each array count points of NaN, where
 * lookback is the longest window derived (and the SLO window, for the
 * budget), rounded up to whole steps. h must be empty (just initialised).
 * Returns 0; BR_EINVAL for step <= 0, to < from or more than 100 million
 * points (err names which); BR_ENOMEM. On failure h is left empty. */
int br_backtest_history_plan(struct br_backtest_history *h, const struct br_slo *slo,
			     double from, double to, double step, struct br_error *err);

/* The first point a window must be read from: the 5m window from point 0,
 * every other one from the first evaluation (point of `from`). Can't fail. */
size_t br_backtest_first_point(const struct br_backtest_history *h,
			       const struct br_backtest_sli *w, double from);

/* Copies the points of one range answer into values (one of a window's
 * arrays, h->count long). The answer must hold at most one series (the
 * rules' expressions are sums); points off the grid, or outside it, are
 * refused with BR_EPARSE (a Prometheus that answers other times than it was
 * asked for is not one to trust), as is a second series. NaN and infinite
 * values are kept (a record holds what the expression gave). what names the
 * series in messages. Returns 0 or BR_EPARSE with err set. */
int br_backtest_history_fill(const struct br_backtest_history *h,
			     const struct br_prom_matrix *m, const char *what,
			     double *values, struct br_error *err);

/* --- Result -------------------------------------------------------------- */

/* One firing of an alert (a page or a ticket). */
struct br_backtest_alert {
	enum br_severity severity;
	size_t row;             /* index into slo->windows: the first row (in
				   table order) firing at start, whose long
				   window's burn rate is the alert's $value */
	double start;           /* first evaluation firing */
	double end;             /* first evaluation not firing, or the end of
				   the range (open) */
	int open;               /* still firing at the end of the range */
	double burn_rate;       /* $value at start */
	double peak_burn_rate;  /* highest $value while firing */
};

struct br_backtest_result {
	double from, to, step;
	struct br_backtest_alert *alerts; /* by start time */
	size_t count;
	size_t cap;             /* room in alerts (br_array_grow) */
	size_t pages, tickets;
	/* the budget left, as burnrate:error_budget:remaining: 1 - (errors /
	   events over the SLO window ending at t) / eb, per evaluation point
	   from `from` (npoints of them, NaN where there is no data) */
	double *budget;
	size_t npoints;
	int have_budget;        /* 0: no point had a budget */
	double budget_end;      /* at the last point with a budget */
	double budget_low;      /* the lowest, and when */
	double budget_low_at;
};

void br_backtest_result_init(struct br_backtest_result *r);
void br_backtest_result_release(struct br_backtest_result *r);

/* Evaluates slo's alert table at every point of h from `from` (a point of
 * h; br_backtest_history_plan's from) to the end. slo and h are borrowed;
 * h's derived windows are filled in (so h must be the one planned for slo).
 * On success returns 0 and fills out (you own it; release it). Returns
 * BR_EINVAL when h does not hold a window the table needs, BR_ENOMEM; out
 * is then empty. */
int br_backtest_run(const struct br_slo *slo, struct br_backtest_history *h, double from,
		    struct br_backtest_result *out, struct br_error *err);

/* --- Times --------------------------------------------------------------- */

/* Parses a time of the command line: "now", a duration before now ("-30d",
 * "-3h", "-1h30m"; br_duration_parse's units), RFC 3339 ("2026-11-05T10:00:00Z",
 * "2026-11-05T12:00:00+02:00", fractions of a second allowed) or Unix
 * seconds ("1764900000"). Returns 0 and *t, or BR_EINVAL with err saying
 * what is wrong (field names the flag). Can't fail otherwise. */
int br_backtest_parse_time(const char *text, double now, const char *field, double *t,
			   struct br_error *err);

/* Writes t as RFC 3339 UTC ("2026-11-05T10:00:00Z"). 32 bytes suffice.
 * Returns out. */
char *br_backtest_format_time(double t, char *out, size_t size);

#endif
