/* explain: what the files of `burnrate explain` share: the formatting of
 * numbers for people, and the traffic an SLO sees (from
 * spec.traffic.expectedEventsPerDay or read from Prometheus), which turns the
 * alert table's ratios into counts of events.
 *
 * Internal to cmd/burnrate; everything here prints to stdout except the
 * Prometheus errors, which go to stderr. Single-threaded.
 */
#ifndef BR_EXPLAIN_H
#define BR_EXPLAIN_H

#include <stddef.h>

#include "slo/slo.h"

struct br_prom_client;

/* The confidence explain assumes to show what a bound would do when
 * spec.traffic.confidence is unset, and recommends. */
#define EXPLAIN_DEFAULT_CONFIDENCE 95.0

/* The traffic of one SLO. Plain data; nothing to free. */
struct explain_traffic {
	int known;              /* per_day is set */
	char source[300];       /* where per_day comes from, in words */
	double per_day;         /* events per day (average) */
	double days;            /* days of history measured; 0: the spec's figure */
	int have_hours;         /* per_hour is set */
	double per_hour[24];    /* average events in each hour of the day, local
				   time at offset_min; NaN: no data that hour */
	int offset_min;         /* local = UTC + offset_min, for per_hour */
	int have_budget;        /* allowed and remaining read from Prometheus */
	double allowed;         /* failures the window allows at this traffic */
	double remaining;       /* fraction of the budget left (may be < 0) */
	const char *budget_from; /* where allowed and remaining come from */
};

/* --- explain.c: formatting ---------------------------------------------- */

/* A duration in seconds, rounded to whole seconds, in Prometheus form ("<1s"
 * under half a second). Returns out. */
char *explain_dur(double seconds, char *out, size_t size);
/* A fraction as a percentage with up to 4 significant digits: "7.2%". */
char *explain_pct(double fraction, char *out, size_t size);
/* A count of events for reading: whole from 1000 ("604800"), else up to 4
 * significant digits ("129.6", "0.75"). Returns out. */
char *explain_count(double v, char *out, size_t size);
/* Output lines are wrapped at this width. */
#define EXPLAIN_WIDTH 92

/* Prints first (a label, no newline), then text's words, wrapped at
 * EXPLAIN_WIDTH with continuation lines starting with indent. */
void explain_wrap(const char *first, const char *text, const char *indent);
/* "page" or "ticket". */
const char *explain_sev(enum br_severity s);
/* Whether the row belongs to a severity that is switched off. */
int explain_row_disabled(const struct br_slo *slo, const struct br_alert_window *row);

/* --- explain_presets.c --------------------------------------------------- */

/* The "preset:" line of the header: "NAME: SUMMARY", or that the table is
 * spec.alerting.windows' own. */
void explain_preset_line(const struct br_slo *slo);
/* `burnrate explain --presets`: every preset's name, summary, whether it
 * pages by default and its rows at 30d. */
void explain_presets(void);

/* --- explain_offpeak.c --------------------------------------------------- */

/* The off-peak hours in local time and UTC, the rows they mute, and what it
 * takes to page at night. Prints nothing without spec.alerting.offPeak. */
void explain_off_peak(const struct br_slo *slo);
/* Whether local hour h (0..23, starting at h:00) lies in the off-peak hours. */
int explain_off_peak_hour(const struct br_off_peak *op, int h);

/* --- explain_corrections.c ---------------------------------------------- */

/* Prints the BudgetCorrections of set that select SLO index (nothing when
 * none does): reason, windows, and the current or next one. */
struct cli_set;
void explain_corrections(const struct cli_set *set, size_t index);

/* --- explain_traffic.c --------------------------------------------------- */

/* The smallest number of errors k (consecutive, replacing successes, so the
 * window still holds n events) that puts the long window of a row with
 * threshold thr (= f * eb) over it: k / n > thr without a bound (z = 0), or
 * br_slo_wilson_lower(k, n, z) > thr. 0 when no k <= n does (never).
 * Ignores minEvents. Can't fail. */
long long explain_errors_to_fire(double n, double thr, double z);

/* The traffic section: events per window and per row, errors to fire with
 * and without the confidence bound, which rows can fire, the budget in
 * events, what it takes to page at night, and recommendations. Without
 * traffic it says how to give it. */
void explain_traffic(const struct br_slo *slo, const struct explain_traffic *t);

/* --- explain_prom.c ------------------------------------------------------ */

/* Reads the SLO's traffic from Prometheus into t: events per day over the
 * window, per hour of the day, and the budget left. Returns 0; or -1 after
 * printing to stderr why (unreachable, an error answer, no data), naming
 * the SLO and the field whose series were asked for; or 1 (nothing printed)
 * for a raw indicator, whose events burnrate cannot count. */
int explain_prom(const struct br_slo *slo, struct br_prom_client *c,
		 struct explain_traffic *t);

#endif
